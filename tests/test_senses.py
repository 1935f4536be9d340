"""Sensory encoders: place, cue and velocity cells, Gaussian-process latents, remapping."""

import numpy as np
import pytest

from hippo.analysis.statistics import autocorrelation, decorrelation_time
from hippo.errors import ConfigError
from hippo.world.gridworld import load_environment
from hippo.world.motion import MotionConfig, generate_motion
from hippo.world.senses import CueCells, PlaceCells, SensesConfig, VelocityCells, gaussian_process_latents
from hippo.world.stream import Stream
from hippo.world.trajectory import Trajectory

DT = 0.025


def _trajectory(position, velocity=None):
    position = np.asarray(position, dtype=float)
    velocity = np.zeros_like(position) if velocity is None else np.asarray(velocity, dtype=float)
    return Trajectory(np.arange(len(position)) * DT, position, velocity)


# ----------------------------------------------------------------- GP latents
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("timescale", [0.5, 1.0, 2.0])
def test_gp_latents_decorrelate_at_sqrt2_timescale(timescale, seed):
    """Squared-exponential kernel exp(−Δt²/2τ²) falls to 1/e at Δt = √2·τ."""
    x = gaussian_process_latents(24_000, DT, timescale, 10, np.random.default_rng(seed))
    assert x.shape == (24_000, 10)
    lags, acorr = autocorrelation(x, DT, 4 * timescale)
    assert decorrelation_time(lags, acorr) == pytest.approx(np.sqrt(2) * timescale, rel=0.06)
    # the whole autocorrelation curve is the kernel's, within 4 standard errors of a mean over
    # 10 series of 600 s (Bartlett: √(√π·τ / (T·n)))
    error = np.sqrt(np.sqrt(np.pi) * timescale / (24_000 * DT * 10))
    assert np.allclose(acorr, np.exp(-lags**2 / (2 * timescale**2)), atol=4 * error)


@pytest.mark.parametrize("seed", range(3))
def test_gp_latents_have_unit_variance_and_zero_mean(seed):
    """Within the sampling errors of ``n`` series of duration ``T`` of a squared-exponential process
    (timescale τ): the mean has variance ``√(2π)·τ / (T·n)``, a sample variance or a correlation
    of two independent series ``2`` and ``1`` times ``√π·τ / T`` (Bartlett), per series."""
    n_samples, n, timescale = 40_000, 20, 1.0
    duration = n_samples * DT
    x = gaussian_process_latents(n_samples, DT, timescale, n, np.random.default_rng(seed))
    product_error = np.sqrt(np.sqrt(np.pi) * timescale / duration)
    assert x.var() == pytest.approx(1.0, abs=4 * np.sqrt(2 / n) * product_error)
    assert abs(x.mean()) < 4 * np.sqrt(np.sqrt(2 * np.pi) * timescale / (duration * n))
    # independent latents: the largest of the n(n − 1)/2 = 190 correlations stays within 4.5 standard errors
    corr = np.corrcoef(x.T)
    assert np.abs(corr[~np.eye(n, dtype=bool)]).max() < 4.5 * product_error


