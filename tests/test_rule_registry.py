"""The rule registry: a new rule is one module; configs are tagged by rule; shared constraints and schedule apply to every rule."""

import importlib
import sys
import textwrap

import numpy as np
import pytest

from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Plasticity, Projection, ProjectionConfig
from hippo.config import from_dict
from hippo.errors import ConfigError
from hippo.learning import rules
from hippo.theta import INFERENCE

#: A whole new rule — heavy-ball momentum on the local gradient δ·pre, one state slot — in one module.
MOMENTUM_MODULE = '''
"""Heavy-ball momentum on the local gradient: v ← β·v + δ·pre, W ← W + η·(v − λ2·W − λ1·sign W)."""

from dataclasses import dataclass, field
from typing import Literal

from numba import njit

from hippo.config import bounds
from hippo.learning.rules import L1, L2, LEARNING_RATE, N_SHARED, Plasticity, Rule, penalised, register


@dataclass(frozen=True)
class MomentumPlasticity(Plasticity):
    rule: Literal["heavy-ball"] = "heavy-ball"
    eta: float = field(default=0.01, metadata=bounds(min=0.0))
    beta: float = field(default=0.9, metadata=bounds(min=0.0, max=1.0))


@njit(cache=True)
def momentum_step(W, S, delta, pre, post, bias, params):
    eta, l1, l2, beta = params[LEARNING_RATE], params[L1], params[L2], params[N_SHARED]
    n_pre = pre.shape[0]
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            x = pre[j] if j < n_pre else 1.0
            S[0, i, j] = beta * S[0, i, j] + delta[i] * x
            W[i, j] += eta * penalised(S[0, i, j], W[i, j], l1, l2)


register(Rule("heavy-ball", MomentumPlasticity, slots=("velocity",), parameters=lambda c, dt: (c.eta, c.beta),
              step=momentum_step, learning_rate="eta"))
'''

N_PRE, N_POST, STEPS = 4, 3, 400


@pytest.fixture
def momentum(tmp_path):
    """The momentum rule, registered by importing its one module from a temporary package; unregistered afterwards."""
    package = tmp_path / "extra_rules"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "momentum.py").write_text(textwrap.dedent(MOMENTUM_MODULE))
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("extra_rules.momentum")
    finally:
        sys.path.remove(str(tmp_path))
        rules.RULES.pop("heavy-ball", None)
        for name in ("extra_rules.momentum", "extra_rules"):
            sys.modules.pop(name, None)


def _student(plasticity, target, dale="none", bias=False):
    """Input x → p.basal (fixed teacher) and → p.apical (plastic, from zero): awake, the apical learns the teacher."""
    x, p = Layer("x", N_PRE, "input"), Layer("p", N_POST, "pyramidal")
    return Network((x, p), (Projection("x", "p", "basal", target),
                            Projection("x", "p", "apical", np.zeros((N_POST, N_PRE + bias)), bias=bias,
                                       plasticity=plasticity, dale=dale)))


def _reference(target, inputs, eta, beta, l1=0.0, l2=0.0, dale="none"):
    """The momentum rule and the circuit (θ = 1, linear units: δ = (W* − W)·x) stepped in numpy."""
    W, v = np.zeros((N_POST, N_PRE)), np.zeros((N_POST, N_PRE))
    for x in inputs:
        delta = (target - W) @ x
        v = beta * v + np.outer(delta, x)
        W = W + eta * (v - l2 * W - l1 * np.sign(W))
        if dale == "excitatory":
            W = np.maximum(W, 0.0)
    return W


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_rule_added_in_one_module_runs_in_the_rate_engine(momentum, seed):
    rng = np.random.default_rng(seed)
    target = rng.normal(size=(N_POST, N_PRE))
    inputs = rng.uniform(-1.0, 1.0, (STEPS, N_PRE))
    plasticity = Plasticity(rule="heavy-ball", eta=0.005, beta=0.8)
    assert isinstance(plasticity, momentum.MomentumPlasticity)
    engine = RateEngine(_student(plasticity, target), 0.025)
    recording = engine.run(STEPS * 0.025, lambda a, b: {"x": inputs[a:b]}, INFERENCE, noise=False, record_every=20)
    learned = engine.weight("p.apical<-x")
    assert np.allclose(learned, _reference(target, inputs, 0.005, 0.8), rtol=1e-9, atol=1e-12)
    assert recording.loss["p"][-1] < 0.05 * recording.loss["p"][0]  # and it learns the teacher
    velocity = engine.get_state()["rule:p.apical<-x:velocity"]
    assert velocity.shape == (N_POST, N_PRE) and np.any(velocity != 0.0)


