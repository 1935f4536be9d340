"""Experiment A: autoencoding a latent stream (paper figures 1–2).

Gaussian-process latents are mixed into features that drive HPC basal dendrites; MEC
learns, by theta-gated wake–sleep local learning, to infer the latents (basal, from
HPC) and to generate them (apical, recurrent). After training, in pure generative mode
(θ ≡ 0, senses cut off), MEC activity should have the latents' temporal statistics.

Protocol (phases of :mod:`hippo.protocol`, each continuing the same network and reading
one latent stream on, :class:`~hippo.world.stream.Stream`):
1. ``show_duration`` s (60) of inference (θ ≡ 1) and of generation (θ ≡ 0, senses cut off) of the
   untrained network;
2. ``duration`` seconds of training with the theta gate;
3. ``show_duration`` s of inference and ``test_duration`` s of generation (senses cut off) of the
   trained network (and, on the spiking engine, a few seconds of spike rasters).

Measurements. The losses are the mean |basal − apical| rate over the first and over the
last minute of training. The decorrelation times (lag where the mean autocorrelation
first falls below 1/e) are estimated from the latents over the whole training period and
from MEC somatic activity over the whole generative test; both records are long, so the
estimates are precise to a few per cent. The stream draws its latents lazily, as far as
it is read, so the training run does not depend on ``test_duration``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from hippo import plotting
from hippo.analysis.losses import check_recordable, loss_summary
from hippo.analysis.statistics import autocorrelation, decorrelation_time
from hippo.circuits.engines import make_engine
from hippo.circuits.engine import Recording
from hippo.circuits.spec import Network
from hippo.circuits.spiking_config import SpikingConfig
from hippo.circuits.wiring import AutoencoderProjections, PyramidalConfig, autoencoder_network
from hippo.config import bounds, preset_defaults
from hippo.errors import ConfigError, DivergenceError
from hippo.experiments.autoencoding import figures
from hippo.plotting import spiking as figures_spiking
from hippo.experiments.circuit import refuse_untrained, restore, save
from hippo.io.run_state import check_unchanged
from hippo.io import RunDir
from hippo.learning.schedule import ScheduleConfig
from hippo.probes import spikes_around_switch
from hippo.protocol import Phase, run_phases
from hippo.resources import FLOAT_BYTES, ArrayEstimate, check_memory
from hippo.theta import GENERATION, INFERENCE, ThetaConfig, check_sampled
from hippo.world.senses import SensesConfig
from hippo.world.stream import Stream

SHOWN = ("hpc", "hpc.basal", "hpc.apical", "mec", "mec.basal", "mec.apical")

#: Keys of the run's random draws: ``np.random.default_rng([seed, NETWORK_KEY])`` draws the
#: initial weights, the stream seeded ``[seed, STREAM_KEY]`` the latents and their mixing
#: into features; the engine's noise is seeded ``seed + 1``.
NETWORK_KEY, STREAM_KEY = 0, 1


@dataclass(frozen=True)
@preset_defaults("autoencoding.toml")
class Config:
    """Experiment A. Times in seconds.

    The defaults are read from ``autoencoding.toml`` (what ``hippo run autoencoding`` runs;
    :func:`~hippo.config.preset_defaults`).
    """

    experiment: str
    seed: int
    engine: Literal["rate", "spiking"]
    spiking: SpikingConfig
    duration: float = field(metadata=bounds(min=0.0))  # 0 only with --from RUN_DIR
    dt: float = field(metadata=bounds(gt=0.0))
    record_every: int = field(metadata=bounds(min=1))
    test_duration: float = field(metadata=bounds(gt=0.0))
    max_lag: float = field(metadata=bounds(gt=0.0))
    show_duration: float = field(metadata=bounds(gt=0.0))
    n_mec: int = field(metadata=bounds(min=1))
    senses: SensesConfig
    theta: ThetaConfig
    hpc: PyramidalConfig
    mec: PyramidalConfig
    projections: AutoencoderProjections
    schedule: ScheduleConfig

    def __post_init__(self):
        if self.senses.kind != "latent":
            raise ValueError("senses.kind must be 'latent' for the autoencoding experiment")


def _generate(engine, phases: list[Phase], sizes: dict) -> tuple[dict[str, Recording], bool]:
    """Run generation ``phases``; on divergence, what was recorded before it (empty records for
    the phases not reached) and ``True``."""
    try:
        return {name: record.recording for name, record in run_phases(engine, phases).items()}, False
    except DivergenceError as error:
        recordings = {name: record.recording for name, record in error.records.items()}
        recordings[error.phase.name] = error.recording
        for phase in phases:
            recording = recordings.setdefault(phase.name, Recording(np.zeros(0), theta=np.zeros(0),
                                                                     steps=np.zeros(0, dtype=np.int64)))
            for name in phase.record:
                recording.signals.setdefault(name, np.zeros((0, sizes[name])))
            for layer in ("hpc", "mec"):
                recording.loss.setdefault(layer, np.zeros(0))
        return recordings, True


def _stream_and_network(config: Config) -> tuple[Stream, Network]:
    """The latent stream of ``config`` and the autoencoder of its features."""
    stream = Stream.build(None, config.dt, config.senses, None, [config.seed, STREAM_KEY])
    return stream, autoencoder_network(stream.n_features, config.n_mec, config.hpc, config.mec, config.projections,
                                       np.random.default_rng([config.seed, NETWORK_KEY]))


def circuit(config: Config) -> tuple[str, str, Network]:
    """The config key naming the engine, the engine kind and the network a run of ``config`` builds
    (for :func:`hippo.experiments.resolve`, which asks the engine before any work)."""
    return "engine", config.engine, _stream_and_network(config)[1]


def run(config: Config, run_dir: RunDir, progress: bool = True, start_from: Path | None = None) -> dict:
    """Run experiment A and return its metrics (see the module docstring for the protocol).

    Writes ``state.npz`` (the engine at the end of training, where the stream stopped and the
    steps it trained on). With ``start_from`` (a run directory) the untrained network is shown
    as in that run, then the engine takes that run's state and the stream goes on where it
    stopped; with ``duration = 0`` the test then repeats that run's test, and the latents'
    decorrelation time is measured over that run's training.

    Raises:
        ConfigError: ``duration`` is 0 without ``start_from``.
    """
    refuse_untrained(config.duration, start_from)
    stream, network = _stream_and_network(config)
    engine = make_engine(config.engine, network, config.dt, seed=config.seed + 1, spiking=config.spiking)
    sizes = {name: (stream.n_features if name.startswith("hpc") else config.n_mec) for name in SHOWN}
    senses_cut = ("features",)

    def shown(name: str, theta: ThetaConfig, seconds: float = config.show_duration, **keys) -> Phase:
        return Phase(name, seconds, stream, theta, record=SHOWN, **keys)

    records = run_phases(engine, [shown("before_inference", INFERENCE),
                                  shown("before_generation", GENERATION, silenced=senses_cut)])
    saved = restore(start_from, engine, stream)
    records.update(run_phases(engine, [
        Phase("training", config.duration, stream, config.theta, learn=True, schedule=config.schedule,
              record=("hpc", "mec"), record_every=config.record_every, label="training")], progress))
    trained = records["training"].stop > records["training"].start
    span = (records["training"].start, records["training"].stop) if trained else tuple(saved["training_span"])
    save(run_dir, engine.get_state(), network, stream, {"training_span": span})
    records.update(run_phases(engine, [shown("after_inference", INFERENCE)]))
    before_inference, before_generation, after_inference = (records[name].recording for name in
                                                            ("before_inference", "before_generation", "after_inference"))
    training, train_wall = records["training"].recording, records["training"].wall_seconds
    recurrent = engine.weight("mec.apical<-mec").copy()

    # generative test: every signal for the first minute (figures), MEC activity throughout
    shown_seconds = min(config.show_duration, config.test_duration)
    test = [shown("after_generation", GENERATION, shown_seconds, silenced=senses_cut)]
    if config.test_duration > shown_seconds:
        test.append(Phase("generation", config.test_duration - shown_seconds, stream, GENERATION, silenced=senses_cut,
                          record=("mec",)))
    generation, diverged = _generate(engine, test, sizes)
    after_generation = generation["after_generation"]
    generated = np.concatenate([recording.signals["mec"] for recording in generation.values()])

    trained_latents = stream.latents(int(span[0]), int(span[1]))
    lags, acorr_latents = autocorrelation(trained_latents, config.dt, config.max_lag)
    if diverged or len(generated) < 2:
        acorr_generated = np.full_like(acorr_latents, np.nan)
    else:
        _, acorr_generated = autocorrelation(generated, config.dt, config.max_lag)
        acorr_generated = np.pad(acorr_generated, (0, len(acorr_latents) - len(acorr_generated)), constant_values=np.nan)
    metrics = {
        **(loss_summary({layer: training.loss[layer] for layer in ("hpc", "mec")}, config.duration,
                        config.dt * config.record_every) if trained
           else {f"loss_{layer}_{when}": float("nan") for layer in ("hpc", "mec") for when in ("initial", "final")}),
        "autocorr_time_latents_s": decorrelation_time(lags, acorr_latents),
        "autocorr_time_generated_s": decorrelation_time(lags, acorr_generated),
        "mec_recurrent_spectral_radius": float(np.max(np.abs(np.linalg.eigvals(recurrent)))),
        "generation_diverged": diverged,
        "sim_seconds": config.duration,
        "training_wall_seconds": train_wall,
        "us_per_step": 1e6 * train_wall / (span[1] - span[0]) if trained else float("nan"),
    }
    for key, source in (("autocorr_time_latents_s", "the latents"), ("autocorr_time_generated_s", "MEC activity in generation")):
        if not np.isfinite(metrics[key]):
            run_dir.warn(f"{key} not measured: the autocorrelation of {source} did not fall below 1/e within "
                         f"max_lag = {config.max_lag:g} s" + (" (generation diverged)" if diverged and "MEC" in source else ""))
    raster = _spike_raster(config, engine, stream, run_dir) if config.engine == "spiking" else {}
    run_dir.write_arrays("arrays", {
        **raster,
        **training.arrays("train."),
        **before_inference.arrays("before_inference."), **before_generation.arrays("before_generation."),
        **after_inference.arrays("after_inference."), **after_generation.arrays("after_generation."),
        "generated.mec": generated,
        "latents": trained_latents[max(0, len(trained_latents) - len(generated)):],  # as long as the generated record
        "lags": lags, "autocorr_latents": acorr_latents, "autocorr_generated": acorr_generated,
    })
    run_dir.write_arrays("weights", engine.all_weights())
    if trained:
        run_dir.figure("loss", lambda path: plotting.loss_curves(training, path))
    run_dir.figure("activity", lambda path: figures.activity(before_inference, before_generation, after_inference,
                                                             after_generation, path))
    run_dir.figure("autocorrelation", lambda path: figures.autocorrelations(lags, acorr_latents, acorr_generated,
                                                                            metrics, path))
    return metrics


def _spike_raster(config: Config, engine, stream: Stream, run_dir: RunDir) -> dict:
    """Spike rasters of HPC and MEC in inference (θ ≡ 1), then generation (senses cut off), reading
    the stream on from where the test left it; their arrays."""
    raster = spikes_around_switch(engine, stream, INFERENCE, ("hpc", "mec"), silenced_after=("features",))
    orders = {"hpc": np.arange(config.senses.n), "mec": np.arange(config.n_mec)}
    pool = figures_spiking.pool_size(config.spiking.rate_scale)
    run_dir.figure("spike_raster", lambda path: figures_spiking.raster(raster.spikes, orders, raster.start, raster.switch,
                                                                       pool, path, seed=config.seed))
    return figures_spiking.raster_arrays(raster.spikes, raster.start)


#: Settings a run started from a saved state (``--from``) keeps: the saved network was built and
#: trained with them (key → why, for the message).
STATE_SETTINGS = {
    "seed": "the latent stream the network learned is drawn from the seed",
    "senses": "the network learned that stream's features",
    "n_mec": "the saved network has that many MEC cells",
    "dt": "the saved stream position counts steps of dt",
}


def check_start(config: Config, saved: dict) -> None:
    """Refuse, before any work, a run from the saved run of configuration ``saved`` (its ``config.toml``)
    that changes a setting its state depends on (:data:`STATE_SETTINGS`).

    Raises:
        ConfigError: naming ``--set``, the key, its saved value and why.
    """
    check_unchanged(saved, config, STATE_SETTINGS)


def validate(config: Config) -> None:
    """Refuse, before any work, a run that records nothing to measure (training too short for its
    loss windows, a generative test of fewer than two steps, the least an autocorrelation is
    measured on), a theta rhythm above the step's Nyquist frequency, a spiking step that does not
    divide ``dt``, or arrays that do not fit in memory.

    Raises:
        ConfigError: keyed by the culprit settings, without a source.
    """
    check_recordable(config.duration, config.dt, config.record_every)
    check_sampled(config.theta, config.dt)
    if config.test_duration < 2 * config.dt:
        raise ConfigError("", "test_duration, dt", f"a {config.test_duration:g}-s generative test is shorter than two "
                          f"{config.dt:g}-s steps, the least an autocorrelation is measured on",
                          f"test_duration >= 2·dt = {2 * config.dt:g} s")
    if config.engine == "spiking":
        config.spiking.check_network_step(config.dt)
    n_hpc, n_mec = config.senses.n, config.n_mec
    sensed_steps = (3 * config.show_duration + config.duration) / config.dt
    check_memory([
        # white noise, its spectrum and the filtered latents at once
        ArrayEstimate("latents", 4 * sensed_steps * config.senses.n_latents * FLOAT_BYTES, "duration, dt"),
        ArrayEstimate("training record", config.duration / config.dt / config.record_every * (n_hpc + n_mec + 2)
                      * FLOAT_BYTES, "duration, dt"),
        ArrayEstimate("generated MEC activity", config.test_duration / config.dt * n_mec * FLOAT_BYTES, "test_duration, dt"),
        ArrayEstimate("shown activity", 4 * config.show_duration / config.dt * 3 * (n_hpc + n_mec) * FLOAT_BYTES,
                      "show_duration, dt"),
        # weights, eligibility traces and the rule's auxiliary values
        ArrayEstimate("weights", 3 * (2 * n_hpc * n_mec + n_mec * n_mec) * FLOAT_BYTES, "n_mec"),
    ])
