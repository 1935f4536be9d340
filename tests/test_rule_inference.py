"""Inferring learning rules from behaviour: simulated learners, the GLM likelihood, fitted rule networks."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.inference import glm
from hippo.inference.fit import FitConfig, fit_initial_weights, fit_rule, replay, static_weights
from hippo.inference.learners import Learner, LearnerConfig, policy_gradient, simulate
from hippo.inference.networks import RuleNetwork
from hippo.inference.task import TaskConfig


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def _reinforce_by_hand(w, b, s, y, r, alpha):
    """α(1 − p(y))·x·(−1)^{y+1}·r, one trial, written out."""
    p_right = _sigmoid(w * s + b)
    p_choice = p_right if y == 1 else 1.0 - p_right
    sign = (-1.0) ** (y + 1)
    return [alpha * (1.0 - p_choice) * s * sign * r, alpha * (1.0 - p_choice) * 1.0 * sign * r]


@pytest.mark.parametrize("w, b, s, y, r", [(-2.0, 1.0, 0.5, 1, 1.0), (-2.0, 0.0, -1.5, 0, 1.0),
                                            (0.7, -1.0, 2.0, 0, 0.0), (1.3, 0.2, -0.25, 1, 1.0)])
def test_reinforce_update_by_hand(w, b, s, y, r):
    alpha = 2.0 ** -6
    learner = Learner(LearnerConfig(rule="reinforce", alpha=alpha), 1)
    dW = learner.update(np.array([[w, b]]), np.array([s]), np.array([float(y)]), np.array([r]))
    assert dW[0] == pytest.approx(_reinforce_by_hand(w, b, s, y, r, alpha), rel=1e-12, abs=1e-15)


def test_simulated_reinforce_learner_follows_the_rule_on_every_trial():
    alpha = 2.0 ** -4
    behaviour = simulate(TaskConfig(), LearnerConfig(rule="reinforce", alpha=alpha), 3, 200, np.random.default_rng(4))
    for a, t in [(0, 0), (1, 57), (2, 199), (0, 120)]:
        w, b = behaviour.W[a, t]
        expected = _reinforce_by_hand(w, b, behaviour.s[a, t], int(behaviour.y[a, t]), behaviour.r[a, t], alpha)
        assert behaviour.dW[a, t] == pytest.approx(expected, rel=1e-9, abs=1e-14)
    assert np.allclose(behaviour.W[:, 1:], behaviour.W[:, :-1] + behaviour.dW[:, :-1])
    assert np.all(behaviour.W[:, 0, 0] == -2.0) and set(behaviour.W[:, 0, 1]) <= {-1.0, 0.0, 1.0}
    # rewarded exactly when the choice is on the stimulus's side (zero stimuli: either side)
    nonzero = behaviour.s != 0
    assert np.array_equal(behaviour.r[nonzero], (behaviour.y[nonzero] == (behaviour.s[nonzero] > 0)).astype(float))
    # the animals learn: the stimulus weight climbs from −2
    assert np.all(behaviour.W[:, -1, 0] > behaviour.W[:, 0, 0] + 1.0)


def test_momentum_and_adam_learners_by_hand():
    W = np.array([[-2.0, 0.5]])
    trials = [(1.0, 1.0, 1.0), (-0.5, 0.0, 1.0), (2.0, 1.0, 0.0)]
    alpha, beta, beta2, eps = 0.1, 0.8, 0.9, 1e-8
    momentum = Learner(LearnerConfig(rule="momentum", alpha=alpha, beta=beta), 1)
    adam = Learner(LearnerConfig(rule="adam", alpha=alpha, beta=beta, beta2=beta2, epsilon=eps), 1)
    v = m = u = np.zeros(2)
    W_m, W_a = W.copy(), W.copy()
    for k, (s, y, r) in enumerate(trials, start=1):
        g = policy_gradient(W_m[0], s, y, r)
        v = beta * v + (1 - beta) * g
        dW = momentum.update(W_m, np.array([s]), np.array([y]), np.array([r]))
        assert dW[0] == pytest.approx(alpha * v, rel=1e-9)
        W_m = W_m + dW
        g = policy_gradient(W_a[0], s, y, r)
        m, u = beta * m + (1 - beta) * g, beta2 * u + (1 - beta2) * g * g
        expected = alpha * (m / (1 - beta ** k)) / (np.sqrt(u / (1 - beta2 ** k)) + eps)
        dW = adam.update(W_a, np.array([s]), np.array([y]), np.array([r]))
        assert dW[0] == pytest.approx(expected, rel=1e-6)
        W_a = W_a + dW


def test_same_seed_same_animals():
    draw = lambda: simulate(TaskConfig(), LearnerConfig(), 4, 50, np.random.default_rng(11))  # noqa: E731
    first, second = draw(), draw()
    for name in ("s", "y", "r", "W", "dW", "p"):
        assert np.array_equal(getattr(first, name), getattr(second, name))


def test_choice_log_likelihood_against_direct_computation():
    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 3.0, 200)
    y = rng.integers(0, 2, 200).astype(float)
    p = 1.0 / (1.0 + np.exp(-z))
    direct = y * np.log(p) + (1 - y) * np.log(1 - p)
    computed = np.asarray(glm.choice_log_likelihood(jnp.asarray(z), jnp.asarray(y)))
    assert computed == pytest.approx(direct, rel=1e-5, abs=1e-6)
    assert float(glm.choice_log_likelihood(jnp.asarray(-40.0), jnp.asarray(1.0))) == pytest.approx(-40.0, rel=1e-6)


def test_replayed_likelihood_is_the_direct_likelihood_along_the_fitted_trajectory():
    behaviour = simulate(TaskConfig(), LearnerConfig(alpha=2.0 ** -4), 5, 60, np.random.default_rng(1))
    config = FitConfig(window=20, epochs=2)
    fit = fit_rule(RuleNetwork(hidden=8), behaviour.s, behaviour.y, behaviour.r, config, seed=0)
    out = replay(fit, fit.initial, behaviour.s, behaviour.y, behaviour.r)
    assert np.allclose(out["W"][:, 1:], out["W"][:, :-1] + out["dW"][:, :-1], atol=1e-5)
    p = glm.right_probability(out["W"], behaviour.s)
    direct = behaviour.y * np.log(p) + (1 - behaviour.y) * np.log(1 - p)
    assert out["log_likelihood"] == pytest.approx(direct, abs=1e-4)


def test_static_weights_recover_a_fixed_policy():
    rng = np.random.default_rng(2)
    s = rng.choice(TaskConfig().stimuli(), size=(3, 4000))
    W = np.array([[1.5, -0.5], [-2.0, 1.0], [0.5, 0.0]])
    y = (rng.random(s.shape) < glm.right_probability(W[:, None, :], s)).astype(float)
    assert static_weights(s, y, ridge=1e-3) == pytest.approx(W, abs=0.15)


def test_window_must_divide_the_trials():
    with pytest.raises(ConfigError, match="window"):
        FitConfig(window=30).check_trials(100)


def test_dnnglm_fitted_to_a_zero_rule_infers_near_zero_updates():
    """A learner that never learns: the fitted rule moves held-out weights far less than a learner's rule does."""
    task = TaskConfig()
    behaviour = simulate(task, LearnerConfig(alpha=0.0), 100, 300, np.random.default_rng(3))
    config = FitConfig(window=100, epochs=100)
    fit = fit_rule(RuleNetwork(hidden=8), behaviour.s, behaviour.y, behaviour.r, config, seed=0)
    held_out = simulate(task, LearnerConfig(alpha=0.0), 50, 300, np.random.default_rng(5))
    out = replay(fit, fit_initial_weights(fit, held_out.s, held_out.y, held_out.r, config),
                 held_out.s, held_out.y, held_out.r)
    # the same animals learning by REINFORCE at α = 2^-4 (the largest rate of the source study)
    learning = simulate(task, LearnerConfig(alpha=2.0 ** -4), 50, 300, np.random.default_rng(5))
    assert np.sqrt(np.mean(out["dW"] ** 2)) < 0.25 * np.sqrt(np.mean(learning.dW ** 2))
    drift = np.abs(out["W"][:, -1] - out["W"][:, 0]).mean()
    assert drift < 0.25 * np.abs(learning.W[:, -1] - learning.W[:, 0]).mean()


