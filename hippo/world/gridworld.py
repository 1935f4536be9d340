"""Gridworld environments: ASCII maps in TOML files.

File format (one environment per ``.toml`` file)::

    name = "two-rooms"                 # optional, defaults to the file name
    description = "Two rooms joined by a doorway"   # optional
    cell_size = 0.1                    # metres per cell (required, > 0)
    boundary = "solid"                 # "solid" or "periodic" (required)
    map = '''
    ##########
    #...#....#
    #........#
    '''

Map characters: ``#`` wall, ``.`` free cell, a letter (``A``–``Z``, ``a``–``z``) a
free cell carrying that cue or object. Every row must have the same length. A map with
one row is a 1-D track. The outer edge of the map is a boundary: ``solid`` stops the
agent there, ``periodic`` joins opposite edges (a ring in 1-D, a torus in 2-D).

Coordinates are metres. Positions have shape ``(..., dim)`` with ``dim`` 1 for tracks
and 2 otherwise; ``x`` grows with the column, ``y`` grows upwards (row 0 is the top).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from hippo.config import is_path, read_text, read_toml
from hippo.errors import ConfigError

WALL = "#"
FREE = "."
BOUNDARIES = ("solid", "periodic")
ACTIONS = ("stay", "N", "E", "S", "W")
_ACTION_STEPS = {"stay": (0, 0), "N": (-1, 0), "E": (0, 1), "S": (1, 0), "W": (0, -1)}
_ALLOWED_KEYS = ("name", "description", "cell_size", "boundary", "map")
_ALLOWED_CHARS = "'#' (wall), '.' (free), letters A-Z/a-z (cue on a free cell)"
_REQUIRED_KEYS = {
    "cell_size": "a finite number of metres > 0",
    "boundary": "'solid' or 'periodic'",
    "map": "an ASCII map as a multi-line string",
}


def periodic_displacement(displacement: np.ndarray, period) -> np.ndarray:
    """Displacements in metres mapped to the shortest equivalent one on periodic boundaries of
    ``period`` metres (a number, or one per axis): ``d − period·round(d / period)``, in
    ``[−period/2, period/2]``; a displacement already in that range is returned unchanged."""
    displacement = np.asarray(displacement, dtype=float)
    return displacement - period * np.round(displacement / period)


@dataclass(frozen=True, eq=False)
class Gridworld:
    """A parsed gridworld.

    Attributes:
        name: environment name.
        cell_size: side of one cell in metres.
        boundary: ``"solid"`` or ``"periodic"``.
        grid: ``(rows, cols)`` array of map characters.
        description: free text.
        source: file the environment was read from.
    """

    name: str
    cell_size: float
    boundary: str
    grid: np.ndarray
    description: str = ""
    source: str = ""
    free: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "free", self.grid != WALL)

    # ----------------------------------------------------------------- geometry
    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the map."""
        return self.grid.shape

    @property
    def dim(self) -> int:
        """1 for a one-row track, 2 otherwise."""
        return 1 if self.grid.shape[0] == 1 else 2

    @property
    def periodic(self) -> bool:
        return self.boundary == "periodic"

    @property
    def size(self) -> np.ndarray:
        """Extent of the world in metres: ``(width,)`` or ``(width, height)``."""
        rows, cols = self.grid.shape
        return np.array([cols * self.cell_size] if self.dim == 1 else [cols * self.cell_size, rows * self.cell_size])

    @property
    def free_cells(self) -> np.ndarray:
        """``(n_free, 2)`` integer (row, col) of every free cell, in row-major order."""
        return np.argwhere(self.free)

    @property
    def n_free(self) -> int:
        return int(self.free.sum())

    def state_index(self) -> np.ndarray:
        """``(rows, cols)`` array giving each free cell's index in :attr:`free_cells` (−1 on walls)."""
        index = -np.ones(self.grid.shape, dtype=int)
        cells = self.free_cells
        index[cells[:, 0], cells[:, 1]] = np.arange(len(cells))
        return index

    def cell_centres(self, cells: np.ndarray) -> np.ndarray:
        """Positions (metres) of the centres of ``(n, 2)`` (row, col) cells: ``(n, dim)``."""
        cells = np.asarray(cells)
        x = (cells[..., 1] + 0.5) * self.cell_size
        if self.dim == 1:
            return x[..., None]
        y = (self.grid.shape[0] - cells[..., 0] - 0.5) * self.cell_size
        return np.stack([x, y], axis=-1)

    def cell_of(self, positions: np.ndarray) -> np.ndarray:
        """(row, col) of the cell containing each position ``(..., dim)``: ``(..., 2)``."""
        positions = np.asarray(positions, dtype=float)
        rows, cols = self.grid.shape
        col = np.clip(np.floor(positions[..., 0] / self.cell_size).astype(int), 0, cols - 1)
        if self.dim == 1:
            row = np.zeros_like(col)
        else:
            row = np.clip(rows - 1 - np.floor(positions[..., 1] / self.cell_size).astype(int), 0, rows - 1)
        return np.stack([row, col], axis=-1)

    def is_free(self, positions: np.ndarray) -> np.ndarray:
        """Whether each position lies inside the world and in a free cell."""
        positions = np.asarray(positions, dtype=float)
        inside = np.all((positions >= 0) & (positions < self.size), axis=-1)
        cells = self.cell_of(positions)
        return inside & self.free[cells[..., 0], cells[..., 1]]

    def wrap(self, positions: np.ndarray) -> np.ndarray:
        """Positions folded back into the world on periodic boundaries (unchanged if solid)."""
        positions = np.asarray(positions, dtype=float)
        if not self.periodic:
            return positions
        wrapped = np.mod(positions, self.size)
        return np.where(wrapped >= self.size, 0.0, wrapped)  # mod of a tiny negative number can round up to size

    def displacement(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a − b`` in metres, by the shortest way round on periodic boundaries."""
        d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
        return periodic_displacement(d, self.size) if self.periodic else d

    def distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Euclidean distance in metres (shortest way round on periodic boundaries)."""
        return np.linalg.norm(self.displacement(a, b), axis=-1)

    # ------------------------------------------------------------------- cues
    @property
    def cue_letters(self) -> list[str]:
        """Distinct cue letters on the map, sorted."""
        return sorted({str(c) for c in self.grid.ravel() if c.isalpha()})

    def cue_at(self, cells: np.ndarray) -> np.ndarray:
        """Map character under each (row, col) cell."""
        cells = np.asarray(cells)
        return self.grid[cells[..., 0], cells[..., 1]]

    # ------------------------------------------------------- discrete moves
    def step_cell(self, cells: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Cell reached from each (row, col) cell by each action index of :data:`ACTIONS`.

        A move into a wall, or off a solid edge, leaves the agent where it was; periodic
        worlds wrap around. On 1-D tracks N and S leave the agent in place.
        """
        cells = np.asarray(cells)
        steps = np.array([_ACTION_STEPS[a] for a in ACTIONS])[np.asarray(actions)]
        target = cells + steps
        rows, cols = self.grid.shape
        if self.periodic:
            target = np.mod(target, [rows, cols])
        inside = (target[..., 0] >= 0) & (target[..., 0] < rows) & (target[..., 1] >= 0) & (target[..., 1] < cols)
        target = np.where(inside[..., None], target, cells)
        blocked = ~self.free[target[..., 0], target[..., 1]]
        return np.where(blocked[..., None], cells, target)


# ---------------------------------------------------------------------- loading
def environments_dir() -> Path:
    """Folder of the environment files shipped with the package."""
    try:
        return Path(str(resources.files("hippo.environments")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "environments"


def list_environments() -> list[str]:
    """Names of the shipped environments."""
    return sorted(p.stem for p in environments_dir().glob("*.toml"))


def load_environment(name_or_path: str | Path) -> Gridworld:
    """Load a gridworld by shipped name (e.g. ``"ring-1m"``) or by path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return parse_environment(path)
    candidate = environments_dir() / f"{name_or_path}.toml"
    if not candidate.exists():
        raise ConfigError(str(name_or_path), "", "unknown environment", ", ".join(list_environments()) + " or a path to a .toml file")
    return parse_environment(candidate)


def load_environment_setting(value: str, key: str) -> Gridworld:
    """Load the environment that config key ``key`` names, blaming that key if there is none.

    Args:
        value: a shipped environment's name or a path to an environment file.
        key: dotted config key holding ``value``.

    Returns:
        The parsed environment.

    Raises:
        ConfigError: without a source (the caller knows the config file) when no such
            environment exists; with the environment file as source when it is malformed.
    """
    allowed = ", ".join(list_environments()) + " or a path to a .toml file"
    if is_path(value) or Path(value).exists():
        if not Path(value).exists():
            raise ConfigError("", key, f"no file {value}", allowed)
        return parse_environment(value)
    if not (environments_dir() / f"{value}.toml").exists():
        raise ConfigError("", key, f"unknown environment {value!r}", allowed)
    return load_environment(value)


def _map_first_line(text: str) -> int:
    """1-based file line of the first map row (best effort), for error messages."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        match = re.match(r"\s*map\s*=\s*('''|\"\"\"|'|\")(.*)$", line)
        if match:
            return number + (0 if match.group(2).strip() else 1)
    return 0


def parse_environment(path: str | Path) -> Gridworld:
    """Parse and validate one environment file; errors name the file and key or line/column."""
    path = Path(path)
    source = str(path)
    data = read_toml(path)
    for key in data:
        if key not in _ALLOWED_KEYS:
            raise ConfigError(source, key, "unknown key", ", ".join(_ALLOWED_KEYS))
    for key, allowed in _REQUIRED_KEYS.items():
        if key not in data:
            raise ConfigError(source, key, "missing key", allowed)
    cell_size = data["cell_size"]
    if isinstance(cell_size, bool) or not isinstance(cell_size, (int, float)) or not 0 < cell_size < math.inf:
        raise ConfigError(source, "cell_size", f"invalid value {cell_size!r}", _REQUIRED_KEYS["cell_size"])
    boundary = data["boundary"]
    if boundary not in BOUNDARIES:
        raise ConfigError(source, "boundary", f"invalid value {boundary!r}", ", ".join(repr(b) for b in BOUNDARIES))
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(source, key, f"expected a string, got {data[key]!r}")
    if not isinstance(data["map"], str):
        raise ConfigError(source, "map", "expected a multi-line string")
    text = read_text(path)
    first_line = _map_first_line(text)
    rows = data["map"].split("\n")
    while rows and not rows[0].strip():
        rows.pop(0)
        first_line += 1
    while rows and not rows[-1].strip():
        rows.pop()
    rows = [r.rstrip() for r in rows]
    if not rows:
        raise ConfigError(source, "map", "the map is empty")
    indent = min(len(r) - len(r.lstrip()) for r in rows)
    rows = [r[indent:] for r in rows]
    for i, row in enumerate(rows):
        where = f"map, line {first_line + i}" if first_line else f"map row {i + 1}"
        if len(row) != len(rows[0]):
            raise ConfigError(source, where, f"ragged row: {len(row)} characters where the first row has {len(rows[0])}",
                              "rows of equal length")
        for j, char in enumerate(row):
            if char not in (WALL, FREE) and not (char.isascii() and char.isalpha()):
                raise ConfigError(source, f"{where}, column {indent + j + 1}", f"unknown character {char!r}", _ALLOWED_CHARS)
    grid = np.array([list(r) for r in rows])
    if not (grid != WALL).any():
        raise ConfigError(source, "map", "no free cell", "at least one '.' or letter")
    return Gridworld(
        name=data.get("name", path.stem),
        cell_size=float(cell_size),
        boundary=boundary,
        grid=grid,
        description=data.get("description", ""),
        source=source,
    )
