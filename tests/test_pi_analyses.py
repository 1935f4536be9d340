"""Path-integration analyses on synthetic data: gain curve, error decomposition, bump, topology, horizons."""

import numpy as np
import pytest
from scipy.stats import norm

from hippo.analysis import bump, topology
from hippo.analysis.error_decomposition import decompose_errors, error_horizon, error_horizons
from hippo.analysis.velocity_gain import (
    GainCurve, empirical_weights, gain_curve, gain_curve_summary, gaussian_weights, linear_fit, max_integrated_speed,
    measure_gain_curve, probe_velocities, speed_weighted_gain_error, unwrap,
)
from hippo.errors import HippoError
from hippo.world import load_environment

RING = 1.0  # metres
DT = 0.025  # seconds between samples


# ------------------------------------------------------------------ synthetic bump trajectories
def brownian(rng, shape, dt, diffusion):
    """Brownian paths ``(…, n)`` starting at 0 with ``⟨x(t)²⟩ = 2 D t`` (m)."""
    steps = rng.standard_normal(shape) * np.sqrt(2 * diffusion * dt)
    steps[..., 0] = 0.0
    return np.cumsum(steps, axis=-1)


def slope_standard_error(t, diffusion, noise):
    """Standard error (m/s) of the least-squares slope of ``x(t) = v t + W(t) + ε``.

    ``W`` is Brownian from the first sample (covariance ``2 D min(t_i, t_j)``) and ``ε``
    white decoding noise of std ``noise``: the slope is ``c·x`` with ``c = (t − t̄) / Σ (t − t̄)²``,
    so its variance is ``cᵀ Σ c``.
    """
    elapsed = t - t[0]
    covariance = 2 * diffusion * np.minimum.outer(elapsed, elapsed) + noise**2 * np.eye(len(t))
    c = (t - t.mean()) / np.sum((t - t.mean()) ** 2)
    return float(np.sqrt(c @ covariance @ c))


def probe_run(rng, gain, velocity, duration=3.0, diffusion=1e-4, noise=0.005):
    """One constant-velocity probe: times and wrapped decoded positions of a bump moving at ``gain · velocity``."""
    t = np.arange(int(round(duration / DT))) * DT
    x = rng.uniform(0, RING) + gain * velocity * t + brownian(rng, len(t), DT, diffusion)
    return t, np.mod(x + noise * rng.standard_normal(len(t)), RING)


# ------------------------------------------------------------------ gain curve
def test_probe_velocities_default_protocol():
    v = probe_velocities()
    assert len(v) == 31 and v[0] == pytest.approx(-1.5) and v[-1] == pytest.approx(1.5)
    assert np.allclose(np.diff(v), 0.1) and np.any(v == 0)
    with pytest.raises(HippoError, match="whole number"):
        probe_velocities(1.55, 0.1)


def test_unwrap_recovers_motion_below_half_a_ring_per_sample():
    x = np.cumsum(np.full(50, 0.45 * RING))
    assert np.allclose(unwrap(np.mod(x, RING), RING), x)
    assert np.allclose(unwrap(np.mod(-x, RING), RING), -x + RING)  # backwards, starting from the wrapped first sample


def test_linear_fit_exact_line():
    t = np.linspace(0, 2, 11)
    slope, intercept, r2 = linear_fit(t, 0.3 - 1.2 * t)
    assert (slope, intercept, r2) == pytest.approx((-1.2, 0.3, 1.0))