def test_shared_constraints_and_the_schedule_apply_to_a_new_rule(momentum):
    rng = np.random.default_rng(3)
    target = rng.normal(size=(N_POST, N_PRE))
    inputs = rng.uniform(-1.0, 1.0, (STEPS, N_PRE))
    plasticity = Plasticity(rule="heavy-ball", eta=0.005, beta=0.5, l1=1e-3, l2=0.01)
    engine = RateEngine(_student(plasticity, target, dale="excitatory"), 0.025)
    engine.scale_learning_rates(0.5)
    engine.run(STEPS * 0.025, lambda a, b: {"x": inputs[a:b]}, INFERENCE, noise=False)
    learned = engine.weight("p.apical<-x")
    assert np.all(learned >= 0.0) and np.any(learned == 0.0)
    expected = _reference(target, inputs, 0.0025, 0.5, l1=1e-3, l2=0.01, dale="excitatory")
    assert np.allclose(learned, expected, rtol=1e-9, atol=1e-12)


def test_a_new_rule_is_configured_by_its_tag(momentum):
    config = from_dict(ProjectionConfig, {"plasticity": {"rule": "heavy-ball", "beta": 0.5}}, "net.toml")
    assert config.plasticity == Plasticity(rule="heavy-ball", beta=0.5)
    with pytest.raises(ConfigError, match=r"net.toml: plasticity.tau_trace: does not apply to rule 'heavy-ball'"):
        from_dict(ProjectionConfig, {"plasticity": {"rule": "heavy-ball", "tau_trace": 0.1}}, "net.toml")
    with pytest.raises(ConfigError, match=r"plasticity.rule: unknown value 'lion' \(allowed: prediction-error, "):
        from_dict(ProjectionConfig, {"plasticity": {"rule": "lion"}}, "net.toml")


def test_a_parameter_of_another_rule_is_an_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"plasticity.eta: does not apply to rule 'bayesian-mechanics' \(allowed: rule, l1"):
        from_dict(ProjectionConfig, {"plasticity": {"rule": "bayesian-mechanics", "eta": 0.01}}, "net.toml")
    with pytest.raises(ConfigError, match="m_w: does not apply to rule 'prediction-error'"):
        from_dict(ProjectionConfig, {"plasticity": {"m_w": 100.0}}, "net.toml")
    with pytest.raises(ConfigError, match="eta: does not apply to the 'bayesian-mechanics' rule"):
        Plasticity(rule="bayesian-mechanics", eta=0.01)
    assert from_dict(ProjectionConfig, {"plasticity": {"eta": 0.5}}).plasticity == Plasticity(eta=0.5)  # default rule


def test_the_schedule_scales_the_named_learning_rate_of_every_rule():
    rng = np.random.default_rng(4)
    x, p = Layer("x", N_PRE, "input"), Layer("p", N_POST, "pyramidal")
    network = Network((x, p), (
        Projection("x", "p", "basal", rng.normal(size=(N_POST, N_PRE)), plasticity=Plasticity(eta=0.02)),
        Projection("x", "p", "apical", rng.normal(size=(N_POST, N_PRE)),
                   plasticity=Plasticity(rule="bayesian-mechanics", m_z=3.0))))
    engine = RateEngine(network, 0.025)
    configured = {name: engine._proj["params"][i, rules.LEARNING_RATE] for i, name in enumerate(engine.w_offset)}
    engine.scale_learning_rates(0.25)
    scaled = {name: engine._proj["params"][i, rules.LEARNING_RATE] for i, name in enumerate(engine.w_offset)}
    assert configured == {"p.basal<-x": pytest.approx(0.02), "p.apical<-x": pytest.approx(3.0)}
    assert scaled == {name: pytest.approx(0.25 * value) for name, value in configured.items()}


def test_registering_checks_the_declaration():
    with pytest.raises(TypeError, match="learning rate 'lr' is not a field"):
        rules.register(rules.Rule("prediction-error", rules.RULES["prediction-error"].config, ("trace",),
                                  rules.RULES["prediction-error"].parameters, rules.RULES["prediction-error"].step, "lr"))
    with pytest.raises(TypeError, match="rule = 'other'"):
        rules.register(rules.Rule("other", rules.RULES["prediction-error"].config, ("trace",),
                                  rules.RULES["prediction-error"].parameters, rules.RULES["prediction-error"].step, "eta"))
    assert set(rules.RULES) == {"prediction-error", "bayesian-mechanics", "momentum", "rmsprop", "adam", "natural-gradient", "reset"}
