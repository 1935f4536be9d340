"""The spiking bump's diagnostics on synthetic bumps and spikes with known answers."""

import numpy as np
import pytest

from hippo.analysis.spike_diffusion import (
    FWHM_PER_SIGMA,
    bump_noise,
    diffusion_bound,
    effective_tau,
    fano_factors,
)
from hippo.errors import HippoError

LENGTH, N_UNITS, SIGMA = 1.0, 200, 0.03
PREFERRED = (np.arange(N_UNITS) + 0.5) * LENGTH / N_UNITS


def _gaussian_bump(centres: np.ndarray) -> np.ndarray:
    """Rates (peak 1) of a Gaussian bump of standard deviation SIGMA at ``centres`` ``(...,)`` → ``(..., N_UNITS)``."""
    distance = (PREFERRED - centres[..., None] + LENGTH / 2) % LENGTH - LENGTH / 2
    return np.exp(-distance ** 2 / (2 * SIGMA ** 2))


def test_bound_is_the_fisher_information_of_poisson_units_in_a_gaussian_bump():
    # J = Σ f'²/f summed over the units, numerically; the bound is 1/(τ² J)
    rate_scale, tau, x = 400.0, 0.05, 0.3
    f = rate_scale * _gaussian_bump(np.array(x))
    distance = (PREFERRED - x + LENGTH / 2) % LENGTH - LENGTH / 2
    fisher = np.sum(f * distance ** 2 / SIGMA ** 4)
    assert diffusion_bound(SIGMA, tau, f.sum()) == pytest.approx(1.0 / (tau ** 2 * fisher), rel=1e-3)


def test_bound_refuses_a_silent_bump():
    with pytest.raises(HippoError):
        diffusion_bound(SIGMA, 0.05, 0.0)


def test_effective_tau_weights_each_projection_by_its_summed_absolute_weight():
    assert effective_tau([0.1, 0.02], [np.full((3, 3), -1.0), np.ones((3, 6))]) == pytest.approx(
        (0.1 * 9 + 0.02 * 18) / 27)


def _diffusing_trials(diffusion: float, n_trials: int, dt: float, steps: int, rng):
    """Times, true positions and the positions of a bump that follows them with Brownian error of coefficient D."""
    t = np.arange(-5, steps) * dt  # five samples before the switch
    starts = np.linspace(0.0, LENGTH, n_trials, endpoint=False)[:, None]  # the trials cover the whole ring
    true = (starts + np.cumsum(rng.normal(0.0, 0.5 * dt, (n_trials, len(t))), axis=1)) % LENGTH
    error = np.cumsum(rng.normal(0.0, np.sqrt(2 * diffusion * dt), (n_trials, len(t))), axis=1)
    error -= error[:, [4]]  # no error until the switch
    error[:, :5] = 0.0
    return t, true, (true + error) % LENGTH


def test_bump_noise_measures_a_gaussian_bump_diffusing_with_known_coefficient_and_poisson_spikes():
    rng = np.random.default_rng(0)
    diffusion, dt, rate_scale, tau = 2e-4, 0.025, 500.0, 0.05
    t, true, centres = _diffusing_trials(diffusion, 40, dt, 200, rng)
    rates = _gaussian_bump(centres)
    mean_rate = 0.5 * (rates[:, 1:] + rates[:, :-1])
    counts = np.zeros_like(rates)
    counts[:, 1:] = rng.poisson(rate_scale * dt * mean_rate)
    result = bump_noise(t, rates, true, PREFERRED, LENGTH, (0.0, float(t[-1])), counts, dt, rate_scale, tau)
    assert result.fwhm_m == pytest.approx(FWHM_PER_SIGMA * SIGMA, abs=LENGTH / N_UNITS / 2)
    assert result.diffusion_sem < 0.3 * diffusion
    assert abs(result.diffusion_m2_per_s - diffusion) < 3 * result.diffusion_sem
    total_rate = rate_scale * SIGMA * np.sqrt(2 * np.pi) * N_UNITS / LENGTH
    assert result.spike_rate_hz == pytest.approx(total_rate, rel=0.01)
    assert result.d_min_m2_per_s == pytest.approx(diffusion_bound(SIGMA, tau, total_rate), rel=0.05)
    assert result.d_over_d_min == pytest.approx(result.diffusion_m2_per_s / result.d_min_m2_per_s)
    assert result.d_over_d_min_counts == pytest.approx(result.d_over_d_min / result.fano_unit)
    # unit-windows in the bump: about 0.76·SIGMA·2·N_UNITS·... ≥ 10^4, so the Fano factor's s.e. is below 0.02
    assert result.fano_unit == pytest.approx(1.0, abs=0.06)
    assert result.cv == pytest.approx(np.sqrt(result.fano_unit))
    # 200 windows per trial: the variance ratio's s.e. is √(2/199) ≈ 0.1, over 40 trials ≈ 0.016
    assert result.fano_population == pytest.approx(1.0, abs=0.08)


def test_bump_noise_of_a_rate_network_has_no_spike_statistics():
    rng = np.random.default_rng(1)
    t, true, centres = _diffusing_trials(1e-4, 10, 0.025, 100, rng)
    result = bump_noise(t, _gaussian_bump(centres), true, PREFERRED, LENGTH, (0.0, 2.0))
    assert np.isfinite(result.diffusion_m2_per_s) and np.isnan(result.d_over_d_min) and np.isnan(result.fano_unit)


def test_fano_factors_tell_regular_and_synchronous_spikes_from_poisson():
    rng = np.random.default_rng(2)
    n_trials, n_windows, n_units, mean = 20, 300, 50, 4.0
    expected = np.full((n_trials, n_windows, n_units), mean)
    everywhere = np.ones_like(expected, dtype=bool)
    # a regular train of one spike per 1/ν: counts vary by at most one spike, Fano ≤ 1/(4·mean) when μ is whole
    regular = np.floor(mean + rng.uniform(size=expected.shape))
    assert fano_factors(regular, expected, everywhere)[0] < 0.05
    # all units share a gain g per window, mean 1 and variance v: Var(total) = M + v·M², F_pop = 1 + v·M
    variance = 0.01
    gain = rng.gamma(1 / variance, variance, (n_trials, n_windows, 1))
    synchronous = rng.poisson(expected * gain)
    population = fano_factors(synchronous, expected, everywhere)[1]
    assert population == pytest.approx(1 + variance * mean * n_units, rel=0.15)
    assert fano_factors(rng.poisson(expected), expected, everywhere)[1] == pytest.approx(1.0, abs=0.1)


def test_bump_noise_of_a_silent_bump_leaves_the_bound_unmeasured():
    """No spikes in the bump (a tiny or untrained network): the bound is NaN, the rest is measured."""
    rng = np.random.default_rng(2)
    t, true, centres = _diffusing_trials(1e-4, 10, 0.025, 100, rng)
    rates = _gaussian_bump(centres)
    result = bump_noise(t, rates, true, PREFERRED, LENGTH, (0.0, 2.0), np.zeros_like(rates), 0.025, 500.0, 0.05)
    assert result.spike_rate_hz == 0 and np.isnan(result.d_min_m2_per_s) and np.isnan(result.d_over_d_min)
    assert np.isfinite(result.diffusion_m2_per_s) and result.fwhm_m > 0
