"""The theta gate θ(t) ∈ [0, 1] that switches pyramidal somata between their compartments.

Convention: θ = 1 is *wake* (the soma follows the basal, bottom-up, inference drive);
θ = 0 is *sleep* (the soma follows the apical, top-down, generative drive). The soma
potential is ``θ·basal + (1 − θ)·apical``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hippo.config import bounds
from hippo.errors import ConfigError


@dataclass(frozen=True)
class ThetaConfig:
    """Shape of the theta gate.

    Attributes:
        shape: ``"square"`` (wake for a fraction of each cycle, sleep for the rest),
            ``"sine"`` (smooth 0.5·(1 + cos 2πft)), or ``"constant"`` (θ ≡ ``value``).
        frequency: theta frequency in Hz.
        wake_fraction: fraction of each square cycle spent awake (θ = 1).
        phase: phase offset in cycles (0–1).
        value: θ for the ``"constant"`` shape (1 = pure inference, 0 = pure generation).
    """

    shape: Literal["square", "sine", "constant"] = "square"
    frequency: float = field(default=5.0, metadata=bounds(gt=0.0))
    wake_fraction: float = field(default=0.5, metadata=bounds(min=0.0, max=1.0))
    phase: float = field(default=0.0, metadata=bounds(min=0.0, max=1.0))
    value: float = field(default=1.0, metadata=bounds(min=0.0, max=1.0))


def check_sampled(config: ThetaConfig, dt: float) -> None:
    """Refuse a theta rhythm that a network step of ``dt`` seconds cannot represent.

    The gate is read once per step, so by the sampling theorem a rhythm of frequency
    ``f`` is aliased (read as a slower one, or as a constant) unless ``f <= 1/(2·dt)``,
    the Nyquist frequency of the step. A constant gate has no frequency.

    Raises:
        ConfigError: keyed ``theta.frequency, dt``, without a source.
    """
    nyquist = 1.0 / (2.0 * dt)
    if config.shape != "constant" and config.frequency > nyquist:
        raise ConfigError("", "theta.frequency, dt", f"a {config.frequency:g} Hz theta read every {dt:g} s is aliased: "
                          f"above the step's Nyquist frequency 1/(2·dt) = {nyquist:g} Hz",
                          f"theta.frequency <= {nyquist:g} Hz, or dt <= {1.0 / (2.0 * config.frequency):g} s")


INFERENCE = ThetaConfig(shape="constant", value=1.0)
GENERATION = ThetaConfig(shape="constant", value=0.0)


def theta_gate(t: np.ndarray, config: ThetaConfig) -> np.ndarray:
    """θ at times ``t`` (seconds), as float64 array of the same shape."""
    t = np.asarray(t, dtype=float)
    if config.shape == "constant":
        return np.full(t.shape, config.value)
    cycle = np.mod(t * config.frequency + config.phase, 1.0)
    if config.shape == "square":
        return (cycle < config.wake_fraction).astype(float)
    return 0.5 * (1.0 + np.cos(2.0 * np.pi * cycle))
