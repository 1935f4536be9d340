"""Agent motion through a gridworld: the motion models, drawn block after block.

Each motion model (:func:`motion_model`: smooth Ornstein–Uhlenbeck motion on a track or in
the plane, a random walk between free cells, an active-inference agent's exploration, a
recorded path) is a callable that draws the next ``n`` steps from its own generator and
carries its state (position, velocity, heading) into the next call. A
:class:`~hippo.world.stream.Stream` reads it in fixed blocks; :func:`generate_motion` draws a
whole run from the same model as a :class:`Trajectory`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit
from scipy.signal import lfilter

from hippo.config import bounds
from hippo.errors import ConfigError
from hippo.world.gridworld import Gridworld
from hippo.world.recorded import RecordingConfig, load_recorded_path, recorded_motion
from hippo.world.trajectory import Trajectory


@dataclass(frozen=True)
class MotionConfig:
    """How the agent moves.

    Attributes:
        kind: ``"smooth"`` (continuous Ornstein–Uhlenbeck motion), ``"random-walk"``
            (discrete steps between neighbouring free cells), ``"active-inference"``
            (cells chosen by a curious active-inference agent, see
            :func:`hippo.agents.active_inference_trajectory`) or ``"recorded"`` (a recorded
            path, ``recording``; see :mod:`hippo.world.recorded`).
        speed_mean: mean velocity in 1-D (m/s). In 2-D the speed is the absolute value of
            an OU process with this mean and ``speed_std``, so it is the mean speed only
            when ``speed_mean`` is a few ``speed_std`` above 0 (with ``speed_mean = 0``
            the mean speed is ``speed_std·sqrt(2/π)``).
        speed_std: standard deviation of the velocity (1-D) or of the speed's OU process (2-D) (m/s).
        coherence_time: time constant of the velocity / speed process (seconds).
        rotation_std: standard deviation of the angular velocity in 2-D (rad/s).
        rotation_coherence_time: time constant of the angular velocity (seconds).
        step_interval: seconds between discrete moves (random walk, active inference).
        start: starting position in metres, or empty for a random free position (not for recorded paths).
        recording: the recorded path of ``kind = "recorded"``.
    """

    kind: Literal["smooth", "random-walk", "active-inference", "recorded"] = "smooth"
    speed_mean: float = 0.0
    speed_std: float = field(default=0.5, metadata=bounds(min=0.0))
    coherence_time: float = field(default=0.7, metadata=bounds(gt=0.0))
    rotation_std: float = field(default=2.0, metadata=bounds(min=0.0))
    rotation_coherence_time: float = field(default=0.5, metadata=bounds(gt=0.0))
    step_interval: float = field(default=0.5, metadata=bounds(gt=0.0))
    start: tuple[float, ...] = ()
    recording: RecordingConfig = RecordingConfig()


#: Standard deviations above the mean speed at which a step must still be representable: the
#: Gaussian velocity of smooth motion exceeds ``|speed_mean| + SPEED_SIGMAS·speed_std`` 0.3 % of the time.
SPEED_SIGMAS = 3.0


def top_speed(config: MotionConfig) -> float:
    """The speed (m/s) a step of smooth motion must still represent: ``|speed_mean| + SPEED_SIGMAS·speed_std``."""
    return abs(config.speed_mean) + SPEED_SIGMAS * config.speed_std


def check_step(distance: float, dt: float, field_width: float, keys: str, mover: str) -> None:
    """Refuse motion that moves ``distance`` metres in one step of ``dt`` seconds, farther than a field.

    Senses sampled once per step see the agent jump by a step; a step longer than a place
    (or cue) field's width skips fields, so consecutive inputs no longer overlap and the
    velocity input no longer describes how the code changes.

    Args:
        distance: metres moved in the step.
        dt: the step, seconds.
        field_width: the sensory fields' width (metres).
        keys: the settings to name.
        mover: who moves, and when, for the message.

    Raises:
        ConfigError: keyed ``keys``, without a source.
    """
    if distance > field_width:
        raise ConfigError("", keys, f"{mover} moves {distance:.3g} m in one {dt:g}-s step ({distance / dt:.3g} m/s), "
                          f"farther than a sensory field's width ({field_width:g} m)",
                          f"steps <= senses.width: speeds <= {field_width / dt:.3g} m/s, a smaller dt or wider fields")


def check_motion(env: Gridworld, config: MotionConfig, dt: float, field_width: float) -> None:
    """Refuse, before any work, motion that cannot drive a run in ``env`` at step ``dt`` seconds: an agent
    that never moves (smooth motion without mean or spread), steps longer than a sensory field
    (``field_width`` metres; :func:`check_step` at ``|speed_mean| + SPEED_SIGMAS·speed_std``, or at the
    recorded path's longest step), a start outside the free space or with a recorded path (which starts
    where it was recorded), a recording with gaps or outside the world, active inference without speed.

    Raises:
        ConfigError: keyed ``motion.<key>`` (and ``dt``, ``senses.width``), without a source; a recording's
            own problems name its file.
    """
    if config.kind == "recorded":
        if config.start:
            raise ConfigError("", "motion.start, motion.kind", f"a start {list(config.start)} with a recorded path, "
                              "which starts where it was recorded", "no start (start = []) with kind = 'recorded'")
        path = load_recorded_path(env, config.recording, dt)
        k, distance = path.longest_step()
        try:
            check_step(distance, dt, field_width, "motion.recording.source, dt, senses.width",
                       f"between {k * dt:g} s and {(k + 1) * dt:g} s after its first sample the recorded path")
        except ConfigError as error:
            raise error.located(path.source) from None
        return
    if config.start:
        try:
            start_position(env, config, None)
        except ConfigError as error:
            raise error.located("", "motion") from None
    if config.kind == "smooth":
        if config.speed_mean == 0 and config.speed_std == 0:
            raise ConfigError("", "motion.speed_mean, motion.speed_std", "the agent never moves (no mean velocity "
                              "and no spread)", "speed_std > 0 m/s, or speed_mean != 0")
        check_step(top_speed(config) * dt, dt, field_width, "motion.speed_mean, motion.speed_std, dt, senses.width",
                   f"at |speed_mean| + {SPEED_SIGMAS:g}·speed_std the agent")
    if config.kind == "active-inference" and config.speed_mean <= 0:
        raise ConfigError("", "motion.speed_mean", f"{config.speed_mean!r} is not a running speed",
                          "a speed > 0 m/s for active-inference motion")


def ornstein_uhlenbeck(n: int, dt: float, mean: float, std: float, tau: float, rng: np.random.Generator,
                       x0: float | None = None) -> np.ndarray:
    """``n`` samples of a stationary OU process (exact discretisation, vectorised).

    ``x[k+1] = mean + a·(x[k] − mean) + std·sqrt(1 − a²)·ξ`` with ``a = exp(−dt/tau)``;
    the stationary standard deviation is ``std`` and the autocorrelation time ``tau``
    (seconds). ``x0`` defaults to a draw from the stationary distribution.
    """
    a = np.exp(-dt / tau)
    noise = rng.standard_normal(n) * std * np.sqrt(1.0 - a * a)
    noise[0] = (rng.standard_normal() * std) if x0 is None else (x0 - mean)
    deviation = lfilter([1.0], [1.0, -a], noise)
    return mean + deviation


def _free_segment(env: Gridworld, x: float) -> tuple[float, float]:
    """Extent (metres) of the run of free cells containing ``x`` on a 1-D track with a wall or solid ends.

    On a periodic track the run may cross the join of the ring; its ends are then given
    unwrapped (the low end below 0 m), so that ``low <= x < high`` always holds.
    """
    free = env.free[0]
    n = len(free)
    col = int(np.clip(x // env.cell_size, 0, n - 1))
    left = col
    while (left > 0 or env.periodic) and free[(left - 1) % n]:
        left -= 1
    right = col
    while (right < n - 1 or env.periodic) and free[(right + 1) % n]:
        right += 1
    return left * env.cell_size, (right + 1) * env.cell_size


def _is_open_ring(env: Gridworld) -> bool:
    """Whether a 1-D track is a periodic ring without walls, which the agent goes round."""
    return env.periodic and bool(env.free[0].all())


def start_position(env: Gridworld, config: MotionConfig, rng: np.random.Generator) -> np.ndarray:
    """``config.start`` checked against ``env``, or a random free position (metres)."""
    if config.start:
        start = np.asarray(config.start, dtype=float)
        if start.shape != (env.dim,) or not env.is_free(start):
            raise ConfigError("", "start", f"{tuple(config.start)} is not a free position in {env.name}",
                              f"{env.dim} coordinates in metres inside a free cell")
        return start
    cells = env.free_cells
    cell = cells[rng.integers(len(cells))]
    jitter = (rng.random(env.dim) - 0.5) * env.cell_size * 0.9
    return env.cell_centres(cell) + jitter


def track_segment(env: Gridworld, x: float) -> tuple[float, float]:
    """The stretch (metres) an agent starting at ``x`` moves on: the whole track on a ring
    without walls, else the run of free cells containing ``x`` (across the join of a periodic track)."""
    return (0.0, float(env.size[0])) if _is_open_ring(env) else _free_segment(env, x)


def fold_onto_track(env: Gridworld, segment: tuple[float, float], unfolded: np.ndarray,
                    velocity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and signed velocities on a track from unfolded positions (metres) and velocities (m/s).

    A ring without walls wraps; otherwise the agent reflects at the ends of ``segment``
    (walls or solid ends: the velocity's sign flips), and positions on a periodic track are
    wrapped into it. The result depends on ``unfolded`` only modulo :func:`track_period`.
    """
    low, high = segment
    if _is_open_ring(env):
        return np.mod(unfolded, env.size[0]), velocity
    length = high - low
    phase = np.mod(unfolded - low, 2.0 * length)
    forward = phase < length
    position = env.wrap(low + np.where(forward, phase, 2.0 * length - phase))
    return position, np.where(forward, velocity, -velocity)


