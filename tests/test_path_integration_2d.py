"""2-D path integration: spatial tuning metrics, 2-D decoders and gain estimators on synthetic bumps,
Betti numbers of a synthetic torus and sheet, and a small run of the experiment."""

import importlib.util

import numpy as np
import pytest

from hippo.analysis.decoding import KNNDecoder, TemplateDecoder
from hippo.analysis.path_integration_2d import bump_velocity, directional_gains, stationary_error
from hippo.analysis.spatial import bin_counts, field_peaks, gridness, rate_maps, skaggs_information, weight_profile
from hippo.analysis.topology import leading_components, persistent_homology
from hippo.errors import ConfigError
from hippo.experiments import resolve, run_experiment
from hippo.probes import DirectionProbeConfig, probe_paths
from hippo.world.gridworld import load_environment

BINS = 40  # 2.5-cm bins in a 1 m box
Y, X = (np.mgrid[:BINS, :BINS] + 0.5) / BINS


def _lattice(spacing, angles, orientation, phase):
    """Sum of plane waves whose wave vectors are ``angles`` (radians) apart, rectified (a grid map)."""
    k = 4 * np.pi / (np.sqrt(3) * spacing)
    waves = [np.cos(k * (np.cos(a + orientation) * X + np.sin(a + orientation) * Y) + phase) for a in angles]
    return np.maximum(sum(waves), 0.0)


@pytest.mark.parametrize("spacing, orientation, phase", [(0.3, 0.0, 0.0), (0.4, 0.3, 1.0), (0.25, 1.1, 2.0)])
def test_gridness_separates_hexagonal_from_square_lattices_and_single_fields(spacing, orientation, phase):
    hexagonal = _lattice(spacing, (0, np.pi / 3, 2 * np.pi / 3), orientation, phase)
    square = _lattice(spacing, (0, np.pi / 2), orientation, phase)
    field = np.exp(-((X - 0.3 - phase / 10) ** 2 + (Y - 0.6) ** 2) / (2 * 0.08**2))
    assert gridness(hexagonal) > 0.8
    assert gridness(square) < 0.0
    assert abs(gridness(field)) < 0.3


def test_gridness_ignores_unvisited_bins():
    hexagonal = _lattice(0.3, (0, np.pi / 3, 2 * np.pi / 3), 0.2, 0.5)
    holes = np.random.default_rng(0).random(hexagonal.shape) < 0.2
    assert gridness(np.where(holes, np.nan, hexagonal)) > 0.8


def test_spatial_information_is_zero_for_uniform_firing_and_log_inverse_occupancy_for_one_field():
    occupancy = np.random.default_rng(1).integers(1, 10, (BINS, BINS)).astype(float)
    inside = (X < 0.5) & (Y < 0.25)
    maps = np.stack([np.full((BINS, BINS), 0.7), np.where(inside, 2.0, 0.0), np.zeros((BINS, BINS))])
    information = skaggs_information(maps, occupancy)
    p = occupancy[inside].sum() / occupancy.sum()
    assert information[0] == pytest.approx(0.0, abs=1e-12)
    assert information[1] == pytest.approx(np.log2(1 / p))
    assert np.isnan(information[2])


def test_rate_maps_average_activity_per_bin_and_count_occupancy():
    box = load_environment("box-1m")
    position = np.random.default_rng(2).random((20000, 2))
    activity = np.column_stack([position[:, 0], position[:, 1] ** 2])
    maps = rate_maps(activity, position, box, bin_counts(box, 0.1))
    assert maps.maps.shape == (2, 10, 10) and maps.occupancy.sum() == 20000
    centres = (np.arange(10) + 0.5) / 10
    np.testing.assert_allclose(maps.maps[0].mean(axis=0), centres, atol=0.01)  # columns follow x
    np.testing.assert_allclose(maps.maps[1].mean(axis=1), centres**2 + 0.01 / 12, atol=0.01)  # rows follow y


