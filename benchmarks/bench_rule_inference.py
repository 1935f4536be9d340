"""Wall time of the small rule-inference setting (the goal: under 2 minutes on 2 cores).

Runs ``hippo run rule-inference`` on its defaults (REINFORCE and momentum learners, 60
training and 60 held-out animals of 500 trials, DNNGLM and RNNGLM fitted to each) in
this process, figures included, after one tiny run that loads JAX and numba (their
compilation caches then hold what the rules need; JAX still compiles the fits of the
default's shapes inside the timing, as a user's first run does).

Usage::

    python benchmarks/bench_rule_inference.py [--budget SECONDS]

Prints the wall time with the machine's core count and load average, and exits with
status 1 when the run takes longer than the budget (default 120 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from hippo.runner import run_experiment

TINY = ["trials=100", "train_animals=4", "test_animals=4", "grid_weights=11", "fit.window=50", "fit.epochs=1",
        "fit.initial_epochs=1", "reinforce_models=['dnn']", "core_models=['dnn']"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0, help="wall seconds allowed (default 120)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run_experiment("rule-inference", TINY, out=Path(folder) / "warm", quiet=True)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        _, metrics = run_experiment("rule-inference", [], out=Path(folder) / "run", quiet=True)
        wall = time.perf_counter() - start
    print(f"rule-inference (small setting): {wall:.1f} s wall on {os.cpu_count()} cores "
          f"(load average {load:.1f} at the start); budget {args.budget:.0f} s")
    for study in ("reinforce", "core"):
        for model, scores in metrics[study].items():
            if isinstance(scores, dict):
                print(f"  {study} {model}: log-likelihood gap {scores['log_likelihood_gap']:+.4f}, "
                      f"trajectory dW RMSE / alpha {scores['trajectory_dW_rmse_over_alpha']:.3f}")
    return 0 if wall <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
