"""Network descriptions of the paper's circuits, built from experiment configs.

Both engines run these descriptions; experiments call the builders and never wire
neurons themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hippo.circuits.activations import Activation
from hippo.circuits.spec import Layer, Network, Noise, ProjectionConfig, build_projection


@dataclass(frozen=True)
class PyramidalConfig:
    """Activations and noise of a pyramidal layer's soma and compartments."""

    soma: Activation = Activation()
    basal: Activation = Activation()
    apical: Activation = Activation()
    basal_noise: Noise = Noise(0.01, 0.3)
    apical_noise: Noise = Noise(0.01, 0.3)

    def layer(self, name: str, n: int) -> Layer:
        return Layer(name, n, "pyramidal", self.soma, self.basal, self.apical, self.basal_noise, self.apical_noise)


@dataclass(frozen=True)
class AutoencoderProjections:
    """Learned projections of the autoencoder (HPC ↔ MEC ↔ MEC)."""

    hpc_apical_mec: ProjectionConfig = ProjectionConfig(w_init=1.0)
    mec_basal_hpc: ProjectionConfig = ProjectionConfig(w_init=1.0)
    mec_apical_mec: ProjectionConfig = ProjectionConfig(w_init=0.1)


def autoencoder_network(n_features: int, n_mec: int, hpc: PyramidalConfig, mec: PyramidalConfig,
                        projections: AutoencoderProjections, rng: np.random.Generator) -> Network:
    """Features → HPC basal (identity, fixed); HPC apical ← MEC; MEC basal ← HPC; MEC apical ← MEC.

    HPC has one neuron per feature.
    """
    features = Layer("features", n_features, "input")
    hpc_layer = hpc.layer("hpc", n_features)
    mec_layer = mec.layer("mec", n_mec)
    fixed = ProjectionConfig(plastic=False)
    return Network(
        (features, hpc_layer, mec_layer),
        (
            build_projection(features, hpc_layer, "basal", fixed, rng, fixed=np.eye(n_features), connectivity="one_to_one"),
            build_projection(mec_layer, hpc_layer, "apical", projections.hpc_apical_mec, rng),
            build_projection(hpc_layer, mec_layer, "basal", projections.mec_basal_hpc, rng),
            build_projection(mec_layer, mec_layer, "apical", projections.mec_apical_mec, rng),
        ),
    )


@dataclass(frozen=True)
class PathIntegratorProjections:
    """Learned projections of the path integrator."""

    hpc_apical_mec: ProjectionConfig = ProjectionConfig(w_init=1.0, bias=True)
    mec_basal_hpc: ProjectionConfig = ProjectionConfig(w_init=1.0, bias=True)
    mec_apical_mec: ProjectionConfig = ProjectionConfig(w_init=0.2)
    mec_apical_conjunctive: ProjectionConfig = ProjectionConfig(w_init=0.2)


#: Names of the velocity directions, in the order of the velocity cells (see ``VelocityCells``).
DIRECTIONS = ("+x", "-x", "+y", "-y")


def conjunctive_blocks(n_mec: int, n_velocity: int) -> dict[str, slice]:
    """The conjunctive layer's block layout: direction (``"+x"``, ``"-x"``, ``"+y"``, ``"-y"``) →
    the slice of conjunctive cells pairing every MEC cell with that direction's velocity cell.

    Conjunctive cell ``block.start + j`` pairs MEC cell ``j``; so ``w[:, blocks["+x"]]`` of
    the ``mec.apical<-conjunctive`` weights is the ``(n_mec, n_mec)`` map from MEC cells
    moving in +x.
    """
    return {DIRECTIONS[d]: slice(d * n_mec, (d + 1) * n_mec) for d in range(n_velocity)}


def path_integrator_network(n_features: int, n_mec: int, n_velocity: int, hpc: PyramidalConfig, mec: PyramidalConfig,
                            conjunctive_threshold: float, projections: PathIntegratorProjections,
                            rng: np.random.Generator, velocity_input: bool = True,
                            modulation: Literal["additive", "multiplicative"] = "additive") -> Network:
    """The path-integration circuit (DESIGN §2, experiment B).

    Features → HPC basal (identity, fixed); HPC apical ← MEC; MEC basal ← HPC; MEC apical
    ← MEC and ← conjunctive cells. There are ``n_velocity`` velocity cells (pairs of
    +/− cells per dimension) and ``n_velocity · n_mec`` conjunctive cells: block ``d``
    pairs MEC cell ``j`` with velocity cell ``d`` (``W_m = [I; I; …]``, fixed), as

    - ``modulation = "additive"``: ``relu(v_d − v_opposite + MEC_j − threshold)``;
    - ``modulation = "multiplicative"``: ``relu(MEC_j − threshold) · [1 + v_d − v_opposite]₊``
      (a multiplicative layer: MEC into its ``input``, velocity into its ``gain``).

    With ``velocity_input`` false the velocity weights are zero (the no-velocity control).
    """
    features = Layer("features", n_features, "input")
    velocity = Layer("velocity", n_velocity, "input")
    hpc_layer = hpc.layer("hpc", n_features)
    mec_layer = mec.layer("mec", n_mec)
    threshold = Activation("relu", threshold=conjunctive_threshold)
    if modulation == "multiplicative":
        conjunctive = Layer("conjunctive", n_velocity * n_mec, "multiplicative", threshold,
                            modulation=Activation("relu", threshold=-1.0))
        velocity_compartment = "gain"
    else:
        conjunctive = Layer("conjunctive", n_velocity * n_mec, "feedforward", threshold)
        velocity_compartment = "input"
    fixed = ProjectionConfig(plastic=False)
    w_velocity = np.zeros((n_velocity * n_mec, n_velocity))
    for d, block in enumerate(conjunctive_blocks(n_mec, n_velocity).values()):
        opposite = d + 1 if d % 2 == 0 else d - 1
        w_velocity[block, d] = 1.0
        w_velocity[block, opposite] = -1.0
    if not velocity_input:
        w_velocity[:] = 0.0
    w_mec = np.vstack([np.eye(n_mec)] * n_velocity)
    return Network(
        (features, velocity, hpc_layer, mec_layer, conjunctive),
        (
            build_projection(features, hpc_layer, "basal", fixed, rng, fixed=np.eye(n_features), connectivity="one_to_one"),
            build_projection(mec_layer, hpc_layer, "apical", projections.hpc_apical_mec, rng),
            build_projection(hpc_layer, mec_layer, "basal", projections.mec_basal_hpc, rng),
            build_projection(mec_layer, mec_layer, "apical", projections.mec_apical_mec, rng),
            build_projection(conjunctive, mec_layer, "apical", projections.mec_apical_conjunctive, rng),
            build_projection(velocity, conjunctive, velocity_compartment, fixed, rng, fixed=w_velocity),
            build_projection(mec_layer, conjunctive, "input", fixed, rng, fixed=w_mec, connectivity="blocks"),
        ),
    )
