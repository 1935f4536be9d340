"""Run directories and atomic result files.

A run directory holds everything one experiment run produced::

    config.toml     the resolved configuration (defaults + file + --set + --seed)
    metrics.json    scalar results, written last: its presence marks a finished run
    arrays.npz      recorded time series (decimated)
    weights.npz     trained weights
    figures/*.png   figures

Every file is written to a temporary name in the same folder and then renamed, so a
killed run never leaves a half-written file that looks complete.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(handle)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist())
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_json(path: str | Path, data: Mapping) -> Path:
    """Write ``data`` as indented JSON atomically (numpy scalars converted, NaN → null)."""
    return write_text(path, json.dumps(_json_ready(data), indent=2) + "\n")


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write arrays to a compressed ``.npz`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **{k: np.asarray(v) for k, v in arrays.items()})
    return Path(path)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, Mapping) for v in value):
            return "[" + ", ".join("{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in item.items()) + " }" for item in value) + "]"
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def to_toml(data: Mapping, _prefix: str = "") -> str:
    """Serialise nested mappings of scalars, strings and lists to TOML text."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
    for k, v in data.items():
        if isinstance(v, Mapping):
            name = f"{_prefix}.{k}" if _prefix else k
            lines.append(f"\n[{name}]")
            lines.append(to_toml(v, name))
    return "\n".join(line for line in lines if line) + "\n"


class RunDir:
    """A run's output folder (created on construction)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.figures = self.path / "figures"

    @classmethod
    def new(cls, experiment: str, seed: int, root: str | Path = "runs") -> "RunDir":
        """A fresh folder ``root/<experiment>-<YYYYmmdd-HHMMSS>-seed<seed>`` (suffixed if taken)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = Path(root) / f"{experiment}-{stamp}-seed{seed}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        return cls(path)

    def figure_path(self, name: str) -> Path:
        """Path for a figure file ``figures/<name>.png``."""
        self.figures.mkdir(exist_ok=True)
        return self.figures / f"{name}.png"

    def write_config(self, config: Mapping) -> Path:
        return write_text(self.path / "config.toml", to_toml(config))

    def write_metrics(self, metrics: Mapping) -> Path:
        return write_json(self.path / "metrics.json", metrics)

    def write_arrays(self, name: str, arrays: Mapping[str, np.ndarray]) -> Path:
        return write_npz(self.path / f"{name}.npz", arrays)


def read_metrics(run_dir: str | Path) -> dict:
    """Read ``metrics.json`` of a finished run."""
    return json.loads((Path(run_dir) / "metrics.json").read_text())