def test_gp_latents_are_seeded():
    a = gaussian_process_latents(1000, DT, 1.0, 3, np.random.default_rng(5))
    b = gaussian_process_latents(1000, DT, 1.0, 3, np.random.default_rng(5))
    c = gaussian_process_latents(1000, DT, 1.0, 3, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_latent_features_mix_latents_and_remap():
    config = SensesConfig(kind="latent", n=30, n_latents=4, timescale=1.0)
    stream = Stream.build(None, DT, config, None, 2)
    assert stream.n_features == 30 and stream.encoder.mix.shape == (30, 4)
    features = stream.features(100, 300)
    assert features.shape == (200, 30)
    assert np.allclose(features, stream.latents(100, 300) @ stream.encoder.mix.T)
    remapped = stream.remap(7)
    assert remapped.latents(0, 2000).shape == stream.latents(0, 2000).shape == (2000, 4)
    assert remapped.encoder.mix.shape == stream.encoder.mix.shape
    assert not np.allclose(remapped.latents(0, 2000), stream.latents(0, 2000))
    assert not np.allclose(remapped.encoder.mix, stream.encoder.mix)
    again = stream.remap(7)
    assert np.array_equal(remapped.encoder.mix, again.encoder.mix)
    assert np.array_equal(remapped.latents(0, 2000), again.latents(0, 2000))


# ----------------------------------------------------------------- place cells
def test_place_tuning_peaks_at_the_centre_with_the_given_width():
    box = load_environment("box-1m")
    cells = PlaceCells(box, np.array([[0.5, 0.5], [0.2, 0.7]]), 0.08)
    rates = cells.rates_at(np.array([[0.5, 0.5], [0.58, 0.5], [0.5, 0.34], [0.2, 0.7]]))
    assert rates[0, 0] == pytest.approx(1.0)
    assert rates[1, 0] == pytest.approx(np.exp(-0.5))  # one width away
    assert rates[2, 0] == pytest.approx(np.exp(-2.0))  # two widths away
    assert rates[3, 1] == pytest.approx(1.0)
    # the peak over a fine scan is at the centre, and the tuning curve is Gaussian
    x = np.linspace(0.0, 1.0, 1001)
    scan = cells.rates_at(np.stack([x, np.full_like(x, 0.5)], axis=1))[:, 0]
    assert x[np.argmax(scan)] == pytest.approx(0.5)
    half = x[scan >= 0.5]
    assert half[-1] - half[0] == pytest.approx(2 * np.sqrt(2 * np.log(2)) * 0.08, abs=2e-3)  # FWHM


def test_centre_surround_features_are_a_zero_mean_difference_of_gaussians():
    """surround s: exp(−d²/2w²) − s^−dim·exp(−d²/2(sw)²); in 2-D the surround's weight 1/s² makes the
    feature's integral over the plane zero (2πw² − s^−2·2π(sw)²)."""
    box = load_environment("box-1m")
    cells = PlaceCells(box, np.array([[0.5, 0.5]]), 0.05, surround=2.0)
    rates = cells.rates_at(np.array([[0.5, 0.5], [0.55, 0.5], [0.5, 0.6], [0.9, 0.5]]))[:, 0]
    assert rates[0] == pytest.approx(1.0 - 0.25)
    assert rates[1] == pytest.approx(np.exp(-0.5) - 0.25 * np.exp(-0.125))  # one centre width away
    assert rates[2] == pytest.approx(np.exp(-2.0) - 0.25 * np.exp(-0.5))  # one surround width away: below zero
    assert rates[2] < 0
    assert rates[3] == pytest.approx(np.exp(-32.0) - 0.25 * np.exp(-8.0))
    step = 0.0025
    x = np.arange(step / 2, 1.0, step)
    grid = np.stack(np.meshgrid(x, x), axis=-1).reshape(-1, 2)
    assert cells.rates_at(grid)[:, 0].sum() * step**2 == pytest.approx(0.0, abs=1e-6)
    plain = PlaceCells(box, cells.centres, 0.05).rates_at(grid)[:, 0].sum() * step**2
    assert plain == pytest.approx(2 * np.pi * 0.05**2, rel=1e-6)
    # on a track the surround's weight is 1/s
    track = PlaceCells(load_environment("ring-1m"), np.array([[0.5]]), 0.05, surround=2.0)
    assert track.rates_at(np.array([[0.5]]))[0, 0] == pytest.approx(0.5)


@pytest.mark.parametrize("surround", [0.5, 1.0])
def test_a_surround_no_wider_than_the_centre_is_refused(surround):
    with pytest.raises(ConfigError, match="surround"):
        SensesConfig(surround=surround)


def test_the_stream_builds_the_configured_surround():
    stream = Stream.build(load_environment("box-1m"), DT, SensesConfig(n=4, width=0.1, surround=3.0),
                          MotionConfig(), 0, velocity_scale=1.0)
    assert stream.encoder.surround == 3.0
    assert stream.encoder.remap(1).surround == 3.0


def test_place_distance_is_periodic_across_the_wrap():
    ring = load_environment("ring-1m")
    cells = PlaceCells(ring, np.array([[0.01], [0.5]]), 0.06)
    rates = cells.rates_at(np.array([[0.97], [0.05]]))
    # 0.97 is 0.04 m from 0.01 the short way round, as 0.05 is
    assert rates[0, 0] == pytest.approx(np.exp(-0.04**2 / (2 * 0.06**2)))
    assert rates[0, 0] == pytest.approx(rates[1, 0])
    # on a solid track the same positions are far apart
    track = load_environment("track-2m")
    solid = PlaceCells(track, np.array([[0.01]]), 0.06)
    assert solid.rates_at(np.array([[1.97]]))[0, 0] < 1e-100


def test_tiled_centres_cover_the_ring_evenly():
    ring = load_environment("ring-1m")
    cells = PlaceCells.build(ring, 100, 0.06, "tiled", 0.0, np.random.default_rng(0))
    assert np.allclose(cells.centres[:, 0], (np.arange(100) + 0.5) / 100)
    trajectory = generate_motion(ring, 10.0, DT, MotionConfig(), np.random.default_rng(0))
    rates = cells.encode(trajectory, 0, 400)
    assert rates.shape == (400, 100)
    nearest = np.argmax(rates, axis=1)
    assert np.allclose(cells.centres[nearest, 0], trajectory.position[:400, 0], atol=0.005 + 1e-9)


@pytest.mark.parametrize("placement", ["tiled", "random"])
def test_centres_lie_in_free_space(placement):
    env = load_environment("two-rooms")
    cells = PlaceCells.build(env, 60, 0.1, placement, 0.0, np.random.default_rng(3))
    assert cells.centres.shape == (60, 2)
    assert env.is_free(cells.centres).all()
    assert len(np.unique(cells.centres, axis=0)) == 60


def test_place_remap_changes_centres_and_is_seeded():
    for env_name, placement, jitter in [("ring-1m", "tiled", 0.0), ("box-1m", "tiled", 0.3), ("two-rooms", "random", 0.0)]:
        env = load_environment(env_name)
        cells = PlaceCells.build(env, 50, 0.06, placement, jitter, np.random.default_rng(4))
        a, b, c = cells.remap(1), cells.remap(1), cells.remap(2)
        assert np.array_equal(a.centres, b.centres)
        assert not np.allclose(a.centres, cells.centres)
        assert not np.allclose(a.centres, c.centres)
        # most cells move to a new place
        assert np.mean(np.linalg.norm(a.centres - cells.centres, axis=1) > 0.05) > 0.8
        assert a.width == cells.width and a.n == cells.n
        assert env.is_free(a.centres).all()


# ------------------------------------------------------------------- cue cells
def test_cue_features_respond_to_their_letter():
    env = load_environment("tem-grid")
    cues = CueCells.build(env, 0.02)
    assert cues.n == 12 and cues.letters == tuple("ABCDEFGHIJKL")
    cells = env.free_cells
    rates = cues.rates_at(env.cell_centres(cells))
    letters = env.cue_at(cells)
    # at each cell centre exactly the feature of that cell's letter is on
    assert np.allclose(rates.max(axis=1), 1.0)
    assert [cues.letters[k] for k in rates.argmax(axis=1)] == list(letters)
    assert np.all(np.sort(rates, axis=1)[:, -2] < 1e-5)  # neighbours are 5 widths away


def test_cue_seen_near_a_cue_cell_and_not_far_from_it():
    env = load_environment("two-rooms")
    cues = CueCells.build(env, 0.1)
    assert cues.letters == ("A", "B")
    a_centre = env.cell_centres(np.argwhere(env.grid == "A"))[0]
    rates = cues.rates_at(np.array([a_centre, a_centre + [0.1, 0.0], [1.9, 0.9]]))
    assert rates[0, 0] == pytest.approx(1.0)
    assert rates[1, 0] == pytest.approx(np.exp(-0.5))
    assert rates[2, 0] < 1e-10 and rates[0, 1] < 1e-10
    trajectory = _trajectory([a_centre, [1.9, 0.9]])
    assert np.allclose(cues.encode(trajectory, 0, 2), rates[[0, 2]])


def test_cue_remap_permutes_the_assignment_and_is_seeded():
    env = load_environment("tem-grid")
    cues = CueCells.build(env, 0.02)
    a, b, c = cues.remap(1), cues.remap(1), cues.remap(2)
    assert np.array_equal(a.assignment, b.assignment)
    assert sorted(a.assignment) == list(range(12))
    assert not np.array_equal(a.assignment, cues.assignment)
    assert not np.array_equal(a.assignment, c.assignment)
    centres = env.cell_centres(env.free_cells)
    before, after = cues.rates_at(centres), a.rates_at(centres)
    assert np.allclose(after, before[:, a.assignment])


def test_cue_stream_needs_letters():
    with pytest.raises(ConfigError, match="box-1m.toml: map: a cue stream needs letters"):
        CueCells.build(load_environment("box-1m"), 0.1)


# --------------------------------------------------------------- velocity cells
def test_velocity_cells_1d():
    cells = VelocityCells(1, 0.5)
    rates = cells.rates_at(np.array([[0.25], [-0.5], [0.0]]))
    assert np.allclose(rates, [[0.5, 0.0], [0.0, 1.0], [0.0, 0.0]])
    assert cells.n == 2


def test_velocity_cells_2d_and_normalisation():
    cells = VelocityCells(2, 0.4)
    rates = cells.rates_at(np.array([[0.2, -0.4], [-0.1, 0.3]]))
    assert np.allclose(rates, [[0.5, 0.0, 0.0, 1.0], [0.0, 0.25, 0.75, 0.0]])
    assert cells.n == 4
    remapped = cells.remap(3)
    assert (remapped.dim, remapped.scale) == (cells.dim, cells.scale)


def test_velocity_cells_encode_the_trajectory():
    ring = load_environment("ring-1m")
    trajectory = generate_motion(ring, 20.0, DT, MotionConfig(), np.random.default_rng(0))
    cells = VelocityCells(1, 1.0)
    rates = cells.encode(trajectory, 10, 410)
    v = trajectory.velocity[10:410, 0]
    assert np.allclose(rates[:, 0] - rates[:, 1], v)
    assert np.all(rates >= 0) and np.all(rates.min(axis=1) == 0)


def test_a_stream_builds_the_configured_encoder():
    env = load_environment("two-rooms")
    place = Stream.build(env, DT, SensesConfig(kind="place", n=20), MotionConfig(), 0).encoder
    assert isinstance(place, PlaceCells) and place.n == 20
    assert isinstance(Stream.build(env, DT, SensesConfig(kind="cue"), MotionConfig(), 0).encoder, CueCells)
