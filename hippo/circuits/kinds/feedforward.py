"""The ``feedforward`` layer kind: ``r = φ(Σ W·r_in)``, e.g. conjunctive velocity × MEC cells.

One compartment, ``input``, whose activation is the layer's φ (``Layer.activation``);
the soma is the compartment's rate.
"""

from numba import njit

from hippo.circuits.layer_kinds import LayerKind, register


@njit(inline="always")
def feedforward_soma(theta, act, threshold, gain, one, r_input):
    """The soma's rate: the ``input`` compartment's rate (dimensionless)."""
    return r_input


register(LayerKind("feedforward", compartments={"input": "activation"}, soma=feedforward_soma, soma_code=lambda layer: "r_input"))
