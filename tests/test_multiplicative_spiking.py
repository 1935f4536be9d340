"""The spiking form of the multiplicative layer reproduces the rate engine's rates, to the spike noise it should have."""

import numpy as np
import pytest

from hippo.circuits.activations import Activation
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Projection
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.theta import INFERENCE

DT = 0.025
RATE_SCALE = 1e5  # Hz per unit rate: the spike noise is small but not zero
SPIKING = SpikingConfig(target="numpy", rate_scale=RATE_SCALE, max_rate=1e9, settle=0.0)
SETTLE, DURATION = 0.2, 2.0


def _gain_modulated(seed):
    """Inputs ``a`` (3 units) and ``g`` (2 units) → a multiplicative layer ``m`` (4 units): ``relu(W_a·a)·relu(W_g·g)``."""
    rng = np.random.default_rng(seed)
    layers = (Layer("a", 3, "input"), Layer("g", 2, "input"),
              Layer("m", 4, "multiplicative", Activation("relu"), modulation=Activation("relu")))
    weights = {"a": rng.uniform(0.2, 0.8, (4, 3)), "g": rng.uniform(0.2, 0.8, (4, 2))}
    projections = (Projection("a", "m", "input", weights["a"]), Projection("g", "m", "gain", weights["g"]))
    rates = {"a": rng.uniform(0.5, 1.5, 3), "g": rng.uniform(0.5, 1.5, 2)}
    return Network(layers, projections), weights, rates


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_spiking_multiplicative_layer_gives_the_rate_engines_rates_within_the_spike_noise(seed):
    """Each drive ``V = Σ_j W_j·u_j`` sums filtered spike trains ``u_j`` of rate ``ν_j = ν_s·r_j``;
    a train filtered with unit area and time constant ``τ_s`` has mean ``r_j`` and variance
    ``ν_j/(2τ_s)/ν_s² = r_j/(2τ_s·ν_s)`` (Campbell's theorem), so ``var V = Σ_j W_j²·r_j/(2τ_s·ν_s)``.
    On the linear side of the ReLU the compartments are ``x = V_input``, ``y = V_gain``, independent
    (their inputs are), and the product's variance is ``y²·var x + x²·var y``. Samples one network
    step apart (25 ms against τ_s = 20 ms) are nearly independent, so the mean over ``N`` samples has
    ``1/N`` of that variance (times ``(1 + ρ)/(1 − ρ)``, ``ρ = e^{−dt/τ_s}``, for their correlation)."""
    network, weights, rates = _gain_modulated(seed)
    inputs = lambda start, stop: {name: np.tile(r, (stop - start, 1)) for name, r in rates.items()}  # noqa: E731
    rate = RateEngine(network, DT).run(DURATION, inputs, INFERENCE, learn=False, noise=False, record=("m",))
    spiking = SpikingEngine(network, DT, seed=seed, config=SPIKING).run(DURATION, inputs, INFERENCE, learn=False,
                                                                        noise=False, record=("m",))
    x, y = weights["a"] @ rates["a"], weights["g"] @ rates["g"]
    assert np.allclose(rate.signals["m"], x * y)
    var_x = (weights["a"] ** 2) @ rates["a"] / (2 * SPIKING.tau_syn * RATE_SCALE)
    var_y = (weights["g"] ** 2) @ rates["g"] / (2 * SPIKING.tau_syn * RATE_SCALE)
    sigma = np.sqrt(y ** 2 * var_x + x ** 2 * var_y)  # spike noise of one sample of m, per unit
    samples = spiking.signals["m"][spiking.t > SETTLE]
    rho = np.exp(-DT / SPIKING.tau_syn)
    sigma_mean = sigma * np.sqrt((1 + rho) / (1 - rho) / len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - x * y) < 4 * sigma_mean)
    spread = samples.std(axis=0)
    assert np.all((spread > 0.5 * sigma) & (spread < 2 * sigma))  # the noise is the derived one, not more
