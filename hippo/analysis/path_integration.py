"""The path-integration test: does the circuit keep track of position with its senses cut off?

Protocol (per trial, on a trained engine, learning and noise off): run ``warmup``
seconds with the theta gate (senses available), then switch to pure generation
(θ ≡ 0: the soma follows the apical, top-down compartment, so sensory input no longer
reaches the network) for ``generative`` seconds while the velocity input goes on.
Position is decoded from HPC activity throughout with a decoder fitted beforehand on
training activity; the error against the true position, as a function of time since
the switch, measures path integration.

The trials run in :func:`hippo.probes.run_test`, and the gain probes, which measure the
velocity gain curve in the same way (theta-mode warm-up, then generation), in
:func:`hippo.probes.run_gain_probes`; this module holds the test's settings, its result
and the position decoders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.spatial import cKDTree

from hippo.analysis.decoding import KNNDecoder, RidgeDecoder, TemplateDecoder
from hippo.analysis.error_decomposition import error_horizon
from hippo.analysis.statistics import sem
from hippo.config import bounds
from hippo.errors import ConfigError
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
        mec_spikes: ``(n_trials, n_t, n_mec)`` MEC spike counts since the previous sample
            (a spiking engine's test run with ``spikes=True``), else None.
    """

    t: np.ndarray
    errors: np.ndarray
    decoded: np.ndarray
    true: np.ndarray
    mec: np.ndarray
    mec_spikes: np.ndarray | None = None

    def error_at(self, seconds: float) -> tuple[float, float]:
        """Mean and s.e.m. over trials of the error ``seconds`` after the switch."""
        k = int(np.argmin(np.abs(self.t - seconds)))
        return float(self.errors[:, k].mean()), float(sem(self.errors[:, k]))

    def horizon(self, threshold: float) -> float:
        """First time after the switch (s) when the trial-mean error exceeds ``threshold`` (m).

        The test length if never (:func:`~hippo.analysis.error_decomposition.error_horizon`).
        """
        return error_horizon(self.t, self.errors.mean(axis=0), threshold).seconds


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