@pytest.mark.parametrize("gain", [0.9, 1.0, 1.1])
def test_gain_curve_recovers_a_known_gain(gain):
    """Over 3 seeds, every probe's gain lies within 5 expected standard errors of the truth, and the
    standardised errors have about unit spread (the estimator is neither biased nor looser than expected)."""
    velocities = probe_velocities()
    t = np.arange(int(round(3.0 / DT))) * DT
    se_slope = slope_standard_error(t, 1e-4, 0.005)
    z = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        runs = [probe_run(rng, gain, v) for v in velocities]
        curve = gain_curve(velocities, [r[0] for r in runs], [r[1] for r in runs], RING)
        moving = curve.defined
        assert np.array_equal(moving, velocities != 0)
        z.append((curve.gains[moving] - gain) * np.abs(curve.velocities[moving]) / se_slope)
        assert np.all(curve.r_squared[np.abs(curve.velocities) >= 0.5] > 0.99)
        weights = gaussian_weights(curve, 0.0, 0.5)
        expected_spread = np.sum(weights[moving] * 5 * se_slope / np.abs(curve.velocities[moving]))
        assert speed_weighted_gain_error(curve, weights) == pytest.approx(abs(gain - 1), abs=expected_spread)
    z = np.concatenate(z)
    assert np.max(np.abs(z)) < 5
    assert 0.75 < np.std(z) < 1.25
    assert abs(np.mean(z)) < 4 / np.sqrt(len(z))


def test_gain_curve_fit_ignores_the_transient():
    t = np.arange(200) * DT
    x = np.where(t < 1.0, 0.0, 0.5 * (t - 1.0))  # bump starts moving after 1 s
    curve = gain_curve([0.5], [t], [np.mod(x, RING)], RING, transient=1.0)
    assert curve.gains[0] == pytest.approx(1.0) and curve.r_squared[0] == pytest.approx(1.0)


def test_measure_gain_curve_runs_every_probe():
    seen = []

    def decode_probe(velocity):
        seen.append(velocity)
        t = np.arange(80) * DT
        return t, np.mod(0.3 + 0.8 * velocity * t + 0.01 * t, RING)  # gain 0.8 and a drift of 1 cm/s

    curve = measure_gain_curve(decode_probe, RING)
    assert seen == pytest.approx(list(probe_velocities()))
    summary = gain_curve_summary(curve, gaussian_weights(curve, 0.0, 0.5))
    assert summary["zero_velocity_drift_m_per_s"] == pytest.approx(0.01)
    assert np.allclose(curve.bump_velocities, 0.8 * curve.velocities + 0.01)
    assert summary["max_integrated_speed_m_per_s"] == 0.0
    assert summary["r_squared_min"] == pytest.approx(1.0)


def hand_curve(velocities, gains):
    velocities, gains = np.asarray(velocities, float), np.asarray(gains, float)
    return GainCurve(velocities, gains * velocities, gains, np.ones(len(velocities)))


def test_speed_weights_by_hand():
    curve = hand_curve([-1, -0.5, 0, 0.5, 1], [0.5, 0.9, np.nan, 1.1, 1.5])
    weights = gaussian_weights(curve, 0.0, 0.5)  # cells: (−∞, −0.75), (−0.75, 0), —, (0, 0.75), (0.75, ∞)
    tail = norm.cdf(-1.5)
    assert weights == pytest.approx([tail, 0.5 - tail, 0, 0.5 - tail, tail])
    assert speed_weighted_gain_error(curve, weights) == pytest.approx(2 * tail * 0.5 + 2 * (0.5 - tail) * 0.1)
    assert empirical_weights(curve, [-0.9, -0.2, 0.3, 0.3, 2.0]) == pytest.approx([0.2, 0.2, 0, 0.4, 0.2])


def test_max_integrated_speed():
    v = probe_velocities(1.0, 0.1)
    speed = np.abs(v)
    measured = np.where(speed < 0.65, 1.05, 0.7)  # the paper network's shape without its dead zone
    assert max_integrated_speed(hand_curve(v, measured)) == pytest.approx(0.6)
    assert max_integrated_speed(hand_curve(v, np.where(speed < 0.15, 0.8, measured))) == 0.0  # dead zone
    asymmetric = np.where(v < -0.35, 0.5, 1.0)
    assert max_integrated_speed(hand_curve(v, asymmetric)) == pytest.approx(0.3)
    assert max_integrated_speed(hand_curve(v, np.ones(len(v)))) == pytest.approx(1.0)


