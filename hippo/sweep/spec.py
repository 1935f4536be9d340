"""A sweep file: which experiment, which seeds, which fixed and swept keys, where to run.

A sweep is declared in TOML::

    [sweep]
    experiment = "path-integration"    # preset name, or a TOML file (relative to this file)
    seeds = [0, 1, 2]
    out = "runs/pi-noise"              # the sweep folder (relative to the working directory)
    [set]                              # fixed overrides, the same keys as ``--set``
    duration = 3600
    [grid]                             # cartesian product of these values
    "hpc.basal_noise.scale" = [0.01, 0.03]
    [cluster]                          # optional: SLURM or PBS jobs through dask-jobqueue
    kind = "slurm"
    cores = 8
    memory = "16GB"
    walltime = "04:00:00"
    jobs = 4

:func:`load_sweep` reads and checks such a file; :func:`plan` expands the grid into runs
and validates every run's configuration before anything runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hippo.config import bounds, flatten_tables, from_dict, read_toml, to_dict
from hippo.errors import ConfigError
from hippo.io import to_toml
from hippo.sweep.cluster import ClusterSpec

#: Longest run id (file names may have 255 bytes; the staging folder adds about 30).
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class SweepTable:
    """A sweep file's ``[sweep]`` table.

    Attributes:
        experiment: preset name, or the experiment's TOML file (relative to the sweep file).
        seeds: the seeds every grid point runs with, each once.
        out: the sweep folder (relative to the working directory).
    """

    experiment: str
    seeds: tuple[int, ...] = field(metadata=bounds(min=0))
    out: str

    def __post_init__(self):
        if not self.seeds:
            raise ConfigError("", "seeds", "invalid value []", "a non-empty list of integers >= 0")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError("", "seeds", f"repeated seeds in {list(self.seeds)!r}", "each seed once")
        if not self.out:
            raise ConfigError("", "out", "invalid value ''", "a folder path")


@dataclass(frozen=True)
class SweepFile:
    """A sweep file's tables as written (``[set]`` and ``[grid]`` hold the experiment's keys, nested or dotted)."""

    sweep: SweepTable
    set: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, Any] = field(default_factory=dict)
    cluster: ClusterSpec | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep file.

    Attributes:
        source: the file it was read from (named in error messages).
        experiment: preset name or path of the experiment's TOML file.
        seeds: the seeds every grid point runs with.
        out: the sweep folder.
        fixed: fixed overrides as ``key=value`` texts, applied to every run.
        grid: swept keys (flattened, dotted) and their values, in file order.
        cluster: batch jobs for the workers, or ``None``.
    """

    source: str
    experiment: str
    seeds: tuple[int, ...]
    out: Path
    fixed: tuple[str, ...] = ()
    grid: dict[str, tuple] = field(default_factory=dict)
    cluster: ClusterSpec | None = None


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep.

    Attributes:
        run_id: name of its run directory (experiment, swept values, seed, config digest).
        seed: its seed.
        swept: the swept keys and this run's values.
        overrides: every ``key=value`` override (fixed, then swept).
        digest: 8 hex digits of the SHA-1 of the resolved configuration (seed included).
        engine: the configuration's ``engine`` key, or ``None`` if it has none.
    """

    run_id: str
    seed: int
    swept: dict[str, Any]
    overrides: tuple[str, ...]
    digest: str
    engine: str | None


def override_text(key: str, value: Any) -> str:
    """The ``--set`` text of one value: ``key=<TOML value>``."""
    return f"{key}={json.dumps(value)}"


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file (tables ``[sweep]``, ``[set]``, ``[grid]``, ``[cluster]``).

    Raises:
        ConfigError: naming the file and key of the first problem found.
    """
    path = Path(path)
    source = str(path)
    tables = from_dict(SweepFile, read_toml(path), source)
    experiment = tables.sweep.experiment
    beside = path.parent / experiment
    if experiment.endswith(".toml") and beside.exists():
        experiment = str(beside)
    fixed = flatten_tables(tables.set)
    grid = flatten_tables(tables.grid)
    for name, keys in (("set", fixed), ("grid", grid)):
        for key in keys:
            if key == "seed":
                raise ConfigError(source, f"{name}.seed", "the seed is swept by sweep.seeds")
            if key.rsplit(".", 1)[-1] == "experiment":
                raise ConfigError(source, f"{name}.{key}", "the experiment is not a setting",
                                  "sweep.experiment names it; one experiment per sweep")
    for key in grid:
        both = [k for k in fixed if k == key or k.startswith(key + ".") or key.startswith(k + ".")]
        if both:
            raise ConfigError(source, f"grid.{key}", f"also fixed in [set] ({both[0]})",
                              "each key either fixed in [set] or swept in [grid]")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(source, f"grid.{key}", f"invalid value {values!r}", "a non-empty list of values")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise ConfigError(source, f"grid.{key}", f"repeated values in {values!r}", "each value once")
    grid = {key: tuple(values) for key, values in grid.items()}
    return SweepSpec(source, experiment, tables.sweep.seeds, Path(tables.sweep.out),
                     tuple(override_text(k, v) for k, v in fixed.items()), grid, tables.cluster)


def _value_label(value: Any) -> str:
    """A short, file-name-safe text of a swept value."""
    if isinstance(value, float):
        text = f"{value:g}"
    else:
        text = value if isinstance(value, str) else json.dumps(value)
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("_")[:40]


def make_run_id(experiment: str, swept: dict[str, Any], seed: int, digest: str) -> str:
    """The name of a run's directory: experiment, swept values, seed and config digest.

    Swept keys are named in full (``hpc.basal_noise.scale=0.01``), by their last part
    when that is too long for a file name, and left out when even that is: the digest
    alone tells runs apart.
    """
    for name in (lambda key: key, lambda key: key.rsplit(".", 1)[-1]):
        labels = [f"{name(key)}={_value_label(value)}" for key, value in swept.items()]
        text = "_".join([experiment, *labels, f"seed{seed}", digest])
        if len(text) <= MAX_ID_LENGTH:
            return text
    return f"{experiment}_seed{seed}_{digest}"


def config_digest(config: Any) -> str:
    """8 hex digits of the SHA-1 of a resolved configuration's TOML text (the seed is part of it)."""
    return hashlib.sha1(to_toml(to_dict(config)).encode()).hexdigest()[:8]


def plan(spec: SweepSpec) -> list[PlannedRun]:
    """Every run of the sweep (grid points × seeds), each configuration validated.

    Raises:
        ConfigError: the first run whose configuration is invalid (an unknown key lists
            the valid ones); nothing has run yet.
    """
    from hippo.runner import resolve

    points = []
    for values in itertools.product(*spec.grid.values()):
        points.append(dict(zip(spec.grid, values)))
    runs = []
    for point in points:
        swept = flatten_tables(point)
        overrides = spec.fixed + tuple(override_text(k, v) for k, v in swept.items())
        for seed in spec.seeds:
            try:
                config = resolve(spec.experiment, list(overrides), seed).config
            except ConfigError as error:
                point = ", ".join(f"{k}={v!r}" for k, v in swept.items()) or "fixed keys"
                origin = "" if error.source == "--set" else f"; {error.source}"
                raise ConfigError(f"{spec.source} ({point}{origin})", error.key, error.problem, error.allowed) from None
            digest = config_digest(config)
            runs.append(PlannedRun(make_run_id(config.experiment, swept, seed, digest), seed, swept, overrides, digest,
                                   getattr(config, "engine", None)))
    return runs