# ------------------------------------------------------------ recordings of a circuit
def test_rate_engine_records_a_projections_weights():
    """Recorded weights change by exactly the prediction-error rule's step on the recorded error and rates."""
    from hippo.circuits.rate import RateEngine
    from hippo.circuits.spec import Layer, Network, Projection
    from hippo.learning.rules import Plasticity
    from hippo.theta import INFERENCE

    rng = np.random.default_rng(0)
    eta, dt = 0.01, 0.025
    network = Network((Layer("x", 4, "input"), Layer("p", 3, "pyramidal")),
                      (Projection("x", "p", "basal", rng.normal(size=(3, 4))),
                       Projection("x", "p", "apical", np.zeros((3, 5)), bias=True,
                                  plasticity=Plasticity(rule="prediction-error", eta=eta, tau_trace=dt))))
    inputs = rng.normal(size=(400, 4))
    engine = RateEngine(network, dt)
    feed = lambda a, b: {"x": inputs[a:b]}  # noqa: E731
    engine.run(7 * dt, feed, INFERENCE, noise=False)  # records then start off the chunk grid
    rec = engine.run(200 * dt, feed, INFERENCE, noise=False, record=("x", "p", "p.apical"),
                     record_weights=("p.apical<-x",))
    W = rec.weights["p.apical<-x"]
    assert W.shape == (200, 3, 5) and np.array_equal(W[-1], engine.weight("p.apical<-x"))
    error = rec.signals["p"] - rec.signals["p.apical"]
    pre = np.concatenate([rec.signals["x"], np.ones((200, 1))], axis=1)
    assert np.diff(W, axis=0) == pytest.approx(eta * error[1:, :, None] * pre[1:, None, :], abs=1e-12)
    sparse = engine.run(30 * dt, feed, INFERENCE, noise=False, record=("p",), record_every=4,
                        record_weights=("p.apical<-x",))
    assert sparse.weights["p.apical<-x"].shape == (len(sparse.t), 3, 5) and len(sparse.t) in (7, 8)