def track_period(env: Gridworld, segment: tuple[float, float]) -> float:
    """Metres of unfolded motion after which :func:`fold_onto_track` repeats."""
    return float(env.size[0]) if _is_open_ring(env) else 2.0 * (segment[1] - segment[0])


@njit(cache=True)
def _is_free(x, y, free, cell_size, width, height):
    if not (0.0 <= x < width and 0.0 <= y < height):
        return False
    rows, cols = free.shape
    col = min(int(x / cell_size), cols - 1)
    row = min(rows - 1 - int(y / cell_size), rows - 1)
    return free[row, col]


@njit(cache=True)
def _move_blocked(x, y, nx, ny, free, cell_size, width, height):
    """Whether the step (x, y) → (nx, ny) is blocked along x, along y, or at its end.

    A step that changes both row and column also needs both side cells free, so that
    the straight path between the two samples never cuts the corner of a wall cell.
    """
    x_blocked = not _is_free(nx, y, free, cell_size, width, height)
    y_blocked = not _is_free(x, ny, free, cell_size, width, height)
    return x_blocked, y_blocked, x_blocked or y_blocked or not _is_free(nx, ny, free, cell_size, width, height)


@njit(cache=True)
def integrate_2d(start, speed, turn, heading0, dt, free, cell_size, width, height, periodic):
    """Integrate heading and position; a move into a wall reflects the blocked velocity component.

    Returns positions ``(n, 2)``, velocities ``(n, 2)`` and the state after the last step
    ``[x, y, heading]``, from which the path continues.
    """
    n = speed.shape[0]
    position = np.empty((n, 2))
    velocity = np.empty((n, 2))
    x, y, heading = start[0], start[1], heading0
    for k in range(n):
        position[k, 0], position[k, 1] = x, y
        heading += turn[k] * dt
        vx, vy = speed[k] * np.cos(heading), speed[k] * np.sin(heading)
        nx, ny = x + vx * dt, y + vy * dt
        if periodic:
            nx, ny = nx % width, ny % height
        x_blocked, y_blocked, blocked = _move_blocked(x, y, nx, ny, free, cell_size, width, height)
        if blocked:
            if x_blocked or not y_blocked:
                vx = -vx
            if y_blocked or not x_blocked:
                vy = -vy
            heading = np.arctan2(vy, vx)
            nx, ny = x + vx * dt, y + vy * dt
            if periodic:
                nx, ny = nx % width, ny % height
            if _move_blocked(x, y, nx, ny, free, cell_size, width, height)[2]:
                vx, vy, nx, ny = 0.0, 0.0, x, y
        velocity[k, 0], velocity[k, 1] = vx, vy
        x, y = nx, ny
    return position, velocity, np.array([x, y, heading])


