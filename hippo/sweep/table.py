"""The results table of a sweep: one row per run, rebuilt from the sweep folder's files.

Columns: ``run_id``, ``seed``, one column per swept key, ``status`` (``done``, ``failed``
or ``pending``), ``run_wall_seconds`` (the whole run, figures included), ``engine``,
``version`` (of hippo that ran it), ``worker``, ``error``, then every numeric metric
flattened to a dotted name (``pi_error_m.1``, ``ring.local_excitation``, ...).

Swept values and the seed of a finished run are read from its ``config.toml``, its
metrics from its ``metrics.json``: the run directories are the source of truth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from hippo.config import read_toml
from hippo.errors import HippoError
from hippo.io import atomic_path
from hippo.sweep.execute import DONE, FAILED, PENDING, is_complete, read_record

PLAN_FILE = "sweep.json"
FIXED_COLUMNS = ("run_id", "seed", "status", "run_wall_seconds", "engine", "version", "worker", "error")


def read_plan(sweep_dir: Path) -> dict:
    """The sweep's plan (``sweep.json``), or an empty plan if the folder has none."""
    try:
        return json.loads((Path(sweep_dir) / PLAN_FILE).read_text())
    except FileNotFoundError:
        return {"swept": [], "runs": []}
    except ValueError as error:
        raise HippoError(f"{Path(sweep_dir) / PLAN_FILE}: unreadable plan ({error})") from None


def _lookup(config: dict, dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return json.dumps(node) if isinstance(node, (list, dict)) else node


def _row(sweep_dir: Path, run_id: str, swept_keys: list[str], planned: dict | None) -> dict:
    from hippo.runner import flatten_metrics

    run_dir = sweep_dir / "runs" / run_id
    record = read_record(sweep_dir, run_id) or {}
    known = planned or record
    row = {"run_id": run_id, "seed": known.get("seed"),
           **{key: known.get("swept", {}).get(key) for key in swept_keys},
           "status": record.get("status", PENDING), "run_wall_seconds": record.get("wall_seconds"),
           "engine": known.get("engine"), "version": record.get("version"), "worker": record.get("worker"),
           "error": record.get("error")}
    if is_complete(run_dir):
        config = read_toml(run_dir / "config.toml")
        row.update({key: _lookup(config, key) for key in swept_keys})
        row.update(seed=config.get("seed"), engine=config.get("engine"), status=DONE, error=None)
        row.update(flatten_metrics(json.loads((run_dir / "metrics.json").read_text())))
    elif row["status"] != FAILED:
        row["status"] = PENDING
    return row


def collect(sweep_dir: str | Path) -> pd.DataFrame:
    """The results table of a sweep folder: planned runs, run directories and records, one row each.

    Raises:
        HippoError: the folder is not a sweep folder.
    """
    sweep_dir = Path(sweep_dir)
    if not (sweep_dir / PLAN_FILE).is_file() and not (sweep_dir / "runs").is_dir():
        raise HippoError(f"{sweep_dir}: not a sweep folder (no {PLAN_FILE} and no runs/)")
    plan = read_plan(sweep_dir)
    swept_keys = list(plan.get("swept", []))
    planned = {run["run_id"]: run for run in plan.get("runs", [])}
    run_ids = list(planned)
    for folder, pattern in (("runs", "*"), ("records", "*.json")):
        for path in sorted((sweep_dir / folder).glob(pattern)):
            run_id = path.stem if folder == "records" else path.name
            if run_id.startswith(".") or run_id.endswith(".failed") or run_id in planned or run_id in run_ids:
                continue
            if folder == "records" or path.is_dir():
                run_ids.append(run_id)
    rows = [_row(sweep_dir, run_id, swept_keys, planned.get(run_id)) for run_id in run_ids]
    columns = ["run_id", "seed", *swept_keys, *FIXED_COLUMNS[2:]]
    table = pd.DataFrame(rows, columns=list(dict.fromkeys(columns + [k for row in rows for k in row])))
    return table


def write_table(sweep_dir: str | Path, table: pd.DataFrame) -> tuple[Path, Path]:
    """Write ``results.parquet`` and ``results.csv`` into the sweep folder, atomically."""
    sweep_dir = Path(sweep_dir)
    parquet, csv = sweep_dir / "results.parquet", sweep_dir / "results.csv"
    with atomic_path(parquet) as tmp:
        table.to_parquet(tmp, index=False)
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False)
    return parquet, csv


def read_table(sweep_dir: str | Path) -> pd.DataFrame:
    """The sweep's ``results.parquet``, rebuilt from its files when missing."""
    path = Path(sweep_dir) / "results.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    table = collect(sweep_dir)
    write_table(sweep_dir, table)
    return table
