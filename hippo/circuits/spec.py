"""Engine-free description of a circuit: layers and the projections between them.

A :class:`Network` is data. The rate engine (:mod:`hippo.circuits.rate`) and the
spiking engine (:mod:`hippo.circuits.spiking`) both run the same description.

A layer's kind is any kind of the registry in :mod:`hippo.circuits.layer_kinds`, which
declares its compartments and soma; the built-in kinds (:mod:`hippo.circuits.kinds`):

* ``input`` — rates set from outside every step (sensory features, velocity cells);
* ``feedforward`` — ``r = φ(Σ W·r_in)``, e.g. conjunctive velocity × MEC cells;
* ``multiplicative`` — gain modulation: ``r = φ(Σ W·r_in) · φ_g(Σ W_g·r_g)``, the sum
  into the ``input`` compartment through the layer's activation φ times the sum into
  the ``gain`` compartment through its ``modulation`` φ_g (e.g. an MEC rate scaled by
  ``[1 ± k·v]₊``);
* ``pyramidal`` — two-compartment neurons: basal and apical potentials
  ``V = Σ W·r_in (+ bias)``, compartment rates ``φ_b(V_b) + noise`` and
  ``φ_a(V_a) + noise``, soma ``r = φ_s(θ·b + (1 − θ)·a)``.

Projections carry a weight matrix of shape ``(n_target, n_source + bias)`` into one
compartment of the target layer's kind (``basal`` or ``apical`` of a pyramidal layer,
``input`` of a feed-forward layer, ``input`` or ``gain`` of a multiplicative layer). A projection with a :class:`~hippo.learning.rules.Plasticity` learns with the
rule it names (any rule of the registry in :mod:`hippo.learning.rules`); one without is
fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from hippo.circuits.activations import Activation
import hippo.circuits.kinds  # noqa: F401 - the built-in layer kinds register on import
from hippo.circuits.layer_kinds import kind_named
from hippo.config import bounds
from hippo.errors import ConfigError
from hippo.learning.rules import Plasticity

@dataclass(frozen=True)
class Noise:
    """Ornstein–Uhlenbeck noise added to a compartment's rate: stationary std ``scale``, coherence time ``tau`` (s)."""

    scale: float = field(default=0.0, metadata=bounds(min=0.0))
    tau: float = field(default=0.3, metadata=bounds(gt=0.0, unit="s"))


@dataclass(frozen=True)
class Layer:
    """A population of ``n`` neurons.

    Attributes:
        name: unique name (e.g. ``"hpc"``).
        n: number of neurons.
        kind: a registered layer kind (:mod:`hippo.circuits.layer_kinds`): ``"input"``,
            ``"feedforward"``, ``"multiplicative"``, ``"pyramidal"`` or one added since.
        activation: the soma's φ_s (pyramidal) or the layer's φ (feed-forward, multiplicative).
        basal, apical: the dendritic compartments' φ_b and φ_a (pyramidal only).
        basal_noise, apical_noise: OU noise on the compartment rates (pyramidal only).
        modulation: φ_g of the ``gain`` compartment (multiplicative only).
    """

    name: str
    n: int
    kind: str
    activation: Activation = Activation()
    basal: Activation = Activation()
    apical: Activation = Activation()
    basal_noise: Noise = Noise()
    apical_noise: Noise = Noise()
    modulation: Activation = Activation()

    def __post_init__(self):
        kind_named(self.kind)  # a ConfigError names the registered kinds

    def compartment_activation(self, compartment: str) -> Activation:
        """The activation of ``compartment``, the field its kind declares (e.g. φ_g, ``modulation``, of ``gain``)."""
        return getattr(self, kind_named(self.kind).compartments[compartment])

    def compartment_noise(self, compartment: str) -> Noise | None:
        """The OU noise on ``compartment``'s rate, the field its kind declares, or None."""
        field_name = kind_named(self.kind).noise.get(compartment)
        return getattr(self, field_name) if field_name else None