def free_neighbours(env: Gridworld) -> list[list[int]]:
    """For each free cell (index into ``env.free_cells``), the free cells one move away (itself if none)."""
    cells = env.free_cells
    index = env.state_index()
    moves = np.stack([env.step_cell(cells, np.full(len(cells), a)) for a in range(1, 5)], axis=1)  # (n_free, 4, 2)
    return [sorted({int(index[r, c]) for r, c in moves[s]} - {s}) or [s] for s in range(len(cells))]


#: Seconds of each active-inference exploration episode (see :class:`ActiveInferenceMotion`).
ACTIVE_INFERENCE_EPISODE = 1800.0


class TrackMotion:
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


class PlaneMotion:
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


class RandomWalkMotion:
    """Discrete walk: every ``step_interval`` seconds the agent moves to a uniformly chosen free
    neighbour, resting at the cell centre in between; a move's velocity is its displacement over ``dt``
    (0 between moves)."""

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


class ActiveInferenceMotion:
    """A curious active-inference agent's path (:func:`hippo.agents.exploration.active_inference_trajectory`),
    drawn in independent exploration episodes of ``episode`` seconds: each episode starts a fresh
    agent at a random free cell, so the path jumps between episodes."""

    def __init__(self, env: Gridworld, config: MotionConfig, dt: float, rng: np.random.Generator, episode: float):
        if config.speed_mean <= 0:
            raise ConfigError("motion", "speed_mean", f"{config.speed_mean!r} is not a running speed",
                              "a speed > 0 m/s for active-inference motion")
        self.env, self.config, self.dt, self.rng, self.episode = env, config, dt, rng, episode
        self.position = np.zeros((0, env.dim))
        self.velocity = np.zeros((0, env.dim))

    def __call__(self, n: int):
        while len(self.position) < n:
            from hippo.agents.exploration import active_inference_trajectory

            episode = active_inference_trajectory(self.env, self.episode, self.dt, self.config.speed_mean,
                                                  int(self.rng.integers(2**31)))
            self.position = np.concatenate([self.position, episode.position])
            self.velocity = np.concatenate([self.velocity, episode.velocity])
        position, self.position = self.position[:n], self.position[n:]
        velocity, self.velocity = self.velocity[:n], self.velocity[n:]
        return position, velocity


