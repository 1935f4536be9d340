"""The prediction-error learning rule: δ = (r_soma − r_comp)·φ′(V), trace P, weight step with λ1, λ2, Dale."""

import numpy as np
import pytest

from hippo.circuits.activations import Activation
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Plasticity, Projection
from hippo.learning.prediction_error import local_error, prediction_error_step
from hippo.learning.rules import (
    DALE_EXCITATORY,
    DALE_INHIBITORY,
    DALE_NONE,
    RULES,
    apply_dale,
    parameter_row,
)
from hippo.theta import GENERATION, INFERENCE

N_POST, N_PRE = 3, 5
DECAY = 0.25  # dt/τ_P for dt = 25 ms, τ_P = 0.1 s


def _train(target_w, steps, eta, l1=0.0, l2=0.0, dale=DALE_NONE, target_b=None, seed=0, w0=None, keep=0):
    """Learn a linear compartment ``W·x (+ b)`` towards a linear soma ``W*·x (+ b*)`` on white inputs.

    Returns the squared error per step, the final weights, and the mean of the weights over
    the last ``keep`` steps.
    """
    rng = np.random.default_rng(seed)
    bias = target_b is not None
    W = np.zeros((N_POST, N_PRE + bias)) if w0 is None else w0.copy()
    P = np.zeros_like(W)
    ones = np.ones(N_POST)
    errors, mean_w = np.empty(steps), np.zeros_like(W)
    for k in range(steps):
        x = rng.standard_normal(N_PRE)
        soma = target_w @ x + (target_b if bias else 0.0)
        comp = W[:, :N_PRE] @ x + (W[:, N_PRE] if bias else 0.0)
        errors[k] = np.mean((soma - comp) ** 2)
        delta = local_error(soma, comp, ones)
        prediction_error_step(W, P, delta, x, bias, DECAY, eta, l1, l2)
        apply_dale(W, dale)
        if dale == DALE_EXCITATORY:
            assert W.min() >= 0.0
        elif dale == DALE_INHIBITORY:
            assert W.max() <= 0.0
        if k >= steps - keep:
            mean_w += W / keep
    return errors, W, mean_w


def test_rule_drives_a_linear_compartment_to_a_linear_target():
    rng = np.random.default_rng(1)
    target_w, target_b = rng.normal(size=(N_POST, N_PRE)), rng.normal(size=N_POST)
    errors, W, _ = _train(target_w, 3000, eta=0.01, target_b=target_b)
    first, last = errors[:200].mean(), errors[-200:].mean()
    assert last < first / 10
    assert last < 1e-6 * first  # noise-free: it converges exactly
    assert np.allclose(W[:, :N_PRE], target_w, atol=1e-4)
    assert np.allclose(W[:, N_PRE], target_b, atol=1e-4)


def test_local_error_includes_the_activation_slope():
    act = Activation("sigmoid", threshold=0.2, gain=2.0)
    v = np.array([-1.0, 0.2, 1.5])
    soma, comp = np.array([0.9, 0.1, 0.4]), act(v)
    out = local_error(soma, comp, act.derivative(v))
    assert np.allclose(out, (soma - comp) * act.derivative(v))
    relu = Activation("relu", threshold=0.5)
    out_relu = local_error(soma, relu(v), relu.derivative(v))
    assert out_relu[0] == 0.0 and out_relu[1] == 0.0  # below threshold: no learning
    assert out_relu[2] == pytest.approx(0.4 - 1.0)


def test_trace_low_pass_filters_the_hebbian_term():
    W, P = np.zeros((2, 3)), np.zeros((2, 3))
    delta, pre = np.array([1.0, -2.0]), np.array([0.5, 1.0, 0.0])
    for k in range(1, 6):
        prediction_error_step(W, P, delta, pre, False, DECAY, 0.0, 0.0, 0.0)
        assert np.allclose(P, (1 - (1 - DECAY) ** k) * np.outer(delta, pre))
    assert np.all(W == 0.0)  # η = 0: no weight change
    # the weight step is η·P
    prediction_error_step(W, P, delta, pre, False, DECAY, 0.1, 0.0, 0.0)
    assert np.allclose(W, 0.1 * P)


def test_l2_alone_decays_the_weights_geometrically():
    rng = np.random.default_rng(2)
    W0 = rng.normal(size=(N_POST, N_PRE + 1))
    W, P = W0.copy(), np.zeros_like(W0)
    eta, l2 = 0.01, 0.5
    for _ in range(100):
        prediction_error_step(W, P, np.zeros(N_POST), rng.normal(size=N_PRE), True, DECAY, eta, 0.0, l2)
    assert np.allclose(W, W0 * (1 - eta * l2) ** 100)


def test_l2_shrinks_the_learned_weights_to_the_ridge_solution():
    """White inputs (C = I): the fixed point of ⟨δ x⟩ = λ2·W is W*·(I + λ2)⁻¹ = W*/(1 + λ2)."""
    target_w = np.random.default_rng(3).normal(size=(N_POST, N_PRE))
    _, _, mean_w = _train(target_w, 30_000, eta=0.002, l2=0.5, keep=15_000, seed=4)
    assert np.allclose(mean_w, target_w / 1.5, atol=0.03)
    assert np.abs(mean_w - target_w).max() > 0.1  # really shrunk


