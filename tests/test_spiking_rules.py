"""Every rule with a spiking translation takes, once per plasticity window, the rate engine's step.

The Brian2 statements a spiking engine generates for a plastic synapse group and for a
learned bias are evaluated here with NumPy on the window's mean error, the presynaptic
and postsynaptic rates, and a whole window of plasticity (``f = 1``); over several
windows they must give the weights and the rule state the registered compiled step gives
on the rate engine for the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from hippo.learning import spiking_rule
from hippo.learning.rules import RULES, Plasticity, parameter_row, rule_named

WINDOW = 0.025
N_POST, N_PRE = 3, 4

#: Each translated rule with parameters that make every term of its step matter.
CASES = {
    "prediction-error": {"eta": 0.05, "tau_trace": 0.1, "l1": 0.01, "l2": 0.02},
    "momentum": {"eta": 0.05, "tau_trace": 0.1, "beta": 0.7, "l1": 0.01, "l2": 0.02},
    "adam": {"eta": 0.01, "tau_trace": 0.1, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-3, "l2": 0.02},
    "bayesian-mechanics": {"m_z": 50.0, "m_w": 1.0, "alpha": 0.3, "gamma": 0.5, "l1": 0.01, "l2": 0.02},
}


def _run_statements(code: str, namespace: dict) -> None:
    """Execute Brian2 abstract code (one statement per line) on NumPy arrays, in order."""
    functions = {"clip": np.clip, "sign": np.sign, "sqrt": np.sqrt, "inf": np.inf}
    for line in code.splitlines():
        exec(line, functions, namespace)


def test_every_rule_of_the_rule_studies_has_a_spiking_translation():
    assert set(CASES) <= {name for name, rule in RULES.items() if rule.spiking is not None}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_window_step_is_the_rate_step(name):
    rng = np.random.default_rng(4)
    plasticity = Plasticity(rule=name, **CASES[name])
    rule = rule_named(name)
    W0 = rng.normal(size=(N_POST, N_PRE + 1))
    # the rate engine: the registered step with a bias column
    W_rate, S = W0.copy(), np.zeros((len(rule.slots), N_POST, N_PRE + 1))
    params = parameter_row(plasticity, WINDOW)
    # the spiking engine: the synapse group's and the bias's window code
    constants = spiking_rule.rule_constants(plasticity, WINDOW, fan_in=N_PRE)
    synapses = {"w": W0[:, :N_PRE].copy(), "window": WINDOW, "plastic_time_post": WINDOW, **constants}
    synapses.update({var: np.zeros((N_POST, N_PRE)) for var in spiking_rule.state_variables(plasticity).values()})
    bias = {"bias_0": W0[:, N_PRE].copy(), "window": WINDOW, "plastic_time": WINDOW,
            **{f"{key}_0": value for key, value in constants.items()}}
    bias.update({var: np.zeros(N_POST) for var in spiking_rule.bias_state_variables(plasticity, "0").values()})
    synapse_code = spiking_rule.synapse_update("apical", plasticity, "none")
    bias_code = spiking_rule.bias_update("0", "apical", plasticity, "none")
    for _ in range(6):
        delta, pre, post = rng.normal(size=N_POST), rng.normal(size=N_PRE), rng.normal(size=N_POST)
        rule.step(W_rate, S, delta, pre, post, True, params)
        synapses.update(E_apical_post=(delta * WINDOW)[:, None], xl_pre=pre[None, :], xl_post=post[:, None])
        _run_statements(synapse_code, synapses)
        bias.update(E_apical=delta * WINDOW, xl=post)
        _run_statements(bias_code, bias)
    assert not np.allclose(W_rate, W0)
    np.testing.assert_allclose(synapses["w"], W_rate[:, :N_PRE], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bias["bias_0"], W_rate[:, N_PRE], rtol=1e-9, atol=1e-12)
    for k, slot in enumerate(rule.slots):
        if slot == "steps":  # the rate engine counts once per projection (S[k, 0, 0]), the spiking one per synapse
            assert np.all(synapses[spiking_rule.state_variables(plasticity)[slot]] == S[k, 0, 0])
            continue
        np.testing.assert_allclose(synapses[spiking_rule.state_variables(plasticity)[slot]], S[k][:, :N_PRE],
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "learned"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_learning_switch_freezes_weights_and_rule_state(name, fresh):
    """With the switch at 0 nothing moves, also for a rule state that never stepped (Adam's count 0)."""
    rng = np.random.default_rng(5)
    plasticity = Plasticity(rule=name, **CASES[name])
    constants = spiking_rule.rule_constants(plasticity, WINDOW, fan_in=N_PRE) | {"learning": 0.0}
    state = {var: np.zeros((N_POST, N_PRE)) if fresh else rng.uniform(0.1, 2.0, size=(N_POST, N_PRE))
             for var in spiking_rule.state_variables(plasticity).values()}
    synapses = {"w": rng.normal(size=(N_POST, N_PRE)), "window": WINDOW, "plastic_time_post": WINDOW, **constants,
                **{var: value.copy() for var, value in state.items()},
                "E_apical_post": rng.normal(size=(N_POST, 1)), "xl_pre": rng.normal(size=(1, N_PRE)),
                "xl_post": rng.normal(size=(N_POST, 1))}
    before = synapses["w"].copy()
    _run_statements(spiking_rule.synapse_update("apical", plasticity, "none"), synapses)
    np.testing.assert_array_equal(synapses["w"], before)
    for var, value in state.items():
        np.testing.assert_array_equal(synapses[var], value)


def test_the_spiking_engine_records_weights_in_its_run_as_a_run_per_record_would():
    """Weights recorded by the engine's monitors every 2 steps equal the weights after each of
    five 2-step runs of a twin engine (same seed, same chunks, so the same spikes)."""
    from hippo.circuits.spec import Layer, Network, Projection
    from hippo.circuits.spiking import SpikingConfig, SpikingEngine
    from hippo.theta import INFERENCE

    rng = np.random.default_rng(0)
    network = Network((Layer("x", N_PRE, "input"), Layer("p", N_POST, "pyramidal")),
                      (Projection("x", "p", "basal", rng.normal(size=(N_POST, N_PRE))),
                       Projection("x", "p", "apical", np.zeros((N_POST, N_PRE + 1)), bias=True,
                                  plasticity=Plasticity(rule="momentum", **CASES["momentum"]))))
    rates = np.abs(rng.normal(size=(10, N_PRE)))

    def inputs(start, stop):
        return {"x": rates[start:stop]}

    config = SpikingConfig(target="numpy", rate_scale=2000.0)
    recorded = SpikingEngine(network, WINDOW, seed=3, config=config).run(
        10 * WINDOW, inputs, INFERENCE, record_every=2, chunk_steps=2, record_weights=("p.apical<-x",))
    twin = SpikingEngine(network, WINDOW, seed=3, config=config)
    after = []
    for _ in range(5):
        twin.run(2 * WINDOW, inputs, INFERENCE)
        after.append(twin.weight("p.apical<-x"))
    assert recorded.weights["p.apical<-x"].shape == (5, N_POST, N_PRE + 1)
    assert np.any(after[-1] != 0)
    np.testing.assert_array_equal(recorded.weights["p.apical<-x"], np.array(after))
