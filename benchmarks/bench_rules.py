"""Cost of each learning rule in the rate engine: µs per step against the prediction-error rule.

Times the path-integration (experiment B) network — OU noise, theta gate, learning on
every plastic projection, recording as in :mod:`bench_rate_engine` — with every plastic
projection learning by one rule, for each registered rule in turn, and prints each
rule's µs per step and its ratio to the prediction-error rule measured in the same run.
Each repeat times every rule once, in turn, so all rules see the same load; each figure
is the best of ``--repeats``. One core.

    python benchmarks/bench_rules.py [--minutes 5] [--repeats 3] [--precision float32]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import fields

from hippo.experiments import path_integration
from hippo.runner import resolve
from hippo.learning import rules

#: The rules timed (the first is the reference).
TIMED = ("prediction-error", "momentum", "rmsprop", "adam", "natural-gradient", "reset")


def config_with_rule(rule: str, precision: str):
    """The path-integration config with every plastic projection learning by ``rule`` (other settings carried)."""
    names = [f.name for f in fields(resolve("path-integration").config.projections)]
    overrides = [f"precision={precision}"] + [f"projections.{name}.plasticity.rule={rule}" for name in names]
    return resolve("path-integration", overrides).config


def time_rule(config, seconds: float) -> float:
    """Seconds of wall time for ``seconds`` of simulated training of a freshly built network."""
    setup = path_integration.build(config)
    engine, stream = setup.engine, setup.stream
    stream.position(0, int(round(seconds / config.dt)))  # the trajectory is drawn outside the timing
    engine.run(config.dt, stream.inputs, config.theta)  # compile outside the timing
    start = time.perf_counter()
    engine.run(seconds - config.dt, stream.inputs, config.theta, record=("hpc", "mec"), record_every=config.record_every)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="simulated minutes of training per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per rule; the best is reported")
    parser.add_argument("--precision", choices=("float32", "float64"), default="float32")
    args = parser.parse_args()
    seconds = 60.0 * args.minutes
    configs = {rule: config_with_rule(rule, args.precision) for rule in TIMED if rule in rules.RULES}
    n_steps = int(round(seconds / configs["prediction-error"].dt))
    best = dict.fromkeys(configs, float("inf"))
    for _ in range(args.repeats):
        for rule, config in configs.items():
            best[rule] = min(best[rule], time_rule(config, seconds))
    reference = best["prediction-error"]
    print(f"path-integration network, {args.precision}, {args.minutes:g} simulated minutes = {n_steps} steps, "
          f"best of {args.repeats} interleaved runs")
    for rule, wall in best.items():
        print(f"  {rule:18s} {1e6 * wall / n_steps:7.1f} µs per step   ratio to prediction-error {wall / reference:5.2f}")


if __name__ == "__main__":
    main()