def test_gain_curve_rejects_mismatched_probes():
    with pytest.raises(HippoError, match="one entry per probe"):
        gain_curve([0.1, 0.2], [np.arange(5)], [np.arange(5)], RING)
    with pytest.raises(HippoError, match="at least 3"):
        gain_curve([0.1], [np.arange(5) * DT], [np.zeros(5)], RING, transient=1.0)


# ------------------------------------------------------------------ error decomposition
def ou_velocity(rng, n_trials, n, dt, std=0.5, tau=0.7):
    a = np.exp(-dt / tau)
    v = np.empty((n_trials, n))
    v[:, 0] = rng.standard_normal(n_trials) * std
    kicks = rng.standard_normal((n_trials, n)) * std * np.sqrt(1 - a * a)
    for k in range(1, n):
        v[:, k] = a * v[:, k - 1] + kicks[:, k]
    return v


def synthetic_trials(rng, gain, diffusion, drift, n_trials=60, duration=20.0, dt=0.05, noise=0.005):
    """True and decoded positions on the ring: decoded = start error + gain·Δx + drift·τ + Brownian + noise."""
    n = int(round(duration / dt)) + 1
    t = np.arange(n) * dt - 1.0  # one second before the switch
    displacement = np.cumsum(ou_velocity(rng, n_trials, n, dt) * dt, axis=1)
    displacement -= displacement[:, [int(round(1.0 / dt))]]
    start = rng.uniform(0, RING, (n_trials, 1))
    offset = rng.uniform(-0.03, 0.03, (n_trials, 1))
    tau = np.clip(t, 0, None)
    walk = brownian(rng, (n_trials, n), dt, diffusion) * (t >= 0)
    walk -= walk[:, [int(round(1.0 / dt))]] * (t >= 0)
    decoded = start + offset + gain * displacement + drift * tau + walk + noise * rng.standard_normal((n_trials, n))
    return t, np.mod(decoded, RING), np.mod(start + displacement, RING)


@pytest.mark.parametrize("gain", [0.9, 1.0, 1.1])
def test_error_decomposition_recovers_gain_drift_and_diffusion(gain):
    """Within 4 jackknife standard errors on each of 3 seeds; the standard errors are small enough to matter."""
    diffusion, drift = 2e-4, 0.002
    for seed in range(3):
        t, decoded, true = synthetic_trials(np.random.default_rng(seed), gain, diffusion, drift)
        result = decompose_errors(t, decoded[:, :, None], true[:, :, None], RING)
        assert result.gain_minus_one == pytest.approx(gain - 1, abs=4 * result.gain_minus_one_sem)
        assert result.drift_m_per_s[0] == pytest.approx(drift, abs=4 * result.drift_sem[0])
        assert result.diffusion_m2_per_s == pytest.approx(diffusion, abs=4 * result.diffusion_sem)
        assert result.gain_minus_one_sem < 0.01 and result.diffusion_sem < 0.4 * diffusion
        assert result.fit_window_s == (0.0, pytest.approx(19.0))
        assert result.tau[0] == 0 and np.all(np.abs(result.signed_error[:, 0]) < 0.05)


def test_error_decomposition_fit_window_and_errors():
    t, decoded, true = synthetic_trials(np.random.default_rng(5), 1.0, 2e-4, 0.0, n_trials=20, duration=10.0)
    result = decompose_errors(t, decoded, true, RING, fit_window=(2.0, 6.0))
    assert result.fit_window_s == (2.0, 6.0)
    assert result.diffusion_m2_per_s == pytest.approx(2e-4, abs=4 * result.diffusion_sem)
    assert set(result.metrics()) >= {"gain_minus_one", "diffusion_m2_per_s", "drift_m_per_s", "fit_window_s"}
    with pytest.raises(HippoError, match="at least 3"):
        decompose_errors(t, decoded, true, RING, fit_window=(2.0, 2.01))
    with pytest.raises(HippoError, match="must both have shape"):
        decompose_errors(t[:-1], decoded, true, RING)