def _bump_population(env, position, rng, per_side=12, width=0.08, noise=0.05):
    """Rates of cells with Gaussian tuning on a lattice (wrapped on a periodic world), with noise."""
    axis = (np.arange(per_side) + 0.5) / per_side * env.size[0]
    centres = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    d = env.displacement(position[:, None, :], centres[None, :, :])
    rates = np.exp(-np.sum(d * d, axis=-1) / (2 * width**2))
    return rates + noise * rng.standard_normal(rates.shape)


@pytest.mark.parametrize("world", ["box-1m", "torus-1m"])
@pytest.mark.parametrize("decoder_class", [KNNDecoder, TemplateDecoder])
def test_2d_decoders_read_position_from_synthetic_bumps(world, decoder_class):
    env = load_environment(world)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        train, test = rng.random((6000, 2)), rng.random((500, 2))
        decoder = decoder_class(env).fit(_bump_population(env, train, rng), train)
        error = env.distance(decoder.predict(_bump_population(env, test, rng)), test)
        assert np.median(error) < 0.04  # the bin (5 cm) or neighbour spacing sets the resolution


@pytest.mark.parametrize("world", ["box-1m", "torus-1m"])
def test_gain_estimators_recover_gain_and_slip_of_a_synthetic_bump(world):
    env = load_environment(world)
    rng = np.random.default_rng(3)
    t = np.arange(0, 2.0, 0.025)
    commanded, measured, r2 = [], [], []
    truth = []
    for angle in np.linspace(0, 2 * np.pi, 8, endpoint=False):
        for speed in (0.1, 0.3):
            gain, slip = 0.8 + 0.4 * rng.random(), 0.2 * rng.random() - 0.1
            u = speed * np.array([np.cos(angle), np.sin(angle)])
            w = gain * u + slip * np.array([-u[1], u[0]])
            start = np.array([0.5, 0.5]) - w * t[-1] / 2 + (0.3 if env.periodic else 0.0)
            decoded = env.wrap(start + t[:, None] * w + 0.003 * rng.standard_normal((len(t), 2)))
            velocity, fit = bump_velocity(t, decoded, env)
            commanded.append(u), measured.append(velocity), r2.append(fit), truth.append((gain, slip))
    gains = directional_gains(np.array(commanded), np.array(measured), np.array(r2))
    truth = np.array(truth)
    np.testing.assert_allclose(gains.along, truth[:, 0], atol=0.02)
    np.testing.assert_allclose(gains.across, truth[:, 1], atol=0.02)
    assert gains.r_squared.min() > 0.95
    assert set(gains.metrics()["gain_along_by_direction_deg"]) == {f"{45 * k:g}" for k in range(8)}


def _population_vectors(a, b, periodic, rng, per_side=8, width=0.15):
    axis = (np.arange(per_side) + 0.5) / per_side
    cx, cy = (g.ravel() for g in np.meshgrid(axis, axis))
    dx, dy = a[:, None] - cx, b[:, None] - cy
    if periodic:
        dx, dy = (dx + 0.5) % 1 - 0.5, (dy + 0.5) % 1 - 0.5
    rates = np.exp(-(dx**2 + dy**2) / (2 * width**2))
    return rates + 0.02 * rng.standard_normal(rates.shape)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [4, 5, 6])
