"""Recorded trajectories as a motion source: a file of times and positions, resampled to the network's step.

A recording is read from

* an ``.npz`` file with arrays ``t`` (``(N,)`` seconds) and ``pos`` (``(N, dim)`` or
  ``(N,)`` metres), the layout of the ``ratinabox`` package's datasets;
* a ``.csv`` file with a column of times and one or two of positions (``t, x[, y]``;
  a first line that is not numbers is taken as a header);
* a dataset of the ``ratinabox`` package by name (:data:`DATASETS`): ``"sargolini"``
  (Sargolini et al. 2006, a 1 m × 1 m box, 600 s) and ``"tanni"`` (Tanni et al. 2022,
  a 3.5 m × 2.5 m arena, 7323 s). They need the optional extra ``pip install 'hippo[data]'``;
  only the package's data files are read.

:func:`load_recorded_path` turns it into a :class:`RecordedPath` on the network's time
grid:

0. **Span.** ``span = (start, stop)`` keeps the samples from ``start`` to ``stop`` seconds
   after the first one (e.g. a training part and a held-out part of one recording); empty
   keeps them all.
1. **Gaps.** Two consecutive samples more than ``max_gap`` seconds apart are a gap: the
   recording is refused, naming the file, the sample and its time. Between samples the
   path is interpolated linearly, onto times ``t₀ + k·dt`` up to the last sample.
2. **World.** Every sample must lie in a free cell of the world. Samples up to ``margin``
   metres outside the world's extent (tracking jitter at the walls) are moved onto its
   edge; any other sample outside it or in a wall is refused, naming the file and sample.
3. **Dimension.** On a 1-D track, a 2-D recording is projected onto one axis
   (``axis = "x"`` or ``"y"``): the track position is that coordinate in metres (wrapped
   on a periodic track), its velocity that coordinate's rate of change. A rat running in
   a 1 m box, projected onto x, drives a 1 m ring back and forth over its whole length
   with the rat's x-velocity.
4. **Velocity.** ``v[k] = (p[k+1] − p[k]) / dt`` (the shortest way round on a periodic
   world), so that ``p[k+1] = p[k] + v[k]·dt``: the velocity input integrates exactly
   to the path, as for simulated motion.
5. **Longer than the recording.** ``repeat = "mirror"`` plays the path forward, then
   backward, then forward again (period ``2(N − 1)`` steps): positions stay continuous
   and at each turn the velocity reverses (a reversed rat path is still a path a rat
   can run). ``repeat = "loop"`` starts again from the first sample (period ``N`` steps):
   the agent jumps from the last position to the first at the join, and that step's
   velocity is 0 (the jump is not a movement the velocity input reports).

Where in the repeated path a stream starts is drawn from the stream's motion generator
(uniform over one period), so an independent test session plays another stretch of it.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from hippo.config import bounds, names_file
from hippo.errors import ConfigError
from hippo.world.gridworld import Gridworld

#: Datasets of the ``ratinabox`` package readable by name: name → (file in its ``data`` folder, description).
DATASETS = {
    "sargolini": ("sargolini.npz", "Sargolini et al. 2006: 1 m x 1 m box, 600 s"),
    "tanni": ("tanni.npz", "Tanni et al. 2022: 3.5 m x 2.5 m arena, 7323 s"),
}

#: The key of a recording's settings, for error messages.
KEY = "motion.recording"


@dataclass(frozen=True)
class RecordingConfig:
    """Where a recorded trajectory comes from and how it is fitted to the world (see the module docstring).

    Attributes:
        source: ``"sargolini"`` or ``"tanni"`` (the ``ratinabox`` datasets, :data:`DATASETS`) or the path
            of an ``.npz`` or ``.csv`` file.
        max_gap: longest interval (seconds) between consecutive samples that is interpolated;
            a longer one refuses the recording.
        margin: distance (metres) outside the world's extent within which samples are moved
            onto its edge; 0 refuses every sample outside.
        repeat: ``"mirror"`` (forward, backward, forward, …) or ``"loop"`` (restart, with a
            jump) when more steps are read than the recording holds.
        axis: the coordinate of a 2-D recording that drives a 1-D track.
        span: ``(start, stop)`` seconds after the recording's first sample that the path plays;
            empty: the whole recording.
    """

    source: str = field(default="", metadata=names_file())
    max_gap: float = field(default=0.5, metadata=bounds(gt=0.0))
    margin: float = field(default=0.0, metadata=bounds(min=0.0))
    repeat: Literal["mirror", "loop"] = "mirror"
    axis: Literal["x", "y"] = "x"
    span: tuple[float, ...] = ()

    def __post_init__(self):
        if self.span and not (len(self.span) == 2 and 0.0 <= self.span[0] < self.span[1]):
            raise ConfigError("", f"{KEY}.span", f"{list(self.span)} is not a stretch of the recording",
                              "[] (all of it) or [start, stop] seconds with 0 <= start < stop")


def dataset_path(name: str) -> Path:
    """The data file of ``ratinabox`` dataset ``name`` (the package is located, not imported).

    Raises:
        ConfigError: ``name`` is not a dataset, or ``ratinabox`` is not installed.
    """
    if name not in DATASETS:
        raise ConfigError("", f"{KEY}.source", f"{name!r} is neither a dataset nor a .npz or .csv file",
                          ", ".join(DATASETS) + ", or a path ending in .npz or .csv")
    spec = importlib.util.find_spec("ratinabox")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("", f"{KEY}.source", f"the dataset {name!r} ships with the package ratinabox, "
                          "which is not installed", "pip install 'hippo[data]' (or ratinabox), or a path to a file")
    path = Path(spec.submodule_search_locations[0]) / "data" / DATASETS[name][0]
    if not path.is_file():
        raise ConfigError(str(path), f"{KEY}.source", f"the installed ratinabox has no {DATASETS[name][0]}",
                          "ratinabox >= 1.0")
    return path


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if rows:
        try:
            [float(cell) for cell in rows[0]]
        except ValueError:
            rows = rows[1:]  # a header
    try:
        table = np.array([[float(cell) for cell in row] for row in rows])
    except ValueError as error:
        raise ConfigError(str(path), f"{KEY}.source", f"not a table of numbers ({error})",
                          "rows 't, x' or 't, x, y' in seconds and metres") from None
    if table.ndim != 2 or table.shape[1] not in (2, 3) or len(table) < 2:
        raise ConfigError(str(path), f"{KEY}.source", f"holds a table of shape {table.shape}",
                          "at least two rows 't, x' or 't, x, y' in seconds and metres")
    return {"t": table[:, 0], "pos": table[:, 1:]}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in ("t", "pos") if key not in data.files]
        if missing:
            raise ConfigError(str(path), f"{KEY}.source", f"has no array {', '.join(missing)} "
                              f"(arrays: {', '.join(data.files) or 'none'})", "arrays 't' (s) and 'pos' (m)")
        return {key: np.asarray(data[key], dtype=float) for key in ("t", "pos")}


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Arrays ``t`` and ``pos`` of a recording file, ``.npz`` or ``.csv``, as floats.

    The one place recordings are read: whatever is wrong with the file (empty,
    truncated, not an archive, not UTF-8, arrays of objects or text) becomes one error
    naming it.

    Raises:
        ConfigError: naming the file and :data:`KEY`, what is wrong and what is allowed.
    """
    allowed = {".csv": "rows 't, x' or 't, x, y' in seconds and metres, UTF-8 text",
               ".npz": "a NumPy .npz archive of number arrays 't' (s) and 'pos' (m)"}[path.suffix]
    try:
        return _read_csv(path) if path.suffix == ".csv" else _read_npz(path)
    except ConfigError:
        raise
    except Exception as error:  # noqa: BLE001 - any malformed file is the user's input, reported as such
        size = path.stat().st_size if path.exists() else 0
        reason = "the file is empty" if size == 0 else " ".join(f"{type(error).__name__}: {error}".split())
        raise ConfigError(str(path), f"{KEY}.source", f"cannot be read as {path.suffix} ({reason})",
                          allowed) from None