def test_error_decomposition_in_2d_recovers_gain_drift_vector_and_diffusion_within_its_errors():
    """The same fit over (n_trials, n_t, 2) positions on a torus: MSD grows as 4 D τ, the drift is a vector."""
    env = load_environment("torus-1m")
    dt, n_trials = 0.025, 100
    t = np.arange(-10, 400) * dt
    rng = np.random.default_rng(0)
    velocity = 0.3 * rng.standard_normal((n_trials, 1, 2)) + 0.3 * rng.standard_normal((n_trials, len(t), 2))
    true = np.cumsum(velocity * dt, axis=1) + rng.random((n_trials, 1, 2))
    walk = np.cumsum(np.sqrt(2 * 2e-4 * dt) * rng.standard_normal((n_trials, len(t), 2)), axis=1)
    walk -= walk[:, 10:11]
    error = -0.05 * (true - true[:, 10:11]) + np.clip(t, 0, None)[None, :, None] * np.array([0.01, -0.02]) + walk
    result = decompose_errors(t, env.wrap(true + (t >= 0)[None, :, None] * error), env.wrap(true), env)
    assert result.gain_minus_one == pytest.approx(-0.05, abs=4 * result.gain_minus_one_sem)
    np.testing.assert_array_less(np.abs(result.drift_m_per_s - [0.01, -0.02]), 4 * result.drift_sem)
    assert result.diffusion_m2_per_s == pytest.approx(2e-4, abs=4 * result.diffusion_sem)
    assert len(result.metrics()["drift_sem_m_per_s"]) == 2


def test_decomposition_of_a_pure_gain_error_has_no_diffusion():
    """Noise-free: a 5 % fast bump and no drift, over more than a ring of displacement."""
    t, decoded, true = synthetic_trials(np.random.default_rng(1), 1.05, 0.0, 0.0, n_trials=5, noise=0.0)
    result = decompose_errors(t, decoded, true, RING)
    assert result.gain_minus_one == pytest.approx(0.05, abs=1e-9)
    assert result.diffusion_m2_per_s == pytest.approx(0.0, abs=1e-12)
    assert np.max(np.abs(result.displacement)) > RING


# ------------------------------------------------------------------ horizons
def test_error_horizons():
    t = np.round(np.arange(-1.0, 5.0001, 0.1), 10)
    mean_error = np.where(t > 0, 0.013 * t, 0.2)  # high before the switch: ignored
    horizon = error_horizon(t, mean_error, 0.05)
    assert horizon.reached and horizon.seconds == pytest.approx(3.9)
    never = error_horizon(t, mean_error, 0.10)
    assert not never.reached and never.seconds == pytest.approx(5.0)
    errors = np.stack([mean_error - 0.001, mean_error + 0.001])
    assert error_horizons(t, errors) == {"horizon_5cm_s": pytest.approx(3.9), "horizon_5cm_reached": True,
                                         "horizon_10cm_s": pytest.approx(5.0), "horizon_10cm_reached": False}


# ------------------------------------------------------------------ bump
def gaussian_bump(centres, width, n=100):
    """Rates ``(T, n)`` of cells at ``(i + 0.5) / n`` metres for wrapped Gaussian bumps at ``centres``."""
    preferred = (np.arange(n) + 0.5) / n * RING
    d = (preferred[None, :] - np.asarray(centres)[:, None] + RING / 2) % RING - RING / 2
    return np.exp(-(d**2) / (2 * width**2)), preferred


