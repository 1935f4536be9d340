"""Learning rules as policies on the local gradient: momentum, RMSprop, Adam, natural gradient, reset.

Each rule's step against hand-computed numbers and against a numpy transcription of its
equations; the limits in which momentum, RMSprop and Adam are the prediction-error rule;
the reset rule's detector on a jump and on stationary noise; every rule learning a
teacher in the rate engine.
"""

import math

import numpy as np
import pytest

from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Plasticity, Projection, ProjectionConfig
from hippo.config import from_dict
from hippo.errors import ConfigError
from hippo.learning import reset, rules
from hippo.theta import INFERENCE

DT = 0.025
POLICIES = ("momentum", "rmsprop", "adam", "natural-gradient", "reset")


def _state(rule, W):
    return np.zeros((len(rules.rule_named(rule).slots),) + W.shape)


def _step(plasticity, W, S, delta, pre, bias):
    """The registered step of ``plasticity``'s rule on copies; returns the new weights and state."""
    W, S = W.copy(), S.copy()
    rule = rules.rule_named(plasticity.rule)
    rule.step(W, S, np.asarray(delta, float), np.asarray(pre, float), np.zeros(W.shape[0]), bias,
              rules.parameter_row(plasticity, DT))
    return W, S


# ------------------------------------------------------------ hand-computed steps
# One synapse, W = 0.5, input x = 2, error δ = 0.5, τ_P = 2·dt (decay ½): the trace
# moves from 0 halfway to δ·x = 1, P = 0.5.
W1, DELTA1, PRE1 = np.array([[0.5]]), [0.5], [2.0]


def test_momentum_step_by_hand():
    plasticity = Plasticity(rule="momentum", eta=0.1, tau_trace=2 * DT, beta=0.8)
    W, S = _step(plasticity, W1, _state("momentum", W1), DELTA1, PRE1, False)
    assert S[0, 0, 0] == pytest.approx(0.5) and S[1, 0, 0] == pytest.approx(0.2 * 0.5)  # v = (1 − β)·P
    assert W[0, 0] == pytest.approx(0.5 + 0.1 * 0.1)
    W, S = _step(plasticity, W, S, DELTA1, PRE1, False)  # P = 0.75, v = 0.8·0.1 + 0.2·0.75 = 0.23
    assert S[1, 0, 0] == pytest.approx(0.23) and W[0, 0] == pytest.approx(0.51 + 0.023)


def test_rmsprop_step_by_hand():
    plasticity = Plasticity(rule="rmsprop", eta=0.01, tau_trace=2 * DT, beta2=0.75, epsilon=1e-8)
    W, S = _step(plasticity, W1, _state("rmsprop", W1), DELTA1, PRE1, False)
    # s = 0.25·0.5² = 0.0625, step = 0.01·0.5/0.25 = 0.02 (no bias correction)
    assert S[1, 0, 0] == pytest.approx(0.0625) and W[0, 0] == pytest.approx(0.52, abs=1e-8)


def test_adam_step_by_hand():
    plasticity = Plasticity(rule="adam", eta=0.01, tau_trace=2 * DT, beta1=0.5, beta2=0.75, epsilon=0.0 + 1e-12)
    W, S = _step(plasticity, W1, _state("adam", W1), DELTA1, PRE1, False)
    # corrected moments equal the trace and its square: the first step is η·sign(P)
    assert S[1, 0, 0] == pytest.approx(0.25) and S[2, 0, 0] == pytest.approx(0.0625) and S[3, 0, 0] == 1
    assert W[0, 0] == pytest.approx(0.51)
    W, S = _step(plasticity, W, S, DELTA1, PRE1, False)
    # P = 0.75; m = 0.5·0.25 + 0.5·0.75 = 0.5, m̂ = 0.5/0.75; v = 0.75·0.0625 + 0.25·0.5625 = 0.1875, v̂ = 0.1875/0.4375
    expected = 0.51 + 0.01 * (0.5 / 0.75) / math.sqrt(0.1875 / 0.4375)
    assert W[0, 0] == pytest.approx(expected)