def motion_model(env: Gridworld, config: MotionConfig, dt: float, rng: np.random.Generator, episode: float | None = None):
    """The motion model of ``config`` in ``env``: a callable ``n → (position, velocity)`` drawing the next ``n``
    steps (``(n, dim)`` metres and m/s, sampled every ``dt`` seconds) from ``rng``, block after block
    (:class:`hippo.world.stream.Stream` reads it in fixed blocks). ``episode`` shortens the active-inference
    agent's episodes (seconds; default :data:`ACTIVE_INFERENCE_EPISODE`)."""
    if config.kind == "recorded":
        return recorded_motion(env, config.recording, dt, rng)
    if config.kind == "random-walk":
        return RandomWalkMotion(env, config, dt, rng)
    if config.kind == "active-inference":
        return ActiveInferenceMotion(env, config, dt, rng, ACTIVE_INFERENCE_EPISODE if episode is None else episode)
    return TrackMotion(env, config, dt, rng) if env.dim == 1 else PlaneMotion(env, config, dt, rng)


def generate_motion(env: Gridworld, duration: float, dt: float, config: MotionConfig, rng: np.random.Generator) -> Trajectory:
    """``duration`` seconds of the motion model of ``config`` (:func:`motion_model`, the one a
    :class:`~hippo.world.stream.Stream` reads), sampled every ``dt`` seconds; an active-inference
    agent explores in one episode of the whole ``duration`` (at most :data:`ACTIVE_INFERENCE_EPISODE`)."""
    n_steps = int(round(duration / dt))
    position, velocity = motion_model(env, config, dt, rng, episode=min(duration, ACTIVE_INFERENCE_EPISODE))(n_steps)
    return Trajectory(np.arange(n_steps) * dt, position, velocity)
