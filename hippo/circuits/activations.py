"""Activation functions φ and their derivatives φ′, as codes usable inside compiled loops.

``linear``: φ(x) = g·(x − θ); ``relu``: φ(x) = g·max(0, x − θ); ``retanh`` (tanh
rectified at zero): φ(x) = max(0, tanh(g·(x − θ))); ``sigmoid``: φ(x) = 1 / (1 + exp(−g·(x − θ))).
θ is the threshold and g the gain. Each has a numba form (:func:`activate`, inlined into
the rate engine's loop) and a Brian2 form (:func:`activation_code`, for the spiking engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit

from hippo.config import bounds

ACTIVATION_CODES = {"linear": 0, "relu": 1, "retanh": 2, "sigmoid": 3}


@dataclass(frozen=True)
class Activation:
    """An activation function: ``kind``, ``threshold`` (input units) and ``gain``."""

    kind: Literal["linear", "relu", "retanh", "sigmoid"] = "linear"
    threshold: float = 0.0
    gain: float = field(default=1.0, metadata=bounds(gt=0.0))

    @property
    def code(self) -> int:
        return ACTIVATION_CODES[self.kind]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """φ(x), elementwise."""
        return activate_array(np.asarray(x, dtype=float), self.code, self.threshold, self.gain)[0]

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """φ′(x), elementwise."""
        return activate_array(np.asarray(x, dtype=float), self.code, self.threshold, self.gain)[1]


@njit(cache=True, inline="always")
def activate(x, code, threshold, gain):
    """Return ``(φ(x), φ′(x))`` for one value ``x``."""
    u = x - threshold
    if code == 0:
        return gain * u, gain
    if code == 1:
        if u > 0.0:
            return gain * u, gain
        return 0.0, 0.0
    if code == 2:
        if u > 0.0:
            t = np.tanh(gain * u)
            return t, gain * (1.0 - t * t)
        return 0.0, 0.0
    s = 1.0 / (1.0 + np.exp(-gain * u))
    return s, gain * s * (1.0 - s)


def activation_code(activation: Activation, v: str) -> tuple[str, str]:
    """Brian2 expressions of ``φ(v)`` and ``φ′(v)`` for ``activation`` (the same functions as :func:`activate`)."""
    u = f"({v} - {activation.threshold!r})"
    g = repr(activation.gain)
    if activation.kind == "linear":
        return f"{g}*{u}", g
    if activation.kind == "relu":
        return f"{g}*clip({u}, 0, inf)", f"{g}*int({u} > 0)"
    if activation.kind == "retanh":
        return f"tanh({g}*clip({u}, 0, inf))", f"{g}*(1 - tanh({g}*{u})**2)*int({u} > 0)"
    s = f"(1/(1 + exp(-{g}*{u})))"
    return s, f"{g}*{s}*(1 - {s})"


@njit(cache=True)
def activate_array(x, code, threshold, gain):
    """``(φ(x), φ′(x))`` elementwise for an array ``x``."""
    flat = x.ravel()
    value = np.empty_like(flat)
    deriv = np.empty_like(flat)
    for i in range(flat.shape[0]):
        value[i], deriv[i] = activate(flat[i], code, threshold, gain)
    return value.reshape(x.shape), deriv.reshape(x.shape)