def test_natural_gradient_step_by_hand():
    plasticity = Plasticity(rule="natural-gradient", eta=0.01, tau_trace=2 * DT, beta=0.9, epsilon=0.5)
    W, S = _step(plasticity, W1, _state("natural-gradient", W1), DELTA1, PRE1, False)
    # F = 0.1·4 = 0.4, corrected 4 = x²: step = 0.01·0.5/(4 + 0.5)
    assert S[1, 0, 0] == pytest.approx(0.4) and W[0, 0] == pytest.approx(0.5 + 0.005 / 4.5)


def test_reset_step_by_hand():
    """A reset pulls the weights ``factor`` of the way to where they started and clears the trace."""
    plasticity = Plasticity(rule="reset", eta=0.0, tau_trace=2 * DT, window=DT, baseline=4 * DT, threshold=3.0,
                            factor=0.25, refractory=2 * DT)
    W, S = _step(plasticity, W1, _state("reset", W1), [0.1], PRE1, False)
    assert S[reset.INITIAL, 0, 0] == 0.5 and S[reset.SINCE, 0, 0] == 1
    for error in (0.1, 0.12, 0.1):
        W, S = _step(plasticity, W, S, [error], PRE1, False)
    W[0, 0] = 1.5  # as if it had learned
    W, S = _step(plasticity, W, S, [1.0], PRE1, False)  # error power 1 against a baseline near 0.01
    assert W[0, 0] == pytest.approx(1.5 + 0.25 * (0.5 - 1.5)) and S[reset.SINCE, 0, 0] == 1
    assert S[reset.TRACE, 0, 0] == pytest.approx(0.5 * 2.0)  # cleared, then one step towards δ·x = 2


# ------------------------------------------------------------ numpy transcriptions
def _reference(rule, params, W, steps, bias):
    """The rules' equations in numpy, stepped over ``steps`` of ``(delta, pre)``."""
    W = W.copy()
    eta, l1, l2, decay = params["eta"], params.get("l1", 0.0), params.get("l2", 0.0), DT / params["tau_trace"]
    P, A, B = np.zeros_like(W), np.zeros_like(W), np.zeros_like(W)
    for t, (delta, pre) in enumerate(steps, start=1):
        x = np.append(pre, 1.0) if bias else pre
        P = P + decay * (np.outer(delta, x) - P)
        if rule == "momentum":
            A = params["beta"] * A + (1 - params["beta"]) * P
            velocity = A
        elif rule == "rmsprop":
            A = params["beta2"] * A + (1 - params["beta2"]) * P**2
            velocity = P / np.sqrt(A + params["epsilon"])
        elif rule == "adam":
            A = params["beta1"] * A + (1 - params["beta1"]) * P
            B = params["beta2"] * B + (1 - params["beta2"]) * P**2
            velocity = A / (1 - params["beta1"]**t) / (np.sqrt(B / (1 - params["beta2"]**t)) + params["epsilon"])
        elif rule == "natural-gradient":
            A = params["beta"] * A + (1 - params["beta"]) * np.broadcast_to(x**2, W.shape)
            velocity = P / (A / (1 - params["beta"]**t) + params["epsilon"])
        W = W + eta * (velocity - l2 * W - l1 * np.sign(W))
    return W


CASES = {
    "momentum": dict(eta=0.05, tau_trace=0.1, beta=0.7),
    "rmsprop": dict(eta=0.002, tau_trace=0.05, beta2=0.9, epsilon=1e-6),
    "adam": dict(eta=0.002, tau_trace=0.1, beta1=0.8, beta2=0.95, epsilon=1e-6),
    "natural-gradient": dict(eta=0.01, tau_trace=0.1, beta=0.9, epsilon=0.05),
}