def test_each_identified_rule_learns_at_the_rate_its_registry_entry_names():
    """A run's learning-rate factor scales the parameter the rule registry names as its learning rate."""
    from hippo.inference import circuit_rules as cr
    from hippo.learning.rules import rule_named

    for rule, parameters in cr.RULE_PARAMETERS.items():
        assert rule_named(rule).learning_rate in parameters, rule


def test_two_close_rules_are_told_apart_from_recordings():
    """Momentum and Adam (the closest pair) on held-out runs of the recorded circuit."""
    from hippo.inference import circuit_rules as cr

    circuit = cr.CircuitConfig(duration=15.0)
    rng = np.random.default_rng(7)
    rules = ("momentum", "adam")
    models = {}
    for rule in rules:
        sequences = [cr.synapse_sequences(cr.record_run(rule, circuit, rng)) for _ in range(3)]
        models[rule], losses = cr.fit_identifier(np.concatenate([s[0] for s in sequences]),
                                                 np.concatenate([s[1] for s in sequences]),
                                                 cr.IdentifierConfig(steps=150), seed=0)
        assert losses[-1] < 0.1 * losses[0]
    for rule in rules:
        for _ in range(3):
            guess, errors = cr.classify(models, *cr.synapse_sequences(cr.record_run(rule, circuit, rng)))
            assert guess == rule, errors


# ------------------------------------------------------------ the experiments
INFERENCE_TINY = ["trials=100", "train_animals=8", "test_animals=8", "grid_weights=11", "fit.window=50",
                  "fit.epochs=2", "fit.initial_epochs=2", "dnn.hidden=8", "rnn.hidden=8", "rnn.recurrent=4"]


def test_rule_inference_runs_and_scores_every_fit(tmp_path):
    from hippo.experiments import run_experiment

    run_dir, metrics = run_experiment("rule-inference", INFERENCE_TINY, out=tmp_path / "run", quiet=True)
    for study, rule in (("reinforce", "reinforce"), ("core", "momentum")):
        assert metrics[study]["rule"] == rule
        for model in ("DNNGLM", "RNNGLM"):
            assert math.isfinite(metrics[study][model]["log_likelihood_gap"])
            assert metrics[study][model]["trajectory_dW_rmse_over_alpha"] >= 0.0
    assert "grid_dW_rmse_over_alpha" in metrics["reinforce"]["DNNGLM"]
    assert "grid_dW_rmse_over_alpha" not in metrics["core"]["DNNGLM"]  # momentum has a memory
    arrays = np.load(run_dir.target / "rule_inference.npz")
    assert arrays["reinforce.train.s"].shape == (8, 100) and arrays["grid.W"].shape == (36 * 11 * 3, 2)


@pytest.mark.parametrize("override, key", [("fit.window=30", "trials"), ("reinforce.rule=momentum", "reinforce.rule"),
                                           ("core.rule=reinforce", "core.rule"), ("core_models=['cnn']", "core_models"),
                                           ("dnn.kind=rnn", "dnn.kind")])
def test_rule_inference_refuses_bad_settings_before_any_work(override, key):
    from hippo.experiments import resolve

    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        resolve("rule-inference", [override])


def test_rule_identification_refuses_unknown_rules():
    from hippo.experiments import resolve

    with pytest.raises(ConfigError, match="rules"):
        resolve("rule-identification", ["rules=['prediction-error', 'oja']"])
    with pytest.raises(ConfigError, match="rules"):
        resolve("rule-identification", ["rules=['adam']"])
