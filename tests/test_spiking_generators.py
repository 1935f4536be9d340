"""Spike generation and short-term facilitation of the spiking engine (``SpikingConfig.gamma_order``, ``facilitation_*``)."""

import numpy as np
import pytest
from scipy.stats import poisson

from hippo.circuits.spec import Layer, Network, Projection
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.theta import INFERENCE

DT = 0.025


def _constant(rate: float, n: int):
    return lambda start, stop: {"x": np.full((stop - start, n), rate)}


def _gamma_count_fano(order: int, mean_events: float) -> float:
    """Fano factor of ``⌊(A + M)/κ⌋``, A uniform on 0 … κ−1 and M ~ Poisson(κ·ν·T): a window's count of a stationary unit."""
    m = np.arange(int(mean_events * 3 + 50))
    pmf = poisson.pmf(m, mean_events)
    counts = np.floor((np.arange(order)[:, None] + m[None, :]) / order)
    mean = (counts * pmf).sum() / order
    return ((counts ** 2 * pmf).sum() / order - mean ** 2) / mean


@pytest.mark.parametrize("order", [1, 4, 16])
def test_a_gamma_unit_fires_at_its_rate_with_the_interval_cv_and_count_fano_of_its_order(order):
    n, rate, scale, window = 300, 0.5, 100.0, 20  # 50 Hz; counts over 20 network steps (0.5 s)
    config = SpikingConfig(target="numpy", rate_scale=scale, gamma_order=order)
    engine = SpikingEngine(Network((Layer("x", n, "input"),), ()), DT, seed=2, config=config)
    rec = engine.run(20.0, _constant(rate, n), INFERENCE, record=("x.spikes",), record_every=window, spike_times=("x",))
    counts = rec.signals["x.spikes"]
    nu = rate * scale
    assert counts.mean() == pytest.approx(nu * window * DT, rel=0.02)
    # every window's count has the law of ⌊(A + M)/κ⌋ (the phase A stationary from the start)
    assert counts.var(axis=0).mean() / counts.mean() == pytest.approx(_gamma_count_fano(order, order * nu * window * DT),
                                                                      rel=0.1)
    unit, times, k = rec.spikes["x"]
    intervals = np.concatenate([np.diff(np.repeat(times[unit == i], k[unit == i])) for i in range(n)])
    # intervals of Gamma(κ, κν): mean 1/ν, CV 1/√κ (times on the 1-ms grid: rounding adds ≈ dt²/6)
    assert intervals.mean() == pytest.approx(1 / nu, rel=0.02)
    assert intervals.std() / intervals.mean() == pytest.approx(1 / np.sqrt(order), rel=0.05)


def test_a_gamma_unit_keeps_its_rate_when_the_rate_changes_every_step_and_from_the_first_step():
    """E[spikes in a step] = ν·dt at every step: with the phase A uniform on 0 … κ−1 (at rest, and kept uniform by
    ``(A + M) mod κ``), ``E⌊(A + M)/κ⌋ = E[M]/κ`` for any count M of the step's events, however fast ν changes."""
    n, scale, order = 4000, 100.0, 4
    pattern = np.array([0.5, 0.0, 2.0, 0.1, 0.0, 0.0, 1.0, 0.3])  # rate of each network step, repeated

    def inputs(start, stop):
        return {"x": np.repeat(pattern[np.arange(start, stop) % len(pattern), None], n, axis=1)}

    config = SpikingConfig(target="numpy", rate_scale=scale, gamma_order=order)
    engine = SpikingEngine(Network((Layer("x", n, "input"),), ()), DT, seed=3, config=config)
    counts = engine.run(40 * DT, inputs, INFERENCE, record=("x.spikes",), record_every=1).signals["x.spikes"]
    expected = pattern[np.arange(len(counts)) % len(pattern)] * scale * DT
    assert np.all(counts[expected == 0] == 0)  # no event, no spike: a unit fires only on its κ-th event
    se = counts.std(axis=1) / np.sqrt(n)
    on = expected > 0
    assert np.all(np.abs(counts.mean(axis=1)[on] - expected[on]) < 4 * se[on]), (counts.mean(axis=1), expected)
    assert counts.sum() / n == pytest.approx(expected.sum(), rel=0.01)