@pytest.mark.parametrize("rule", sorted(CASES))
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_compiled_step_follows_the_equations(rule, bias, seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(3, 4 + bias))
    steps = [(rng.normal(size=3), rng.uniform(0.0, 1.0, 4)) for _ in range(50)]
    params = dict(CASES[rule], l1=1e-3, l2=0.01)
    plasticity = Plasticity(rule=rule, **params)
    compiled, S = W.copy(), _state(rule, W)
    row = rules.parameter_row(plasticity, DT)
    for delta, pre in steps:
        rules.rule_named(rule).step(compiled, S, delta, pre, np.zeros(3), bias, row)
    assert np.allclose(compiled, _reference(rule, params, W, steps, bias), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------ limits
def _run(plasticity, W, steps, bias=False):
    S = _state(plasticity.rule, W)
    W = W.copy()
    row = rules.parameter_row(plasticity, DT)
    for delta, pre in steps:
        rules.rule_named(plasticity.rule).step(W, S, delta, pre, np.zeros(W.shape[0]), bias, row)
    return W


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_policies_reduce_to_the_plain_rule_in_their_limits(seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(3, 5))
    steps = [(rng.normal(size=3), rng.uniform(0.0, 1.0, 4)) for _ in range(100)]
    plain = _run(Plasticity(eta=0.01, tau_trace=0.1, l2=0.01), W, steps, bias=True)
    limits = [Plasticity(rule="momentum", eta=0.01, tau_trace=0.1, beta=0.0, l2=0.01),
              Plasticity(rule="rmsprop", eta=0.01 * 1e6, tau_trace=0.1, beta2=0.999, epsilon=1e12, l2=0.01 / 1e6),
              Plasticity(rule="adam", eta=0.01 * 1e9, tau_trace=0.1, beta1=0.0, beta2=0.999, epsilon=1e9, l2=0.01 / 1e9),
              Plasticity(rule="reset", eta=0.01, tau_trace=0.1, threshold=1e9, l2=0.01)]
    for plasticity in limits:
        assert np.allclose(_run(plasticity, W, steps, bias=True), plain, rtol=1e-7, atol=1e-10), plasticity.rule
    moved = _run(Plasticity(rule="momentum", eta=0.01, tau_trace=0.1, beta=0.5, l2=0.01), W, steps, bias=True)
    assert not np.allclose(moved, plain, rtol=1e-4)  # and away from the limit they differ


# ------------------------------------------------------------ the reset detector
def _firings(errors, **config):
    """Steps on which the reset rule fires for a stream of compartment errors ``(steps, n_post)``."""
    plasticity = Plasticity(rule="reset", eta=0.0, **config)
    row = rules.parameter_row(plasticity, DT)
    W = np.ones((errors.shape[1], 2))
    S = _state("reset", W)
    fired = []
    for k, delta in enumerate(errors):
        before = S[reset.SINCE, 0, 0]
        reset.reset_step(W, S, delta, np.ones(2), np.zeros(len(delta)), False, row)
        if S[reset.SINCE, 0, 0] == 1.0 and before > 0.0:
            fired.append(k)
    return fired


@pytest.mark.parametrize("seed", range(5))
def test_reset_fires_on_an_error_jump_and_not_on_stationary_noise_of_the_same_variance(seed):
    rng = np.random.default_rng(seed)
    n, jump = 20, 8000  # 200 s of baseline, then the error's scale triples for 200 s
    scale = np.where(np.arange(2 * jump) < jump, 0.1, 0.3)[:, None]
    jumping = scale * rng.normal(size=(2 * jump, n))
    stationary = np.sqrt(np.mean(scale**2)) * rng.normal(size=(2 * jump, n))
    assert np.var(stationary) == pytest.approx(np.var(jumping), rel=0.05)
    fired = _firings(jumping)
    assert len(fired) == 1 and jump <= fired[0] < jump + int(2.0 / DT)  # within one window of the jump
    assert _firings(stationary) == []


def test_reset_asks_for_a_jump_of_the_error_not_only_a_significant_rise():
    """A settled error (small spread) rising by 30 %: many standard deviations, yet no jump by the default min_rise."""
    rng = np.random.default_rng(8)
    errors = (np.where(np.arange(8000) < 4000, 0.1, 0.1 * np.sqrt(1.3))[:, None]
              * (1.0 + 0.01 * rng.normal(size=(8000, 50))))
    assert _firings(errors) == []
    assert len(_firings(errors, min_rise=0.2)) == 1


def test_reset_waits_out_its_refractory_period():
    rng = np.random.default_rng(7)
    errors = np.where(np.arange(4000) < 1000, 0.1, 0.5)[:, None] * rng.normal(size=(4000, 10))
    assert _firings(errors, refractory=30.0) == []  # the jump at 25 s falls inside the first 30 s
    assert len(_firings(errors, refractory=20.0)) == 1


# ------------------------------------------------------------ in the rate engine
N_PRE, N_POST = 4, 3
ENGINE_CASES = {
    "momentum": dict(eta=0.005, beta=0.9),
    "rmsprop": dict(eta=0.002),
    "adam": dict(eta=0.002),
    "natural-gradient": dict(eta=0.002),
    "reset": dict(eta=0.005),
}


@pytest.mark.parametrize("rule", POLICIES)
@pytest.mark.parametrize("seed", [0, 1])
def test_every_policy_learns_a_teacher_in_the_rate_engine(rule, seed):
    """Awake, the apical compartment of ``p`` (plastic, from zero) learns to predict a fixed basal teacher."""
    rng = np.random.default_rng(seed)
    target = rng.normal(size=(N_POST, N_PRE))
    inputs = rng.uniform(-1.0, 1.0, (2000, N_PRE))
    x, p = Layer("x", N_PRE, "input"), Layer("p", N_POST, "pyramidal")
    network = Network((x, p), (Projection("x", "p", "basal", target),
                               Projection("x", "p", "apical", np.zeros((N_POST, N_PRE + 1)), bias=True,
                                          plasticity=Plasticity(rule=rule, **ENGINE_CASES[rule]))))
    engine = RateEngine(network, DT)
    recording = engine.run(2000 * DT, lambda a, b: {"x": inputs[a:b]}, INFERENCE, noise=False, record_every=100)
    assert recording.loss["p"][-1] < 0.1 * recording.loss["p"][0]
    state = engine.get_state()
    for slot in rules.rule_named(rule).slots:
        assert state[f"rule:p.apical<-x:{slot}"].shape == (N_POST, N_PRE + 1)


def test_policy_parameters_are_checked_by_name():
    config = from_dict(ProjectionConfig, {"plasticity": {"rule": "adam", "beta1": 0.5}}, "net.toml")
    assert config.plasticity == Plasticity(rule="adam", beta1=0.5)
    with pytest.raises(ConfigError, match=r"net.toml: plasticity.beta2: value 1.0 out of range"):
        from_dict(ProjectionConfig, {"plasticity": {"rule": "rmsprop", "beta2": 1.0}}, "net.toml")
    with pytest.raises(ConfigError, match=r"plasticity.beta: does not apply to rule 'adam'"):
        from_dict(ProjectionConfig, {"plasticity": {"rule": "adam", "beta": 0.5}}, "net.toml")
    with pytest.raises(ConfigError, match=r"plasticity.factor: value 2.0 out of range"):
        from_dict(ProjectionConfig, {"plasticity": {"rule": "reset", "factor": 2.0}}, "net.toml")


# ------------------------------------------------------------ the circuit comparison's sweep files
@pytest.mark.parametrize("study", ["autoencoding", "path-integration", "transfer"])
def test_every_cell_of_the_circuit_comparison_is_a_valid_sweep(study, tmp_path):
    """Each cell's sweep file sets the rule and its rate on every plastic projection of the study's circuit."""
    import importlib.util
    from pathlib import Path

    from hippo.experiments import resolve
    from hippo.sweep.spec import load_sweep, plan

    script = Path(__file__).resolve().parents[1] / "studies" / "policy-rules" / "policy_rules.py"
    spec = importlib.util.spec_from_file_location("policy_rules", script)
    study_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study_module)
    for rule in POLICIES + ("prediction-error",):
        path = tmp_path / f"{rule}.toml"
        path.write_text(study_module.sweep_text(study, rule, 1.0, [0], 0.002))
        sweep = load_sweep(path)
        runs = plan(sweep)
        assert len(runs) == max(1, len(study_module.STUDIES[study]["grid"].get("duration", [])))
        config = resolve(sweep.experiment, list(runs[0].overrides), runs[0].seed).config
        config = config.network if study == "transfer" else config
        for name in study_module.PROJECTIONS[study]:
            plasticity = getattr(config.projections, name).plasticity
            assert plasticity.rule == rule and plasticity.eta == 0.002
