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

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from hippo.analysis import ring_attractor
from hippo.analysis.decoding import chance_error, decoding_error
from hippo.analysis.losses import check_recordable, loss_summary
from hippo.analysis.path_integration import PathIntegrationTestConfig, make_decoder, run_test
from hippo.circuits.activations import Activation
from hippo.circuits.engines import make_engine
from hippo.circuits.spec import Noise
from hippo.circuits.spiking_config import SpikingConfig
from hippo.circuits.wiring import PathIntegratorProjections, PyramidalConfig, path_integrator_network
from hippo.config import bounds, names_file
from hippo.errors import ConfigError
from hippo.experiments import figures_path_integration as figures
from hippo.experiments import figures_spiking
from hippo.io import RunDir
from hippo.learning.schedule import ScheduleConfig, train
from hippo.progress import Progress
from hippo.resources import FLOAT_BYTES, ArrayEstimate, check_memory
from hippo.theta import GENERATION, INFERENCE, ThetaConfig
from hippo.world.gridworld import load_environment, load_environment_setting
from hippo.world.motion import MotionConfig, generate_motion, start_position
from hippo.world.senses import SensesConfig, VelocityCells, build_senses

CONTROLS = ("none", "no-theta", "no-velocity", "untrained")


@dataclass(frozen=True)
class RingAnalysisConfig:
    """Ring-attractor analysis: rate-map bins and the zero-velocity drift test (seconds)."""

    n_bins: int = field(default=100, metadata=bounds(min=4))
    drift_duration: float = field(default=20.0, metadata=bounds(gt=0.0))


@dataclass(frozen=True)
class Config:
    """Experiment B. Times in seconds, distances in metres.

    The defaults are those of ``path-integration.toml`` (what ``hippo run path-integration``
    runs); ``tests/test_defaults.py`` keeps the two equal.
    """

    experiment: str = "path-integration"
    seed: int = 0
    engine: Literal["rate", "spiking"] = "rate"
    precision: Literal["float32", "float64"] = "float32"
    spiking: SpikingConfig = SpikingConfig(rate_scale=1000.0, max_rate=5000.0)
    control: Literal["none", "no-theta", "no-velocity", "untrained"] = "none"
    environment: str = field(default="ring-1m", metadata=names_file())
    duration: float = field(default=7200.0, metadata=bounds(gt=0.0))
    dt: float = field(default=0.025, metadata=bounds(gt=0.0))
    record_every: int = field(default=10, metadata=bounds(min=1))
    n_mec: int = field(default=100, metadata=bounds(min=2))
    conjunctive_threshold: float = 1.0
    velocity_gain: float = field(default=1.0, metadata=bounds(gt=0.0))
    spike_map_duration: float = field(default=120.0, metadata=bounds(gt=0.0))
    motion: MotionConfig = MotionConfig()
    senses: SensesConfig = SensesConfig()
    theta: ThetaConfig = ThetaConfig()
    hpc: PyramidalConfig = PyramidalConfig(basal_noise=Noise(0.03, 0.3), apical_noise=Noise(0.03, 0.3))
    mec: PyramidalConfig = PyramidalConfig(basal=Activation("retanh"), apical=Activation("retanh"),
                                           basal_noise=Noise(0.03, 0.3), apical_noise=Noise(0.03, 0.3))
    projections: PathIntegratorProjections = PathIntegratorProjections()
    schedule: ScheduleConfig = ScheduleConfig(final_factor=0.1)
    test: PathIntegrationTestConfig = PathIntegrationTestConfig()
    ring: RingAnalysisConfig = RingAnalysisConfig()


def _training_theta(config: Config) -> ThetaConfig:
    return INFERENCE if config.control == "no-theta" else config.theta


