"""Path integration in two dimensions, learned by the theta-gated local rule.

The circuit is the path-integration circuit of :mod:`hippo.experiments.path_integration`
in a 2-D world: place-like features drive HPC; MEC receives HPC (basal) and, apically, its
own recurrent input and conjunctive velocity × MEC cells in four blocks, ``+x``, ``−x``,
``+y`` and ``−y``. With the push-pull coding, conjunctive cell ``j`` of the ``±x`` block
fires ``relu(m_j − θ ± k·v_x)`` and of the ``±y`` block ``relu(m_j − θ ± k·v_y)``
(``m_j`` the MEC rate, ``θ = conjunctive_threshold``, ``k = velocity_slope`` in s/m): the
1-D coding on each axis. The agent moves by simulated Ornstein–Uhlenbeck motion or along a
recorded path (``motion.kind = "recorded"``, :mod:`hippo.world.recorded`).

After training, the test and analyses (see :func:`run`) are the 1-D experiment's in 2-D:
decoded against true position and the error against time after the senses are cut off
(beside the error of an estimate that stays where the agent was at the switch),
error horizons, the error decomposed into gain error, drift and diffusion
(:func:`~hippo.analysis.error_decomposition.decompose_errors`), bump-velocity gains
along and across each of several directions from constant-velocity probes (per direction
also the 1-D gain curve's summary, the speed-weighted ``|gain − 1|`` and R², weighted by the
training path's speeds), 2-D MEC rate maps with spatial information, gridness and the grid spacing of the cells
scoring above 0.3 (:mod:`hippo.analysis.spatial`),
the learned MEC apical weights against the distance between the cells' field peaks, and the
Betti numbers of MEC population vectors in theta mode and in generation (a plane patch has
``(1, 0, 0)``, a torus ``(1, 2, 1)``).

Random draws are keyed as in the 1-D experiment (its ``*_KEY`` constants); the probes'
paths are fixed by the config, and the homology subsamples are drawn from ``[seed,
TOPOLOGY_KEY, k]``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from hippo.analysis.error_decomposition import decompose_errors, error_horizons
from hippo.analysis.path_integration_2d import stationary_error
from hippo.analysis.spatial import (bin_counts, field_peaks, grid_spacing, gridness, rate_maps, skaggs_information,
                                    weight_profile)
from hippo.analysis.topology import leading_components, persistent_homology
from hippo.config import bounds, preset_defaults
from hippo.errors import ConfigError
from hippo.experiments.path_integration import figures as figures_1d
from hippo.experiments.path_integration_2d import figures
from hippo.experiments.path_integration_2d.grid import GridConfig, sheet_metrics, with_sheet
from hippo.plotting import pi_analyses as figures_pi_analyses
from hippo.experiments import path_integration
from hippo.experiments.circuit import CircuitStudy, PathIntegrationCircuit, Trained, run_study
from hippo.io.run_state import check_unchanged
from hippo.io import RunDir
from hippo.probes import DirectionProbeConfig, mapping_session, run_direction_probes
from hippo.world.gridworld import load_environment_setting
from hippo.world.motion import MotionConfig, check_motion
from hippo.world.recorded import RecordingConfig


@dataclass(frozen=True)
@preset_defaults("path-integration-2d.toml", table="maps")
class SpatialMapConfig:
    """MEC rate maps from a mapping session: the trained network in theta mode (no learning, no
    noise) on the test stream after the test, recorded at every step; the wake half of each
    theta cycle enters the maps.

    Attributes:
        duration: seconds of the mapping session.
        bin_size: side of a square bin (metres).
    """

    duration: float = field(metadata=bounds(gt=0.0))
    bin_size: float = field(metadata=bounds(gt=0.0))


@dataclass(frozen=True)
@preset_defaults("path-integration-2d.toml", table="topology")
class Topology2DConfig:
    """Persistent homology of MEC population vectors (see :mod:`hippo.analysis.topology`).

    Three clouds: the mapping session's theta-mode samples (``theta``), its rate maps'
    population vectors, one per visited bin (``theta_binned``), and the test's generative
    samples (``generative``). Each is projected onto its ``n_components`` leading principal
    components (:func:`~hippo.analysis.topology.leading_components`) and subsampled by
    farthest-point sampling (:func:`~hippo.analysis.topology.maxmin_landmarks`): a random
    subsample of a sparsely sampled sheet leaves holes that count as loops.

    Attributes:
        n_points: landmarks drawn from each cloud.
        n_components: principal components kept (0 keeps the population vectors whole).
        n_shuffles: shuffled clouds setting the thresholds.
        max_dim: highest homology dimension (2 counts the void of a torus).
    """

    n_points: int = field(metadata=bounds(min=3))
    n_components: int = field(metadata=bounds(min=0))
    n_shuffles: int = field(metadata=bounds(min=1))
    max_dim: int = field(metadata=bounds(min=0, max=2))


@dataclass(frozen=True)
@preset_defaults("path-integration-2d.toml")
class Config(PathIntegrationCircuit):
    """2-D path integration. Times in seconds, distances in metres, speeds in m/s.

    The circuit, its training and its test are :class:`~hippo.experiments.circuit.PathIntegrationCircuit`
    (the velocity codings are described there); the world, streams
    and circuit are built by :func:`hippo.experiments.path_integration.build`. ``test_recording``
    names a recording the test trials, direction probes' warm-ups and mapping session play instead
    of fresh motion of ``motion`` (its ``span`` can hold out a stretch of the recording the training
    does not play); an empty ``source`` keeps fresh motion. The defaults, of the inherited fields
    too, are read from ``path-integration-2d.toml`` (:func:`~hippo.config.preset_defaults`).

    The 2-D form of the 1-D default coding, ``velocity_coding = "multiplicative"``, is
    ``relu(m_j)·[1 + k·v·e_d]₊`` with ``conjunctive_threshold = 0``, four directions on the axes
    (``velocity_directions = 0``) and ``velocity_slope = 0.6`` s/m. Four suffice: for ``D``
    directions in opposite pairs spread evenly ``Σ_d e_d e_dᵀ = (D/2)·I``, so from four on a
    readout learned per block can push the bump along any velocity in proportion to it, and
    each block costs ``n_mec²`` learned weights (eight measured worse). ``k = 0.6`` keeps
    ``k·|v| ≤ 1``, where no block falls silent, up to 1.67 m/s, above 99.9 % of the simulated
    speeds, twice the ring's slope because each axis carries only a component of the velocity.
    It loses to push-pull on the torus (docs/path-integration-2d.md), so push-pull stays the default.
    """

    test_recording: RecordingConfig
    maps: SpatialMapConfig
    gain_probes: DirectionProbeConfig
    topology: Topology2DConfig
    grid: GridConfig


def circuit(config: Config):
    """The config key naming the engine, the engine kind and the network a run of ``config`` builds
    (for :func:`hippo.experiments.resolve`, which asks the engine before any work)."""
    key, kind, network = path_integration.circuit(config)
    return key, kind, with_sheet(network, config.n_mec, config.grid, config.seed)


def build(config: Config) -> path_integration.Setup:
    """The 1-D experiment's world, streams and circuit (:func:`hippo.experiments.path_integration.build`) for
    ``config``'s circuit, with the MEC sheet of ``config.grid`` (:mod:`~hippo.experiments.path_integration_2d.grid`);
    with a ``test_recording`` the test stream plays it."""
    setup = path_integration.build(config, lambda network: with_sheet(network, config.n_mec, config.grid,
                                                                             config.seed))
    if config.test_recording.source:
        setup.test_stream = replace(setup.stream, motion_config=test_motion(config)).fresh_trajectory(
            [config.seed, path_integration.TEST_KEY])
    return setup


def _measure(config: Config, setup, trained: Trained, run_dir: RunDir, progress: bool) -> tuple[dict, dict]:
    """The path-integration test in 2-D and the 2-D analyses (:func:`_analyses`); returns metrics and arrays."""
    env, training, decoder = setup.env, trained.record, trained.fitted["decoder"]
    started = time.perf_counter()
    result = path_integration.measure_path_integration(config, setup, decoder, progress)
    test_seconds = time.perf_counter() - started

    metrics = path_integration.run_metrics(config, env, training, trained.fitted["fit_error"], result)
    metrics["error_2s_over_chance"] = result.error_at(2.0)[0] / metrics["chance_error_m"] \
        if result.t[-1] >= 2.0 else float("nan")
    staying = stationary_error(result.t, result.true, env)
    metrics["stationary_error_m"] = {f"{s:g}": float(staying[np.argmin(np.abs(result.t - s))])
                                     for s in config.test.report_times}
    metrics.update(error_horizons(result.t, result.errors))
    started = time.perf_counter()
    arrays = {"test.t": result.t, "test.errors": result.errors, "test.decoded": result.decoded, "test.true": result.true}
    arrays.update(_analyses(config, setup, result, decoder, metrics, run_dir))
    metrics["wall_seconds_by_part"] = {"training": training.wall_seconds, "test": test_seconds,
                                       "analyses": time.perf_counter() - started}
    run_dir.figure("paths", lambda path: figures.paths(result, env, path))
    run_dir.figure("error", lambda path: figures_1d.error_curve(result, metrics, path))
    return metrics, arrays


#: The 2-D study on the circuit skeleton: the 1-D experiment's training and decoder, its own test and analyses.
STUDY = CircuitStudy(build=build, training=lambda config, setup: path_integration.training_phase(config, setup),
                     fit=path_integration.fit_or_restore_decoder, measure=_measure)


def run(config: Config, run_dir: RunDir, progress: bool = True, start_from: Path | None = None) -> dict:
    """Train, test path integration in 2-D, run the 2-D analyses; return the metrics.

    Writes ``state.npz`` as the 1-D experiment does (``start_from`` and ``duration = 0``
    work the same way), ``arrays.npz`` (test trials, rate maps, probe gains, MSD) and the
    figures ``paths``, ``error``, ``rate_maps``, ``weight_profile``, ``gains``, ``manifold``,
    ``persistence_theta``, ``persistence_generative`` and ``loss``.

    Raises:
        ConfigError: ``duration`` is 0 without ``start_from``.
    """
    return run_study(STUDY, config, run_dir, progress, start_from)


def _analyses(config: Config, setup, result, decoder, metrics: dict, run_dir: RunDir) -> dict:
    """The 2-D analyses (module docstring): adds to ``metrics``, queues figures, returns arrays.

    The error decomposition is fitted up to the 0.10-m horizon (at least 1 s); rate maps and
    the theta-mode topology use the mapping session (:class:`SpatialMapConfig`).
    """
    env, n = setup.env, config.n_mec
    arrays = {}
    stop = min(max(metrics["horizon_10cm_s"], 1.0), float(result.t[-1]))
    decomposition = decompose_errors(result.t, result.decoded, result.true, env, fit_window=(0.0, stop))
    metrics["error_decomposition"] = decomposition.metrics()
    arrays.update({"error_decomposition.tau": decomposition.tau, "error_decomposition.msd": decomposition.msd})
    gains = run_direction_probes(setup.engine, setup.test_stream, decoder, config.theta, config.gain_probes)
    training_speeds = np.linalg.norm(setup.stream.velocity(0, setup.stream.cursor), axis=1)
    metrics["gain_probes"] = {**gains.metrics(), **gains.speed_weighted(training_speeds)}
    arrays.update({"gain_probes.commanded": gains.commanded, "gain_probes.measured": gains.measured,
                   "gain_probes.r_squared": gains.r_squared})
    run_dir.figure("gains", lambda path: figures.gains(gains, path))
    clouds = {"generative": (result.mec[:, result.t > 0].reshape(-1, n), result.true[:, result.t > 0].reshape(-1, 2))}
    session = mapping_session(setup.engine, setup.test_stream, config.theta, config.maps.duration, ("mec",), noise=False)
    wake = session.recording.theta > 0.5
    wake_mec, wake_positions = session.recording.signals["mec"][wake], session.positions()[wake]
    if len(wake_mec):
        maps = rate_maps(wake_mec, wake_positions, env, bin_counts(env, config.maps.bin_size))
        information = skaggs_information(maps.maps, maps.occupancy)
        scores = np.array([gridness(m) for m in maps.maps])
        scored = scores[np.isfinite(scores)]
        spacings = np.array([grid_spacing(m, maps.bin_size) for m in maps.maps[scores > 0.3]])
        spacings = spacings[np.isfinite(spacings)]
        if not len(scored):
            run_dir.warn("spatial.gridness_median and gridness_90th_percentile not measured: no MEC cell's rate map "
                         "has an autocorrelogram to score (a longer maps.duration visits more of the world)")
        metrics["spatial"] = {"information_bits_median": float(np.nanmedian(information)),
                              "gridness_median": float(np.median(scored)) if len(scored) else float("nan"),
                              "gridness_90th_percentile": float(np.percentile(scored, 90)) if len(scored) else float("nan"),
                              "fraction_gridness_above_0.3": float(np.mean(scores > 0.3)),
                              "grid_spacing_median_m": float(np.median(spacings)) if len(spacings) else float("nan"),
                              "peak_rate_median": float(np.nanmedian(np.nanmax(maps.maps, axis=(1, 2))))}
        arrays.update({"rate_maps": maps.maps, "occupancy": maps.occupancy, "spatial_information": information,
                       "gridness": scores})
        run_dir.figure("rate_maps", lambda path: figures.rate_maps(maps.maps, information, scores, path))
        metrics["weight_profile"], profile_arrays = _weight_profiles(setup, maps.maps, run_dir)
        arrays.update(profile_arrays)
        clouds["theta"] = (wake_mec, wake_positions)
        binned = np.isfinite(maps.maps).all(axis=0)
        centres = (np.argwhere(binned)[:, ::-1] + 0.5) * (env.size / binned.shape[::-1])
        clouds["theta_binned"] = (maps.maps[:, binned].T, centres)
    if config.grid.on:
        metrics["grid_sheet"] = sheet_metrics(n, config.grid, setup.engine.weight)
    metrics["topology"] = {}
    for k, (name, (points, where)) in enumerate(sorted(clouds.items())):
        if config.topology.n_components:
            points = leading_components(points, config.topology.n_components)
        persistence = persistent_homology(points, np.random.default_rng([config.seed, path_integration.TOPOLOGY_KEY, k]),
                                          max_dim=config.topology.max_dim, n_points=config.topology.n_points,
                                          n_shuffles=config.topology.n_shuffles, subsample="maxmin")
        metrics["topology"][name] = persistence.metrics()
        title = {"theta": "MEC population vectors, theta mode", "theta_binned": "MEC rate maps' population vectors",
                 "generative": "MEC population vectors, generative mode"}[name]
        run_dir.figure(f"persistence_{name}", lambda path, p=persistence, t=title: figures_pi_analyses.persistence(p, path, t))
    points, where = clouds.get("theta", clouds["generative"])
    chosen = np.random.default_rng([config.seed, path_integration.TOPOLOGY_KEY, len(clouds)]).choice(
        len(points), min(len(points), 2000), replace=False)
    run_dir.figure("manifold", lambda path: figures.manifold(points[chosen], where[chosen], path,
                                                             "MEC population vectors in theta mode"
                                                             if "theta" in clouds else "MEC population vectors"))
    return arrays


def _weight_profiles(setup, maps: np.ndarray, run_dir: RunDir) -> tuple[dict, dict]:
    """The learned MEC apical weights against the distance between field peaks
    (:func:`~hippo.analysis.spatial.weight_profile`, 5-cm bins up to the farthest two points of
    the world): the recurrent weights and the conjunctive blocks' weights summed (what the blocks
    add at rest, when each carries the MEC rates); for each, the distances of the bin of the
    largest mean weight (the excitation's peak) and of the first bin beyond it whose mean weight
    is negative, and whether the farthest bin's is (an inhibitory surround reaching across the
    world). Queues the figure; returns metrics and arrays."""
    env, engine = setup.env, setup.engine
    n = maps.shape[0]
    farthest = float(np.linalg.norm(env.size / 2 if env.periodic else env.size))
    edges = np.arange(0.0, farthest + 0.05, 0.05)
    peaks = field_peaks(maps, env)
    conjunctive = engine.weight("mec.apical<-conjunctive")
    profiles = {"recurrent": weight_profile(engine.weight("mec.apical<-mec"), peaks, env, edges),
                "conjunctive, blocks summed": weight_profile(
                    sum(conjunctive[:, b * n:(b + 1) * n] for b in range(conjunctive.shape[1] // n)), peaks, env, edges)}
    centres = (edges[1:] + edges[:-1]) / 2
    metrics = {}
    for name, profile in profiles.items():
        defined = np.isfinite(profile)
        peak = int(np.nanargmax(profile)) if defined.any() else 0
        negative = np.nonzero(defined & (profile < 0) & (np.arange(len(profile)) > peak))[0]
        metrics[name] = {"peak_m": float(centres[peak]) if defined.any() else None,
                         "first_negative_m": float(centres[negative[0]]) if len(negative) else None,
                         "farthest_negative": bool(profile[defined][-1] < 0) if defined.any() else None,
                         "profile_by_distance_m": {f"{c:.3f}": float(v) for c, v in zip(centres, profile) if np.isfinite(v)}}
    run_dir.figure("weight_profile", lambda path: figures.weight_profile(edges, profiles, path))
    return metrics, {"weight_profile.edges": edges, **{f"weight_profile.{name}": p for name, p in profiles.items()}}


def test_motion(config: Config) -> MotionConfig:
    """The motion of the test session: ``config.test_recording`` played as ``motion.kind = "recorded"``."""
    return replace(config.motion, kind="recorded", start=(), recording=config.test_recording)


def check_start(config: Config, saved: dict) -> None:
    """Refuse, before any work, a run from a saved run that changes a setting its state depends on:
    those of the 1-D experiment (:data:`~hippo.experiments.path_integration.STATE_SETTINGS`), and with
    ``duration = 0`` the restored decoder's.

    Raises:
        ConfigError: naming ``--set``, the key, its saved value and why.
    """
    check_unchanged(saved, config, path_integration.STATE_SETTINGS)
    if config.duration == 0:
        check_unchanged(saved, config, {key: why for key, why in path_integration.RESTORED_SETTINGS.items()
                                        if key.startswith("test.")})


def validate(config: Config) -> None:
    """Refuse, before any work, a world that is not 2-D, the circuit's problems
    (:func:`hippo.experiments.path_integration.validate_circuit`: among others a recorded path with gaps
    or outside the world), and a test recording that could not drive the test (checked as the motion is).

    Raises:
        ConfigError: keyed by the culprit settings (a recording's problems name its file).
    """
    env = load_environment_setting(config.environment, "environment")
    if env.dim != 2:
        raise ConfigError("", "environment", f"{config.environment!r} is a {env.dim}-D world",
                          "a 2-D world (e.g. box-1m, sargolini-box); 1-D tracks: hippo run path-integration")
    path_integration.validate_circuit(config, env)
    if config.test_recording.source:
        check_motion(env, test_motion(config), config.dt, config.senses.width)
