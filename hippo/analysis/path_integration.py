"""The path-integration test: does the circuit keep track of position with its senses cut off?

Protocol (per trial, on a trained engine, learning and noise off): run ``warmup``
seconds with the theta gate (senses available), then switch to pure generation
(θ ≡ 0: the soma follows the apical, top-down compartment, so sensory input no longer
reaches the network) for ``generative`` seconds while the velocity input goes on.
Position is decoded from HPC activity throughout with a decoder fitted beforehand on
training activity; the error against the true position, as a function of time since
the switch, measures path integration.

:func:`run_gain_probes` measures the velocity gain curve with constant-velocity probes
in the same way (theta-mode warm-up, then generation).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from scipy.spatial import cKDTree

from hippo.analysis.decoding import KNNDecoder, RidgeDecoder, TemplateDecoder, decoding_error
from hippo.analysis.error_decomposition import error_horizon
from hippo.analysis.statistics import sem
from hippo.analysis.velocity_gain import GainCurve, measure_gain_curve, probe_velocities
from hippo.config import bounds
from hippo.errors import ConfigError
from hippo.theta import GENERATION, ThetaConfig
from hippo.world.gridworld import Gridworld


#: Fewest samples a position decoder is fitted on (the kNN decoder's ``k``).
MIN_FIT_SAMPLES = 10


@dataclass(frozen=True)
class PathIntegrationTestConfig:
    """Path-integration test settings (seconds, metres).

    Attributes:
        n_trials: number of trials.
        warmup: seconds in theta mode before the switch.
        generative: seconds in pure generative mode after the switch.
        decoder: ``"ridge"``, ``"template"`` or ``"knn"`` (see :mod:`hippo.analysis.decoding`).
        decoder_window: seconds at the end of training whose HPC activity fits the decoder.
        report_times: seconds after the switch at which errors are reported.
        horizon_error: error (metres) whose first crossing defines the path-integration horizon.
    """

    n_trials: int = field(default=20, metadata=bounds(min=1))
    warmup: float = field(default=10.0, metadata=bounds(gt=0.0))
    generative: float = field(default=20.0, metadata=bounds(gt=0.0))
    decoder: Literal["ridge", "template", "knn"] = "ridge"
    decoder_window: float = field(default=600.0, metadata=bounds(gt=0.0))
    report_times: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0)
    horizon_error: float = field(default=0.10, metadata=bounds(gt=0.0))

    def __post_init__(self):
        if not self.report_times:
            raise ConfigError("", "report_times", "no time to report the error at",
                              "one or more times > 0 and <= generative")
        outside = [t for t in self.report_times if not 0.0 < t <= self.generative]
        if outside:
            raise ConfigError("", "report_times, generative", f"{', '.join(f'{t:g}' for t in outside)} s after the switch "
                              f"is not measured by a generative test of {self.generative:g} s",
                              "times > 0 and <= generative")


@dataclass(frozen=True)
class GainProbeConfig:
    """Constant-velocity probes of the velocity gain curve (m/s, seconds).

    Each probe moves the agent at one constant velocity: ``warmup`` seconds in theta
    mode (senses on), then ``duration`` seconds of pure generation with the velocity
    input on; the decoded positions of the generative part, less its first
    ``transient`` seconds, give the bump velocity
    (:func:`hippo.analysis.velocity_gain.gain_curve`).

    Attributes:
        max_velocity: probes run at ``−max_velocity … +max_velocity`` m/s (a whole number of steps).
        step: spacing of the probe velocities (m/s).
        warmup: seconds in theta mode before the switch.
        duration: seconds of pure generation per probe.
        transient: seconds after the switch left out of the fit (the bump reaching its velocity).
    """

    max_velocity: float = field(default=1.5, metadata=bounds(gt=0.0))
    step: float = field(default=0.1, metadata=bounds(gt=0.0))
    warmup: float = field(default=2.0, metadata=bounds(gt=0.0))
    duration: float = field(default=4.0, metadata=bounds(gt=0.0))
    transient: float = field(default=0.5, metadata=bounds(min=0.0))

    def __post_init__(self):
        n = self.max_velocity / self.step
        if not np.isclose(n, round(n)):
            raise ConfigError("", "max_velocity, step", f"{self.max_velocity:g} m/s is not a whole number of "
                              f"{self.step:g} m/s steps", "max_velocity = a whole multiple of step")
        if self.transient >= self.duration:
            raise ConfigError("", "transient, duration", f"a {self.transient:g}-s transient leaves nothing of a "
                              f"{self.duration:g}-s probe to fit", "transient < duration")


def run_gain_probes(engine, stream, decoder, theta: ThetaConfig, config: GainProbeConfig, seed) -> GainCurve:
    """Measure the velocity gain curve of a trained path integrator on a ring (learning and noise off).

    Probe ``k`` runs on a copy of ``stream`` (same place code and velocity cells) whose
    agent moves at constant velocity ``v_k`` (smooth motion, whatever the stream's motion), from a
    start drawn from ``[*seed, k]``.

    Args:
        engine: the engine (its weights are kept; its state runs on from probe to probe).
        stream: a stream on a 1-D periodic track with velocity cells.
        decoder: fitted decoder of HPC activity.
        theta: the theta gate of the warm-up.
        config: the probes.
        seed: list of ints seeding the probes' starts.

    Returns:
        The :class:`~hippo.analysis.velocity_gain.GainCurve`.
    """
    from hippo.protocol import Phase, run_phases

    velocities = probe_velocities(config.max_velocity, config.step)
    index = {float(v): k for k, v in enumerate(velocities)}

    def decode_probe(velocity: float):
        moving = replace(stream.motion_config, kind="smooth", speed_mean=velocity, speed_std=0.0)
        probe = replace(stream, motion_config=moving).fresh_trajectory([*seed, index[velocity]])
        record = run_phases(engine, [
            Phase("warmup", config.warmup, probe, theta, noise=False),
            Phase("generative", config.duration, probe, GENERATION, noise=False, record=("hpc",)),
        ])["generative"].recording
        return record.t, decoder.predict(record.signals["hpc"])[:, 0]

    return measure_gain_curve(decode_probe, float(stream.env.size[0]), velocities, config.transient)


def make_decoder(kind: str, env: Gridworld):
    """An unfitted decoder of the named kind."""
    return {"ridge": RidgeDecoder, "template": TemplateDecoder, "knn": KNNDecoder}[kind](env)


@dataclass
class PathIntegrationResult:
    """Trials of the path-integration test.

    Attributes:
        t: ``(n_t,)`` seconds relative to the switch (≤ 0 during warmup).
        errors: ``(n_trials, n_t)`` decoding errors in metres.
        decoded, true: ``(n_trials, n_t, dim)`` positions in metres.
        mec: ``(n_trials, n_t, n_mec)`` MEC rates.
    """

    t: np.ndarray
    errors: np.ndarray
    decoded: np.ndarray
    true: np.ndarray
    mec: np.ndarray

    def error_at(self, seconds: float) -> tuple[float, float]:
        """Mean and s.e.m. over trials of the error ``seconds`` after the switch."""
        k = int(np.argmin(np.abs(self.t - seconds)))
        return float(self.errors[:, k].mean()), float(sem(self.errors[:, k]))

    def horizon(self, threshold: float) -> float:
        """First time after the switch (s) when the trial-mean error exceeds ``threshold`` (m).

        The test length if never (:func:`~hippo.analysis.error_decomposition.error_horizon`).
        """
        return error_horizon(self.t, self.errors.mean(axis=0), threshold).seconds


def run_test(engine, stream, decoder, theta: ThetaConfig, config: PathIntegrationTestConfig,
             progress=None) -> PathIntegrationResult:
    """Run ``config.n_trials`` trials on ``engine`` (which keeps its weights; learning and noise off).

    Each trial is two phases (:mod:`hippo.protocol`) on ``stream`` — ``warmup`` seconds with
    the gate ``theta``, then ``generative`` seconds of pure generation — read from its
    cursor on, so trials follow one another along the stream's trajectory; true positions
    are the stream's at the recorded steps. ``progress(done_trials)`` is called after each trial.
    """
    from hippo.protocol import Phase, run_phases

    decoded, true, errors, mec = [], [], [], []
    for trial in range(config.n_trials):
        records = run_phases(engine, [
            Phase("warmup", config.warmup, stream, theta, noise=False, record=("hpc", "mec")),
            Phase("generative", config.generative, stream, GENERATION, noise=False, record=("hpc", "mec")),
        ])
        parts = [records["warmup"].recording, records["generative"].recording]
        hpc = np.vstack([part.signals["hpc"] for part in parts])
        positions = np.vstack([record.positions() for record in records.values()])
        estimate = decoder.predict(hpc)
        decoded.append(estimate)
        true.append(positions)
        errors.append(decoding_error(stream.env, estimate, positions))
        mec.append(np.vstack([part.signals["mec"] for part in parts]))
        if progress is not None:
            progress(trial + 1)
    n_before = int(round(config.warmup / engine.dt))
    t = (np.arange(len(errors[0])) - n_before + 1) * engine.dt
    return PathIntegrationResult(t, np.array(errors), np.array(decoded), np.array(true), np.array(mec))


def decoder_state(decoder) -> dict[str, np.ndarray]:
    """A fitted decoder's parameters as arrays (for a run's ``state.npz``); see :func:`restore_decoder`."""
    state = {}
    for key, value in vars(decoder).items():
        if key == "env" or value is None:
            continue
        state[key] = np.asarray(value.data if isinstance(value, cKDTree) else value)
    return state


def restore_decoder(kind: str, env: Gridworld, state: dict[str, np.ndarray]):
    """The decoder of :func:`decoder_state`, fitted as it was (predictions are bit-identical)."""
    decoder = make_decoder(kind, env)
    for key, value in state.items():
        setattr(decoder, key, cKDTree(value) if key == "tree" else (value.item() if value.ndim == 0 else value))
    return decoder
