"""Per-projection synaptic time constants of the spiking engine (``SpikingConfig.tau_recurrent``)."""

import numpy as np
import pytest

from hippo.circuits.spec import Layer, Network, Projection
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.errors import ConfigError
from hippo.theta import INFERENCE

DT, RATE, W = 0.025, 0.8, 0.5


def _self_reading_neuron():
    """A pyramidal neuron driven basally by an input at RATE, whose apical compartment reads its own spikes (weight W)."""
    layers = (Layer("b", 1, "input"), Layer("pyr", 1, "pyramidal"))
    projections = (Projection("b", "pyr", "basal", np.eye(1)), Projection("pyr", "pyr", "apical", np.full((1, 1), W)))
    return Network(layers, projections)


@pytest.mark.parametrize("tau_recurrent", [0.0, 0.1])
def test_a_recurrent_current_has_the_mean_of_the_rate_and_shot_noise_of_its_time_constant(tau_recurrent):
    config = SpikingConfig(target="numpy", tau_recurrent=tau_recurrent)
    engine = SpikingEngine(_self_reading_neuron(), DT, seed=3, config=config)
    inputs = lambda start, stop: {"b": np.full((stop - start, 1), RATE)}  # noqa: E731
    engine.run(1.0, inputs, INFERENCE)  # awake: the soma fires at the basal rate
    apical = engine.run(40.0, inputs, INFERENCE, record=("pyr.apical",)).signals["pyr.apical"][:, 0]
    tau, tau_basal, scale = config.synaptic_tau(recurrent=True), config.tau_syn, config.rate_scale
    # shot noise of jumps W/(ν_s(τ − dt_s)) at ν_s·RATE Hz decaying with τ: variance ν·h²·τ/2; and the
    # soma's rate, the basal trace, fluctuates with variance RATE/(2·τ_b·ν_s) over τ_b, of which a filter
    # of unit area and time constant τ passes the fraction τ_b/(τ_b + τ)
    shot = scale * RATE * (W / (scale * (tau - config.dt))) ** 2 * tau / 2
    variance = shot + W ** 2 * RATE / (2 * tau_basal * scale) * tau_basal / (tau_basal + tau)
    # samples 25 ms apart, correlated over τ: about 40 s / (2τ) independent ones, so the mean's s.e. is √(2τ·var/40)
    assert apical.mean() == pytest.approx(W * RATE, abs=4 * np.sqrt(2 * tau * variance / 40.0))
    assert apical.var() == pytest.approx(variance, rel=0.3)


def test_the_recurrent_time_constant_must_be_longer_than_the_time_step():
    with pytest.raises(ConfigError, match="tau_recurrent"):
        SpikingConfig(tau_recurrent=0.001)