@dataclass
class Setup:
    """A built path-integration study: world, whole-run trajectory, encoders and engine.

    ``senses`` may be replaced (e.g. by ``senses.remap(seed)``) between runs: the input
    functions read the current encoder.
    """

    env: object
    trajectory: object
    senses: object
    velocity: VelocityCells
    engine: object

    def inputs(self, start: int, stop: int) -> dict:
        """Place features and velocity cells for global steps ``start:stop``."""
        return {"features": self.senses.encode(self.trajectory, start, stop),
                "velocity": self.velocity.encode(self.trajectory, start, stop)}

    def still(self, start: int, stop: int) -> dict:
        """The same with the velocity input silenced (for the drift test)."""
        return {**self.inputs(start, stop), "velocity": np.zeros((stop - start, self.velocity.n))}


def build(config: Config, seconds: float) -> Setup:
    """World, ``seconds`` of trajectory, encoders, network and engine of ``config``."""
    rng = np.random.default_rng(config.seed)
    env = load_environment(config.environment)
    trajectory = generate_motion(env, seconds + 1.0, config.dt, config.motion, rng)
    senses = build_senses(env, config.senses, len(trajectory), config.dt, rng)
    velocity = VelocityCells(env.dim, (abs(config.motion.speed_mean) + config.motion.speed_std) / config.velocity_gain)
    network = path_integrator_network(senses.n, config.n_mec, velocity.n, config.hpc, config.mec,
                                      config.conjunctive_threshold, config.projections, rng,
                                      velocity_input=config.control != "no-velocity")
    engine = make_engine(config.engine, network, config.dt, seed=config.seed + 1, precision=config.precision,
                         spiking=config.spiking)
    return Setup(env, trajectory, senses, velocity, engine)


def train_network(config: Config, setup: Setup, duration: float, label: str, progress: bool, learn: bool = True):
    """Train for ``duration`` seconds with the config's theta gate and schedule, showing progress."""
    bar = Progress(duration, label, enabled=progress)
    try:
        return train(setup.engine, duration, setup.inputs, _training_theta(config), config.schedule, learn=learn,
                     record=("hpc", "mec"), record_every=config.record_every,
                     progress=lambda done, losses: bar.update(done, **losses))
    finally:
        bar.close()


def fit_decoder(config: Config, setup: Setup, training):
    """The test's decoder, fitted on HPC activity of the last ``decoder_window`` seconds of ``training``."""
    window = training.t > training.t[-1] - config.test.decoder_window
    positions = setup.trajectory.position[training.steps[window]]
    return make_decoder(config.test.decoder, setup.env).fit(training.signals["hpc"][window], positions), window


def measure_path_integration(config: Config, setup: Setup, decoder, progress: bool, n_trials: int | None = None):
    """The path-integration test (``n_trials`` overrides the config's number of trials)."""
    test_config = config.test if n_trials is None else replace(config.test, n_trials=n_trials)
    bar = Progress(test_config.n_trials, "path-integration test", enabled=progress)
    try:
        return run_test(setup.engine, setup.inputs, setup.trajectory.position, decoder, setup.env, config.theta,
                        test_config, progress=lambda done: bar.update(done))
    finally:
        bar.close()