@pytest.mark.parametrize("width", [0.03, 0.05, 0.08])
def test_bump_width_and_position_of_a_gaussian_bump(width):
    centres = np.array([0.013, 0.5, 0.987])
    rates, preferred = gaussian_bump(centres, width)
    shuffled = np.random.default_rng(0).permutation(len(preferred))  # cell order must not matter
    rates, preferred = rates[:, shuffled], preferred[shuffled]
    assert bump.population_vector(rates, preferred, RING) == pytest.approx(centres, abs=1e-6)
    assert bump.circular_spread(rates, preferred, RING) == pytest.approx(np.full(3, width), rel=1e-3)
    assert bump.fwhm(rates, preferred, RING) == pytest.approx(np.full(3, 2 * np.sqrt(2 * np.log(2)) * width), rel=0.02)


@pytest.mark.parametrize("width", [0.03, 0.06])
def test_tuning_width_of_a_learned_population_with_silent_and_unequal_cells(width):
    # a bump that visits the whole ring; every third cell silent, the others at peak rates 0.3-1: the
    # arc from the most active cell ends at its first silent neighbour, the cells' tuning does not
    rng = np.random.default_rng(1)
    centres = np.mod(np.cumsum(rng.normal(0.0, 0.01, 20000)), RING)
    rates, preferred = gaussian_bump(centres, width, n=150)
    rates *= rng.uniform(0.3, 1.0, 150) * (np.arange(150) % 3 != 0)
    expected = 2 * np.sqrt(2 * np.log(2)) * width
    assert bump.tuning_width(rates, preferred, RING) == pytest.approx(expected, rel=0.03)
    assert np.nanmedian(bump.fwhm(rates, preferred, RING)) < 0.5 * expected
    # a cell's curve does not depend on its own preferred position: errors in it only blur the bump's position
    jittered = preferred + rng.normal(0.0, width / 2, 150)
    assert bump.tuning_width(rates, jittered, RING) == pytest.approx(expected, rel=0.05)


def test_tuning_width_without_a_bump():
    preferred = (np.arange(10) + 0.5) / 10
    assert np.isnan(bump.tuning_width(np.zeros((5, 10)), preferred, RING))
    one_place, _ = gaussian_bump(np.full(50, 0.3), 0.05, n=10)  # the bump never moves: one bin visited
    assert np.isnan(bump.tuning_width(one_place, preferred, RING))


@pytest.mark.parametrize("arc", [0.05, 0.3, 0.9])
def test_tuning_width_of_a_bump_that_stays_on_part_of_the_ring_is_not_measured(arc):
    # across a long unvisited stretch a tuning curve would be interpolated into a ramp, not a width
    centres = 0.1 + arc * (0.5 - 0.5 * np.cos(np.linspace(0.0, 20 * np.pi, 20000)))
    rates, preferred = gaussian_bump(centres, 0.05, n=150)
    assert np.isnan(bump.tuning_width(rates, preferred, RING))
    assert bump.tuning_width(rates, preferred, RING, max_gap=1.0) > 0  # allowed: a number, whatever it means


def test_bump_without_a_bump():
    preferred = (np.arange(10) + 0.5) / 10
    rates = np.stack([np.zeros(10), np.ones(10)])
    assert np.isnan(bump.population_vector(rates, preferred, RING)[0])
    assert np.isnan(bump.circular_spread(rates, preferred, RING)[0])
    assert bump.circular_spread(rates, preferred, RING)[1] > RING  # uniform: R vanishes up to rounding
    assert np.all(np.isnan(bump.fwhm(rates, preferred, RING)))
    with pytest.raises(HippoError, match="finite"):
        bump.population_vector(rates, np.where(preferred > 0.5, np.nan, preferred), RING)


def test_preferred_positions_from_rate_maps():
    centres = np.array([0.02, 0.31, 0.77, 0.99])
    maps, _ = gaussian_bump(centres, 0.04, n=200)  # rows: one cell's rate in 200 bins
    maps[1, :20] = np.nan  # unvisited bins
    assert bump.preferred_positions(maps, RING)[[0, 2, 3]] == pytest.approx(centres[[0, 2, 3]], abs=1e-6)
    assert bump.preferred_positions(maps, RING)[1] == pytest.approx(0.31, abs=1e-3)


