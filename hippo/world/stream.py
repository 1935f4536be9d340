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
from hippo.world.motion import (
    MotionConfig,
    fold_onto_track,
    free_neighbours,
    generate_motion,
    integrate_2d,
    ornstein_uhlenbeck,
    start_position,
    track_period,
    track_segment,
)
from hippo.world.recorded import RecordedMotion, RecordedPath, recorded_motion
from hippo.world.senses import CueCells, PlaceCells, SensesConfig, VelocityCells, filter_noise, latent_filter

#: Steps drawn at a time. Fixed, so that a stream does not depend on how it is read.
BLOCK_STEPS = 2048

#: Seconds of each active-inference exploration episode (see :class:`_ActiveInferenceMotion`).
ACTIVE_INFERENCE_EPISODE = 1800.0


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


class _TrackMotion:
    """Ornstein–Uhlenbeck velocity on a 1-D track, continued block after block."""

    def __init__(self, env: Gridworld, config: MotionConfig, dt: float, rng: np.random.Generator):
        self.env, self.config, self.dt, self.rng = env, config, dt, rng
        start = start_position(env, config, rng)[0]
        self.segment = track_segment(env, start)
        self.period = track_period(env, self.segment)
        self.unfolded = start
        self.velocity = config.speed_mean + config.speed_std * rng.standard_normal()

    def __call__(self, n: int):
        c = self.config
        velocity = ornstein_uhlenbeck(n + 1, self.dt, c.speed_mean, c.speed_std, c.coherence_time, self.rng,
                                      x0=self.velocity)[1:]
        unfolded = self.unfolded + np.concatenate([[0.0], np.cumsum(velocity[:-1] * self.dt)])
        position, signed = fold_onto_track(self.env, self.segment, unfolded, velocity)
        low = self.segment[0]
        self.unfolded = low + np.mod(unfolded[-1] + velocity[-1] * self.dt - low, self.period)
        self.velocity = velocity[-1]
        return position[:, None], signed[:, None]


class _PlaneMotion:
    """Ornstein–Uhlenbeck speed and turning in 2-D, reflected by walls, continued block after block."""

    def __init__(self, env: Gridworld, config: MotionConfig, dt: float, rng: np.random.Generator):
        self.env, self.config, self.dt, self.rng = env, config, dt, rng
        self.position = start_position(env, config, rng)
        self.speed = config.speed_mean + config.speed_std * rng.standard_normal()
        self.turn = config.rotation_std * rng.standard_normal()
        self.heading = rng.uniform(-np.pi, np.pi)

    def __call__(self, n: int):
        c, env = self.config, self.env
        speed = ornstein_uhlenbeck(n + 1, self.dt, c.speed_mean, c.speed_std, c.coherence_time, self.rng, x0=self.speed)[1:]
        turn = ornstein_uhlenbeck(n + 1, self.dt, 0.0, c.rotation_std, c.rotation_coherence_time, self.rng, x0=self.turn)[1:]
        width, height = env.size
        position, velocity, end = integrate_2d(self.position, np.abs(speed), turn, self.heading, self.dt, env.free,
                                               env.cell_size, width, height, env.periodic)
        self.position, self.heading = end[:2].copy(), float(end[2])
        self.speed, self.turn = speed[-1], turn[-1]
        return position, velocity


class _RandomWalkMotion:
    """Moves to a uniformly chosen free neighbour every ``step_interval`` seconds (see
    :func:`hippo.world.motion.random_walk`); a move's velocity is its displacement over ``dt``."""

    def __init__(self, env: Gridworld, config: MotionConfig, dt: float, rng: np.random.Generator):
        self.env, self.dt, self.rng = env, dt, rng
        self.neighbours = free_neighbours(env)
        self.steps_per_move = max(1, int(round(config.step_interval / dt)))
        cell = env.cell_of(start_position(env, config, rng))
        self.state = int(env.state_index()[cell[0], cell[1]])
        self.left = self.steps_per_move
        self.upcoming = self._next_state()

    def _next_state(self) -> int:
        if self.left == 0:
            options = self.neighbours[self.state]
            self.state = options[int(self.rng.random() * len(options))]
            self.left = self.steps_per_move
        self.left -= 1
        return self.state

    def __call__(self, n: int):
        states = np.array([self.upcoming] + [self._next_state() for _ in range(n)])
        self.upcoming = int(states[-1])
        position = self.env.cell_centres(self.env.free_cells[states])
        velocity = self.env.displacement(position[1:], position[:-1]) / self.dt
        return position[:-1], velocity


class _ActiveInferenceMotion:
    """A curious active-inference agent's path (see :mod:`hippo.world.motion`), drawn in
    independent exploration episodes of :data:`ACTIVE_INFERENCE_EPISODE` seconds: each
    episode starts a fresh agent at a random free cell, so the path jumps between episodes."""

    def __init__(self, env: Gridworld, config: MotionConfig, dt: float, rng: np.random.Generator):
        self.env, self.config, self.dt, self.rng = env, config, dt, rng
        self.position = np.zeros((0, env.dim))
        self.velocity = np.zeros((0, env.dim))

    def __call__(self, n: int):
        while len(self.position) < n:
            episode = generate_motion(self.env, ACTIVE_INFERENCE_EPISODE, self.dt, self.config, self.rng)
            self.position = np.concatenate([self.position, episode.position])
            self.velocity = np.concatenate([self.velocity, episode.velocity])
        position, self.position = self.position[:n], self.position[n:]
        velocity, self.velocity = self.velocity[:n], self.velocity[n:]
        return position, velocity


def _motion(env: Gridworld, config: MotionConfig, dt: float, rng: np.random.Generator):
    if config.kind == "recorded":
        return recorded_motion(env, config.recording, dt, rng)
    if config.kind == "random-walk":
        return _RandomWalkMotion(env, config, dt, rng)
    if config.kind == "active-inference":
        return _ActiveInferenceMotion(env, config, dt, rng)
    return _TrackMotion(env, config, dt, rng) if env.dim == 1 else _PlaneMotion(env, config, dt, rng)


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
            encoder = PlaceCells.build(env, senses.n, senses.width, senses.centres, senses.jitter, encoder_rng)
        elif senses.kind == "cue":
            encoder = CueCells.build(env, senses.width)
        else:
            encoder = _latent_code(senses, encoder_rng)
        trajectory = (_Blocks(_motion(env, motion, dt, np.random.default_rng(motion_seed)))
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
        trajectory = (_Blocks(_motion(self.env, self.motion_config, self.dt, np.random.default_rng(motion_seed)))
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
