"""Environment transfer (paper figure 4): does a learned ring attractor make a new environment faster to learn?

The path-integration network (:mod:`hippo.experiments.path_integration`) is trained in
environment A (or started from a trained run with ``--from RUN_DIR``), its path
integration measured there, and the agent moved to environment B — the same track with
a new sensory code: place fields permuted (``global``), a fraction of them redrawn
(``partial``), their amplitudes changed (``rate``), or another environment file of the
same track (``environment``). Each *arm* then relearns in B for ``relearn.duration``
seconds on the same trajectory:

* ``transfer`` — MEC recurrent and conjunctive→MEC weights frozen, HPC↔MEC plastic;
* ``no-freeze`` — every projection plastic;
* ``scratch`` — a fresh (untrained) network trained in B with the training's theta;
* ``random-attractor`` — the trained network with its MEC recurrent and conjunctive
  weights replaced by the untrained ones, frozen;
* ``broken-attractor`` — the trained recurrent weights shuffled (the ring destroyed), frozen
  with the conjunctive weights.

Path integration is measured right after the move and at every checkpoint of relearning
on a *copy* of the arm's engine: a calibration session in theta mode without learning
fits the decoder (and the rate maps) on B, then the path-integration test runs; the
arm's own engine and stream never see it, so measuring does not change what is
learned. After relearning each arm is moved back to A and measured there (interference).

Random draws: the network, A's code and training trajectory, and the test trajectory
are those of :func:`hippo.experiments.path_integration.build` with the run's seed; B's
code is drawn from ``[seed, REMAP_KEY]``, the relearning trajectory from
``[seed, RELEARN_KEY]``, the shuffle of the broken attractor from ``[seed, SHUFFLE_KEY]``.
Every measurement uses the same test trajectory (``[seed, TEST_KEY]``), in A and in B.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from hippo.analysis import remapping
from hippo.analysis.spatial import rate_maps
from hippo.analysis.losses import check_recordable, loss_summary
from hippo.analysis.path_integration import make_decoder
from hippo.circuits.engine import Recording
from hippo.config import bounds, names_file, preset_defaults
from hippo.errors import ConfigError
from hippo.experiments.transfer import figures
from hippo.experiments import path_integration
from hippo.experiments.path_integration import TEST_KEY
from hippo.experiments.circuit import refuse_untrained, restore, save
from hippo.io.run_state import check_unchanged
from hippo.io import RunDir
from hippo.learning.schedule import BlockSchedule
from hippo.probes import mapping_session, run_test
from hippo.protocol import Phase, run_phases
from hippo.world.gridworld import load_environment, load_environment_setting
from hippo.world.motion import SPEED_SIGMAS, check_step, top_speed
from hippo.world.stream import Stream

ARMS = ("transfer", "no-freeze", "scratch", "random-attractor", "broken-attractor")

#: The attractor: MEC's recurrent and conjunctive (velocity × MEC) inputs.
ATTRACTOR = ("mec.apical<-mec", "mec.apical<-conjunctive")

#: Projections each arm keeps frozen while relearning in B.
FROZEN = {"transfer": ATTRACTOR, "no-freeze": (), "scratch": (), "random-attractor": ATTRACTOR,
          "broken-attractor": ATTRACTOR}

#: HPC → MEC (MEC basal) weights, kept or re-initialised at the move.
HPC_TO_MEC = "mec.basal<-hpc"

#: Keys of B's random draws (after the path-integration experiment's 0–2): B's code, the
#: relearning trajectory, the broken attractor's shuffle.
REMAP_KEY, RELEARN_KEY, SHUFFLE_KEY = 3, 4, 5

#: Theta above which a calibration record counts as wake (for rate maps).
WAKE = 0.5

#: Seconds of relearning at a constant learning rate when the rate is annealed (the blocks of
#: :func:`relearning_schedule`).
ANNEAL_BLOCK_S = 30.0


@dataclass(frozen=True)
@preset_defaults("transfer.toml", table="move")
class MoveConfig:
    """What changes between A and B, and what happens to the network at the move.

    Attributes:
        remapping: ``"global"`` (every place field moved: centres redrawn and shuffled),
            ``"partial"`` (a ``fraction`` of the features remapped, the rest kept),
            ``"rate"`` (fields kept, amplitudes multiplied by gains uniform in
            ``[1 − rate_change, 1 + rate_change]``) or ``"environment"`` (the code of
            ``environment``, another file of the same track).
        fraction: partial remapping: fraction of features remapped.
        rate_change: rate remapping: half-width of the gains' range.
        environment: environment B (name or file) for ``remapping = "environment"``.
        hpc_to_mec: ``"kept"`` (the weights learned in A) or ``"reinitialised"`` (the
            untrained network's) HPC → MEC weights at the move.
        reset: zero rates, compartment states, noise and eligibility traces at the move.
    """

    remapping: Literal["global", "partial", "rate", "environment"]
    fraction: float = field(metadata=bounds(gt=0.0, max=1.0))
    rate_change: float = field(metadata=bounds(min=0.0, max=1.0))
    environment: str = field(metadata=names_file())
    hpc_to_mec: Literal["kept", "reinitialised"]
    reset: bool


@dataclass(frozen=True)
@preset_defaults("transfer.toml", table="relearn")
class RelearnConfig:
    """Relearning in B (seconds, m/s).

    Attributes:
        duration: seconds of relearning.
        checkpoints: seconds of relearning at which path integration is measured (0:
            right after the move, without learning); the last must be ``duration``.
        wake_fraction: theta's wake fraction while relearning (the training's is the
            paper's 0.5); lower values leave the attractor in generative mode for more
            of each cycle. The square gate is awake on the steps whose cycle phase is
            below it, so with 8 steps per cycle any value in (0, 0.125] is one step.
        speed_mean: the agent's mean velocity while relearning (drift; the test's motion
            is the training's).
        learning_rate_factor: learning rates at the start of relearning, as a factor of
            the configured ones (every arm, the scratch arm included).
        final_factor: the learning rate falls geometrically, in steps of
            :data:`ANNEAL_BLOCK_S` seconds of relearning, to ``final_factor`` × its start over
            ``anneal_duration`` seconds, and stays there (1: constant; :func:`relearning_schedule`).
        anneal_duration: seconds of relearning over which the rate falls.
        arms: the arms to run, in this order.
        criterion_m: time to criterion is the first checkpoint whose 1 s error is at most
            this (metres) ...
        criterion_ratio: ... and at most this many times the 1 s error in A.
    """

    duration: float = field(metadata=bounds(gt=0.0))
    checkpoints: tuple[float, ...]
    wake_fraction: float = field(metadata=bounds(gt=0.0, max=1.0))
    speed_mean: float
    learning_rate_factor: float = field(metadata=bounds(gt=0.0))
    final_factor: float = field(metadata=bounds(gt=0.0, max=1.0))
    anneal_duration: float = field(metadata=bounds(gt=0.0))
    arms: tuple[str, ...]
    criterion_m: float = field(metadata=bounds(gt=0.0))
    criterion_ratio: float = field(metadata=bounds(gt=0.0))


@dataclass(frozen=True)
@preset_defaults("transfer.toml")
class Config:
    """Environment transfer. Times in seconds, distances in metres.

    ``network`` is the path-integration experiment's configuration: the network, its
    training in A (``network.duration``; with ``--from`` training goes on for that long,
    0 to take the saved network as it is) and the path-integration test
    (``network.test``: its ``decoder_window`` is the calibration session's length).
    ``seed`` seeds everything; ``network.seed`` must stay 0. The defaults are read from
    ``transfer.toml``; the keys its ``[network]`` table leaves out are the path-integration
    experiment's (``path-integration.toml``).
    """

    experiment: str
    seed: int
    network: path_integration.Config
    move: MoveConfig
    relearn: RelearnConfig


# ----------------------------------------------------------------------- B's code
@dataclass(frozen=True, eq=False)
class ScaledCode:
    """A code whose features are another code's times fixed gains (rate remapping)."""

    base: object
    gains: np.ndarray

    @property
    def n(self) -> int:
        return self.base.n

    def rates_at(self, position: np.ndarray) -> np.ndarray:
        """Rates ``(T, n)`` at positions ``(T, dim)`` metres."""
        return self.base.rates_at(position) * self.gains


def remapped_code(encoder, move: MoveConfig, seed) -> object:
    """B's sensory code, remapped from A's ``encoder`` as ``move`` says (``global``, ``partial``, ``rate``).

    Args:
        encoder: A's encoder (place cells for ``partial`` and ``rate``).
        move: the move's settings.
        seed: seeds the draw (anything :class:`numpy.random.SeedSequence` takes).
    """
    remap_seed, choice_seed = np.random.SeedSequence(seed).spawn(2)
    if move.remapping == "global":
        return encoder.remap(remap_seed)
    rng = np.random.default_rng(choice_seed)
    if move.remapping == "partial":
        moved = rng.permutation(encoder.n)[:int(round(move.fraction * encoder.n))]
        centres = encoder.centres.copy()
        centres[moved] = encoder.remap(remap_seed).centres[moved]
        return replace(encoder, centres=centres)
    return ScaledCode(encoder, rng.uniform(1.0 - move.rate_change, 1.0 + move.rate_change, encoder.n))


@dataclass
class Worlds:
    """Streams of A and B.

    Attributes:
        env_a, env_b: the worlds (the same track unless B is another environment file).
        code_a, code_b: streams carrying each world's code (their trajectories are not read).
        relearn: B's relearning stream (its own trajectory, with the relearning drift).
    """

    env_a: object
    env_b: object
    code_a: Stream
    code_b: Stream
    relearn: Stream


def build_worlds(config: Config, setup: path_integration.Setup) -> Worlds:
    """A's and B's streams for the built path-integration study ``setup``."""
    a = setup.stream
    scale = a.velocity_cells.scale
    if config.move.remapping == "environment":
        env_b = load_environment(config.move.environment)
        code_b = Stream.build(env_b, a.dt, a.senses_config, a.motion_config, [config.seed, REMAP_KEY], velocity_scale=scale)
    else:
        env_b = setup.env
        code_b = replace(a, encoder=remapped_code(a.encoder, config.move, [config.seed, REMAP_KEY]), cursor=0)
    drift = replace(a.motion_config, speed_mean=config.relearn.speed_mean)
    relearn = replace(Stream.build(env_b, a.dt, a.senses_config, drift, [config.seed, RELEARN_KEY], velocity_scale=scale),
                      encoder=code_b.encoder)
    return Worlds(setup.env, env_b, a, code_b, relearn)


# ------------------------------------------------------------------- measurement
@dataclass
class Measurement:
    """Path integration of a network in one world, measured on a copy of its engine.

    Attributes:
        result: the path-integration test (:class:`~hippo.analysis.path_integration.PathIntegrationResult`).
        maps: ``"hpc"``/``"mec"`` → ``(n_cells, n_bins)`` rate maps of the calibration's wake records.
        loss: ``"hpc"``/``"mec"`` → mean loss over the calibration session (no learning).
    """

    result: object
    maps: dict[str, np.ndarray]
    loss: dict[str, float]

    def errors(self, times) -> tuple[dict[str, float], dict[str, float]]:
        """Mean and s.e.m. (over trials) of the error at ``times`` seconds after the switch, keyed ``"<t>s"``."""
        pairs = {f"{t:g}s": self.result.error_at(t) for t in times}
        return {k: v[0] for k, v in pairs.items()}, {k: v[1] for k, v in pairs.items()}


def measure(config: Config, engine, code: Stream, env) -> Measurement:
    """Path integration of ``engine``'s network in the world of ``code``, on a copy of the engine.

    A calibration session of ``network.test.decoder_window`` seconds in theta mode
    (learning off, noise on) fits a decoder of HPC rates and the rate maps; then the
    path-integration test runs. Both read the test trajectory ``[seed, TEST_KEY]`` from
    its start, so every measurement sees the same trials.
    """
    network = config.network
    probe = engine.copy()
    stream = code.fresh_trajectory([config.seed, TEST_KEY])
    calibration = mapping_session(probe, stream, network.theta, network.test.decoder_window, ("hpc", "mec"),
                                  name="calibration")
    recording, position = calibration.recording, calibration.positions()
    decoder = make_decoder(network.test.decoder, env).fit(recording.signals["hpc"], position)
    wake = recording.theta > WAKE
    maps = ({layer: rate_maps(recording.signals[layer][wake], position[wake], env, network.ring.n_bins).maps
             for layer in ("hpc", "mec")} if env.dim == 1 else {})
    result = run_test(probe, stream, decoder, network.theta, network.test)
    return Measurement(result, maps, {layer: float(np.mean(recording.loss[layer])) for layer in ("hpc", "mec")})


# ------------------------------------------------------------------------- arms
def circuit(config: Config):
    """The config key naming the engine, the engine kind and the network a run of ``config`` builds
    (for :func:`hippo.experiments.resolve`, which asks the engine before any work)."""
    key, kind, network = path_integration.circuit(replace(config.network, seed=config.seed))
    return f"network.{key}", kind, network


def arm_engine(config: Config, arm: str, trained, fresh):
    """The engine an arm relearns with: a copy of the ``trained`` engine (or of the
    ``fresh``, untrained one for ``scratch``) with the arm's and the move's changes."""
    engine = (fresh if arm == "scratch" else trained).copy()
    state = engine.get_state()
    initial = fresh.get_state()
    if arm == "random-attractor":
        for name in ATTRACTOR:
            state[f"weight:{name}"] = initial[f"weight:{name}"]
    if arm == "broken-attractor":
        recurrent = state[f"weight:{ATTRACTOR[0]}"]
        rng = np.random.default_rng([config.seed, SHUFFLE_KEY])
        state[f"weight:{ATTRACTOR[0]}"] = rng.permutation(recurrent.ravel()).reshape(recurrent.shape)
    if arm != "scratch" and config.move.hpc_to_mec == "reinitialised":
        state[f"weight:{HPC_TO_MEC}"] = initial[f"weight:{HPC_TO_MEC}"]
    engine.set_state(state)
    if config.move.reset:
        engine.reset_state()
    return engine


def relearning_theta(config: Config, arm: str):
    """Theta while relearning: the training's for ``scratch``, with ``relearn.wake_fraction`` for the others."""
    theta = config.network.theta
    return theta if arm == "scratch" else replace(theta, wake_fraction=config.relearn.wake_fraction)


@dataclass
class ArmRecord:
    """One arm's relearning.

    Attributes:
        checkpoints: measurements by checkpoint (seconds of relearning).
        recording: the relearning's record (losses, HPC and MEC rates), stream-local steps.
        back_in_a: the relearned network measured in A (interference).
    """

    checkpoints: dict[float, Measurement]
    recording: Recording
    back_in_a: Measurement


def relearning_schedule(config: RelearnConfig) -> BlockSchedule:
    """The learning rate over the whole relearning: ``learning_rate_factor`` × the configured rates,
    annealed to ``final_factor`` × that over ``anneal_duration`` seconds in blocks of
    :data:`ANNEAL_BLOCK_S` seconds (every arm, the scratch arm included)."""
    return BlockSchedule(block=ANNEAL_BLOCK_S, span=config.anneal_duration, start=config.learning_rate_factor,
                         final_factor=config.final_factor)


def relearning_phase(config: Config, arm: str, worlds: Worlds, name: str, duration: float, label: str | None = None,
                     offset: float = 0.0):
    """A stretch of ``duration`` seconds of the arm's relearning in B (its theta, its frozen projections), from
    ``offset`` seconds into the relearning on (the learning rate of :func:`relearning_schedule` there)."""
    schedule = replace(relearning_schedule(config.relearn), offset=offset)
    return Phase(name, duration, worlds.relearn, relearning_theta(config, arm), learn=True, frozen=FROZEN[arm],
                 schedule=schedule, record=("hpc", "mec"), record_every=config.network.record_every, label=label)


def relearn(config: Config, arm: str, engine, worlds: Worlds, progress: bool = False) -> ArmRecord:
    """Relearn ``engine`` in B as the arm says, checkpoint by checkpoint.

    Relearning runs as one learning phase (:func:`relearning_phase`) from each checkpoint to the
    next on the relearning stream, read from its start; at each checkpoint the network is measured
    on a copy (:func:`measure`) and, at the end, moved back to A and measured there.
    """
    worlds.relearn.cursor = 0
    records, checkpoints, done = [], {}, 0.0
    for k, stop in enumerate(config.relearn.checkpoints):
        phase = relearning_phase(config, arm, worlds, f"relearn {k}", stop - done,
                                 f"{arm}: relearning to {stop / 60:g} min", offset=done)
        recording = run_phases(engine, [phase], progress)[phase.name].recording
        if len(recording.t):
            records.append(recording)
        checkpoints[stop] = measure(config, engine, worlds.code_b, worlds.env_b)
        done = stop
    back = measure(config, engine, worlds.code_a, worlds.env_a)
    return ArmRecord(checkpoints, Recording.concatenate(records), back)


# --------------------------------------------------------------------- metrics
def time_to_criterion(checkpoints: list[float], errors_1s: list[float], error_in_a: float, config: RelearnConfig) -> float:
    """Minutes of relearning to the first checkpoint whose 1 s error is at most ``criterion_m``
    and at most ``criterion_ratio`` × the 1 s error in A; NaN if none is."""
    threshold = min(config.criterion_m, config.criterion_ratio * error_in_a)
    reached = [c for c, e in zip(checkpoints, errors_1s) if e <= threshold]
    return reached[0] / 60.0 if reached else float("nan")


def arm_metrics(config: Config, record: ArmRecord, in_a: Measurement) -> dict:
    """Per-checkpoint errors, time to criterion, area under the curve, losses, interference and remapping indices."""
    times = config.network.test.report_times
    checkpoints = sorted(record.checkpoints)
    errors, sems = {}, {}
    for c in checkpoints:
        errors[f"{c / 60:g}min"], sems[f"{c / 60:g}min"] = record.checkpoints[c].errors(times)
    first = f"{times[0]:g}s"
    curve = [record.checkpoints[c].errors(times[:1])[0][first] for c in checkpoints]
    a_error = in_a.errors(times[:1])[0][first]
    ttc = time_to_criterion(checkpoints, curve, a_error, config.relearn)
    minutes = np.array(checkpoints) / 60.0
    last = record.checkpoints[checkpoints[-1]]
    learned = record.recording
    record_dt = config.network.dt * config.network.record_every
    metrics = {
        "pi_error_m": errors,
        "pi_error_sem_m": sems,
        "time_to_criterion_min": ttc,
        "reached_criterion": float(np.isfinite(ttc)),
        "auc_m_min": float(np.sum(np.diff(minutes) * (np.array(curve[1:]) + np.array(curve[:-1])) / 2)),
        "final_minus_a_m": {t: last.errors(times)[0][t] - in_a.errors(times)[0][t] for t in last.errors(times)[0]},
        "calibration_loss_after_move": record.checkpoints[checkpoints[0]].loss,
        "calibration_loss_final": last.loss,
        "interference_m": record.back_in_a.errors(times)[0],
    }
    if len(learned.t) and config.relearn.duration > 0:
        metrics["relearning_loss"] = loss_summary(learned.loss, config.relearn.duration, record_dt)
    if in_a.maps:
        metrics["remapping"] = {
            layer: remapping.summary(in_a.maps[layer], last.maps[layer]) for layer in ("hpc", "mec")}
    return metrics


# ------------------------------------------------------------------------- run
def run(config: Config, run_dir: RunDir, progress: bool = True, start_from: Path | None = None) -> dict:
    """Train in A, measure, move to B and relearn every arm, measuring at checkpoints; return the metrics.

    Writes ``state.npz`` (the engine at the end of training in A and where its stream
    stopped), ``arrays.npz`` (A's training losses, every arm's relearning losses and
    checkpoint errors, rate maps) and the figures.

    Raises:
        ConfigError: ``network.duration`` is 0 without ``start_from``.
    """
    refuse_untrained(config.network.duration, start_from, "network.duration")
    network = replace(config.network, seed=config.seed)
    setup = path_integration.build(network)
    fresh = path_integration.build(network).engine
    restore(start_from, setup.engine, setup.stream)
    training = run_phases(setup.engine, [path_integration.training_phase(network, setup, label="training in A")],
                          progress)["training"]
    save(run_dir, setup.engine.get_state(), setup.engine.network, setup.stream, {})
    worlds = build_worlds(config, setup)
    in_a = measure(config, setup.engine, worlds.code_a, worlds.env_a)
    times = network.test.report_times
    a_errors, a_sems = in_a.errors(times)
    records = {}
    for arm in config.relearn.arms:
        engine = arm_engine(config, arm, setup.engine, fresh)
        records[arm] = relearn(config, arm, engine, worlds, progress=progress)
    arms = {arm: arm_metrics(config, record, in_a) for arm, record in records.items()}
    metrics = {
        "pi_error_in_a_m": a_errors,
        "pi_error_in_a_sem_m": a_sems,
        "arms": arms,
        **_comparisons(config, arms),
        **(loss_summary(training.recording.loss, network.duration, network.dt * network.record_every)
           if len(training.recording.t) else {}),
        "training_wall_seconds": training.wall_seconds,
    }
    arrays = _arrays(config, training.recording, in_a, records)
    run_dir.write_arrays("arrays", arrays)
    run_dir.figure("figure4", lambda path: figures.figure4(arrays, config.relearn.arms, path))
    run_dir.figure("relearning_curves", lambda path: figures.relearning_curves(arrays, config.relearn.arms, metrics, path))
    if in_a.maps:
        run_dir.figure("mec_rate_maps", lambda path: figures.mec_rate_maps(arrays, config.relearn.arms, path))
    return metrics


def _comparisons(config: Config, arms: dict) -> dict:
    """Transfer against scratch: gain in 1 s error at the checkpoint nearest 10 min, and the speed-up to criterion."""
    if "transfer" not in arms or "scratch" not in arms:
        return {}
    first = f"{config.network.test.report_times[0]:g}s"
    nearest = min(config.relearn.checkpoints, key=lambda c: abs(c - 600.0))
    key = f"{nearest / 60:g}min"
    transfer, scratch = arms["transfer"], arms["scratch"]
    return {
        "transfer_gain_m": scratch["pi_error_m"][key][first] - transfer["pi_error_m"][key][first],
        "transfer_gain_at_min": nearest / 60.0,
        "speedup_vs_scratch": scratch["time_to_criterion_min"] / transfer["time_to_criterion_min"]
        if transfer["time_to_criterion_min"] > 0 else float("nan"),
    }


def _arrays(config: Config, training: Recording, in_a: Measurement, records: dict[str, ArmRecord]) -> dict:
    """Everything the figures draw: A's losses, per arm the relearning losses, checkpoint errors and maps."""
    checkpoints = np.array(sorted(config.relearn.checkpoints))
    arrays = {"train.t": training.t, "train.loss.hpc": training.loss.get("hpc", np.zeros(0)),
              "train.loss.mec": training.loss.get("mec", np.zeros(0)), "checkpoints_s": checkpoints,
              "test.t": in_a.result.t, "in_a.errors": in_a.result.errors}
    arrays.update({f"in_a.maps.{layer}": m for layer, m in in_a.maps.items()})
    for arm, record in records.items():
        arrays[f"{arm}.relearn.t"] = record.recording.t
        for layer in ("hpc", "mec"):
            arrays[f"{arm}.relearn.loss.{layer}"] = record.recording.loss[layer]
        arrays[f"{arm}.errors"] = np.stack([record.checkpoints[c].result.errors for c in checkpoints])
        arrays[f"{arm}.back_in_a.errors"] = record.back_in_a.result.errors
        for layer, m in record.checkpoints[checkpoints[-1]].maps.items():
            arrays[f"{arm}.maps.{layer}"] = m
        for layer, m in record.checkpoints[checkpoints[0]].maps.items():
            arrays[f"{arm}.maps_after_move.{layer}"] = m
    return arrays


def check_start(config: Config, saved: dict) -> None:
    """Refuse, before any work, a run from a saved transfer run that changes a setting of the network its
    state depends on (:data:`~hippo.experiments.path_integration.STATE_SETTINGS`, under ``network``);
    the decoder and rate maps are calibrated anew at every measurement.

    Raises:
        ConfigError: naming ``--set``, the key, its saved value and why.
    """
    check_unchanged(saved, config, {f"network.{key}": why for key, why in path_integration.STATE_SETTINGS.items()})


def validate(config: Config) -> None:
    """Refuse, before any work, settings that cannot run: the network's own problems (see
    :func:`hippo.experiments.path_integration.validate`), a relearning drift whose steps are longer
    than a place field (:func:`~hippo.world.motion.check_step`), a ``network.seed``, unknown or
    repeated arms, checkpoints that are not increasing from 0 to ``relearn.duration``,
    partial or rate remapping of a code without place fields, a B that is not the same track.

    Raises:
        ConfigError: keyed by the culprit settings, without a source.
    """
    network = config.network
    try:
        path_integration.validate(network)
    except ConfigError as error:
        raise (error if error.source else error.located("", "network")) from None
    if network.seed != 0:
        raise ConfigError("", "network.seed", f"value {network.seed}; the run's seed seeds everything",
                          "0 (set the top-level seed or --seed)")
    if network.motion.kind == "smooth":
        drift = replace(network.motion, speed_mean=config.relearn.speed_mean)
        check_step(top_speed(drift) * network.dt, network.dt, network.senses.width,
                   "relearn.speed_mean, network.motion.speed_std, network.dt, network.senses.width",
                   f"while relearning, at |relearn.speed_mean| + {SPEED_SIGMAS:g}·speed_std the agent")
    unknown = [arm for arm in config.relearn.arms if arm not in ARMS]
    if unknown or len(set(config.relearn.arms)) != len(config.relearn.arms) or not config.relearn.arms:
        raise ConfigError("", "relearn.arms", f"{list(config.relearn.arms)} has unknown, repeated or no arms",
                          "distinct arms among " + ", ".join(ARMS))
    checkpoints = config.relearn.checkpoints
    if (not checkpoints or checkpoints[0] != 0.0 or checkpoints[-1] != config.relearn.duration
            or any(b <= a for a, b in zip(checkpoints, checkpoints[1:]))):
        raise ConfigError("", "relearn.checkpoints, relearn.duration",
                          f"checkpoints {list(checkpoints)} for {config.relearn.duration:g} s of relearning",
                          "increasing seconds from 0 to relearn.duration")
    try:
        check_recordable(config.relearn.duration, network.dt, network.record_every)
    except ConfigError as error:
        raise ConfigError("", "relearn.duration, network.record_every", error.problem.replace("training", "relearning"),
                          error.allowed) from None
    if config.move.remapping in ("partial", "rate") and network.senses.kind != "place":
        raise ConfigError("", "move.remapping, network.senses.kind",
                          f"{config.move.remapping} remapping changes place fields; the senses are {network.senses.kind!r}",
                          "global or environment remapping, or place senses")
    if config.move.remapping == "environment":
        if not config.move.environment:
            raise ConfigError("", "move.remapping, move.environment", "no environment B given for environment remapping",
                              "an environment name or file")
        env_a = load_environment_setting(network.environment, "network.environment")
        env_b = load_environment_setting(config.move.environment, "move.environment")
        if env_b.dim != env_a.dim or tuple(env_b.size) != tuple(env_a.size) or env_b.periodic != env_a.periodic:
            raise ConfigError("", "move.environment", f"{config.move.environment!r} is not the same track as "
                              f"{network.environment!r}", "an environment of the same size, dimension and boundary")