# ------------------------------------------------------------------ topology
def noisy_ring(rng, n=300, centre=(0.0, 0.0)):
    angle = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([np.cos(angle), np.sin(angle)]) + centre + 0.05 * rng.standard_normal((n, 2))


def ring_population(rng, n=400, cells=60, noise=0.05):
    """Population vectors of cells tuned to a ring variable (von Mises bumps) with rate noise."""
    angle = rng.uniform(0, 2 * np.pi, n)
    preferred = np.arange(cells) / cells * 2 * np.pi
    return np.exp(4 * (np.cos(angle[:, None] - preferred[None, :]) - 1)) + noise * rng.standard_normal((n, cells))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_betti_numbers_separate_ring_blob_and_two_rings(seed):
    rng = np.random.default_rng(seed)
    cases = {
        "ring": (noisy_ring(rng), (1, 1)),
        "blob": (rng.standard_normal((300, 2)), (1, 0)),
        "two rings": (np.vstack([noisy_ring(rng, 150, (-2.0, 0.0)), noisy_ring(rng, 150, (2.0, 0.0))]), (2, 2)),
        "ring population": (ring_population(rng), (1, 1)),
    }
    for name, (points, betti) in cases.items():
        result = topology.persistent_homology(points, np.random.default_rng(seed))
        assert result.betti == betti, name
        assert result.n_points == 300
        assert result.thresholds[1] > 0


def torus_population(rng, side=15, cells=6, jitter=0.1, noise=0.02):
    """Population vectors of cells tuned to two periodic variables, sampled on a jittered ``side × side`` grid."""
    grid = (np.arange(side) + 0.5) / side * 2 * np.pi
    a, b = (g.ravel() + rng.uniform(-jitter, jitter, side * side) for g in np.meshgrid(grid, grid))
    pa, pb = (g.ravel() for g in np.meshgrid(*[np.arange(cells) / cells * 2 * np.pi] * 2))
    rates = np.exp(0.5 * (np.cos(a[:, None] - pa[None, :]) + np.cos(b[:, None] - pb[None, :]) - 2))
    return rates + noise * rng.standard_normal(rates.shape)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_torus_has_two_loops(seed):
    result = topology.persistent_homology(torus_population(np.random.default_rng(seed)), np.random.default_rng(seed))
    assert result.betti == (1, 2)


def test_persistent_homology_rejects_bad_points():
    with pytest.raises(HippoError, match="finite"):
        topology.persistent_homology(np.full((10, 2), np.nan), np.random.default_rng(0))
    with pytest.raises(HippoError, match="shape"):
        topology.persistent_homology(np.zeros(10), np.random.default_rng(0))


# ------------------------------------------------------------------ figures
def test_figures_are_written(tmp_path):
    from hippo.plotting import pi_analyses as figures

    rng = np.random.default_rng(0)
    velocities = probe_velocities(1.0, 0.25)
    runs = [probe_run(rng, 1.0, v) for v in velocities]
    curve = gain_curve(velocities, [r[0] for r in runs], [r[1] for r in runs], RING)
    t, decoded, true = synthetic_trials(rng, 1.05, 2e-4, 0.0, n_trials=5, duration=5.0)
    paths = [
        figures.gain_curve(curve, tmp_path / "gain.png", 0.0, 0.5),
        figures.error_decomposition(decompose_errors(t, decoded, true, RING, fit_window=(0.0, 3.0)),
                                    tmp_path / "decomposition.png"),
        figures.persistence(topology.persistent_homology(noisy_ring(rng), rng), tmp_path / "persistence.png"),
    ]
    for path in paths:
        assert path.exists() and path.stat().st_size > 10_000
