"""Running a sweep: plan, skip what is done, warm the compiled-kernel caches, fan out, tabulate."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from hippo.errors import ConfigError
from hippo.io import check_output, write_json
from hippo.progress import RunsProgress
from hippo.sweep import backends
from hippo.sweep.execute import DONE, FAILED, PENDING, execute, status, write_record
from hippo.sweep.spec import PlannedRun, SweepSpec, plan
from hippo.sweep.table import PLAN_FILE, collect, write_table

#: The file that makes a folder a sweep's: its sweep file, experiment and swept keys (JSON).
MARKER = ".hippo-sweep.json"


@dataclass
class SweepOutcome:
    """What a sweep invocation did.

    Attributes:
        sweep_dir: the sweep folder.
        planned: number of runs in the sweep.
        ran: runs executed by this invocation.
        done: runs finished (now or before).
        failed: runs that failed.
        table: the results table file (parquet).
    """

    sweep_dir: Path
    planned: int
    ran: int
    done: int
    failed: int
    table: Path

    @property
    def succeeded(self) -> bool:
        """Whether every run of the sweep is done."""
        return self.done == self.planned


def _brian2_cache(runs: list[PlannedRun]) -> str | None:
    """The shared Brian2 cache folder when any run uses the spiking engine, else ``None``."""
    if not any(run.engine == "spiking" for run in runs):
        return None
    from hippo.circuits.spiking import cache_directory

    return str(cache_directory())


def write_plan(sweep_dir: Path, spec: SweepSpec, runs: list[PlannedRun]) -> Path:
    """Write ``sweep.json``: the experiment, fixed overrides, swept keys and every planned run."""
    swept = list(dict.fromkeys(key for run in runs for key in run.swept))
    return write_json(sweep_dir / PLAN_FILE, {
        "source": spec.source, "experiment": spec.experiment, "seeds": list(spec.seeds), "fixed": list(spec.fixed),
        "swept": swept, "runs": [asdict(run) for run in runs]})


def _owner(spec: SweepSpec) -> dict:
    """What the marker of ``spec``'s sweep folder holds: the sweep file, the experiment and the swept keys."""
    experiment = spec.experiment
    if experiment.endswith(".toml"):
        experiment = str(Path(experiment).resolve())
    return {"sweep_file": str(Path(spec.source).resolve()), "experiment": experiment, "swept": list(spec.grid)}


def check_folder(spec: SweepSpec) -> Path:
    """Check that ``spec.out`` can be this sweep's folder; returns it (nothing is created).

    A sweep folder belongs to one sweep: the marker file :data:`MARKER` names its sweep
    file, experiment and swept keys. ``out`` may be a new or empty folder, or the folder
    whose marker names this sweep; the current folder (or one holding it), a folder
    inside another sweep's, a folder without the marker (a run directory, other files)
    and the folder of another sweep file or of another grid are refused, so that one
    results table never mixes runs of different sweeps.

    Raises:
        ConfigError: naming the sweep file, ``sweep.out``, the folder and what is allowed.
    """
    where = f"{spec.source}: sweep.out"
    out = check_output(spec.out, where, folder=True)
    resolved, here = out.resolve(), Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        raise ConfigError(where, "", f"{out} is the current folder or holds it", "a new folder of its own")
    other = next((parent for parent in resolved.parents if (parent / MARKER).is_file()), None)
    if other is not None:
        raise ConfigError(where, "", f"{out} is inside the folder of another sweep, {other}", "a folder of its own")
    if not out.is_dir() or not any(out.iterdir()):
        return out
    try:
        owner = json.loads((out / MARKER).read_text())
    except FileNotFoundError:
        entry = sorted(p.name for p in out.iterdir())[0]
        raise ConfigError(where, "", f"{out} is not a sweep folder (it holds {entry} and no {MARKER})",
                          "a new or empty folder, or this sweep's own folder") from None
    except (OSError, ValueError) as error:
        raise ConfigError(where, "", f"{out / MARKER} cannot be read ({error})", "a new folder") from None
    mine = _owner(spec)
    if owner.get("sweep_file") != mine["sweep_file"]:
        raise ConfigError(where, "", f"{out} belongs to the sweep {owner.get('sweep_file')}",
                          "a new or empty folder, or this sweep's own folder")
    for key, what in (("experiment", "experiment"), ("swept", "swept keys")):
        if owner.get(key) != mine[key]:
            raise ConfigError(where, "", f"{out} holds this sweep with another {what} ({owner.get(key)}; now "
                              f"{mine[key]})", "a new out for a changed experiment or grid")
    return out