#: How a projection's synapses are laid out: every pair (``dense``), target unit ``i`` from
#: source unit ``i`` (``one_to_one``), target unit ``i`` from source unit ``i mod n_source``
#: (``blocks``: a stack of one-to-one blocks, ``[I; I; …]``), or the pairs of an index list
#: (``sparse``).
Connectivity = Literal["dense", "one_to_one", "blocks", "sparse"]


@dataclass(frozen=True, eq=False)
class Projection:
    """Weights from layer ``source`` into a compartment of layer ``target``.

    ``weights`` has shape ``(n_target, n_source + bias)`` on every engine; the bias column
    (last) sees a constant input of 1. ``plasticity`` is ``None`` for fixed weights.
    ``dale`` constrains the sign of plastic weights. ``connectivity`` declares which
    synapses exist (:data:`Connectivity`; ``synapses`` holds the ``(n_synapses, 2)``
    ``(target, source)`` index pairs of a ``sparse`` one): the engines store and compute
    only those, and every weight outside them is zero. A projection other than
    ``dense`` is fixed and has no bias.
    """

    source: str
    target: str
    compartment: str
    weights: np.ndarray
    bias: bool = False
    plasticity: Plasticity | None = None
    dale: Literal["none", "excitatory", "inhibitory"] = "none"
    connectivity: Connectivity = "dense"
    synapses: np.ndarray | None = None

    @property
    def name(self) -> str:
        """``target.compartment<-source``, e.g. ``"mec.apical<-mec"``."""
        return f"{self.target}.{self.compartment}<-{self.source}"

    @property
    def plastic(self) -> bool:
        return self.plasticity is not None

    def synapse_indices(self) -> tuple[np.ndarray, np.ndarray]:
        """``(target, source)`` unit indices of every synapse (int64), ordered by target, then source.

        A ``dense`` projection has every pair; its bias column is not a synapse.
        """
        n_target, n_source = self.weights.shape[0], self.weights.shape[1] - int(self.bias)
        if self.connectivity == "dense":
            return np.divmod(np.arange(n_target * n_source, dtype=np.int64), n_source)
        if self.connectivity == "sparse":
            pairs = np.asarray(self.synapses, dtype=np.int64).reshape(-1, 2)
            order = np.lexsort((pairs[:, 1], pairs[:, 0]))
            return pairs[order, 0], pairs[order, 1]
        target = np.arange(n_target, dtype=np.int64)
        return target, target % n_source

    def check_connectivity(self, n_target: int, n_source: int) -> None:
        """Raise a ConfigError unless the declared connectivity fits the layer sizes and the weights.

        Args:
            n_target, n_source: the sizes of the target and source layers.
        """
        kind = self.connectivity
        if kind not in ("dense", "one_to_one", "blocks", "sparse"):
            raise ConfigError("network", self.name, f"connectivity {kind!r}", "dense, one_to_one, blocks or sparse")
        if (self.synapses is not None) != (kind == "sparse"):
            raise ConfigError("network", self.name, f"synapses given with connectivity {kind!r}",
                              "an index list with connectivity 'sparse' only")
        if kind == "dense":
            return
        if self.plastic or self.bias:
            raise ConfigError("network", self.name, f"a {kind} projection with plasticity or a bias",
                              "a fixed projection without bias (or connectivity 'dense')")
        if kind == "one_to_one" and n_target != n_source:
            raise ConfigError("network", self.name, f"one_to_one from {n_source} to {n_target} units",
                              "as many target as source units")
        if kind == "blocks" and n_target % n_source:
            raise ConfigError("network", self.name, f"blocks of {n_source} into {n_target} units",
                              "a whole number of source-sized blocks")
        if kind == "sparse":
            pairs = np.asarray(self.synapses)
            if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer):
                raise ConfigError("network", self.name, f"synapses of shape {pairs.shape} ({pairs.dtype})",
                                  "an (n_synapses, 2) integer array of (target, source) pairs")
            if len(pairs) and (pairs.min() < 0 or pairs[:, 0].max() >= n_target or pairs[:, 1].max() >= n_source):
                raise ConfigError("network", self.name, "a synapse index outside the layers",
                                  f"targets below {n_target}, sources below {n_source}")
            if len(np.unique(pairs, axis=0)) != len(pairs):
                raise ConfigError("network", self.name, "a synapse listed twice", "each (target, source) pair once")
        target, source = self.synapse_indices()
        outside = self.weights.copy()
        outside[target, source] = 0.0
        if np.any(outside != 0):
            raise ConfigError("network", self.name, f"nonzero weights outside its {kind} synapses",
                              "zeros wherever no synapse is declared")


