"""Sensory encoders: turn a trajectory into firing rates; Gaussian-process latents.

Every encoder (place, cue and velocity cells) has ``n`` features and an
``encode(trajectory, start, stop)`` method returning rates of shape ``(stop − start, n)``
for steps ``start:stop`` of the trajectory, so that long runs can be encoded chunk by
chunk. ``remap(seed)`` returns a new encoder of the same kind with a fresh random
assignment (new place-field centres, new cue-to-feature mapping): a new environment for
transfer experiments. Rates are dimensionless (peak 1 for place and cue features).
Latent features are white noise filtered by :func:`latent_filter` and mixed linearly;
:class:`~hippo.world.stream.Stream` generates them block by block.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from hippo.config import bounds
from hippo.errors import ConfigError
from hippo.world.gridworld import Gridworld
from hippo.world.trajectory import Trajectory


@dataclass(frozen=True)
class SensesConfig:
    """Sensory stream.

    Attributes:
        kind: ``"place"`` (Gaussian place-like features), ``"cue"`` (object identity of
            the map letters), ``"latent"`` (Gaussian-process latents mixed into features).
        n: number of features (place cells; for ``"latent"`` the number of mixed features).
        width: place-field or cue-field width (standard deviation, metres).
        centres: ``"tiled"`` (evenly spaced over the free space, with ``jitter``) or
            ``"random"`` (uniform over free cells).
        jitter: random displacement of tiled centres, as a fraction of their spacing.
        n_latents: number of Gaussian-process latents (``"latent"``).
        timescale: latent timescale τ in seconds (squared-exponential kernel).
        mix_scale: scale of the random mixing weights (standard deviation ``mix_scale/sqrt(n_latents)``).
        surround: centre–surround place features (``"place"``): the ratio ``s`` of the inhibitory
            surround's width to ``width`` (dimensionless, > 1), or 0 for plain Gaussians. Each feature
            becomes a difference of Gaussians whose surround has amplitude ``s^−dim``, so that it
            integrates to zero over the plane (or the line): zero-mean place inputs, the condition
            under which non-negative PCA of place-cell input gives hexagonal grids (Dordek et al.
            2016). Rates are then signed (the surround is below the baseline).
    """

    kind: Literal["place", "cue", "latent"] = "place"
    n: int = field(default=100, metadata=bounds(min=1))
    width: float = field(default=0.06, metadata=bounds(gt=0.0))
    centres: Literal["tiled", "random"] = "tiled"
    jitter: float = field(default=0.0, metadata=bounds(min=0.0, max=1.0))
    n_latents: int = field(default=5, metadata=bounds(min=1))
    timescale: float = field(default=1.0, metadata=bounds(gt=0.0))
    mix_scale: float = field(default=1.0, metadata=bounds(gt=0.0))
    surround: float = field(default=0.0, metadata=bounds(min=0.0))

    def __post_init__(self):
        if 0.0 < self.surround <= 1.0:
            raise ConfigError("senses", "surround", f"{self.surround!r}: a surround no wider than the centre",
                              "0 (plain Gaussian features) or a width ratio > 1")


def _tiled_centres(env: Gridworld, n: int, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` centres spread evenly over the free space (metres), ``(n, dim)``."""
    if env.dim == 1:
        low, high = 0.0, env.size[0]
        spacing = (high - low) / n
        centres = (low + (np.arange(n) + 0.5) * spacing)[:, None]
    else:
        per_side = int(np.ceil(np.sqrt(n * env.n_free / env.free.size)))
        while True:
            xs = (np.arange(per_side) + 0.5) * env.size[0] / per_side
            ys = (np.arange(per_side) + 0.5) * env.size[1] / per_side
            grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
            grid = grid[env.is_free(grid)]
            if len(grid) >= n:
                break
            per_side += 1
        spacing = env.size[0] / per_side
        centres = grid[np.sort(rng.choice(len(grid), n, replace=False))] if len(grid) > n else grid
    if jitter > 0:
        centres = centres + (rng.random(centres.shape) - 0.5) * jitter * spacing
        centres = env.wrap(centres) if env.periodic else np.clip(centres, 0, env.size - 1e-9)
    return centres


def _random_centres(env: Gridworld, n: int, rng: np.random.Generator) -> np.ndarray:
    cells = env.free_cells[rng.integers(env.n_free, size=n)]
    return env.cell_centres(cells) + (rng.random((n, env.dim)) - 0.5) * env.cell_size


@dataclass(frozen=True, eq=False)
class PlaceCells:
    """Gaussian place-like features: ``rate_i = exp(−d(x, c_i)² / (2·width²))``.

    With a ``surround`` ratio ``s > 0`` (see :class:`SensesConfig`) each is a zero-mean
    difference of Gaussians, ``exp(−d²/(2·width²)) − s^−dim·exp(−d²/(2·(s·width)²))``.
    Distances go the shortest way round on periodic worlds. ``centres`` are in metres,
    ``(n, dim)``; ``width`` in metres.
    """

    env: Gridworld
    centres: np.ndarray
    width: float
    placement: str = "tiled"
    jitter: float = 0.0
    surround: float = 0.0

    @classmethod
    def build(cls, env: Gridworld, n: int, width: float, placement: str, jitter: float, rng: np.random.Generator,
              surround: float = 0.0) -> "PlaceCells":
        centres = _tiled_centres(env, n, jitter, rng) if placement == "tiled" else _random_centres(env, n, rng)
        return cls(env, centres, width, placement, jitter, surround)

    @property
    def n(self) -> int:
        return len(self.centres)

    def rates_at(self, position: np.ndarray) -> np.ndarray:
        """Rates ``(T, n)`` at positions ``(T, dim)`` metres."""
        d = self.env.displacement(position[:, None, :], self.centres[None, :, :])
        squared = np.sum(d * d, axis=-1)
        rates = np.exp(-squared / (2.0 * self.width**2))
        if self.surround:
            s = self.surround
            rates -= s ** -self.env.dim * np.exp(-squared / (2.0 * (s * self.width) ** 2))
        return rates

    def encode(self, trajectory: Trajectory, start: int, stop: int) -> np.ndarray:
        return self.rates_at(trajectory.position[start:stop])

    def remap(self, seed: int) -> "PlaceCells":
        """New random centres (random placement, or re-jittered tiling shuffled across cells)."""
        rng = np.random.default_rng(seed)
        if self.placement == "random":
            return replace(self, centres=_random_centres(self.env, self.n, rng))
        centres = _tiled_centres(self.env, self.n, self.jitter, rng)
        return replace(self, centres=centres[rng.permutation(self.n)])