def _check_backend(spec: SweepSpec, scheduler: str | None) -> None:
    """Refuse, before any work, a scheduler that cannot be reached or batch jobs this machine cannot submit."""
    if scheduler:
        backends.check_scheduler(scheduler)
    elif spec.cluster is not None:
        backends.check_submitter(spec.cluster, spec.source)


def describe(spec: SweepSpec) -> list[str]:
    """One line per run of the sweep: its status in the sweep folder, its id and seed (``--dry-run``)."""
    runs = plan(spec)
    sweep_dir = check_folder(spec)
    return [f"{status(sweep_dir, run.run_id):8s} {run.run_id}  seed={run.seed}  "
            + " ".join(f"{k}={v!r}" for k, v in run.swept.items()) for run in runs]


def run_sweep(spec: SweepSpec, workers: int | None = None, scheduler: str | None = None,
              rerun_failed: bool = False, figures: bool = True, quiet: bool = False) -> SweepOutcome:
    """Run every unfinished run of a sweep and write its results table.

    The sweep folder must be new, empty or this sweep's (see :func:`check_folder`), the
    scheduler reachable and the batch system's submit command present. Finished runs are
    skipped; unfinished ones (never started, interrupted, half-written)
    run again; failed ones run again only with ``rerun_failed``. Every configuration is
    validated before anything runs. When numba's cache is cold, the first run executes
    in this process before the others fan out, so workers never compile the same kernels
    at once.

    Args:
        spec: the sweep (see :func:`hippo.sweep.spec.load_sweep`).
        workers: local worker processes (default: one per core); 1 runs everything in
            this process, without Dask. Ignored with ``scheduler`` or ``spec.cluster``.
        scheduler: address ``tcp://HOST:PORT`` of a running Dask scheduler.
        rerun_failed: run the failed runs again.
        figures: ``False`` skips drawing each run's figures.
        quiet: no progress lines.

    Returns:
        What ran and how many runs are done and failed.
    """
    if workers is not None and workers < 1:
        raise ConfigError("--workers", "", f"invalid value {workers}", "an integer >= 1")
    runs = plan(spec)
    _check_backend(spec, scheduler)
    sweep_dir = check_folder(spec).resolve()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    write_json(sweep_dir / MARKER, _owner(spec))
    write_plan(sweep_dir, spec, runs)
    workers = workers or os.cpu_count() or 1
    wanted = (PENDING, FAILED) if rerun_failed else (PENDING,)
    todo = [run for run in runs if status(sweep_dir, run.run_id) in wanted]
    if not quiet:
        print(f"sweep {sweep_dir}: {len(runs)} runs, {len(runs) - len(todo)} already finished or failed, "
              f"{len(todo)} to run", file=sys.stderr, flush=True)
    tasks = [(run, spec.experiment, str(sweep_dir), figures) for run in todo]
    with RunsProgress(len(todo), enabled=not quiet) as progress:
        results = backends.run_tasks(execute, tasks, workers, scheduler, spec.cluster, _brian2_cache(todo),
                                     progress.started)
        _follow(results, todo, sweep_dir, progress)
    table = collect(sweep_dir)
    parquet, _ = write_table(sweep_dir, table)
    counts = table[table["run_id"].isin({run.run_id for run in runs})]["status"].value_counts()
    return SweepOutcome(sweep_dir, len(runs), len(todo), int(counts.get(DONE, 0)), int(counts.get(FAILED, 0)), parquet)


def _follow(results, runs: list[PlannedRun], sweep_dir: Path, progress: RunsProgress) -> None:
    """Report each finished task; a task lost with its worker is recorded as a failure."""
    for finished in results:
        run = runs[finished.index]
        record = finished.result
        if finished.error is not None:
            record = write_record(sweep_dir, run, {
                "status": FAILED, "wall_seconds": None, "worker": None, "version": None,
                "error": f"{type(finished.error).__name__}: {finished.error}", "traceback": None})
        progress.finished(run.run_id, record["status"], record.get("wall_seconds"), finished.running,
                          record.get("error") if record["status"] == FAILED else None)