def run(config: Config, run_dir: RunDir, progress: bool = True) -> dict:
    """Train, test path integration and (on 1-D tracks) analyse the ring; return the metrics."""
    test_seconds = config.test.n_trials * (config.test.warmup + config.test.generative)
    spiking_seconds = config.spike_map_duration + sum(figures_spiking.RASTER_SECONDS) if config.engine == "spiking" else 0.0
    setup = build(config, config.duration + test_seconds + config.test.warmup + config.ring.drift_duration + spiking_seconds)
    env, trajectory, engine = setup.env, setup.trajectory, setup.engine
    label = f"training ({config.control})" if config.control != "none" else "training"
    training = train_network(config, setup, config.duration, label, progress, learn=config.control != "untrained")
    train_wall = engine.last_run_seconds
    decoder, window = fit_decoder(config, setup, training)
    result = measure_path_integration(config, setup, decoder, progress)

    wake = window & (training.theta > 0.5)
    fit_error = decoding_error(env, decoder.predict(training.signals["hpc"][wake]), trajectory.position[training.steps[wake]])
    metrics = {
        "control": config.control,
        "pi_error_m": {f"{s:g}": result.error_at(s)[0] for s in config.test.report_times},
        "pi_error_sem_m": {f"{s:g}": result.error_at(s)[1] for s in config.test.report_times},
        "pi_error_before_m": float(result.errors[:, result.t <= 0].mean()),
        "pi_horizon_s": result.horizon(config.test.horizon_error),
        "chance_error_m": chance_error(env),
        "decoder_fit_error_m": float(fit_error.mean()),
        **loss_summary({layer: training.loss[layer] for layer in ("hpc", "mec")}, config.duration,
                       config.dt * config.record_every),
        "sim_seconds": config.duration,
        "wall_seconds": train_wall,
        "us_per_step": 1e6 * train_wall / max(1, int(round(config.duration / config.dt))),
    }
    arrays = {
        "train.t": training.t, "train.loss.hpc": training.loss["hpc"], "train.loss.mec": training.loss["mec"],
        "decoder_window.t": training.t[window], "decoder_window.theta": training.theta[window],
        "decoder_window.hpc": training.signals["hpc"][window], "decoder_window.mec": training.signals["mec"][window],
        "decoder_window.position": trajectory.position[training.steps[window]],
        "test.t": result.t, "test.errors": result.errors, "test.decoded": result.decoded, "test.true": result.true,
        "test.mec": result.mec[:2],
    }
    run_dir.figure("decoding", lambda path: figures.decoding(result, env, metrics, path))
    run_dir.figure("error", lambda path: figures.error_curve(result, metrics, path))
    run_dir.figure("loss", lambda path: figures.loss_curves(training, path))
    if env.dim == 1:
        maps = ring_attractor.rate_maps(training.signals["mec"][wake], trajectory.position[training.steps[wake]], env,
                                        config.ring.n_bins)
        order = ring_attractor.order_by_peak(maps)
        metrics["ring"] = _ring_indices(config, env, engine, result, order, decoder, setup.still)
        arrays.update(rate_maps=maps, order=order)
        run_dir.figure("mec_activity", lambda path: figures.mec_activity(maps, order, result, path))
        recurrent, conjunctive = engine.weight("mec.apical<-mec"), engine.weight("mec.apical<-conjunctive")
        run_dir.figure("ring_weights", lambda path: figures.ring_weights(recurrent, conjunctive, order, config.n_mec, path))
    else:
        metrics["ring"] = "not measured: the ring analysis needs a 1-D track"
    if config.engine == "spiking":
        arrays.update(_spiking_figures(config, setup, arrays.get("order"), run_dir))
    run_dir.write_arrays("arrays", arrays)
    run_dir.write_arrays("weights", engine.all_weights())
    return metrics


def _spiking_figures(config: Config, setup: Setup, mec_order, run_dir: RunDir) -> dict:
    """Spike-count rate maps (1-D worlds) from a theta-mode session without learning, and
    spike rasters around a switch to generative mode; returns their arrays."""
    engine, env = setup.engine, setup.env
    pool = figures_spiking.pool_size(config.spiking.rate_scale)
    orders = {"hpc": np.arange(config.senses.n), "mec": np.arange(config.n_mec) if mec_order is None else mec_order}
    arrays = {}
    session = engine.run(config.spike_map_duration, setup.inputs, config.theta, learn=False,
                         record=("hpc.spikes", "mec.spikes"), record_every=1)
    if env.dim == 1:
        position = setup.trajectory.position[session.steps]
        maps = {layer: ring_attractor.rate_maps(session.signals[f"{layer}.spikes"] / (config.dt * pool), position, env,
                                                config.ring.n_bins) for layer in ("hpc", "mec")}
        orders["hpc"] = ring_attractor.order_by_peak(maps["hpc"])
        run_dir.figure("spike_rate_maps", lambda path: figures_spiking.spike_rate_maps(maps, orders, path))
        arrays.update({f"spike_rate_maps.{layer}": m for layer, m in maps.items()})
    spikes, start, switch, steps = figures_spiking.spikes_around_switch(
        engine, (setup.inputs, config.theta), (setup.inputs, GENERATION), ("hpc", "mec"), noise=False, record=("hpc",))
    track = (steps + 1) * config.dt, setup.trajectory.position[steps, 0]
    run_dir.figure("spike_raster", lambda path: figures_spiking.raster(spikes, orders, start, switch, pool, path,
                                                                       seed=config.seed,
                                                                       position=track if env.dim == 1 else None))
    arrays.update(figures_spiking.raster_arrays(spikes, start))
    return arrays


