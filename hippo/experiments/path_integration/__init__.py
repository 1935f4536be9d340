"""Experiment B: learning to path-integrate by growing a ring attractor (paper figure 3).

Place-like features of the position on a track drive HPC; MEC receives HPC (basal) and,
apically, its own recurrent input and conjunctive velocity × MEC cells. Trained only by
theta-gated local learning, the network should keep track of position in pure
generative mode (senses cut off) by moving an activity bump with the velocity input.

Controls (``control``): ``"no-theta"`` trains with θ ≡ 1 throughout; ``"no-velocity"``
silences the velocity input to the conjunctive cells; ``"untrained"`` runs the training
phase with learning off. The path-integration test is the same for all.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from hippo.analysis import ring_attractor
from hippo.analysis.bump import circular_spread, preferred_positions, tuning_width
from hippo.analysis.decoding import chance_error, decoding_error
from hippo.analysis.losses import check_recordable, loss_summary
from hippo.analysis.path_integration import (
    MIN_FIT_SAMPLES,
    PathIntegrationResult,
    decoder_state,
    make_decoder,
    restore_decoder,
)
from hippo.analysis.error_decomposition import decompose_errors, error_horizons
from hippo.analysis.spatial import rate_maps
from hippo.analysis.spike_diffusion import bump_noise, effective_tau
from hippo.analysis.topology import persistent_homology
from hippo.analysis.velocity_gain import empirical_weights, gain_curve_summary, gaussian_weights
from hippo.circuits.engines import make_engine
from hippo.circuits.spec import Network
from hippo.circuits.wiring import (
    conjunctive_blocks,
    path_integrator_network,
    preferred_directions,
)
from hippo.config import bounds, preset_defaults
from hippo.experiments.path_integration import figures
from hippo.plotting import pi_analyses as figures_pi_analyses
from hippo.plotting import spiking as figures_spiking
from hippo.errors import ConfigError
from hippo.experiments.circuit import Built, CircuitStudy, PathIntegrationCircuit, Trained, run_study
from hippo.io.run_state import check_unchanged
from hippo.io import RunDir
from hippo.probes import (
    GainProbeConfig,
    mapping_session,
    run_gain_probes,
    run_test,
    spikes_around_switch,
    zero_velocity_drift,
)
from hippo.progress import Progress
from hippo.protocol import Phase
from hippo.theta import INFERENCE, ThetaConfig, check_sampled
from hippo.resources import FLOAT_BYTES, ArrayEstimate, check_memory
from hippo.world.gridworld import load_environment, load_environment_setting
from hippo.world.motion import check_motion
from hippo.world.stream import Stream

CONTROLS = ("none", "no-theta", "no-velocity", "untrained")

#: Keys of the run's random draws: ``np.random.default_rng([seed, NETWORK_KEY])`` draws the
#: initial weights, streams seeded ``[seed, TRAINING_KEY]`` and ``[seed, TEST_KEY]`` give the
#: training session (and the place code) and the test session (same code, its own
#: trajectory), ``[seed, PROBE_KEY, k]`` the start of gain probe ``k``, ``[seed,
#: TOPOLOGY_KEY]`` the subsample and shuffles of the persistent homology, and the engine's
#: noise is seeded ``seed + 1``. The test therefore does not depend on how long training was.
NETWORK_KEY, TRAINING_KEY, TEST_KEY, PROBE_KEY, TOPOLOGY_KEY = 0, 1, 2, 3, 4


@dataclass(frozen=True)
@preset_defaults("path-integration.toml", table="ring")
class RingAnalysisConfig:
    """Ring-attractor analysis: rate-map bins and the zero-velocity drift test (seconds)."""

    n_bins: int = field(metadata=bounds(min=4))
    drift_duration: float = field(metadata=bounds(gt=0.0))


@dataclass(frozen=True)
@preset_defaults("path-integration.toml", table="topology")
class TopologyConfig:
    """Persistent homology of MEC population vectors in generative mode (see :mod:`hippo.analysis.topology`).

    Attributes:
        n_points: population vectors drawn from the test's generative phases.
        n_shuffles: shuffled clouds that set the loop threshold.
    """

    n_points: int = field(metadata=bounds(min=3))
    n_shuffles: int = field(metadata=bounds(min=1))


@dataclass(frozen=True)
@preset_defaults("path-integration.toml")
class Config(PathIntegrationCircuit):
    """Experiment B. Times in seconds, distances in metres.

    The circuit, its training and its test are :class:`~hippo.experiments.circuit.PathIntegrationCircuit`
    (the velocity codings and controls are described there); this experiment adds the spike-count
    rate maps of a spiking run (``spike_map_duration``), the ring analysis, the gain probes and the
    topology of its generative phases.

    The defaults, of the inherited fields too, are read from ``path-integration.toml`` (what
    ``hippo run path-integration`` runs; :func:`~hippo.config.preset_defaults`).
    """

    spike_map_duration: float = field(metadata=bounds(gt=0.0))
    ring: RingAnalysisConfig
    gain_probes: GainProbeConfig
    topology: TopologyConfig


#: Settings a run started from a saved state (``--from``) keeps: the saved network was built and
#: trained with them (key → why, for the message).
STATE_SETTINGS = {
    "seed": "the sensory code the network learned and the test's trajectory are drawn from the seed",
    "environment": "the network learned that world's code (hippo run transfer moves a network to another world)",
    "senses": "the network learned that sensory code",
    "n_mec": "the saved network has that many MEC cells",
    "velocity_coding": "the saved network learned with those conjunctive cells",
    "conjunctive_threshold": "the saved network learned with those conjunctive cells",
    "velocity_gain": "the saved network learned with those conjunctive cells",
    "velocity_slope": "the saved network learned with those conjunctive cells",
    "velocity_directions": "the saved network learned with those conjunctive cells",
    "precision": "the saved state is in that precision",
    "dt": "the saved stream position counts steps of dt",
}

#: Settings of what a run without training (``duration = 0``) restores instead of fitting:
#: the decoder and the rate maps fitted at the end of the saved run's training.
RESTORED_SETTINGS = {
    "test.decoder": "with duration = 0 the saved run's decoder is used, not fitted again",
    "test.decoder_window": "with duration = 0 the saved run's decoder, fitted on its window, is used",
    "ring.n_bins": "with duration = 0 the saved run's rate maps are used, not mapped again",
}


def check_start(config: Config, saved: dict) -> None:
    """Refuse, before any work, a run from the saved run of configuration ``saved`` (its ``config.toml``)
    that changes a setting its state depends on (:data:`STATE_SETTINGS`, and with ``duration = 0``
    :data:`RESTORED_SETTINGS`).

    Raises:
        ConfigError: naming ``--set``, the key, its saved value and why.
    """
    check_unchanged(saved, config, STATE_SETTINGS)
    if config.duration == 0:
        check_unchanged(saved, config, RESTORED_SETTINGS)


def _training_theta(config: PathIntegrationCircuit) -> ThetaConfig:
    return INFERENCE if config.control == "no-theta" else config.theta


@dataclass
class Setup(Built):
    """A built path-integration study: world, training and test streams, and engine.

    Attributes:
        env: the world.
        stream: the training session (place code and velocity cells on its trajectory).
        engine: the rate or spiking engine of the circuit.
        test_stream: the test session: the same code on an independent trajectory.
    """

    test_stream: Stream = None


def velocity_scale(config: PathIntegrationCircuit) -> float:
    """Velocity (m/s) that gives a velocity cell rate 1 under the config's velocity coding
    (see :class:`~hippo.experiments.circuit.PathIntegrationCircuit`)."""
    if config.velocity_coding in ("push-pull", "multiplicative"):
        return 1.0 / config.velocity_slope
    return (abs(config.motion.speed_mean) + config.motion.speed_std) / config.velocity_gain


def _network(config: PathIntegrationCircuit, stream: Stream) -> Network:
    """The circuit of ``config`` for the place code and velocity cells of ``stream``."""
    return path_integrator_network(stream.n_features, config.n_mec, stream.velocity_cells.n, config.hpc, config.mec,
                                   config.conjunctive_threshold, config.projections,
                                   np.random.default_rng([config.seed, NETWORK_KEY]),
                                   velocity_input=config.control != "no-velocity",
                                   modulation="multiplicative" if config.velocity_coding == "multiplicative"
                                   else "additive", n_directions=config.velocity_directions)


def circuit(config: PathIntegrationCircuit) -> tuple[str, str, Network]:
    """The config key naming the engine, the engine kind and the network a run of ``config`` builds
    (for :func:`hippo.experiments.resolve`, which asks the engine before any work)."""
    return "engine", config.engine, _network(config, _training_stream(config, load_environment(config.environment)))


def _training_stream(config: PathIntegrationCircuit, env) -> Stream:
    return Stream.build(env, config.dt, config.senses, config.motion, [config.seed, TRAINING_KEY],
                        velocity_scale=velocity_scale(config))


def build(config: PathIntegrationCircuit, extend: Callable[[Network], Network] = lambda network: network) -> Setup:
    """World, streams, network and engine of ``config`` (random draws as :data:`NETWORK_KEY` says); ``extend``
    adds to the network before the engine is built (the 2-D experiment's MEC sheet)."""
    env = load_environment(config.environment)
    stream = _training_stream(config, env)
    network = extend(_network(config, stream))
    engine = make_engine(config.engine, network, config.dt, seed=config.seed + 1, precision=config.precision,
                         spiking=config.spiking)
    return Setup(env, stream, engine, stream.fresh_trajectory([config.seed, TEST_KEY]))


def training_phase(config: PathIntegrationCircuit, setup: Setup, duration: float | None = None,
                   label: str = "training") -> Phase:
    """Training (``duration`` seconds, default the config's) with the control's theta gate and the schedule."""
    return Phase("training", config.duration if duration is None else duration, setup.stream, _training_theta(config),
                 learn=config.control != "untrained", schedule=config.schedule, record=("hpc", "mec"),
                 record_every=config.record_every, label=label)


def fit_decoder(config: PathIntegrationCircuit, setup: Setup, training):
    """The test's decoder, fitted on HPC activity of the last ``decoder_window`` seconds of the
    ``training`` record (a :class:`~hippo.protocol.PhaseRecord`); returns it and the window mask."""
    recording = training.recording
    window = recording.t > recording.t[-1] - config.test.decoder_window
    positions = training.positions()[window]
    return make_decoder(config.test.decoder, setup.env).fit(recording.signals["hpc"][window], positions), window


def measure_path_integration(config: PathIntegrationCircuit, setup: Setup, decoder, progress: bool,
                             n_trials: int | None = None):
    """The path-integration test on the test stream (``n_trials`` overrides the config's number of trials)."""
    test_config = config.test if n_trials is None else replace(config.test, n_trials=n_trials)
    bar = Progress(test_config.n_trials, "path-integration test", enabled=progress)
    try:
        return run_test(setup.engine, setup.test_stream, decoder, config.theta, test_config,
                        progress=lambda done: bar.update(done), spikes=config.engine == "spiking")
    finally:
        bar.close()


def fit_or_restore_decoder(config: PathIntegrationCircuit, setup: Setup, trained: Trained) -> dict:
    """The test's decoder, fitted on the end of training (:func:`fit_decoder`) or, after no training,
    the saved run's; sets ``decoder``, ``window`` (the training records it was fitted on) and
    ``fit_error`` (m, :func:`decoder_fit_error`) in ``trained.fitted`` and returns what
    ``state.npz`` keeps of them."""
    if trained.trained:
        decoder, window = fit_decoder(config, setup, trained.record)
        wake = window & (trained.record.recording.theta > 0.5)
        fit_error = decoder_fit_error(setup.env, decoder, trained.record, wake)
    else:
        decoder = restore_decoder(config.test.decoder, setup.env, trained.saved["decoder"])
        window, fit_error = np.zeros(0, dtype=bool), float(trained.saved["decoder_fit_error_m"])
    trained.fitted.update(decoder=decoder, window=window, fit_error=fit_error)
    return {"decoder": decoder_state(decoder), "decoder_fit_error_m": fit_error}


def _fit(config: Config, setup: Setup, trained: Trained) -> dict:
    """The decoder (:func:`fit_or_restore_decoder`) and, on 1-D tracks, the MEC rate maps in wake
    on the decoder's window and the cells' order by their peaks (fitted, or the saved run's)."""
    kept = fit_or_restore_decoder(config, setup, trained)
    maps = order = None
    if setup.env.dim == 1:
        if trained.trained:
            recording = trained.record.recording
            wake = trained.fitted["window"] & (recording.theta > 0.5)
            maps = rate_maps(recording.signals["mec"][wake], trained.record.positions()[wake], setup.env,
                             config.ring.n_bins).maps
            order = ring_attractor.order_by_peak(maps)
        else:
            maps, order = trained.saved["rate_maps"], trained.saved["order"]
        kept.update(rate_maps=maps, order=order)
    trained.fitted.update(maps=maps, order=order)
    return kept


def _training(config: Config, setup: Setup) -> Phase:
    return training_phase(config, setup, label=f"training ({config.control})" if config.control != "none"
                          else "training")


def _measure(config: Config, setup: Setup, trained: Trained, run_dir: RunDir, progress: bool) -> tuple[dict, dict]:
    """The path-integration test, the field's analyses (:func:`_field_analyses`) and on 1-D tracks the
    ring's; returns the metrics and arrays, queues the figures."""
    env, engine, training = setup.env, setup.engine, trained.record
    decoder, window, maps, order = (trained.fitted[k] for k in ("decoder", "window", "maps", "order"))
    recording, positions = training.recording, training.positions()
    started = time.perf_counter()
    result = measure_path_integration(config, setup, decoder, progress)
    test_seconds = time.perf_counter() - started

    metrics = run_metrics(config, env, training, trained.fitted["fit_error"], result)
    started = time.perf_counter()
    analyses, analysis_arrays = _field_analyses(config, setup, result, decoder, maps, run_dir)
    metrics.update(analyses)
    metrics["wall_seconds_by_part"] = {"training": training.wall_seconds, "test": test_seconds,
                                       "analyses": time.perf_counter() - started}
    arrays = {
        "decoder_window.t": recording.t[window], "decoder_window.theta": recording.theta[window],
        "decoder_window.hpc": recording.signals["hpc"][window], "decoder_window.mec": recording.signals["mec"][window],
        "decoder_window.position": positions[window],
        "test.t": result.t, "test.errors": result.errors, "test.decoded": result.decoded, "test.true": result.true,
        "test.mec": result.mec[:2],
        **analysis_arrays,
    }
    run_dir.figure("decoding", lambda path: figures.decoding(result, env, metrics, path))
    run_dir.figure("error", lambda path: figures.error_curve(result, metrics, path))
    if env.dim == 1:
        metrics["ring"] = _ring_indices(config, setup, result, order, decoder)
        arrays.update(rate_maps=maps, order=order)
        run_dir.figure("mec_activity", lambda path: figures.mec_activity(maps, order, result, path))
        blocks = conjunctive_blocks(config.n_mec, setup.stream.velocity_cells.n)
        recurrent, conjunctive = engine.weight("mec.apical<-mec"), engine.weight("mec.apical<-conjunctive")
        run_dir.figure("ring_weights", lambda path: figures.ring_weights(recurrent, conjunctive, blocks, order, path))
    else:
        metrics["ring"] = "not measured: the ring analysis needs a 1-D track"
    if config.engine == "spiking":
        arrays.update(_spiking_figures(config, setup, order, run_dir))
    return metrics, arrays


#: The path-integration study on the circuit skeleton (:func:`~hippo.experiments.circuit.run_study`).
STUDY = CircuitStudy(build=build, training=_training, fit=_fit, measure=_measure)


def run(config: Config, run_dir: RunDir, progress: bool = True, start_from: Path | None = None) -> dict:
    """Train, test path integration, run the field's analyses (gain curve, error decomposition,
    bump, topology, horizons; see :func:`_field_analyses`) and, on 1-D tracks, analyse the ring;
    return the metrics (``wall_seconds_by_part`` gives what training, test and analyses cost).

    Writes ``state.npz`` (the engine at the end of training, the test's decoder and the
    MEC rate maps; see :mod:`hippo.experiments.circuit`). With ``start_from`` (a run
    directory) the engine starts from that run's state and the training stream goes on
    where it stopped; with ``duration = 0`` the test then repeats that run's test.

    Raises:
        ConfigError: ``duration`` is 0 without ``start_from``.
    """
    return run_study(STUDY, config, run_dir, progress, start_from)


def _field_analyses(config: Config, setup: Setup, result, decoder, maps, run_dir: RunDir) -> tuple[dict, dict]:
    """The field's path-integration analyses of a trained network; returns metrics and arrays, queues figures.

    Everywhere: error horizons at 0.05 and 0.10 m, and the Betti numbers of MEC population
    vectors in the test's generative phases. On a 1-D ring also: the velocity gain curve
    (:func:`~hippo.probes.run_gain_probes`, summarised with the motion's
    Gaussian velocity distribution as weights), the error decomposition of the test trials
    (gain − 1, drift, diffusion D; fitted up to the 0.10-m horizon, at least 1 s), and the
    bump's width in the theta-mode warm-up and in generation (the FWHM of the MEC cells' tuning
    to the bump's position, :func:`~hippo.analysis.bump.tuning_width`, and the circular spread of
    every tenth sample, cells placed at their rate maps' centres); on the
    spiking engine, the bump against its spike-noise bound on both engines
    (:func:`bump_noise_on_both_engines`).
    """
    env, n = setup.env, config.n_mec
    metrics, arrays = error_horizons(result.t, result.errors), {}
    generative = result.t > 0
    persistence = persistent_homology(result.mec[:, generative].reshape(-1, n),
                                      np.random.default_rng([config.seed, TOPOLOGY_KEY]),
                                      n_points=config.topology.n_points, n_shuffles=config.topology.n_shuffles)
    metrics["topology"] = persistence.metrics()
    run_dir.figure("persistence", lambda path: figures_pi_analyses.persistence(
        persistence, path, "MEC population vectors in generative mode"))
    if not (env.dim == 1 and env.periodic):
        for name in ("gain_curve", "error_decomposition", "bump"):
            metrics[name] = "not measured: needs a 1-D ring"
        return metrics, arrays
    length = float(env.size[0])
    curve = run_gain_probes(setup.engine, setup.test_stream, decoder, config.theta, config.gain_probes,
                            [config.seed, PROBE_KEY])
    motion = config.motion
    weights = (empirical_weights(curve, setup.stream.velocity(0, setup.stream.cursor)) if motion.kind == "recorded"
               else gaussian_weights(curve, motion.speed_mean, motion.speed_std))  # a recorded path: its own velocities
    metrics["gain_curve"] = gain_curve_summary(curve, weights)
    run_dir.figure("gain_curve", lambda path: figures_pi_analyses.gain_curve(curve, path, motion.speed_mean,
                                                                             motion.speed_std))
    window_stop = min(max(metrics["horizon_10cm_s"], 1.0), float(result.t[-1]))
    decomposition = decompose_errors(result.t, result.decoded, result.true, length, fit_window=(0.0, window_stop))
    metrics["error_decomposition"] = decomposition.metrics()
    run_dir.figure("error_decomposition", lambda path: figures_pi_analyses.error_decomposition(decomposition, path))
    preferred = preferred_positions(maps, length)
    tuned = np.isfinite(preferred)
    metrics["bump"] = {}
    for name, when in (("theta", ~generative), ("generative", generative)):
        rates = result.mec[:, when][:, :, tuned]
        metrics["bump"][f"fwhm_{name}_m"] = tuning_width(rates.reshape(-1, rates.shape[2]), preferred[tuned], length)
        every_tenth = rates[:, ::10].reshape(-1, rates.shape[2])
        metrics["bump"][f"spread_{name}_m"] = float(np.nanmedian(circular_spread(every_tenth, preferred[tuned], length)))
    if config.engine == "spiking":
        metrics["bump_noise"] = bump_noise_on_both_engines(config, setup, result, decoder, preferred[tuned], tuned,
                                                           (0.0, window_stop))
        if not np.isfinite(metrics["bump_noise"]["spiking"]["d_min_m2_per_s"]):
            run_dir.warn("bump_noise.spiking.d_min_m2_per_s not measured: the tuned MEC cells fired no spikes "
                         "in the test (or no bump formed)")
    arrays.update({"gain_curve.velocities": curve.velocities, "gain_curve.bump_velocities": curve.bump_velocities,
                   "gain_curve.r_squared": curve.r_squared, "error_decomposition.tau": decomposition.tau,
                   "error_decomposition.msd": decomposition.msd})
    return metrics, arrays


def bump_noise_on_both_engines(config: Config, setup: Setup, result, decoder, preferred, tuned, fit_window) -> dict:
    """The spiking network's bump against its noise bound, and the same weights on the rate engine.

    ``spiking``: :func:`~hippo.analysis.spike_diffusion.bump_noise` of the spiking test's MEC
    rates and spikes (the tuned cells at ``preferred``; ``τ`` of the bound the synaptic time
    constants into MEC's apical compartment, which drives MEC in generation, weighted by the
    summed absolute weights, :func:`~hippo.analysis.spike_diffusion.effective_tau`; the
    diffusion fitted over ``fit_window``). ``rate``: the same network's weights loaded into
    the rate engine (no retraining) and tested on the same test trajectory: its decoded
    error at the report times, 0.10-m horizon and :func:`bump_noise` (no spikes; the
    diffusion fitted up to its own horizon, at least 1 s).
    """
    engine, length = setup.engine, float(setup.env.size[0])
    into_apical = [p for p in engine.network.projections if p.target == "mec" and p.compartment == "apical"]
    tau = effective_tau([config.spiking.synaptic_tau(p.source == p.target) for p in into_apical],
                        [engine.weight(p.name)[:, :-1] if p.bias else engine.weight(p.name) for p in into_apical])
    spiking = bump_noise(result.t, result.mec[:, :, tuned], result.true, preferred, length, fit_window,
                         result.mec_spikes[:, :, tuned], config.dt, config.spiking.rate_scale, tau)
    rate_engine = make_engine("rate", engine.network, config.dt, seed=config.seed + 1, precision=config.precision)
    with warnings.catch_warnings():  # loading a spiking state resets the rate engine's rates, as intended
        warnings.simplefilter("ignore")
        rate_engine.set_state(engine.get_state())
    test_stream = setup.stream.fresh_trajectory([config.seed, TEST_KEY])
    rate_result = run_test(rate_engine, test_stream, decoder, config.theta, config.test)
    horizon = rate_result.horizon(config.test.horizon_error)
    rate = bump_noise(rate_result.t, rate_result.mec[:, :, tuned], rate_result.true, preferred, length,
                      (0.0, min(max(horizon, 1.0), float(rate_result.t[-1]))))
    return {"spiking": spiking.metrics(), "rate": {
        **rate.metrics(), "pi_error_m": {f"{s:g}": rate_result.error_at(s)[0] for s in config.test.report_times},
        "pi_horizon_s": horizon}}


def _spiking_figures(config: Config, setup: Setup, mec_order, run_dir: RunDir) -> dict:
    """Spike-count rate maps (1-D worlds) from a theta-mode session without learning, and
    spike rasters around a switch to generative mode, on the test stream; returns their arrays."""
    engine, env, stream = setup.engine, setup.env, setup.test_stream
    pool = figures_spiking.pool_size(config.spiking.rate_scale)
    orders = {"hpc": np.arange(config.senses.n), "mec": np.arange(config.n_mec) if mec_order is None else mec_order}
    arrays = {}
    session = mapping_session(engine, stream, config.theta, config.spike_map_duration, ("hpc.spikes", "mec.spikes"))
    if env.dim == 1:
        position = session.positions()
        maps = {layer: rate_maps(session.recording.signals[f"{layer}.spikes"] / (config.dt * pool), position, env,
                                 config.ring.n_bins).maps for layer in ("hpc", "mec")}
        orders["hpc"] = ring_attractor.order_by_peak(maps["hpc"])
        run_dir.figure("spike_rate_maps", lambda path: figures_spiking.spike_rate_maps(maps, orders, path))
        arrays.update({f"spike_rate_maps.{layer}": m for layer, m in maps.items()})
    raster = spikes_around_switch(engine, stream, config.theta, ("hpc", "mec"), noise=False, record=("hpc",))
    track = raster.t, stream.position_at(raster.steps)[:, 0]
    run_dir.figure("spike_raster", lambda path: figures_spiking.raster(
        raster.spikes, orders, raster.start, raster.switch, pool, path, seed=config.seed,
        position=track if env.dim == 1 else None))
    arrays.update(figures_spiking.raster_arrays(raster.spikes, raster.start))
    return arrays


def _ring_indices(config: Config, setup: Setup, result, order, decoder) -> dict:
    """Ring-attractor indices of the trained weights, bump score in generation, zero-velocity drift (1-D tracks).

    The drift test (:func:`~hippo.probes.zero_velocity_drift`) runs on the test stream: a
    ``test.warmup``-s theta-mode warm-up, then ``ring.drift_duration`` s of pure generation.
    """
    engine, n = setup.engine, config.n_mec
    w_conj = engine.weight("mec.apical<-conjunctive")
    blocks = conjunctive_blocks(n, setup.stream.velocity_cells.n)
    ring = ring_attractor.ring_indices(engine.weight("mec.apical<-mec"), w_conj[:, blocks["+x"]], w_conj[:, blocks["-x"]],
                                       order)
    ring["bump_score"] = ring_attractor.bump_score(result.mec[:, result.t > 0].reshape(-1, n), order)
    drift = zero_velocity_drift(engine, setup.test_stream, config.theta, config.test.warmup, config.ring.drift_duration)
    ring["drift_m_per_s"] = ring_attractor.drift_m_per_s(decoder.predict(drift.signals["hpc"]), drift.t, setup.env)
    return ring


def _check_velocity_coding(config: PathIntegrationCircuit) -> None:
    """Refuse settings of another velocity coding and a push-pull or multiplicative threshold outside the
    bump (see :class:`~hippo.experiments.circuit.PathIntegrationCircuit`); the defaults are ``config``'s class's."""
    defaults = type(config)()
    coding = config.velocity_coding
    if coding in ("push-pull", "multiplicative"):
        threshold = config.conjunctive_threshold
        above_low = threshold >= 0.0 if coding == "multiplicative" else threshold > 0.0
        if not (above_low and threshold < 1.0):
            allowed = f"0 {'<=' if coding == 'multiplicative' else '<'} conjunctive_threshold < 1"
            raise ConfigError("", "conjunctive_threshold", f"{config.conjunctive_threshold:g} is not inside the "
                              f"range of MEC rates, so {coding} cells would not both fire in the bump at rest",
                              f"{allowed} with velocity_coding = '{coding}'")
        if config.velocity_gain != defaults.velocity_gain:
            raise ConfigError("", "velocity_gain", f"scales the 'paper' velocity coding only; {coding} cells "
                              "use velocity_slope", f"{defaults.velocity_gain:g} with velocity_coding = '{coding}'")
    elif config.velocity_slope != defaults.velocity_slope:
        raise ConfigError("", "velocity_slope", "sets the 'push-pull' and 'multiplicative' velocity codings only; the paper's cells "
                          "use velocity_gain", f"{defaults.velocity_slope:g} with velocity_coding = 'paper'")


def _conjunctive_directions(config: PathIntegrationCircuit, dim: int) -> int:
    """The number of conjunctive blocks of ``config`` in a ``dim``-D world; refuses directions that world cannot
    space (:func:`~hippo.circuits.wiring.preferred_directions`)."""
    try:
        return len(preferred_directions(dim, config.velocity_directions))
    except ValueError:
        raise ConfigError("", "velocity_directions", f"{config.velocity_directions} preferred directions cannot be "
                          f"spaced in pairs in a {dim}-D world", "0 (the axes), or in 2-D an even number >= 4") from None


def decoder_fit_error(env, decoder, training, wake) -> float:
    """Mean error (m) of the position decoder on the training records of its window in theta's wake
    phase (``wake``, a boolean mask of the records); NaN when there are none."""
    if not wake.any():
        return float("nan")
    recording = training.recording
    return float(decoding_error(env, decoder.predict(recording.signals["hpc"][wake]), training.positions()[wake]).mean())


def run_metrics(config, env, training, fit_error: float, result: PathIntegrationResult) -> dict:
    """The metrics every path-integration run reports, in 1-D and 2-D: the test's decoded error
    (m) at the report times with its s.e.m., before the switch and its horizon (s), chance, the
    decoder's error on its own wake window (m), the training losses (NaN when a saved network
    was tested without training) and the training's cost (simulated s, wall s, µs per step).

    Args:
        config: the experiment's config (``control``, ``test``, ``duration``, ``dt``, ``record_every``).
        env: the world.
        training: the training phase's record (empty when nothing was trained).
        fit_error: the decoder's error on its window (:func:`decoder_fit_error`, or the saved run's).
        result: the path-integration test.
    """
    recording = training.recording
    trained = len(recording.t) > 0
    record_dt = config.dt * config.record_every
    return {
        "control": config.control,
        "pi_error_m": {f"{s:g}": result.error_at(s)[0] for s in config.test.report_times},
        "pi_error_sem_m": {f"{s:g}": result.error_at(s)[1] for s in config.test.report_times},
        "pi_error_before_m": float(result.errors[:, result.t <= 0].mean()),
        "pi_horizon_s": result.horizon(config.test.horizon_error),
        "chance_error_m": chance_error(env),
        "decoder_fit_error_m": float(fit_error),
        **(loss_summary({layer: recording.loss[layer] for layer in ("hpc", "mec")}, config.duration, record_dt) if trained
           else {f"loss_{layer}_{when}": float("nan") for layer in ("hpc", "mec") for when in ("initial", "final")}),
        "sim_seconds": config.duration,
        "training_wall_seconds": training.wall_seconds,
        "us_per_step": (1e6 * training.wall_seconds / (training.stop - training.start)) if trained else float("nan"),
    }


def _check_sampling(config: PathIntegrationCircuit) -> None:
    """Refuse test windows the step cannot sample: a test warm-up or report time shorter than one step
    ``dt``, a decoder window of fewer than :data:`MIN_FIT_SAMPLES` training records (one every
    ``dt·record_every`` s)."""
    dt, test = config.dt, config.test
    if test.warmup < dt:
        raise ConfigError("", "test.warmup, dt", f"a {test.warmup:g}-s warm-up is shorter than one {dt:g}-s step, "
                          "so the senses never place the bump before the switch", f"test.warmup >= dt = {dt:g} s")
    if min(test.report_times) < dt:
        raise ConfigError("", "test.report_times, dt", f"{min(test.report_times):g} s after the switch is less than "
                          f"one {dt:g}-s step, so no sample measures it", f"report times >= dt = {dt:g} s")
    record_dt = dt * config.record_every
    if config.duration > 0 and test.decoder_window < MIN_FIT_SAMPLES * record_dt:
        raise ConfigError("", "test.decoder_window, dt, record_every",
                          f"a {test.decoder_window:g}-s decoder window holds {int(test.decoder_window / record_dt)} "
                          f"training records (one every {record_dt:g} s)",
                          f"decoder_window >= {MIN_FIT_SAMPLES * record_dt:g} s: at least {MIN_FIT_SAMPLES} records")


def _check_ring(config: Config) -> None:
    """On a ring, refuse motion without a velocity spread (the gain curve weights its probes by the
    motion's velocity distribution) and a drift test or gain probe (after its transient) of fewer
    than two steps, the least a velocity is fitted on."""
    if config.motion.speed_std == 0:
        raise ConfigError("", "motion.speed_std", "the gain curve on a ring weights its probes by the motion's "
                          "velocity distribution, which needs a spread", "> 0 m/s")
    dt, probes = config.dt, config.gain_probes
    for keys, seconds in (("ring.drift_duration, dt", config.ring.drift_duration),
                          ("gain_probes.duration, gain_probes.transient, dt", probes.duration - probes.transient)):
        if seconds < 2 * dt:
            raise ConfigError("", keys, f"{seconds:g} s to fit a velocity on is less than two {dt:g}-s steps",
                              f">= 2·dt = {2 * dt:g} s")


def validate_circuit(config: PathIntegrationCircuit, env, extra_seconds: float = 0.0) -> None:
    """Refuse, before any work, circuit settings that cannot run in the world ``env`` or would measure
    nothing: another velocity coding's settings, preferred directions the world cannot space, motion
    that cannot drive the run (:func:`~hippo.world.motion.check_motion`: an agent that never moves,
    steps longer than a place field, a bad start, a recorded path with gaps, jumps or outside the
    world), a theta rhythm above the step's Nyquist frequency, test windows the step cannot sample
    (:func:`_check_sampling`), training too short to record or to fill the decoder window, a spiking
    step that does not divide ``dt``, arrays that do not fit in memory (the trajectory holding
    ``extra_seconds`` beyond the training: an experiment's own sessions on the training stream).

    Raises:
        ConfigError: keyed by the culprit settings, without a source.
    """
    _check_velocity_coding(config)
    n_blocks = _conjunctive_directions(config, env.dim)
    check_sampled(config.theta, config.dt)
    check_motion(env, config.motion, config.dt, config.senses.width)
    if config.duration > 0:
        check_recordable(config.duration, config.dt, config.record_every)
        if config.test.decoder_window > config.duration:
            raise ConfigError("", "test.decoder_window, duration",
                              f"a decoder window of {config.test.decoder_window:g} s is longer than the "
                              f"{config.duration:g} s of training", "decoder_window <= duration")
    _check_sampling(config)
    if config.engine == "spiking":
        config.spiking.check_network_step(config.dt)
    n_hpc, n_mec = config.senses.n, config.n_mec
    weight_bytes = 4 if config.precision == "float32" else 8
    test_steps = config.test.n_trials * (config.test.warmup + config.test.generative) / config.dt
    check_memory([
        ArrayEstimate("trajectory", (config.duration + extra_seconds) / config.dt * (1 + 2 * env.dim)
                      * FLOAT_BYTES, "duration, dt"),
        ArrayEstimate("training record", config.duration / config.dt / config.record_every * (n_hpc + n_mec + 2)
                      * FLOAT_BYTES, "duration, dt"),
        ArrayEstimate("test record", test_steps * (2 * n_mec + n_hpc + 3 * env.dim) * FLOAT_BYTES, "test.n_trials, dt"),
        # weights, eligibility traces and the rule's auxiliary values; the conjunctive cells
        # (n_blocks·n_mec) connect to and from MEC
        ArrayEstimate("weights", 3 * ((1 + 2 * n_blocks) * n_mec * n_mec + 2 * n_hpc * n_mec) * weight_bytes, "n_mec"),
    ])


def validate(config: Config) -> None:
    """Refuse, before any work, settings that cannot run or would measure nothing: a missing or
    malformed environment, on a ring motion without a velocity spread and probes too short to fit
    (:func:`_check_ring`), and the circuit's problems (:func:`validate_circuit`; the trajectory
    also holds the drift test).

    Raises:
        ConfigError: keyed by the culprit settings, without a source (the environment file's
            own problems name that file).
    """
    env = load_environment_setting(config.environment, "environment")
    if env.dim == 1 and env.periodic:
        _check_ring(config)
    validate_circuit(config, env, extra_seconds=config.ring.drift_duration)
