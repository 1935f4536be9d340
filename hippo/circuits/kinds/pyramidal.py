"""The ``pyramidal`` layer kind: two-compartment neurons gated by theta.

Basal and apical potentials ``V = Σ W·r_in (+ bias)``; compartment rates
``φ_b(V_b) + noise`` and ``φ_a(V_a) + noise`` (``Layer.basal``, ``Layer.apical``, OU
noise ``Layer.basal_noise``, ``Layer.apical_noise``); soma
``r = φ_s(θ·b + (1 − θ)·a)`` (``Layer.activation``; θ = 1 wake: basal, θ = 0 sleep:
apical; :mod:`hippo.circuits.compartments`). Its loss is the mean ``|b − a|`` over its
units: the mismatch between what the two compartments predict.
"""

from numba import njit

from hippo.circuits.activations import activate, activation_code
from hippo.circuits.compartments import soma_potential, soma_potential_code
from hippo.circuits.layer_kinds import LayerKind, register


@njit(inline="always")
def pyramidal_soma(theta, act, threshold, gain, one, r_basal, r_apical):
    """The soma's rate ``φ_s(θ·b + (1 − θ)·a)`` (dimensionless); ``act``, ``threshold``, ``gain`` are φ_s."""
    return activate(soma_potential(theta, r_basal, r_apical, one), act, threshold, gain)[0]


def pyramidal_soma_code(layer) -> str:
    """Brian2 expression of :func:`pyramidal_soma` for ``layer`` (its φ_s), of ``theta``, ``r_basal``, ``r_apical``."""
    return activation_code(layer.activation, soma_potential_code("theta", "r_basal", "r_apical"))[0]


@njit(inline="always")
def pyramidal_mismatch(r_basal, r_apical):
    """``|b − a|`` of one unit (dimensionless)."""
    return abs(r_basal - r_apical)


register(LayerKind("pyramidal", compartments={"basal": "basal", "apical": "apical"},
                   soma=pyramidal_soma, soma_code=pyramidal_soma_code,
                   noise={"basal": "basal_noise", "apical": "apical_noise"},
                   mismatch=pyramidal_mismatch, mismatch_code="abs(r_basal - r_apical)"))