@dataclass(frozen=True, eq=False)
class CueCells:
    """Object-identity features from the map letters.

    Feature ``k`` responds to letter ``letters[assignment[k]]``:
    ``rate = exp(−d² / (2·width²))`` with ``d`` the distance (metres) from the agent to the
    nearest cell centre carrying that letter, so a cue is seen when standing on or near it.
    """

    env: Gridworld
    letters: tuple[str, ...]
    assignment: np.ndarray
    width: float

    @classmethod
    def build(cls, env: Gridworld, width: float) -> "CueCells":
        letters = tuple(env.cue_letters)
        if not letters:
            raise ConfigError(env.source or env.name, "map", "a cue stream needs letters on the map",
                              "an environment with cue letters, e.g. tem-grid or two-rooms")
        return cls(env, letters, np.arange(len(letters)), width)

    @property
    def n(self) -> int:
        return len(self.letters)

    def rates_at(self, position: np.ndarray) -> np.ndarray:
        rates = np.empty((len(position), self.n))
        for k, letter_index in enumerate(self.assignment):
            cells = np.argwhere(self.env.grid == self.letters[letter_index])
            centres = self.env.cell_centres(cells)
            d = self.env.distance(position[:, None, :], centres[None, :, :]).min(axis=1)
            rates[:, k] = np.exp(-d * d / (2.0 * self.width**2))
        return rates

    def encode(self, trajectory: Trajectory, start: int, stop: int) -> np.ndarray:
        return self.rates_at(trajectory.position[start:stop])

    def remap(self, seed: int) -> "CueCells":
        """New random assignment of letters to features."""
        return replace(self, assignment=np.random.default_rng(seed).permutation(self.n))


#: Half-width of the latent smoothing filter, in latent timescales (the kernel is below e^-16 beyond).
LATENT_FILTER_HALF_WIDTH = 4.0


def latent_filter(dt: float, timescale: float) -> np.ndarray:
    """FIR filter turning unit white noise into a unit-variance Gaussian process with kernel
    ``exp(−Δt² / (2·timescale²))`` (seconds).

    The filter is the kernel's square root in the time domain, ``h(t) ∝ exp(−t² / timescale²)``
    (a Gaussian of standard deviation ``timescale/√2``, whose self-convolution is the
    kernel), truncated at ``±LATENT_FILTER_HALF_WIDTH·timescale`` and normalised to unit
    energy. The process's autocorrelation falls to 1/e at ``√2·timescale``.
    """
    half = int(np.ceil(LATENT_FILTER_HALF_WIDTH * timescale / dt))
    t = np.arange(-half, half + 1) * dt
    h = np.exp(-(t / timescale) ** 2)
    return h / np.sqrt(np.sum(h * h))


def filter_noise(noise: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Each column of ``noise`` ``(T, n)`` filtered by ``h``: ``(T − len(h) + 1, n)`` (only complete sums)."""
    return np.stack([np.convolve(noise[:, k], h, mode="valid") for k in range(noise.shape[1])], axis=1)


def gaussian_process_latents(n_steps: int, dt: float, timescale: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_steps, n)`` independent unit-variance Gaussian processes with a squared-exponential kernel.

    ``k(Δt) = exp(−Δt² / (2·timescale²))``; white noise filtered by :func:`latent_filter`,
    the filter that :class:`~hippo.world.stream.Stream` applies block by block.
    """
    h = latent_filter(dt, timescale)
    return filter_noise(rng.standard_normal((n_steps + len(h) - 1, n)), h)


@dataclass(frozen=True, eq=False)
class VelocityCells:
    """Rectified velocity cells, normalised by ``scale = |speed_mean| + speed_std`` (m/s).

    1-D: two cells, ``[relu(v), relu(−v)] / scale``. 2-D: four cells, the rectified
    x and y components ``[relu(vx), relu(−vx), relu(vy), relu(−vy)] / scale``.
    """

    dim: int
    scale: float

    @property
    def n(self) -> int:
        return 2 * self.dim

    def rates_at(self, velocity: np.ndarray) -> np.ndarray:
        signed = np.repeat(velocity, 2, axis=1) * np.tile([1.0, -1.0], self.dim)
        return np.maximum(signed, 0.0) / self.scale

    def encode(self, trajectory: Trajectory, start: int, stop: int) -> np.ndarray:
        return self.rates_at(trajectory.velocity[start:stop])

    def remap(self, seed: int) -> "VelocityCells":
        """Velocity coding does not depend on the environment: an identical encoder."""
        return replace(self)