def test_betti_numbers_of_a_synthetic_torus_and_sheet_of_population_vectors(seed):
    """On 10 principal components and farthest-point landmarks, as the experiment computes them."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((2, 3000))
    shapes = {"torus": (True, (1, 2, 1)), "sheet": (False, (1, 0, 0))}
    for name, (periodic, expected) in shapes.items():
        points = leading_components(_population_vectors(a, b, periodic, rng), 10)
        persistence = persistent_homology(points, np.random.default_rng(seed + 10), max_dim=2, n_points=150,
                                          subsample="maxmin")
        assert persistence.betti == expected, name


def test_probe_paths_stay_inside_the_box_and_move_at_the_commanded_velocity():
    box = load_environment("box-1m")
    config = DirectionProbeConfig(speeds=(0.1, 0.6))
    probes = probe_paths(box, config, 0.025)
    assert len(probes) == 16
    n_warmup = int(round(config.warmup / 0.025))
    for velocity, path in probes:
        assert box.is_free(path.positions).all()
        _, moving = path.segment(0, len(path.positions) - 1)
        np.testing.assert_allclose(moving[:n_warmup], 0.0, atol=1e-12)
        np.testing.assert_allclose(moving[n_warmup:], np.broadcast_to(velocity, moving[n_warmup:].shape), atol=1e-9)
        assert np.ptp(path.positions, axis=0).max() <= config.max_path * 1.0 + 1e-9


def test_the_2d_experiment_refuses_a_1d_world():
    with pytest.raises(ConfigError, match="environment: 'ring-1m' is a 1-D world"):
        resolve("path-integration-2d", ["environment=ring-1m"])


def test_the_2d_defaults_keep_the_shared_circuit_keys_bounds():
    assert resolve("path-integration-2d").config.n_mec == 200  # the 2-D default, not the 1-D one
    with pytest.raises(ConfigError, match=r"n_mec: value 1 out of range \(allowed: >= 2\)"):
        resolve("path-integration-2d", ["n_mec=1"])


def test_a_short_2d_run_measures_everything(tmp_path):
    overrides = ["duration=60", "test.decoder_window=30", "test.n_trials=2", "test.generative=3",
                 "test.report_times=[1.0, 2.0]", "n_mec=30", "senses.n=25", "maps.duration=20",
                 "gain_probes.speeds=[0.2]", "gain_probes.n_directions=4", "topology.n_points=30",
                 "topology.max_dim=1"]
    _, metrics = run_experiment("path-integration-2d", overrides, seed=0, out=tmp_path / "run", quiet=True)
    assert set(metrics["pi_error_m"]) == set(metrics["stationary_error_m"]) == {"1", "2"}
    assert metrics["chance_error_m"] == pytest.approx(0.52, abs=0.01)
    assert len(metrics["gain_probes"]["gain_along_by_direction_deg"]) == 4
    assert set(metrics["topology"]) == {"theta", "theta_binned", "generative"}
    assert np.isfinite(metrics["error_decomposition"]["diffusion_m2_per_s"])
    assert np.isfinite(metrics["spatial"]["information_bits_median"])
    assert set(metrics["weight_profile"]) == {"recurrent", "conjunctive, blocks summed"}
    for name in ("paths", "error", "rate_maps", "weight_profile", "gains", "manifold", "persistence_theta"):
        assert f"figures/{name}.png" in metrics["files"]
    _, again = run_experiment("path-integration-2d", overrides, seed=0, out=tmp_path / "again", quiet=True)
    assert again["pi_error_m"] == metrics["pi_error_m"]


@pytest.mark.skipif(importlib.util.find_spec("ratinabox") is None, reason="ratinabox is not installed")
def test_the_rat_presets_read_the_sargolini_recording():
    assert resolve("path-integration-rat").config.motion.recording.source == "sargolini"
    assert resolve("path-integration-rat-ring").config.environment == "ring-1m"
    # both 2-D rat presets test on the last 179 s of the recording, which the training never plays
    rat, simulated = resolve("path-integration-rat").config, resolve("path-integration-rat-simulated").config
    assert rat.motion.recording.span == (0.0, 420.0) and simulated.motion.kind == "smooth"
    assert rat.test_recording == simulated.test_recording
    assert rat.test_recording.source == "sargolini" and rat.test_recording.span == (420.0, 599.0)


def test_the_stationary_baseline_is_the_mean_distance_from_the_position_at_the_switch():
    box = load_environment("box-1m")
    t = np.array([-0.1, 0.0, 0.1, 0.2])
    true = np.array([[[0.1, 0.1], [0.2, 0.2], [0.5, 0.6], [0.2, 0.2]],
                     [[0.9, 0.9], [0.8, 0.8], [0.8, 0.5], [0.8, 0.9]]])
    np.testing.assert_allclose(stationary_error(t, true, box), [np.sqrt(0.02), 0.0, 0.4, 0.05])


def test_speed_weighted_gain_error_per_direction_weights_each_probed_speed_by_the_speeds_nearest_it():
    # +x probed at 0.1 and 0.3 m/s with gains 0.8 and 1.1, +y with 1.0 and 0.9; a quarter of the speeds lie
    # nearest 0.1 m/s, three quarters nearest 0.3 m/s
    commanded = np.array([[0.1, 0.0], [0.3, 0.0], [0.0, 0.1], [0.0, 0.3]])
    gains = directional_gains(commanded, commanded * np.array([[0.8], [1.1], [1.0], [0.9]]),
                              np.array([0.9, 1.0, 0.8, 1.0]))
    summary = gains.speed_weighted(np.array([0.05, 0.25, 0.3, 0.7]))
    assert summary["gain_error_speed_weighted_by_direction_deg"] == pytest.approx({"0": 0.25 * 0.2 + 0.75 * 0.1,
                                                                                   "90": 0.75 * 0.1})
    assert summary["gain_error_speed_weighted_max"] == pytest.approx(0.125)
    assert summary["r_squared_speed_weighted_by_direction_deg"] == pytest.approx({"0": 0.975, "90": 0.95})
    assert summary["r_squared_speed_weighted_min"] == pytest.approx(0.95)


def test_a_test_recording_plays_its_held_out_stretch_and_the_training_never_does(tmp_path):
    # a minute on a circle in the left half of the box, then a minute on one in the right half; the
    # training plays the first minute, the test the second
    t = np.arange(0.0, 120.0, 0.02)
    centre = np.where(t < 60.0, 0.3, 0.7)
    source = tmp_path / "two-circles.csv"
    np.savetxt(source, np.column_stack([t, centre + 0.15 * np.cos(t), 0.5 + 0.15 * np.sin(t)]), delimiter=",")
    overrides = ["duration=60", "test.decoder_window=30", "test.n_trials=2", "test.generative=3",
                 "test.report_times=[1.0, 2.0]", "n_mec=30", "senses.n=25", "maps.duration=5",
                 "gain_probes.speeds=[0.2]", "gain_probes.n_directions=2", "topology.n_points=30",
                 "topology.max_dim=1", "motion.kind=recorded", f"motion.recording.source={source}",
                 "motion.recording.span=[0, 59.9]", f"test_recording.source={source}", "test_recording.span=[60, 119]"]
    run_experiment("path-integration-2d", overrides, seed=0, out=tmp_path / "run", quiet=True)
    tested = np.load(tmp_path / "run" / "arrays.npz")["test.true"].reshape(-1, 2)
    assert tested[:, 0].min() >= 0.55 - 1e-9 and tested[:, 0].max() <= 0.85 + 1e-9  # the right-hand circle only
    with pytest.raises(ConfigError, match="span"):
        resolve("path-integration-2d", overrides[:-1] + ["test_recording.span=[60, 200]"])


@pytest.mark.parametrize("world", ["box-1m", "torus-1m"])
def test_the_weight_profile_averages_the_weights_of_pairs_by_the_distance_between_their_field_peaks(world):
    env = load_environment(world)
    maps = np.full((3, 4, 4), 0.1)  # 25-cm bins: peaks at the centres of bins (0, 0), (1, 0) and (3, 0)
    maps[0, 0, 0] = maps[1, 0, 1] = maps[2, 0, 3] = 1.0
    peaks = field_peaks(maps, env)
    np.testing.assert_allclose(peaks, [[0.125, 0.125], [0.375, 0.125], [0.875, 0.125]])
    weights = np.array([[9.0, 1.0, -2.0], [3.0, 9.0, -4.0], [-6.0, -8.0, 9.0]])  # the diagonal is left out
    profile = weight_profile(weights, peaks, env, np.array([0.0, 0.3, 0.6, 0.9]))
    if env.periodic:  # cells 0 and 2 are 0.25 m apart the short way round: with 0 and 1 in the first bin
        np.testing.assert_allclose(profile, [(1.0 + 3.0 - 2.0 - 6.0) / 4, (-4.0 - 8.0) / 2, np.nan])
    else:  # 0.25 m (0, 1), 0.5 m (1, 2), 0.75 m (0, 2)
        np.testing.assert_allclose(profile, [2.0, -6.0, -4.0])
