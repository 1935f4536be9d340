"""Grid-cell mechanisms of the 2-D path integrator: MEC cells on a periodic neural sheet and a
pattern-forming interaction confined to a radius on it (``[grid]`` of ``path-integration-2d``).

Learned 2-D networks give place cells when their recurrent inhibition reaches across the whole
world: only one bump fits (Weber & Sprekeler 2018; the learned profile in
docs/path-integration-2d.md). Hand-wired grid networks (Burak & Fiete 2009; Couey et al. 2013)
place the cells on a sheet and confine the interaction to a range shorter than the sheet, so
that several bumps form on it in a periodic pattern; a cell then fires wherever any bump of the
pattern passes over it as the pattern moves with the animal.

Here the MEC cells of :func:`hippo.circuits.wiring.path_integrator_network` are laid out on an
``L × L`` sheet with periodic boundaries (``L = √n_mec``; cell ``j`` at column ``j mod L``, row
``j // L``), and a fixed projection ``mec.basal<-mec`` (the wake drive, beside the learned input
from HPC) connects each cell to the cells within ``R = sheet_radius`` of it on the sheet (sheet
distance ``d`` in cell spacings, the shortest way round, the cell itself included) with a
difference of Gaussians whose weights sum to zero,
``w(d) = a·[exp(−d²/(2·(R/4)²)) − c·exp(−d²/(2·(R/2)²))]``: excitation near, inhibition from about
``R/3`` to ``R``, nothing beyond. The learned projections (HPC → MEC, MEC → MEC apical, the
conjunctive cells) learn on top of it, so the learned apical recurrence can be compared with the
fixed sheet kernel it is taught by.

Why a balanced, smooth kernel and not inhibition only: the engine's compartments have no leak (a
compartment's potential is the weighted sum of the previous step's rates), so a sheet mode ``k``
of the recurrent weights grows when its eigenvalue ``λ_k`` exceeds ``1/φ'`` and flips sign every
step when ``λ_k < −1/φ'``. An inhibition-only kernel strong enough to form a pattern
(``λ_k > 1`` at the pattern's wavelength) has a uniform-mode eigenvalue about seven times larger
and negative (a disk, or the Burak–Fiete kernel, which relies on a leak and a uniform drive), so
the whole sheet would switch on and off at every step; a kernel whose weights sum to zero leaves
the uniform mode at ``λ_0 = 0``, and a smooth one that includes the cell's own weight keeps every
eigenvalue at or above about −0.1·``pattern_gain`` (a step kernel or one without the cell's own
weight has eigenvalues below −1 at short wavelengths for ``R ≤ 3``). ``pattern_gain`` sets the
largest eigenvalue, ``max_k λ_k``: above ``1/φ'`` (1 for the linear part of ``retanh``) a
uniform drive breaks into a periodic pattern on the sheet, of the wavelength of
:func:`sheet_wavelength` (about 1.2–1.6 ``R``).

With ``interneurons`` the MEC recurrence also runs through an inhibitory population, as in
medial entorhinal cortex, where stellate cells excite each other only through interneurons
(Couey et al. 2013) and such E→I→E connections can be learned (Widloski & Fiete 2014): one
interneuron per sheet site, ``mec_inhibitory``, fires ``relu`` of the mean MEC rate within
``R`` of its site (fixed E→I), and projects to the MEC apical compartment through learned
weights held at or below zero (``dale = "inhibitory"``, :attr:`GridConfig.inhibitory`). The
direct learned MEC → MEC recurrence stays; ``projections.mec_apical_mec.dale = "excitatory"``
leaves it excitation only, so that all learned inhibition runs through the interneurons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.circuits.activations import Activation
from hippo.circuits.spec import Layer, Network, Projection, ProjectionConfig, build_projection
from hippo.config import bounds, preset_defaults
from hippo.errors import ConfigError
from hippo.world.gridworld import periodic_displacement


#: Random key of the interneurons' initial weights, ``[seed, INTERNEURON_KEY]`` (after the path-integration
#: experiment's keys 0–4, :data:`hippo.experiments.path_integration.NETWORK_KEY` and the rest).
INTERNEURON_KEY = 5


@dataclass(frozen=True)
@preset_defaults("path-integration-2d.toml", table="grid")
class GridConfig:
    """MEC cells on a periodic neural sheet with a fixed local pattern-forming kernel (module docstring).

    Attributes:
        sheet_radius: range ``R`` of the sheet kernel, in sheet cell spacings (dimensionless); 0
            leaves MEC without a sheet (the default). Otherwise ``n_mec`` must be a square
            ``L²`` and ``2 ≤ R < L/2`` (the kernel must span more than the nearest cells and
            not reach round the sheet onto itself).
        pattern_gain: largest eigenvalue of the sheet kernel over the sheet's Fourier modes
            (dimensionless, MEC rate per MEC rate): the kernel's amplitude is scaled to it; 0
            leaves the sheet without the fixed kernel (the interneurons' layout only).
        interneurons: add the inhibitory population ``mec_inhibitory`` (E→I→E, module docstring).
        inhibitory: initial weights and learning of the interneurons' projection to the MEC apical
            compartment (``w_init`` as for every projection; ``dale`` must be ``"inhibitory"``).
    """

    sheet_radius: float = field(metadata=bounds(min=0.0))
    pattern_gain: float = field(metadata=bounds(min=0.0))
    interneurons: bool
    inhibitory: ProjectionConfig

    def __post_init__(self):
        if self.interneurons and not self.sheet_radius:
            raise ConfigError("grid", "interneurons", "interneurons without a sheet to place them on",
                              "a grid.sheet_radius > 0 with them")
        if self.inhibitory.dale != "inhibitory":
            raise ConfigError("grid", "inhibitory.dale", f"{self.inhibitory.dale!r} for the interneurons' synapses",
                              "'inhibitory'")

    @property
    def on(self) -> bool:
        return self.sheet_radius > 0


def sheet_side(n_mec: int, config: GridConfig) -> int:
    """The sheet's side ``L`` (cells) for ``n_mec`` MEC cells.

    Raises:
        ConfigError: ``n_mec`` is not a square, or ``sheet_radius`` is not in ``[2, L/2)``.
    """
    side = int(round(np.sqrt(n_mec)))
    if side * side != n_mec:
        raise ConfigError("--set", "n_mec", f"{n_mec} MEC cells cannot tile a square sheet (grid.sheet_radius "
                          f"{config.sheet_radius:g})", f"a square, e.g. {side * side} or {(side + 1) ** 2}")
    if not 2 <= config.sheet_radius < side / 2:
        raise ConfigError("--set", "grid.sheet_radius", f"{config.sheet_radius:g} on a {side} x {side} sheet",
                          f"0 (no sheet) or from 2 to below {side / 2:g} cell spacings")
    return side


def sheet_distances(side: int) -> np.ndarray:
    """``(side², side²)`` distances between the cells of a ``side × side`` periodic sheet (cell spacings),
    cell ``j`` at column ``j mod side`` and row ``j // side``."""
    cells = np.stack(np.divmod(np.arange(side * side), side), axis=-1)  # (row, column) of each cell
    d = periodic_displacement(cells[:, None, :] - cells[None, :, :], side)
    return np.hypot(d[..., 0], d[..., 1])


def sheet_kernel(side: int, config: GridConfig) -> np.ndarray:
    """The fixed sheet weights ``(side², side²)``: ``a·[exp(−d²/(2(R/4)²)) − c·exp(−d²/(2(R/2)²))]`` for
    ``d ≤ R`` (the cell's own weight included), zero beyond; ``c`` makes every row sum to zero and ``a``
    puts the largest eigenvalue at ``config.pattern_gain``."""
    d = sheet_distances(side)
    radius = config.sheet_radius
    inside = d <= radius
    centre = np.exp(-d**2 / (2 * (radius / 4) ** 2)) * inside
    surround = np.exp(-d**2 / (2 * (radius / 2) ** 2)) * inside
    kernel = centre - surround * (centre[0].sum() / surround[0].sum())
    return kernel * (config.pattern_gain / np.linalg.eigvalsh(kernel).max())


def with_sheet(network: Network, n_mec: int, config: GridConfig, seed: int) -> Network:
    """``network`` with the fixed sparse projection ``mec.basal<-mec`` of :func:`sheet_kernel` (with a
    ``pattern_gain``) and the interneurons (with ``interneurons``; initial weights drawn from
    ``[seed, INTERNEURON_KEY]``) added; unchanged without a sheet."""
    if not config.on:
        return network
    side = sheet_side(n_mec, config)
    layers, projections = network.layers, network.projections
    if config.pattern_gain:
        kernel = sheet_kernel(side, config)
        projections += (Projection("mec", "mec", "basal", kernel, connectivity="sparse",
                                   synapses=np.argwhere(kernel != 0)),)
    if config.interneurons:
        mec = network.layer("mec")
        inhibitory = Layer("mec_inhibitory", n_mec, "feedforward", Activation("relu"))
        pooled = sheet_distances(side) <= config.sheet_radius
        layers += (inhibitory,)
        projections += (Projection("mec", "mec_inhibitory", "input", pooled / pooled.sum(axis=1, keepdims=True),
                                   connectivity="sparse", synapses=np.argwhere(pooled)),
                        build_projection(inhibitory, mec, "apical", config.inhibitory,
                                         np.random.default_rng([seed, INTERNEURON_KEY])))
    return Network(layers, projections)


def sheet_wavelength(side: int, config: GridConfig) -> float:
    """Wavelength (cell spacings) of the sheet's most unstable mode, the kernel's largest-eigenvalue
    Fourier mode: the period of the pattern that grows on the sheet."""
    profile = sheet_kernel(side, config)[0].reshape(side, side)
    spectrum = np.real(np.fft.fft2(profile))
    k = np.fft.fftfreq(side)
    ky, kx = np.unravel_index(np.argmax(spectrum), spectrum.shape)
    return float(1.0 / np.hypot(k[kx], k[ky]))


def sheet_profile(weights: np.ndarray, side: int) -> dict[str, float]:
    """Mean of ``weights`` ``(side², side²)`` (a cell's own weight left out) over the cell pairs at each
    distance on the sheet, up to the farthest: ``{"distance in cell spacings": mean weight}``."""
    d = np.round(sheet_distances(side), 6)
    other = ~np.eye(side * side, dtype=bool)
    return {f"{r:.3f}": float(weights[other & (d == r)].mean()) for r in np.unique(d[other])}


def sheet_metrics(n_mec: int, config: GridConfig, weight) -> dict:
    """What the sheet imposes and what learning made of it, from ``weight`` (a projection's name → its
    current weights, as ``engine.weight``): the most unstable mode's wavelength (cell spacings), and
    against sheet distance (:func:`sheet_profile`) the fixed kernel, the learned MEC apical recurrence
    and, with interneurons, the learned inhibition they relay (``W_apical←I · W_I←MEC``, MEC to MEC)."""
    side = sheet_side(n_mec, config)
    metrics = {"side_cells": side,
               "learned_recurrent_by_sheet_distance": sheet_profile(weight("mec.apical<-mec")[:, :n_mec], side)}
    if config.pattern_gain:
        metrics.update(wavelength_cells=sheet_wavelength(side, config),
                       fixed_by_sheet_distance=sheet_profile(sheet_kernel(side, config), side))
    if config.interneurons:
        relayed = weight("mec.apical<-mec_inhibitory")[:, :n_mec] @ weight("mec_inhibitory.input<-mec")
        metrics["learned_inhibition_by_sheet_distance"] = sheet_profile(relayed, side)
    return metrics
