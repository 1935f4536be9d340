"""Running a sweep: plan, skip what is done, warm the compiled-kernel caches, fan out, tabulate."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hippo.errors import ConfigError
from hippo.io import write_json
from hippo.sweep import backends
from hippo.sweep.execute import DONE, FAILED, PENDING, execute, status, write_record
from hippo.sweep.spec import PlannedRun, SweepSpec, plan
from hippo.sweep.table import PLAN_FILE, collect, write_table


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


class SweepProgress:
    """One line per finished run: counts, running runs and the estimated time left.

    Args:
        total: runs this invocation executes.
        enabled: ``False`` prints nothing.
        stream: where the lines go (default: stderr).
    """

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.enabled = total, enabled
        self.stream = stream or sys.stderr
        self.done = self.failed = 0
        self.start = time.perf_counter()

    def finished(self, run_id: str, record: dict, running: int) -> None:
        """Count a finished run and print the progress line (``running``: runs executing now)."""
        if record["status"] == DONE:
            self.done += 1
        else:
            self.failed += 1
        if not self.enabled:
            return
        finished = self.done + self.failed
        left = self.total - finished
        elapsed = time.perf_counter() - self.start
        eta = elapsed / finished * left
        seconds = record.get("wall_seconds")
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        self.stream.write(f"[{finished}/{self.total}] done {self.done}, failed {self.failed}, "
                          f"running {running}, ~{eta:.0f} s left  "
                          f"{run_id}: {record['status']}{took}\n")
        if record["status"] == FAILED and record.get("error"):
            self.stream.write(f"    {record['error']}\n")
        self.stream.flush()


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


def describe(spec: SweepSpec) -> list[str]:
    """One line per run of the sweep: its status in the sweep folder, its id and seed (``--dry-run``)."""
    sweep_dir = Path(spec.out)
    return [f"{status(sweep_dir, run.run_id):8s} {run.run_id}  seed={run.seed}  "
            + " ".join(f"{k}={v!r}" for k, v in run.swept.items()) for run in plan(spec)]


def run_sweep(spec: SweepSpec, workers: int | None = None, scheduler: str | None = None,
              rerun_failed: bool = False, figures: bool = True, quiet: bool = False) -> SweepOutcome:
    """Run every unfinished run of a sweep and write its results table.

    Finished runs are skipped; unfinished ones (never started, interrupted, half-written)
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
    sweep_dir = Path(spec.out).resolve()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    write_plan(sweep_dir, spec, runs)
    workers = workers or os.cpu_count() or 1
    wanted = (PENDING, FAILED) if rerun_failed else (PENDING,)
    todo = [run for run in runs if status(sweep_dir, run.run_id) in wanted]
    progress = SweepProgress(len(todo), enabled=not quiet)
    if not quiet:
        print(f"sweep {sweep_dir}: {len(runs)} runs, {len(runs) - len(todo)} already finished or failed, "
              f"{len(todo)} to run", file=sys.stderr, flush=True)
    tasks = [(run, spec.experiment, str(sweep_dir), figures) for run in todo]
    results = backends.run_tasks(execute, tasks, workers, scheduler, spec.cluster, _brian2_cache(todo))
    _follow(results, todo, sweep_dir, progress)
    table = collect(sweep_dir)
    parquet, _ = write_table(sweep_dir, table)
    counts = table[table["run_id"].isin({run.run_id for run in runs})]["status"].value_counts()
    return SweepOutcome(sweep_dir, len(runs), len(todo), int(counts.get(DONE, 0)), int(counts.get(FAILED, 0)), parquet)


def _follow(results, runs: list[PlannedRun], sweep_dir: Path, progress: SweepProgress) -> None:
    """Report each finished task; a task lost with its worker is recorded as a failure."""
    for finished in results:
        run = runs[finished.index]
        record = finished.result
        if finished.error is not None:
            record = write_record(sweep_dir, run, {
                "status": FAILED, "wall_seconds": None, "worker": None, "version": None,
                "error": f"{type(finished.error).__name__}: {finished.error}", "traceback": None})
        progress.finished(run.run_id, record, finished.running)
