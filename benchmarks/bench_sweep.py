"""Sweep throughput: the same sweep of rate-engine runs on 1 and on 2 local workers.

The sweep is path integration over 2 noise levels × 4 seeds (8 runs, figures off).
numba's cache is warmed by one short run first, as it is after a package's first run.
Each timing is one ``hippo sweep FILE --workers N`` command, start to end: Python's
start and imports, validation, the Dask cluster's start and stop (2 workers), the runs
and the results table. One worker runs in that command's process, without Dask.

Usage::

    python benchmarks/bench_sweep.py [--duration SECONDS] [--seeds N]

Prints the wall time of each and their ratio (the speed-up of 2 workers), with the
machine's core count and load, and the ceiling other work leaves: how much more a fixed
CPU-bound loop gets done in 2 processes than in 1, measured just before the sweeps.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hippo.runner import run_experiment
from hippo.plotting import figures_skipped

SHORT_TEST = {"test.n_trials": 2, "test.warmup": 2.0, "test.generative": 5.0, "test.decoder_window": 60.0,
              "test.report_times": [1], "ring.drift_duration": 2.0}


def sweep_file(folder: Path, name: str, duration: float, seeds: int) -> Path:
    """A sweep file of path integration: 2 noise levels × ``seeds`` seeds of ``duration`` simulated seconds."""
    fixed = {"duration": duration, **SHORT_TEST}
    lines = ["[sweep]", 'experiment = "path-integration"', f"seeds = {list(range(seeds))}",
             f"out = {json.dumps(str(folder / name))}", "[set]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in fixed.items()]
    lines += ["[grid]", '"hpc.basal_noise.scale" = [0.01, 0.03]']
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _spin(loops: int) -> None:
    total = 0
    for k in range(loops):
        total += k


def parallel_ceiling(loops: int = 20_000_000) -> float:
    """Wall time of a CPU-bound loop run once, divided by that of two copies in two processes, per copy."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        pool.map(_spin, [1, 1])  # start both processes before timing
        start = time.perf_counter()
        pool.map(_spin, [loops])
        one = time.perf_counter() - start
        start = time.perf_counter()
        pool.map(_spin, [loops, loops], chunksize=1)
        two = time.perf_counter() - start
    return 2 * one / two


def timed_sweep(path: Path, workers: int) -> float:
    """Wall seconds of the command ``hippo sweep`` on ``workers`` workers; fails unless every run finished."""
    command = [sys.executable, "-m", "hippo", "sweep", str(path), "--workers", str(workers), "--no-figures", "--quiet"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=7200.0, help="simulated training seconds per run")
    parser.add_argument("--seeds", type=int, default=4, help="seeds per noise level (runs = 2 x seeds)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        warm = ["duration=60", *(f"{k}={json.dumps(v)}" for k, v in SHORT_TEST.items())]
        with figures_skipped():
            run_experiment("path-integration", warm, 0, folder / "warm", quiet=True)
        load = os.getloadavg()[0]
        ceiling = parallel_ceiling()
        one = timed_sweep(sweep_file(folder, "one", args.duration, args.seeds), 1)
        two = timed_sweep(sweep_file(folder, "two", args.duration, args.seeds), 2)
    runs = 2 * args.seeds
    print(f"machine: {os.cpu_count()} cores, 1-minute load average {load:.1f} before the sweeps")
    print(f"{runs} path-integration runs of {args.duration:g} simulated seconds, figures off")
    print(f"1 worker : {one:6.1f} s  ({runs / one * 60:.1f} runs/min)")
    print(f"2 workers: {two:6.1f} s  ({runs / two * 60:.1f} runs/min)")
    print(f"speed-up : {one / two:.2f}x  (ceiling left by other work, 2 processes vs 1: {ceiling:.2f}x)")


if __name__ == "__main__":
    main()