@dataclass(frozen=True, eq=False)
class Network:
    """Layers (in evaluation order) and projections; validated on construction."""

    layers: tuple[Layer, ...]
    projections: tuple[Projection, ...]

    def __post_init__(self):
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ConfigError("network", "layers", f"duplicate layer names in {names}")
        by_name = {layer.name: layer for layer in self.layers}
        seen = set()
        for p in self.projections:
            for end in (p.source, p.target):
                if end not in by_name:
                    raise ConfigError("network", p.name, f"unknown layer {end!r}", ", ".join(names))
            target = by_name[p.target]
            allowed = tuple(kind_named(target.kind).compartments)
            if p.compartment not in allowed:
                raise ConfigError("network", p.name, f"a {target.kind} layer has no {p.compartment!r} compartment",
                                  ", ".join(allowed) or "none: input layers take no projections")
            expected = (target.n, by_name[p.source].n + int(p.bias))
            if p.weights.shape != expected:
                raise ConfigError("network", p.name, f"weights of shape {p.weights.shape}", f"shape {expected}")
            p.check_connectivity(target.n, by_name[p.source].n)
            if p.name in seen:
                raise ConfigError("network", p.name, "duplicate projection")
            seen.add(p.name)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def projection(self, name: str) -> Projection:
        for p in self.projections:
            if p.name == name:
                return p
        raise KeyError(f"{name} (projections: {', '.join(p.name for p in self.projections)})")

    @property
    def input_layers(self) -> list[Layer]:
        """The layers whose rates are set from outside (a kind without soma, e.g. ``input``)."""
        return [layer for layer in self.layers if kind_named(layer.kind).external]


@dataclass(frozen=True)
class ProjectionConfig:
    """TOML description of one projection's initial weights and learning.

    Attributes:
        w_init: initial weights are normal with standard deviation ``w_init/sqrt(n_source)``.
        w_mean: mean of the initial weights, in units of ``1/sqrt(n_source)``.
        bias: add a bias column (initialised at zero).
        plastic: whether the projection learns.
        dale: sign constraint on the weights.
        plasticity: the learning rule and its parameters (a table tagged by ``rule``; see
            :mod:`hippo.learning.rules`).
    """

    w_init: float = field(default=1.0, metadata=bounds(min=0.0))
    w_mean: float = 0.0
    bias: bool = False
    plastic: bool = True
    dale: Literal["none", "excitatory", "inhibitory"] = "none"
    plasticity: Plasticity = Plasticity()


def build_projection(source: Layer, target: Layer, compartment: str, config: ProjectionConfig,
                     rng: np.random.Generator, fixed: np.ndarray | None = None,
                     connectivity: Connectivity = "dense") -> Projection:
    """A projection with random initial weights per ``config``, or the ``fixed`` matrix.

    A ``fixed`` matrix is used as the initial weights (its bias column, if any, added at
    zero); it still learns if ``config.plastic`` is true. ``connectivity`` declares the
    synapses of a ``fixed`` matrix that is ``one_to_one`` or ``blocks`` (see
    :class:`Projection`).
    """
    if fixed is None:
        weights = rng.normal(config.w_mean / np.sqrt(source.n), config.w_init / np.sqrt(source.n), (target.n, source.n))
    else:
        weights = np.array(fixed, dtype=float)
    if config.bias:
        weights = np.hstack([weights, np.zeros((target.n, 1))])
    if config.dale == "excitatory":
        weights = np.maximum(weights, 0.0)
    elif config.dale == "inhibitory":
        weights = np.minimum(weights, 0.0)
    return Projection(source.name, target.name, compartment, weights, config.bias,
                      config.plasticity if config.plastic else None, config.dale, connectivity)
