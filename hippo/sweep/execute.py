"""One run of a sweep, as a worker executes it, and what a sweep folder says about each run.

A sweep folder holds::

    sweep.json              the plan: experiment, swept keys, every run's id, seed and values
    runs/<run id>/          one run directory per run (see :mod:`hippo.io`)
    records/<run id>.json   how the run went: status, wall seconds, worker, version, traceback
    results.parquet, .csv   the results table (see :mod:`hippo.sweep.table`)

The run directories are the truth: a run is done when its directory is complete, whatever
its record says. A failed run leaves a record with its traceback and no complete directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import traceback
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import hippo
from hippo import io as hippo_io
from hippo.sweep.spec import PlannedRun

DONE, FAILED, PENDING = "done", "failed", "pending"


def run_path(sweep_dir: Path, run_id: str) -> Path:
    """The run directory of ``run_id``."""
    return Path(sweep_dir) / "runs" / run_id


def record_path(sweep_dir: Path, run_id: str) -> Path:
    """The record file of ``run_id``."""
    return Path(sweep_dir) / "records" / f"{run_id}.json"


def is_complete(path: Path) -> bool:
    """Whether ``path`` is a finished run directory (see :func:`hippo.io.is_complete`)."""
    return hippo_io.is_complete(path)


def read_record(sweep_dir: Path, run_id: str) -> dict | None:
    """The record of ``run_id``, or ``None`` if it has none (or an unreadable one)."""
    try:
        return json.loads(record_path(sweep_dir, run_id).read_text())
    except (OSError, ValueError):
        return None


def status(sweep_dir: Path, run_id: str) -> str:
    """``"done"``, ``"failed"`` or ``"pending"`` (never run, or interrupted) from the folder's files."""
    if is_complete(run_path(sweep_dir, run_id)):
        return DONE
    record = read_record(sweep_dir, run_id)
    return FAILED if record is not None and record.get("status") == FAILED else PENDING


def write_record(sweep_dir: Path, run: PlannedRun, outcome: dict) -> dict:
    """Write ``records/<run id>.json``: the planned run and its ``outcome``; returns the record."""
    record = {**asdict(run), **outcome}
    hippo_io.write_json(record_path(sweep_dir, run.run_id), record)
    return record


def execute(run: PlannedRun, experiment: str, sweep_dir: str | Path, figures: bool = True) -> dict:
    """Run one planned run into ``<sweep_dir>/runs/<run id>`` and record how it went.

    A complete run directory is kept as it is (a task repeated after its worker died);
    an incomplete one is removed first. An exception in the run is caught and recorded
    with its traceback, so one failing run never stops the others.

    Args:
        run: the planned run.
        experiment: preset name or TOML file of the experiment.
        sweep_dir: the sweep folder (an absolute path when workers run elsewhere).
        figures: ``False`` skips drawing the run's figures.

    Returns:
        The record: the planned run's fields plus ``status`` (``"done"`` or ``"failed"``),
        ``wall_seconds``, ``worker`` (host:pid), ``version``, ``error``, ``traceback`` and,
        for a diverged run, ``kept``: the folder holding what it saved before failing.
    """
    from hippo.runner import run_experiment
    from hippo.plotting import figures_skipped

    sweep_dir = Path(sweep_dir)
    target = run_path(sweep_dir, run.run_id)
    outcome = {"worker": f"{socket.gethostname()}:{os.getpid()}", "version": hippo.__version__,
               "error": None, "traceback": None}
    if is_complete(target):
        previous = read_record(sweep_dir, run.run_id) or {}
        kept = {key: previous[key] for key in ("worker", "version", "wall_seconds") if key in previous}
        return write_record(sweep_dir, run, {**outcome, "wall_seconds": None, **kept, "status": DONE})
    if target.exists():
        shutil.rmtree(target)
    start = time.perf_counter()
    try:
        with nullcontext() if figures else figures_skipped():
            run_experiment(experiment, list(run.overrides), run.seed, target, True)
    except Exception as error:  # noqa: BLE001 - any failure of one run is recorded, the sweep goes on
        outcome.update(status=FAILED, error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())
        kept = getattr(error, "kept", None)
        if kept is not None:
            outcome["kept"] = str(kept)
    else:
        outcome["status"] = DONE
    outcome["wall_seconds"] = time.perf_counter() - start
    return write_record(sweep_dir, run, outcome)