def _ring_indices(config: Config, env, engine, result, order, decoder, still) -> dict:
    """Ring-attractor indices of the trained weights, bump score in generation, zero-velocity drift (1-D tracks)."""
    n = config.n_mec
    w_conj = engine.weight("mec.apical<-conjunctive")
    ring = ring_attractor.ring_indices(engine.weight("mec.apical<-mec"), w_conj[:, :n], w_conj[:, n:2 * n], order)
    ring["bump_score"] = ring_attractor.bump_score(result.mec[:, result.t > 0].reshape(-1, n), order)
    engine.run(config.test.warmup, still, config.theta, learn=False, noise=False)
    drift = engine.run(config.ring.drift_duration, still, GENERATION, learn=False, noise=False, record=("hpc",))
    ring["drift_m_per_s"] = ring_attractor.drift_m_per_s(decoder.predict(drift.signals["hpc"]), drift.t, env)
    return ring


def validate(config: Config) -> None:
    """Refuse, before any work, settings that cannot run or would measure nothing: a missing or
    malformed environment, a start outside it, training too short to record or to fill the
    decoder window, a spiking step that does not divide ``dt``, arrays that do not fit in memory.

    Raises:
        ConfigError: keyed by the culprit settings, without a source (the environment file's
            own problems name that file).
    """
    env = load_environment_setting(config.environment, "environment")
    if config.motion.start:
        try:
            start_position(env, config.motion, None)
        except ConfigError as error:
            raise error.located("", "motion") from None
    if config.duration > 0:
        check_recordable(config.duration, config.dt, config.record_every)
        if config.test.decoder_window > config.duration:
            raise ConfigError("", "test.decoder_window, duration",
                              f"a decoder window of {config.test.decoder_window:g} s is longer than the "
                              f"{config.duration:g} s of training", "decoder_window <= duration")
    if config.engine == "spiking":
        config.spiking.check_network_step(config.dt)
    n_hpc, n_mec, n_velocity = config.senses.n, config.n_mec, 2 * env.dim
    weight_bytes = 4 if config.precision == "float32" else 8
    test_steps = config.test.n_trials * (config.test.warmup + config.test.generative) / config.dt
    check_memory([
        ArrayEstimate("trajectory", (config.duration + config.ring.drift_duration) / config.dt * (1 + 2 * env.dim)
                      * FLOAT_BYTES, "duration, dt"),
        ArrayEstimate("training record", config.duration / config.dt / config.record_every * (n_hpc + n_mec + 2)
                      * FLOAT_BYTES, "duration, dt"),
        ArrayEstimate("test record", test_steps * (2 * n_mec + n_hpc + 3 * env.dim) * FLOAT_BYTES, "test.n_trials, dt"),
        # weights, eligibility traces and the rule's auxiliary values; the conjunctive cells
        # (n_velocity·n_mec) connect to and from MEC
        ArrayEstimate("weights", 3 * ((1 + 2 * n_velocity) * n_mec * n_mec + 2 * n_hpc * n_mec) * weight_bytes, "n_mec"),
    ])