def test_l1_alone_moves_weights_to_zero_at_a_constant_rate():
    W0 = np.array([[0.05, -0.03, 0.0]])
    W, P = W0.copy(), np.zeros_like(W0)
    eta, l1 = 0.01, 0.1  # steps of 1e-3
    for _ in range(20):
        prediction_error_step(W, P, np.zeros(1), np.ones(3), False, DECAY, eta, l1, 0.0)
    assert np.allclose(W, [[0.03, -0.01, 0.0]])
    for _ in range(100):
        prediction_error_step(W, P, np.zeros(1), np.ones(3), False, DECAY, eta, l1, 0.0)
    assert np.abs(W).max() <= eta * l1 + 1e-12


@pytest.mark.parametrize("dale, sign", [(DALE_EXCITATORY, 1.0), (DALE_INHIBITORY, -1.0)])
def test_dale_law_keeps_the_sign_and_learns_the_best_signed_fit(dale, sign):
    """With white inputs the constrained optimum is the target clipped to the allowed sign."""
    target_w = np.random.default_rng(5).normal(size=(N_POST, N_PRE))
    _, W, mean_w = _train(target_w, 20_000, eta=0.002, dale=dale, keep=10_000, seed=6)
    assert np.all(sign * W >= 0.0)
    clipped = np.maximum(target_w, 0.0) if sign > 0 else np.minimum(target_w, 0.0)
    assert np.allclose(mean_w, clipped, atol=0.08)


def test_dale_law_clips_a_single_step():
    W, P = np.array([[0.001, 0.02]]), np.zeros((1, 2))
    prediction_error_step(W, P, np.array([-1.0]), np.array([1.0, -1.0]), False, 1.0, 0.01, 0.0, 0.0)
    apply_dale(W, DALE_EXCITATORY)
    assert np.allclose(W, [[0.0, 0.03]]) and W[0, 0] == 0.0  # the step past zero stops at zero
    W, P = np.array([[-0.001, -0.02]]), np.zeros((1, 2))
    prediction_error_step(W, P, np.array([1.0]), np.array([1.0, -1.0]), False, 1.0, 0.01, 0.0, 0.0)
    apply_dale(W, DALE_INHIBITORY)
    assert np.allclose(W, [[0.0, -0.03]]) and W[0, 0] == 0.0


def test_the_registered_step_runs_the_prediction_error_rule_with_its_parameters():
    plasticity = Plasticity(eta=0.02, l1=0.001, l2=0.003, tau_trace=0.2)
    params = parameter_row(plasticity, 0.025)
    assert params == pytest.approx([0.02, 0.001, 0.003, 0.125])  # [η, λ1, λ2, dt/τ_P]
    rng = np.random.default_rng(7)
    W = np.abs(rng.normal(size=(N_POST, N_PRE + 1)))
    delta, pre = rng.normal(size=N_POST), rng.normal(size=N_PRE)
    W1, S1 = W.copy(), np.zeros((1,) + W.shape)
    RULES["prediction-error"].step(W1, S1, delta, pre, np.zeros(N_POST), True, params)
    W2, P2 = W.copy(), np.zeros_like(W)
    prediction_error_step(W2, P2, delta, pre, True, 0.125, 0.02, 0.001, 0.003)
    assert np.array_equal(W1, W2) and np.array_equal(S1[0], P2)


# ------------------------------------------------------ inside the rate engine
def _dendrite_network(target_w, plastic):
    """Input x → pyramidal basal (fixed, W*) and apical (plastic, from zero), or the reverse."""
    x = Layer("x", N_PRE, "input")
    p = Layer("p", N_POST, "pyramidal")
    learn = Plasticity(eta=0.01, tau_trace=0.1)
    fixed_into = "basal" if plastic == "apical" else "apical"
    return Network((x, p), (
        Projection("x", "p", fixed_into, target_w.copy()),
        Projection("x", "p", plastic, np.zeros((N_POST, N_PRE)), plasticity=learn),
    ))


@pytest.mark.parametrize("plastic, theta", [("apical", INFERENCE), ("basal", GENERATION)])
def test_a_compartment_learns_to_predict_its_soma_in_the_engine(plastic, theta):
    """Wake (θ = 1): apical learns the basal-driven soma; sleep (θ = 0): basal learns the apical-driven soma."""
    rng = np.random.default_rng(8)
    target_w = rng.normal(size=(N_POST, N_PRE))
    inputs_x = rng.standard_normal((4000, N_PRE))
    engine = RateEngine(_dendrite_network(target_w, plastic), 0.025, seed=0)
    recording = engine.run(100.0, lambda a, b: {"x": inputs_x[a:b]}, theta, noise=False)
    loss = recording.loss["p"]
    assert loss[-200:].mean() < loss[:200].mean() / 10
    assert np.allclose(engine.weight(f"p.{plastic}<-x"), target_w, atol=1e-3)