def read_recording(source: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Times ``(N,)`` (s), positions ``(N, dim)`` (m) and the file they came from.

    Raises:
        ConfigError: naming the file: it is missing, unreadable, lacks ``t`` or ``pos``, the
            shapes disagree, values are not finite, or the times do not increase.
    """
    if not source:
        raise ConfigError("", f"{KEY}.source", "no recording named for motion.kind = 'recorded'",
                          ", ".join(DATASETS) + ", or a path ending in .npz or .csv")
    path = Path(source).expanduser()
    if path.suffix not in (".npz", ".csv"):
        path = dataset_path(source)
    if not path.is_file():
        raise ConfigError(str(path), f"{KEY}.source", "no such file", "an existing .npz or .csv file")
    label = str(path)
    arrays = read_arrays(path)
    t, pos = arrays["t"], arrays["pos"]
    pos = pos[:, None] if pos.ndim == 1 else pos
    if t.ndim != 1 or pos.ndim != 2 or len(pos) != len(t) or pos.shape[1] not in (1, 2) or len(t) < 2:
        raise ConfigError(label, f"{KEY}.source", f"t has shape {t.shape} and pos {pos.shape}",
                          "t of shape (N,) and pos of shape (N, 1) or (N, 2), N >= 2")
    bad = np.nonzero(~np.isfinite(t) | ~np.isfinite(pos).all(axis=1))[0]
    if len(bad):
        raise ConfigError(label, f"{KEY}.source", f"sample {bad[0]} is not finite ({len(bad)} such samples)",
                          "finite times and positions")
    back = np.nonzero(np.diff(t) <= 0)[0]
    if len(back):
        raise ConfigError(label, f"{KEY}.source", f"times do not increase at sample {back[0] + 1} "
                          f"(t = {t[back[0] + 1]:g} s after {t[back[0]]:g} s)", "strictly increasing times")
    return t, pos, label


def resample(t: np.ndarray, pos: np.ndarray, dt: float, max_gap: float, label: str = "") -> np.ndarray:
    """Positions ``(n, dim)`` at ``t[0] + k·dt`` (``k = 0 … n − 1``, up to the last sample), linearly interpolated.

    Args:
        t: ``(N,)`` increasing sample times in seconds.
        pos: ``(N, dim)`` positions in metres.
        dt: the network's step in seconds.
        max_gap: longest interval between samples (seconds) that is interpolated.
        label: the file, for error messages.

    Raises:
        ConfigError: two consecutive samples are more than ``max_gap`` apart, or the
            recording is shorter than two steps.
    """
    gaps = np.nonzero(np.diff(t) > max_gap)[0]
    if len(gaps):
        k = gaps[0]
        raise ConfigError(label, f"{KEY}.max_gap", f"a gap of {t[k + 1] - t[k]:.3g} s between samples {k} and {k + 1} "
                          f"(t = {t[k]:g} s and {t[k + 1]:g} s; {len(gaps)} gaps longer than {max_gap:g} s)",
                          f"a recording without gaps, or max_gap >= {np.diff(t).max():.3g} s")
    n = int(np.floor((t[-1] - t[0]) / dt + 1e-9)) + 1
    if n < 2:
        raise ConfigError(label, f"{KEY}.source", f"lasts {t[-1] - t[0]:g} s, less than two steps of {dt:g} s",
                          "a recording longer than the network's step")
    grid = t[0] + np.arange(n) * dt
    return np.column_stack([np.interp(grid, t, pos[:, d]) for d in range(pos.shape[1])])


def fit_to_world(env: Gridworld, t: np.ndarray, pos: np.ndarray, config: RecordingConfig, label: str = "") -> np.ndarray:
    """Recorded positions ``(N, dim)`` in ``env``'s coordinates: projected onto a 1-D track, wrapped on
    a periodic world, moved onto the edge within ``margin``; every sample checked to be free.

    Raises:
        ConfigError: naming the file and the first sample outside the world or in a wall, or a
            1-D recording given to a 2-D world.
    """
    if env.dim == 1 and pos.shape[1] == 2:
        pos = pos[:, ["x", "y"].index(config.axis)][:, None]
    if pos.shape[1] != env.dim:
        raise ConfigError(label, f"{KEY}.source", f"a {pos.shape[1]}-D recording cannot drive the {env.dim}-D world "
                          f"{env.name}", f"a recording of {env.dim}-D positions")
    if env.periodic:
        pos = env.wrap(pos)
    else:
        outside = np.maximum(-pos, pos - env.size).max(axis=1)
        near = (outside >= 0) & (outside <= config.margin)
        pos = np.where(near[:, None], np.clip(pos, 0.0, np.nextafter(env.size, 0.0)), pos)
    bad = np.nonzero(~env.is_free(pos))[0]
    if len(bad):
        k = bad[0]
        where = "in a wall of" if np.all((pos[k] >= 0) & (pos[k] < env.size)) else "outside the world"
        at = ", ".join(f"{x:.4g}" for x in pos[k])
        raise ConfigError(label, f"{KEY}.margin", f"sample {k} (t = {t[k]:g} s) at ({at}) m is "
                          f"{where} {env.name} ({len(bad)} such samples)",
                          f"positions in free cells of the {' x '.join(f'{s:g}' for s in env.size)} m world; margin "
                          f"(now {config.margin:g} m) moves samples that near its edge onto it")
    return pos


@dataclass(frozen=True, eq=False)
class RecordedPath:
    """A recording on the network's time grid, repeated as its config says.

    Attributes:
        positions: ``(n, dim)`` positions in metres at steps ``0 … n − 1`` of one pass.
        dt: seconds per step.
        repeat: ``"mirror"`` or ``"loop"`` (module docstring).
        env: the world (for displacements on periodic worlds).
        source: the file the recording came from.
    """

    positions: np.ndarray
    dt: float
    repeat: str
    env: Gridworld
    source: str = ""

    @property
    def period(self) -> int:
        """Steps after which the repeated path starts over."""
        n = len(self.positions)
        return 2 * (n - 1) if self.repeat == "mirror" else n

    def _index(self, steps: np.ndarray) -> np.ndarray:
        """Index into :attr:`positions` of each (any, non-negative) step of the repeated path."""
        phase = np.mod(steps, self.period)
        if self.repeat == "mirror":
            n = len(self.positions)
            return np.where(phase < n, phase, self.period - phase)
        return phase

    def longest_step(self) -> tuple[int, float]:
        """The step ``k`` (from ``positions[k]`` to ``positions[k + 1]``) that moves farthest, and how far (metres)."""
        steps = np.linalg.norm(self.env.displacement(self.positions[1:], self.positions[:-1]), axis=-1)
        k = int(np.argmax(steps))
        return k, float(steps[k])

    def segment(self, start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions ``(n, dim)`` (m) and velocities ``(n, dim)`` (m/s) at steps ``start … start + n − 1``."""
        steps = start + np.arange(n + 1)
        position = self.positions[self._index(steps)]
        velocity = self.env.displacement(position[1:], position[:-1]) / self.dt
        if self.repeat == "loop":
            velocity[np.mod(steps[:-1], self.period) == self.period - 1] = 0.0
        return position[:-1], velocity


def load_recorded_path(env: Gridworld, config: RecordingConfig, dt: float) -> RecordedPath:
    """Read, check and resample ``config.source`` for ``env`` at step ``dt`` (see the module docstring).

    Raises:
        ConfigError: naming the file, the key and the sample (for gaps and positions outside the world).
    """
    t, pos, label = read_recording(config.source)
    if config.span:
        start, stop = config.span
        if stop > t[-1] - t[0]:
            raise ConfigError(label, f"{KEY}.span", f"ends {stop:g} s after the first sample of a {t[-1] - t[0]:g}-s "
                              "recording", f"stop <= {t[-1] - t[0]:g} s")
        kept = (t >= t[0] + start) & (t <= t[0] + stop)
        t, pos = t[kept], pos[kept]
    pos = fit_to_world(env, t, pos, config, label)
    if env.periodic:  # interpolate the unwrapped path, so that a step across the join is not a jump
        pos = pos[0] + np.concatenate([np.zeros((1, env.dim)), np.cumsum(env.displacement(pos[1:], pos[:-1]), axis=0)])
    resampled = env.wrap(resample(t, pos, dt, config.max_gap, label))
    return RecordedPath(resampled, dt, config.repeat, env, label)


class RecordedMotion:
    """A :class:`RecordedPath` read block after block from step ``start``: ``motion(n)`` gives the
    next ``n`` positions and velocities."""

    def __init__(self, path: RecordedPath, start: int = 0):
        self.path = path
        self.step = int(start)

    def __call__(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        position, velocity = self.path.segment(self.step, n)
        self.step += n
        return position, velocity


def recorded_motion(env: Gridworld, config: RecordingConfig, dt: float, rng: np.random.Generator) -> RecordedMotion:
    """The recording of ``config`` for ``env`` from a start drawn from ``rng`` uniformly over one period."""
    path = load_recorded_path(env, config, dt)
    return RecordedMotion(path, int(rng.integers(path.period)))
