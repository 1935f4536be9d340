"""Streams: what an agent senses over time, generated lazily and addressed by the stream's own steps.

A :class:`Stream` is an environment, a motion model and encoders (place, cue or latent
features, velocity cells). It draws its trajectory (and, for latent features, its
Gaussian-process latents) in fixed blocks of :data:`BLOCK_STEPS` steps from its own
seeded generators, as far as it has been read, and keeps what it drew. Its steps are
local: step 0 is its first sample, whatever engine reads it and whenever. Because the
blocks are fixed, the same seed gives the same stream whatever ranges are asked for
and in whatever order.

Random draws. ``Stream.build(..., seed)`` spawns three generators from
``np.random.SeedSequence(seed)``: the motion (start, velocity or moves), the encoder
(place-field centres or the latent mixing matrix) and the latent white noise; each is
read only by its own component, so, for example, the place-field centres do not depend
on how much trajectory has been drawn.

Derived streams:

* :meth:`Stream.remap` — a new environment's code on the same trajectory (new place-field
  centres, cue assignment or latents), continuing from the same ``cursor``;
* :meth:`Stream.fresh_trajectory` — the same environment and code, a new trajectory
  (e.g. an independent test session for a decoder fitted on the code);
* :meth:`Stream.replayed` — the same environment and code, the agent moving along a given path;
* :meth:`Stream.moved_to` — the agent carried into another environment, starting where
  this stream is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from hippo.errors import ConfigError
from hippo.world.gridworld import Gridworld
from hippo.world.motion import MotionConfig, motion_model
from hippo.world.recorded import RecordedMotion, RecordedPath
from hippo.world.senses import CueCells, PlaceCells, SensesConfig, VelocityCells, filter_noise, latent_filter

#: Steps drawn at a time. Fixed, so that a stream does not depend on how it is read.
BLOCK_STEPS = 2048

class _Blocks:
    """Rows of several arrays made in blocks of :data:`BLOCK_STEPS` by ``make(n)`` and kept."""

    def __init__(self, make):
        self._make = make
        self._arrays: list[np.ndarray] | None = None
        self.n = 0

    def rows(self, start: int, stop: int) -> list[np.ndarray]:
        """Rows ``start:stop`` of every array (made as far as needed)."""
        if not 0 <= start <= stop:
            raise ValueError(f"stream steps {start}:{stop} are not a range of local steps >= 0")
        while self.n < max(stop, 1):
            block = self._make(BLOCK_STEPS)
            if self._arrays is None:
                self._arrays = [np.empty((4 * BLOCK_STEPS,) + b.shape[1:], b.dtype) for b in block]
            if self.n + BLOCK_STEPS > len(self._arrays[0]):  # grow geometrically
                self._arrays = [np.concatenate([a[:self.n], np.empty_like(a[:self.n])]) for a in self._arrays]
            for array, rows in zip(self._arrays, block):
                array[self.n:self.n + BLOCK_STEPS] = rows
            self.n += BLOCK_STEPS
        return [a[start:stop] for a in self._arrays]

    def at(self, steps: np.ndarray) -> list[np.ndarray]:
        """Rows at the given local steps (any order)."""
        steps = np.asarray(steps, dtype=np.int64)
        if steps.size and steps.min() < 0:
            raise ValueError("stream steps must be >= 0")
        self.rows(0, int(steps.max()) + 1 if steps.size else 0)
        return [a[steps] for a in self._arrays]


class _LatentProcess:
    """Gaussian-process latents: a continuing white-noise sequence filtered by
    :func:`~hippo.world.senses.latent_filter` (as :func:`~hippo.world.senses.gaussian_process_latents`)."""

    def __init__(self, dt: float, timescale: float, n_latents: int, rng: np.random.Generator):
        self.rng, self.n_latents = rng, n_latents
        self.filter = latent_filter(dt, timescale)
        self.half = len(self.filter) // 2
        self.noise = rng.standard_normal((2 * self.half, n_latents))  # the filter's reach before the first block

    def __call__(self, n: int):
        self.noise = np.concatenate([self.noise, self.rng.standard_normal((n, self.n_latents))])
        latents = filter_noise(self.noise, self.filter)
        self.noise = self.noise[-2 * self.half:]
        return (latents,)


@dataclass(frozen=True, eq=False)
class LatentCode:
    """Latent features: ``features = latents @ mix.T`` with ``mix`` of shape ``(n, n_latents)``."""

    mix: np.ndarray

    @property
    def n(self) -> int:
        return self.mix.shape[0]

    def features(self, latents: np.ndarray) -> np.ndarray:
        """Features ``(T, n)`` of latents ``(T, n_latents)``, summed in a fixed order (chunk-invariant)."""
        out = np.zeros((len(latents), self.n))
        for k in range(self.mix.shape[1]):
            out += latents[:, k:k + 1] * self.mix[:, k]
        return out


def _latent_code(config: SensesConfig, rng: np.random.Generator) -> LatentCode:
    return LatentCode(rng.normal(0.0, config.mix_scale / np.sqrt(config.n_latents), (config.n, config.n_latents)))


@dataclass(eq=False)
class Stream:
    """Environment, motion and encoders, generated lazily; see the module docstring.

    Attributes:
        env: the world (``None`` for a stream of latent features alone).
        dt: seconds per step.
        senses_config, motion_config: how it was built (for :meth:`moved_to`).
        encoder: place or cue cells (``PlaceCells`` / ``CueCells``) or a :class:`LatentCode`.
        velocity_cells: velocity encoder, or ``None`` for a stream without velocity input.
        seed: what the stream was seeded with (see :meth:`build`).
        cursor: the next local step a phase reads when it does not say where to start;
            phases that read the stream advance it.
    """

    env: Gridworld | None
    dt: float
    senses_config: SensesConfig
    motion_config: MotionConfig | None
    encoder: object
    velocity_cells: VelocityCells | None
    seed: object
    _motion: _Blocks | None = field(repr=False, default=None)
    _latents: _Blocks | None = field(repr=False, default=None)
    cursor: int = 0

    @classmethod
    def build(cls, env: Gridworld | None, dt: float, senses: SensesConfig, motion: MotionConfig | None, seed,
              velocity_scale: float | None = None) -> "Stream":
        """A stream of ``senses`` (and, with ``velocity_scale``, velocity cells) in ``env``.

        Args:
            env: the world; ``None`` only for latent senses without motion.
            dt: seconds per step.
            senses: the encoder's configuration.
            motion: how the agent moves (``None`` for a stream without a trajectory).
            seed: anything :class:`numpy.random.SeedSequence` takes (an int, or a list such
                as ``[seed, key]``).
            velocity_scale: m/s of velocity that gives a velocity cell rate 1; ``None`` for no
                velocity input.

        Raises:
            ConfigError: the senses need a trajectory and there is none.
        """
        motion_seed, encoder_seed, latent_seed = np.random.SeedSequence(seed).spawn(3)
        if senses.kind != "latent" and (env is None or motion is None):
            raise ConfigError("senses", "kind", f"{senses.kind!r} features need an environment and motion",
                              "'latent' for a stream without a trajectory")
        if velocity_scale is not None and (env is None or motion is None):
            raise ConfigError("stream", "velocity", "velocity cells need an environment and motion", "no velocity input")
        encoder_rng = np.random.default_rng(encoder_seed)
        if senses.kind == "place":
            encoder = PlaceCells.build(env, senses.n, senses.width, senses.centres, senses.jitter, encoder_rng,
                                      senses.surround)
        elif senses.kind == "cue":
            encoder = CueCells.build(env, senses.width)
        else:
            encoder = _latent_code(senses, encoder_rng)
        trajectory = (_Blocks(motion_model(env, motion, dt, np.random.default_rng(motion_seed)))
                      if motion is not None else None)
        latents = (_Blocks(_LatentProcess(dt, senses.timescale, senses.n_latents, np.random.default_rng(latent_seed)))
                   if senses.kind == "latent" else None)
        velocity = VelocityCells(env.dim, velocity_scale) if velocity_scale is not None else None
        return cls(env, dt, senses, motion, encoder, velocity, seed, trajectory, latents)

    # ---------------------------------------------------------------- reading
    @property
    def n_features(self) -> int:
        return self.encoder.n

    def _need_trajectory(self) -> _Blocks:
        if self._motion is None:
            raise ValueError("this stream has no trajectory (it was built without motion)")
        return self._motion

    def position(self, start: int, stop: int) -> np.ndarray:
        """True positions ``(stop − start, dim)`` in metres at local steps ``start:stop``."""
        return self._need_trajectory().rows(start, stop)[0]

    def velocity(self, start: int, stop: int) -> np.ndarray:
        """True velocities ``(stop − start, dim)`` in m/s at local steps ``start:stop``."""
        return self._need_trajectory().rows(start, stop)[1]

    def position_at(self, steps: np.ndarray) -> np.ndarray:
        """True positions (metres) at arbitrary local steps, e.g. a recording's ``steps``."""
        return self._need_trajectory().at(steps)[0]

    def latents(self, start: int, stop: int) -> np.ndarray:
        """Latents ``(stop − start, n_latents)`` at local steps ``start:stop`` (latent streams)."""
        if self._latents is None:
            raise ValueError("this stream has no latents (its senses are not 'latent')")
        return self._latents.rows(start, stop)[0]

    def features(self, start: int, stop: int) -> np.ndarray:
        """Sensory feature rates ``(stop − start, n_features)`` at local steps ``start:stop``."""
        if self._latents is not None:
            return self.encoder.features(self.latents(start, stop))
        return self.encoder.rates_at(self.position(start, stop))

    def inputs(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Input-layer rates for local steps ``start:stop``: ``"features"`` and, with velocity cells, ``"velocity"``."""
        given = {"features": self.features(start, stop)}
        if self.velocity_cells is not None:
            given["velocity"] = self.velocity_cells.rates_at(self.velocity(start, stop))
        return given

    def input_sizes(self) -> dict[str, int]:
        """Number of units of each input this stream gives."""
        sizes = {"features": self.n_features}
        if self.velocity_cells is not None:
            sizes["velocity"] = self.velocity_cells.n
        return sizes

    # ------------------------------------------------------------- derived
    def remap(self, seed) -> "Stream":
        """The same trajectory (and cursor) with a new environment's code drawn from ``seed``.

        Place cells get new centres (:meth:`PlaceCells.remap`), cue cells a new letter
        assignment, latent streams new latents and a new mixing matrix.
        """
        if self._latents is not None:
            latent_seed, encoder_seed = np.random.SeedSequence(seed).spawn(2)
            latents = _Blocks(_LatentProcess(self.dt, self.senses_config.timescale, self.senses_config.n_latents,
                                             np.random.default_rng(latent_seed)))
            return replace(self, encoder=_latent_code(self.senses_config, np.random.default_rng(encoder_seed)),
                           _latents=latents, seed=seed)
        return replace(self, encoder=self.encoder.remap(seed), seed=seed)

    def fresh_trajectory(self, seed) -> "Stream":
        """The same environment and code with a new trajectory (and latents) drawn from ``seed``; cursor 0."""
        motion_seed, latent_seed = np.random.SeedSequence(seed).spawn(2)
        trajectory = (_Blocks(motion_model(self.env, self.motion_config, self.dt, np.random.default_rng(motion_seed)))
                      if self._motion is not None else None)
        latents = (_Blocks(_LatentProcess(self.dt, self.senses_config.timescale, self.senses_config.n_latents,
                                          np.random.default_rng(latent_seed))) if self._latents is not None else None)
        return replace(self, _motion=trajectory, _latents=latents, seed=seed, cursor=0)

    def replayed(self, path: RecordedPath) -> "Stream":
        """The same environment and code with the agent moving along ``path`` from its first step; cursor 0
        (e.g. a probe along a prescribed path)."""
        return replace(self, _motion=_Blocks(RecordedMotion(path)), cursor=0)

    def moved_to(self, env: Gridworld, seed, at: int | None = None) -> "Stream":
        """A stream in ``env`` (new code and onward motion from ``seed``) starting where this one is at step ``at``.

        Args:
            env: the new world, of the same dimension.
            seed: seeds the new stream (see :meth:`build`).
            at: local step of this stream whose position is the new stream's start
                (default: the cursor).

        Raises:
            ConfigError: ``env`` has another dimension, or the position is not free in it.
        """
        at = self.cursor if at is None else at
        here = self.position(at, at + 1)[0]
        if env.dim != self.env.dim or not env.is_free(here):
            raise ConfigError(env.source or env.name, "map", f"position {tuple(np.round(here, 3))} m of the stream "
                              f"is not a free position of this {env.dim}-D world",
                              f"a {self.env.dim}-D world free where the agent stands")
        motion = replace(self.motion_config, start=tuple(float(x) for x in here))
        scale = self.velocity_cells.scale if self.velocity_cells is not None else None
        return Stream.build(env, self.dt, self.senses_config, motion, seed, velocity_scale=scale)
