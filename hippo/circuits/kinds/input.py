"""The ``input`` layer kind: rates set from outside every step (sensory features, velocity cells).

No compartments and no soma: the engines take the layer's rates from the run's inputs
(on the spiking engines, a Poisson source following them), and no projection targets it.
"""

from hippo.circuits.layer_kinds import LayerKind, register

register(LayerKind("input", compartments={}, soma=None))
