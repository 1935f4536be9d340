"""The ``multiplicative`` layer kind: gain modulation, ``r = φ(Σ W·r_in) · φ_g(Σ W_g·r_g)``.

Two compartments: ``input`` through the layer's activation φ (``Layer.activation``) and
``gain`` through its ``modulation`` φ_g (e.g. an MEC rate scaled by ``[1 ± k·v]₊``); the
soma is their product. On the spiking engines the layer is a Poisson pool whose rate is
the product of its two *filtered* drives (see :mod:`hippo.circuits.spiking` for what
that means for its noise).
"""

from numba import njit

from hippo.circuits.layer_kinds import LayerKind, register


@njit(inline="always")
def multiplicative_soma(theta, act, threshold, gain, one, r_input, r_gain):
    """The soma's rate: the product of the ``input`` and ``gain`` compartments' rates (dimensionless)."""
    return r_input * r_gain


register(LayerKind("multiplicative", compartments={"input": "activation", "gain": "modulation"},
                   soma=multiplicative_soma, soma_code=lambda layer: "r_input*r_gain"))
