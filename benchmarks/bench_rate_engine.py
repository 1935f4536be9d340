"""Speed and memory of the rate engine on the path-integration (experiment B) network.

Prints the machine's CPU model and load, then microseconds per simulated step and wall
seconds for 30 simulated minutes of training — OU noise, square theta gate, learning on
every plastic projection and decimated recording (HPC and MEC every 4 steps) all
included — for single and double precision, the number of subnormal floats left in the
engine's state at the end of the timed run (0 when the loop flushes them, see
:mod:`hippo.circuits.subnormals`), and the process's peak resident memory. One core:
the engine is a single compiled loop. Each figure is the best of ``--repeats`` runs (the
machine's timing noise is large).

    python benchmarks/bench_rate_engine.py [--minutes 30] [--repeats 3] [--compare PATH]
    python benchmarks/bench_rate_engine.py --minutes 3 --reference DIR [--reference-python PYTHON]

``--compare PATH`` times another source tree (e.g. a checkout of the previous commit)
side by side: each repeat runs this tree and then the other in fresh processes (the
other with ``PYTHONPATH=PATH``), so both see the same load on the machine.

``--reference DIR`` also times the reference implementation of the model (the
``HH_utils.py`` of https://github.com/TomGeorge1234/HelmholtzHippocampus, cloned into
``DIR``) on the same network sizes for the same simulated minutes, right after hippo, and
prints how many times faster hippo is per step. The reference needs ``ratinabox==1.6.3``
and ``tomplotlib``, which conflict with hippo's ratinabox: install them in a separate
environment and name its interpreter with ``--reference-python`` (see
``benchmarks/reference_path_integration.py``). Without the reference the benchmark says
so and times hippo alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hippo.circuits.subnormals import count_subnormals
from hippo.experiments import path_integration
from hippo.runner import resolve

REFERENCE_SCRIPT = Path(__file__).with_name("reference_path_integration.py")


def cpu_model() -> str:
    """The processor's model name, family and model number (``/proc/cpuinfo`` on Linux, else what :mod:`platform` says)."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().split("\n\n")[0].splitlines()
                      if ":" in line)
    except OSError:
        return platform.processor() or platform.machine()
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    return f"{fields.get('model name', platform.machine())} (family {fields.get('cpu family', '?')}, " \
           f"model {fields.get('model', '?')})"


def machine_line() -> str:
    """CPU model, core count and the 1-minute load average: what every timing depends on."""
    return f"CPU: {cpu_model()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"


def measure(minutes: float, repeats: int, quiet: bool = False) -> dict[str, float]:
    """Best microseconds per step of ``repeats`` runs per precision with this process's ``hippo``."""
    config = resolve("path-integration").config
    seconds = 60.0 * minutes
    n_steps = int(round(seconds / config.dt))
    result = {}
    for precision in ("float32", "float64"):
        best = float("inf")
        for repeat in range(repeats):
            setup = path_integration.build(replace(config, precision=precision))
            engine, stream = setup.engine, setup.stream
            if not quiet and precision == "float32" and repeat == 0:
                print(f"experiment-B network: {stream.n_features} features, HPC {stream.n_features}, MEC {config.n_mec}, "
                      f"{stream.velocity_cells.n} velocity cells, {stream.velocity_cells.n * config.n_mec} conjunctive "
                      f"cells; dt = {config.dt * 1e3:g} ms")
                print(f"{minutes:g} simulated minutes = {n_steps} steps; best of {repeats}")
            stream.position(0, n_steps)  # the trajectory is drawn outside the timing (features are computed in it)
            # the engine starts at step 0 and runs on without gaps: its steps are the stream's
            engine.run(config.dt, stream.inputs, config.theta)  # compile outside the timing
            start = time.perf_counter()
            engine.run(seconds - config.dt, stream.inputs, config.theta, record=("hpc", "mec"),
                       record_every=config.record_every)
            best = min(best, time.perf_counter() - start)
            subnormals = count_subnormals(*(value for key, value in engine.get_state().items() if key != "rng"))
        result[precision] = 1e6 * best / n_steps
        if not quiet:
            print(f"  {precision}: {result[precision]:6.1f} µs per step   {best:6.2f} s wall for {minutes:g} simulated minutes"
                  f"   {subnormals} subnormal values in the state at the end")
    return result


