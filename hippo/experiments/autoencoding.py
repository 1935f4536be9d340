"""Experiment A: autoencoding a latent stream (paper figures 1–2).

Gaussian-process latents are mixed into features that drive HPC basal dendrites; MEC
learns, by theta-gated wake–sleep local learning, to infer the latents (basal, from
HPC) and to generate them (apical, recurrent). After training, in pure generative mode
(θ ≡ 0, senses cut off), MEC activity should have the latents' temporal statistics.

Protocol (each phase continues the same network):
1. 60 s inference (θ ≡ 1) and 60 s generation (θ ≡ 0) of the untrained network;
2. ``duration`` seconds of training with the theta gate;
3. 60 s inference and ``test_duration`` s of generation of the trained network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hippo.analysis.statistics import autocorrelation, decorrelation_time
from hippo.circuits.engines import make_engine
from hippo.circuits.wiring import AutoencoderProjections, PyramidalConfig, autoencoder_network
from hippo.config import bounds
from hippo.experiments import figures_autoencoding as figures
from hippo.io import RunDir
from hippo.progress import Progress
from hippo.theta import GENERATION, INFERENCE, ThetaConfig
from hippo.world.senses import LatentFeatures, SensesConfig

SHOW_SECONDS = 60.0


@dataclass(frozen=True)
class Config:
    """Experiment A. Times in seconds."""

    experiment: str = "autoencoding"
    seed: int = 0
    engine: Literal["rate", "spiking"] = "rate"
    duration: float = field(default=1800.0, metadata=bounds(gt=0.0))
    dt: float = field(default=0.025, metadata=bounds(gt=0.0))
    record_every: int = field(default=4, metadata=bounds(min=1))
    test_duration: float = field(default=300.0, metadata=bounds(gt=0.0))
    max_lag: float = field(default=10.0, metadata=bounds(gt=0.0))
    n_mec: int = field(default=5, metadata=bounds(min=1))
    senses: SensesConfig = SensesConfig(kind="latent", n=50, n_latents=5, timescale=1.0)
    theta: ThetaConfig = ThetaConfig()
    hpc: PyramidalConfig = PyramidalConfig()
    mec: PyramidalConfig = PyramidalConfig()
    projections: AutoencoderProjections = AutoencoderProjections()

    def __post_init__(self):
        if self.senses.kind != "latent":
            raise ValueError("senses.kind must be 'latent' for the autoencoding experiment")


def run(config: Config, run_dir: RunDir, progress: bool = True) -> dict:
    """Run experiment A and return its metrics (see the module docstring for the protocol)."""
    rng = np.random.default_rng(config.seed)
    phases = 2 * SHOW_SECONDS + config.duration + SHOW_SECONDS + config.test_duration
    n_steps = int(round(phases / config.dt)) + 1
    senses = LatentFeatures.build(n_steps, config.dt, config.senses, rng)
    network = autoencoder_network(senses.n, config.n_mec, config.hpc, config.mec, config.projections, rng)
    engine = make_engine(config.engine, network, config.dt, seed=config.seed + 1)

    def inputs(start, stop):
        return {"features": senses.encode(None, start, stop)}

    shown = ("hpc", "hpc.basal", "hpc.apical", "mec", "mec.basal", "mec.apical")
    before_inference = engine.run(SHOW_SECONDS, inputs, INFERENCE, learn=False, record=shown)
    before_generation = engine.run(SHOW_SECONDS, inputs, GENERATION, learn=False, record=shown)
    start_step = engine.step_count
    bar = Progress(config.duration, "training", enabled=progress)
    try:
        training = engine.run(config.duration, inputs, config.theta, record=("hpc", "mec"), record_every=config.record_every,
                              progress=lambda done, losses: bar.update(done, **losses))
    finally:
        bar.close()
    train_stop = engine.step_count
    train_wall = engine.last_run_seconds
    after_inference = engine.run(SHOW_SECONDS, inputs, INFERENCE, learn=False, record=shown)
    after_generation = engine.run(config.test_duration, inputs, GENERATION, learn=False, record=shown)

    window = int(round(60.0 / (config.dt * config.record_every)))
    n_test = len(after_generation.t)
    latent_window = senses.latents[train_stop - n_test: train_stop]  # same length as the generated record
    lags, acorr_latents = autocorrelation(latent_window, config.dt, config.max_lag)
    _, acorr_generated = autocorrelation(after_generation.signals["mec"], config.dt, config.max_lag)
    metrics = {
        "loss_hpc_initial": float(training.loss["hpc"][:window].mean()),
        "loss_hpc_final": float(training.loss["hpc"][-window:].mean()),
        "loss_mec_initial": float(training.loss["mec"][:window].mean()),
        "loss_mec_final": float(training.loss["mec"][-window:].mean()),
        "autocorr_time_latents_s": decorrelation_time(lags, acorr_latents),
        "autocorr_time_generated_s": decorrelation_time(lags, acorr_generated),
        "sim_seconds": config.duration,
        "wall_seconds": train_wall,
        "us_per_step": 1e6 * train_wall / (train_stop - start_step),
    }
    run_dir.write_arrays("arrays", {
        **training.arrays("train."),
        **before_inference.arrays("before_inference."), **before_generation.arrays("before_generation."),
        **after_inference.arrays("after_inference."), **after_generation.arrays("after_generation."),
        "latents": latent_window,
        "lags": lags, "autocorr_latents": acorr_latents, "autocorr_generated": acorr_generated,
    })
    run_dir.write_arrays("weights", engine.all_weights())
    figures.loss_curves(training, run_dir.figure_path("loss"))
    figures.activity(before_inference, before_generation, after_inference, after_generation, run_dir.figure_path("activity"))
    figures.autocorrelations(lags, acorr_latents, acorr_generated, metrics, run_dir.figure_path("autocorrelation"))
    return metrics
