"""The equations of a two-compartment pyramidal neuron, each written once for both engines.

* The soma's potential mixes the compartments by the theta gate θ:
  ``θ·b + (1 − θ)·a`` (θ = 1 wake: basal; θ = 0 sleep: apical); the soma's rate is
  ``φ_s`` of it.
* Compartment noise is an Ornstein–Uhlenbeck process with stationary standard deviation
  ``scale`` and time constant ``tau``, advanced exactly over a step ``dt``:
  ``n ← e^{−dt/τ}·n + scale·sqrt(1 − e^{−2dt/τ})·ξ``, ``ξ ~ N(0, 1)``.

Each has a numba form (inlined into the rate engine's compiled loop, callable from
Python on arrays) and a Brian2 form (code strings for the spiking engine) built from the
same coefficients.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always")
def soma_potential(theta, basal, apical, one=1.0):
    """``θ·b + (1 − θ)·a``; ``one`` is 1 in the arithmetic's precision (e.g. ``np.float32(1)``)."""
    return theta * basal + (one - theta) * apical


def soma_potential_code(theta: str, basal: str, apical: str) -> str:
    """Brian2 expression of :func:`soma_potential` of the named variables."""
    return f"({theta}*{basal} + (1 - {theta})*{apical})"


def ou_coefficients(scale: float, tau: float, dt: float) -> tuple[float, float]:
    """``(decay, kick)`` of the exact OU step over ``dt`` seconds: ``e^{−dt/τ}`` and ``scale·sqrt(1 − e^{−2dt/τ})``."""
    return float(np.exp(-dt / tau)), float(scale * np.sqrt(1.0 - np.exp(-2.0 * dt / tau)))


@njit(inline="always")
def ou_step(noise, decay, kick, normal):
    """One exact OU step: ``decay·n + kick·ξ`` (coefficients from :func:`ou_coefficients`)."""
    return decay * noise + kick * normal


def ou_step_code(variable: str, scale: float, tau: float, dt: float, gate: str) -> str:
    """Brian2 statement of :func:`ou_step` for ``variable``, with a standard normal draw and the draw's factor ``gate``."""
    decay, kick = ou_coefficients(scale, tau, dt)
    return f"{variable} = {variable}*{decay!r} + {gate}*{kick!r}*randn()"