def measure_reference(code: Path, python: str, minutes: float) -> float | None:
    """µs per step of the reference implementation in ``code`` run by ``python``; None (and why) if it cannot run."""
    if not (code / "HH_utils.py").is_file():
        print(f"reference: no HH_utils.py in {code}; clone https://github.com/TomGeorge1234/HelmholtzHippocampus there "
              f"(skipped)")
        return None
    config = resolve("path-integration").config
    n_features = path_integration.build(config).stream.n_features
    done = subprocess.run([python, str(REFERENCE_SCRIPT), "--code", str(code), "--minutes", str(minutes),
                           "--n-features", str(n_features), "--n-mec", str(config.n_mec), "--dt", str(config.dt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"reference: {python} could not run it (it needs ratinabox==1.6.3 and tomplotlib; see "
              f"{REFERENCE_SCRIPT.name}) (skipped):\n{done.stderr.strip()[-1500:]}")
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["ratinabox"] != "1.6.3":
        print(f"reference: ran on ratinabox {result['ratinabox']}, not the 1.6.3 it was written for")
    return result["us_per_step"]


def compare(other: Path, minutes: float, repeats: int) -> None:
    """Measure this tree and ``other`` alternately, one run per precision and tree at a time, and print the best of each."""
    here = Path(__file__).resolve().parents[1]
    trees = {"this": here, "other": other.resolve()}
    best = {(label, p): float("inf") for label in trees for p in ("float32", "float64")}
    for _ in range(repeats):
        for label, tree in trees.items():
            env = dict(os.environ, PYTHONPATH=str(tree))
            script = tree / "benchmarks" / Path(__file__).name  # each tree sets its network up its own way
            done = subprocess.run([sys.executable, str(script), "--worker", "--minutes", str(minutes)],
                                  env=env, cwd=tempfile.gettempdir(), check=True, capture_output=True, text=True)
            for precision, us in json.loads(done.stdout.strip().splitlines()[-1]).items():
                best[label, precision] = min(best[label, precision], us)
    print(f"{minutes:g} simulated minutes per run, best of {repeats} alternating runs; this tree {here}, other {other}")
    for precision in ("float32", "float64"):
        ratio = best["this", precision] / best["other", precision]
        print(f"  {precision}: this {best['this', precision]:6.2f} µs per step, other {best['other', precision]:6.2f}"
              f"  (this/other = {ratio:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="simulated minutes of training per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per precision; the best is reported")
    parser.add_argument("--compare", type=Path, metavar="PATH",
                        help="also time the source tree at PATH (its root, holding hippo/), alternating with this one")
    parser.add_argument("--reference", type=Path, metavar="DIR",
                        help="also time the reference implementation (a clone of TomGeorge1234/HelmholtzHippocampus)")
    parser.add_argument("--reference-python", default=sys.executable, metavar="PYTHON",
                        help="interpreter with ratinabox==1.6.3 and tomplotlib for --reference (default: this one)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.minutes, 1, quiet=True)))
        return
    print(machine_line())
    if args.compare:
        compare(args.compare, args.minutes, args.repeats)
        return
    hippo = measure(args.minutes, args.repeats)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak_mb:.0f} MB")
    if args.reference is not None:
        reference = measure_reference(args.reference, args.reference_python, args.minutes)
        if reference is not None:
            print(f"reference implementation (numpy, float64): {reference:7.1f} µs per step for {args.minutes:g} "
                  f"simulated minutes; {machine_line()}")
            for precision, us in hippo.items():
                print(f"  hippo {precision} is {reference / us:5.1f}x faster per step")


if __name__ == "__main__":
    main()
