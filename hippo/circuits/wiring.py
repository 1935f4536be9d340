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


#: Names of the axis directions, in the order of the velocity cells (see ``VelocityCells``).
DIRECTIONS = ("+x", "-x", "+y", "-y")


def preferred_directions(dim: int, n_directions: int = 0) -> np.ndarray:
    """Unit vectors ``e_d`` ``(n, dim)`` of the conjunctive blocks, in opposite pairs ``e_0, −e_0, e_1, −e_1, …``.

    ``n_directions = 0`` puts them on the world's axes, in the order of the velocity cells:
    ``+x, −x`` on a track, ``+x, −x, +y, −y`` in 2-D. In 2-D an even ``n_directions ≥ 4``
    spaces them ``360°/n`` apart from +x (4 gives the axes again, 6 a hexagon).

    Raises:
        ValueError: ``n_directions`` is not 0, or not even and ≥ 4 in 2-D.
    """
    if n_directions == 0:
        return np.vstack([sign * np.eye(dim)[axis] for axis in range(dim) for sign in (1.0, -1.0)]) + 0.0
    if dim != 2 or n_directions < 4 or n_directions % 2:
        raise ValueError(f"{n_directions} preferred directions in {dim}-D: 0 (the axes), or an even number >= 4 in 2-D")
    angles = np.pi * np.arange(n_directions // 2) / (n_directions // 2)
    axes = np.column_stack([np.cos(angles), np.sin(angles)])
    return np.vstack([sign * axis for axis in axes for sign in (1.0, -1.0)]) + 0.0


def direction_names(directions: np.ndarray) -> tuple[str, ...]:
    """``"+x"``, ``"-x"``, ``"+y"``, ``"-y"`` for directions along the axes, otherwise the angle from +x
    (``"60°"``)."""
    def name(e: np.ndarray) -> str:
        for axis, letter in enumerate("xy"[:len(e)]):
            if np.isclose(abs(e[axis]), 1.0):
                return ("+" if e[axis] > 0 else "-") + letter
        return f"{np.degrees(np.arctan2(e[1], e[0])) % 360:.0f}°"
    return tuple(name(e) for e in directions)


def conjunctive_blocks(n_mec: int, directions: int | np.ndarray) -> dict[str, slice]:
    """The conjunctive layer's block layout: direction name (:func:`direction_names`) → the slice of
    conjunctive cells pairing every MEC cell with that direction.

    ``directions`` is the ``(n, dim)`` array of :func:`preferred_directions`, or the number of
    velocity cells for the axes (2 on a track, 4 in 2-D). Conjunctive cell ``block.start + j``
    pairs MEC cell ``j``; so ``w[:, blocks["+x"]]`` of the ``mec.apical<-conjunctive`` weights is
    the ``(n_mec, n_mec)`` map from MEC cells moving in +x.
    """
    if isinstance(directions, (int, np.integer)):
        directions = preferred_directions(int(directions) // 2)
    return {name: slice(d * n_mec, (d + 1) * n_mec) for d, name in enumerate(direction_names(directions))}


def path_integrator_network(n_features: int, n_mec: int, n_velocity: int, hpc: PyramidalConfig, mec: PyramidalConfig,
                            conjunctive_threshold: float, projections: PathIntegratorProjections,
                            rng: np.random.Generator, velocity_input: bool = True,
                            modulation: Literal["additive", "multiplicative"] = "additive",
                            n_directions: int = 0) -> Network:
    """The path-integration circuit (docs/architecture.md, The model: experiment B).

    Features → HPC basal (identity, fixed); HPC apical ← MEC; MEC basal ← HPC; MEC apical
    ← MEC and ← conjunctive cells. There are ``n_velocity`` velocity cells (``k·[v_i]₊`` and
    ``k·[−v_i]₊`` per dimension ``i``) and one block of ``n_mec`` conjunctive cells per
    preferred direction ``e_d`` (:func:`preferred_directions` of ``n_directions``): block ``d``
    pairs MEC cell ``j`` (``W_m = [I; I; …]``, fixed) with the velocity along ``e_d``, ``k·v·e_d``
    (the velocity cells weighted ``±e_d``, fixed), as

    - ``modulation = "additive"``: ``relu(k·v·e_d + MEC_j − threshold)``;
    - ``modulation = "multiplicative"``: ``relu(MEC_j − threshold) · [1 + k·v·e_d]₊``
      (a multiplicative layer: MEC into its ``input``, velocity into its ``gain``).

    On the axes (``n_directions = 0``) ``k·v·e_d`` is ``v_d − v_opposite`` of the velocity cells.
    With ``velocity_input`` false the velocity weights are zero (the no-velocity control).
    """
    features = Layer("features", n_features, "input")
    velocity = Layer("velocity", n_velocity, "input")
    hpc_layer = hpc.layer("hpc", n_features)
    mec_layer = mec.layer("mec", n_mec)
    threshold = Activation("relu", threshold=conjunctive_threshold)
    directions = preferred_directions(n_velocity // 2, n_directions)
    n_blocks = len(directions)
    if modulation == "multiplicative":
        conjunctive = Layer("conjunctive", n_blocks * n_mec, "multiplicative", threshold,
                            modulation=Activation("relu", threshold=-1.0))
        velocity_compartment = "gain"
    else:
        conjunctive = Layer("conjunctive", n_blocks * n_mec, "feedforward", threshold)
        velocity_compartment = "input"
    fixed = ProjectionConfig(plastic=False)
    along = np.column_stack([sign * directions[:, axis] for axis in range(directions.shape[1]) for sign in (1.0, -1.0)])
    w_velocity = np.repeat(along, n_mec, axis=0) + 0.0
    if not velocity_input:
        w_velocity[:] = 0.0
    w_mec = np.vstack([np.eye(n_mec)] * n_blocks)
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
