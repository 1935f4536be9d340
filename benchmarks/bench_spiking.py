"""Real-time factor of the spiking engine on the path-integration (experiment B) network, training.

Simulates the default path-integration circuit — 100 place features, 2 velocity cells,
HPC 100, MEC 150 and 300 multiplicative conjunctive cells, spiking as the preset's
``[spiking]`` table says; about 100 000 plastic synapses — with the square theta gate,
compartment noise and plasticity on every plastic projection, recording HPC and MEC as
training does, and prints, side by side in one run, the real-time factor (simulated
seconds per wall second) of the two ways of running it:

* ``cython``: Brian2's runtime mode, as in interactive use (compiled Cython code,
  cached on disk, driven from Python chunk by chunk);
* ``cpp_standalone``: the network as one compiled C++ program
  (:mod:`hippo.circuits.spiking_standalone`), run as experiments run it, state and
  recordings read back after every execution.

Each path's first run (one recording window) is timed separately: it loads the compiled
code from the cache, or compiles it. For the program it also prints the bytes its
executions wrote (recordings and the state read back, summed over their result files).

    python benchmarks/bench_spiking.py [--seconds 100] [--no-cython] [--cold] [--threads N] [--profile]
                                       [--neuron-dt S [S ...]]

``--neuron-dt`` measures the program once per neuron time step given (``spiking.dt``,
seconds; each must divide the network step), in one run, so their speeds compare as
ratios on one machine: a coarser step costs less per simulated second (fewer steps of
every neuron, and a unit firing every step delivers its spikes as one event of count
``k``), at the price of coarser spike timing.

``--cold`` points the caches at a fresh, empty folder, so the first runs' times are the
compilations a new user waits through. ``--profile`` prints Brian2's profile of the
Cython runtime (the share of each code object) for a tenth of ``--seconds``.

Spiking settings come from the experiment's ``[spiking]`` table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import shutil
import tempfile
import time
from dataclasses import replace

from hippo.circuits import spiking_standalone
from hippo.experiments import path_integration
from hippo.runner import resolve

RECORD = ("hpc", "mec", "hpc.spikes", "mec.spikes", "conjunctive.spikes")


def _setup(target: str, threads: int = 1, neuron_dt: float | None = None):
    """The experiment's config and the built study on the spiking engine with Brian2 ``target``.

    The engine starts at step 0 and runs on without gaps, so the training stream's
    ``inputs`` are read at the engine's own steps. ``neuron_dt`` (s) replaces the preset's
    ``spiking.dt``.
    """
    config = resolve("path-integration").config
    spiking = replace(config.spiking, target=target, threads=threads)
    if neuron_dt is not None:
        spiking = replace(spiking, dt=neuron_dt)
    return config, path_integration.build(replace(config, engine="spiking", spiking=spiking))


def _measure(target: str, seconds: float, threads: int, neuron_dt: float | None = None) -> dict:
    """Time the first run (one step: cached or compiled code) and ``seconds`` of training of one path."""
    start = time.perf_counter()
    config, setup = _setup(target, threads, neuron_dt)
    engine, inputs = setup.engine, setup.stream.inputs
    # one recording window, recorded: the compiled code (and numba's activations) loaded or compiled
    engine.run(config.dt * config.record_every, inputs, config.theta, record=RECORD, record_every=config.record_every)
    first = time.perf_counter() - start
    cpu = _cpu_seconds()
    with _program_output() as written:
        rec = engine.run(seconds, inputs, config.theta, record=RECORD, record_every=config.record_every)
    cpu = _cpu_seconds() - cpu
    rates = {k.split(".")[0]: float(v.sum() / seconds / v.shape[1]) for k, v in rec.signals.items() if k.endswith("spikes")}
    n_plastic = sum(p.weights.size for p in engine.network.projections if p.plastic)
    return {"wall": engine.last_run_seconds, "cpu": cpu, "first": first, "rates": rates, "plastic": n_plastic,
            "spiking": engine.config.__dict__, "written": written[0]}


@contextlib.contextmanager
def _program_output():
    """A one-element list counting the bytes the compiled program's executions write in the block (their result files)."""
    written, run = [0], spiking_standalone.subprocess.run

    def counting(command, *args, **kwargs):
        done = run(command, *args, **kwargs)
        if "--results_dir" in command:
            results = command[command.index("--results_dir") + 1]
            written[0] += sum(entry.stat().st_size for entry in os.scandir(results))
        return done

    spiking_standalone.subprocess.run = counting
    try:
        yield written
    finally:
        spiking_standalone.subprocess.run = run


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and the programs it ran."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _profile(seconds: float) -> None:
    """Print Brian2's profile of the Cython runtime over ``seconds`` of training."""
    import brian2 as b2

    config, setup = _setup("cython")
    engine, inputs = setup.engine, setup.stream.inputs
    engine.run(config.dt, inputs, config.theta)
    n = int(round(seconds / config.dt))
    engine.set_modes(learn=True, noise=True)
    engine.load_steps(inputs, config.theta, n)
    started = time.perf_counter()
    engine.brian_network.run(n * config.dt * b2.second, namespace={}, profile=True)
    wall = time.perf_counter() - started
    profiled = sum(float(t) for _, t in engine.brian_network.profiling_info)
    print(f"cython runtime profile over {seconds:g} simulated s: {wall:.1f} s wall, of which {profiled:.1f} s in "
          f"Brian2's code objects (the rest is Python driving them step by step)")
    print(b2.profiling_summary(engine.brian_network, show=12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=100.0, help="simulated seconds of training per path")
    parser.add_argument("--no-cython", action="store_true", help="measure the C++ program only")
    parser.add_argument("--cold", action="store_true", help="compile from empty caches (a fresh temporary folder)")
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads of the C++ program")
    parser.add_argument("--profile", action="store_true", help="also profile the Cython runtime")
    parser.add_argument("--neuron-dt", type=float, nargs="+", metavar="S",
                        help="measure the C++ program at each of these neuron time steps (s; spiking.dt), in one run")
    args = parser.parse_args()
    if args.cold:
        cold_cache = tempfile.mkdtemp(prefix="hippo-cold-cache-")
        os.environ["HIPPO_CACHE"] = cold_cache  # read by cache_directory() at each engine build and run
        try:
            _report(args)
        finally:
            shutil.rmtree(cold_cache, ignore_errors=True)
    else:
        _report(args)


def _report(args) -> None:
    """Measure the paths ``args`` asks for and print their timings."""
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    first = "compiled from an empty cache" if args.cold else "compiled or loaded from the cache"
    paths = [] if args.no_cython else [("cython", "cython", None)]
    paths += ([(f"cpp_standalone, neuron dt {dt * 1e3:g} ms", "cpp_standalone", dt) for dt in args.neuron_dt]
              if args.neuron_dt else [("cpp_standalone", "cpp_standalone", None)])
    factors, cpu_factors = {}, {}
    for label, target, neuron_dt in paths:
        m = _measure(target, args.seconds, args.threads, neuron_dt)
        if not factors:
            print(f"experiment-B spiking network, {m['plastic']} plastic synapses; settings {m['spiking']}")
        print(f"{label}: mean firing rates (Hz per unit pool) "
              + ", ".join(f"{k} {v:.1f}" for k, v in m["rates"].items()))
        print(f"  first run ({first}) {m['first']:.1f} s")
        factors[label] = args.seconds / m["wall"]
        print(f"  {args.seconds:g} simulated s in {m['wall']:.1f} s: real-time factor {factors[label]:.2f}, "
              f"the default training's 240 simulated minutes in {14400 * m['wall'] / args.seconds / 60:.1f} min")
        cpu_factors[label] = args.seconds / m["cpu"]
        print(f"  {m['cpu']:.1f} CPU seconds: {cpu_factors[label]:.2f} simulated s per CPU second "
              f"(the real-time factor of an idle machine, one thread)")
        if target == "cpp_standalone":
            print(f"  the program wrote {m['written'] / 1e6:.1f} MB ({m['written'] / args.seconds / 1e3:.0f} kB per "
                  f"simulated s)")
    baseline = paths[0][0]
    for label, _, _ in paths[1:]:
        print(f"{label} / {baseline}: {factors[label] / factors[baseline]:.2f}x in wall time, "
              f"{cpu_factors[label] / cpu_factors[baseline]:.2f}x in CPU time")
    if args.profile:
        _profile(args.seconds / 10)


if __name__ == "__main__":
    main()