def test_a_state_of_other_spike_generation_settings_loads_with_the_generation_at_rest():
    """Poisson ↔ gamma states: a missing gamma phase starts uniform on 0 … κ−1, one this engine lacks is left out."""
    n, order = 400, 4
    network = Network((Layer("x", n, "input"),), ())
    poisson = SpikingEngine(network, DT, seed=1, config=SpikingConfig(target="numpy", gamma_order=1))
    poisson.run(0.5, _constant(0.5, n), INFERENCE)
    gamma = SpikingEngine(network, DT, seed=2, config=SpikingConfig(target="numpy", gamma_order=order))
    gamma.set_state(poisson.get_state())
    state, saved = gamma.get_state(), poisson.get_state()
    assert np.array_equal(state["neuron:x:count"], saved["neuron:x:count"]) and gamma.step_count == poisson.step_count
    phases = np.bincount(state["neuron:x:acc"].astype(int), minlength=order)
    assert len(phases) == order and np.all(np.abs(phases - n / order) < 5 * np.sqrt(n / order))
    back = SpikingEngine(network, DT, seed=3, config=SpikingConfig(target="numpy", gamma_order=1))
    back.set_state(state)
    assert "neuron:x:acc" not in back.get_state()
    assert np.array_equal(back.get_state()["neuron:x:count"], saved["neuron:x:count"])


def _self_facilitating_neurons(n: int, w: float):
    """Pyramidal neurons driven basally one-to-one by inputs ``x``, whose apical compartments read their own spikes (weight ``w``)."""
    layers = (Layer("x", n, "input"), Layer("pyr", n, "pyramidal"))
    return Network(layers, (Projection("x", "pyr", "basal", np.eye(n)), Projection("pyr", "pyr", "apical", w * np.eye(n))))


def test_facilitation_delays_the_recurrent_current_of_a_unit_that_starts_firing_by_its_utilisation():
    n, rate, w = 400, 0.8, 0.5
    U, tau_f, pool = 0.2, 2.0, 20.0
    config = SpikingConfig(target="numpy", facilitation_tau=tau_f, facilitation_u=U, pool_neurons=pool)
    engine = SpikingEngine(_self_facilitating_neurons(n, w), DT, seed=5, config=config)
    engine.run(0.5, _constant(0.0, n), INFERENCE)  # silent: the utilisation rests at U
    rec = engine.run(6.0, _constant(rate, n), INFERENCE, record=("pyr.apical",))
    apical = rec.signals["pyr.apical"].mean(axis=1)
    t = rec.t - rec.t[0] + DT  # seconds since the input came on
    # pool-mean utilisation: du/dt = (U − u)/τ_f + (U/m)·ν·(1 − u) from u(0) = U; a spike releases u + U(1 − u),
    # normalised by that of the steady state, so the current is w·rate·(u⁺(t)/u⁺*)
    x = rate * config.rate_scale * tau_f / pool
    u_rest = U * (1 + x) / (1 + U * x)
    # the rate reaches the spikes through the basal current and the spikes the apical one: two filters of τ_s,
    # which delay the mean by 2·τ_s
    u = u_rest + (U - u_rest) * np.exp(-np.maximum(t - 2 * config.tau_syn, 0) * (1 + U * x) / tau_f)
    expected = w * rate * (u + U * (1 - u)) / (u_rest + U * (1 - u_rest))
    early = (t > 0.1) & (t < 1.0)
    # per sample and unit the apical current's noise has std ≈ w·√(rate/(2·τ_s·ν_s)) ≈ 0.16; the mean over units ±0.008.
    # The normaliser follows the unit's momentary rate, whose fluctuations (std/mean ≈ 0.4) correlate with its spikes,
    # which lowers the mean release by about 1 % at this rate
    assert np.abs(apical[early] - expected[early]).mean() < 0.02
    assert apical[early].mean() < 0.85 * w * rate  # what the current would be without facilitation
    assert apical[t > 4.0].mean() == pytest.approx(w * rate, abs=0.01)
