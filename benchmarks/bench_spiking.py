"""Real-time factor of the spiking engine on the path-integration (experiment B) network, training.

Simulates the experiment-B circuit — 100 place features, 2 velocity cells, HPC 100, MEC
100 and 200 conjunctive cells as Poisson neurons; about 50 000 plastic synapses — with
the square theta gate, compartment noise and plasticity on every plastic projection,
and prints the real-time factor (simulated seconds per wall second) for two Brian2
code-generation modes:

* ``cython``: the engine as experiments use it (runtime mode, compiled Cython code
  cached on disk; recording HPC and MEC as training does). The first, compiling run
  is timed separately.
* ``cpp_standalone``: the same network generated as a C++ program (in a subprocess,
  since Brian2's device is global); one run of at most ``CHUNK_ROWS`` network steps,
  timed inside the program (compilation and start-up excluded, then included).

    python benchmarks/bench_spiking.py [--seconds 100] [--no-standalone] [--cold]

``--cold`` points Brian2's compiled-code cache at a fresh, empty folder, so the first
run's time is the compilation a new user waits through on a first spiking run.

Spiking settings come from the experiment's ``[spiking]`` table when it has one,
else from :class:`~hippo.circuits.spiking.SpikingConfig`'s defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

from hippo.circuits.spiking import CHUNK_ROWS, SpikingConfig, cache_directory
from hippo.experiments import path_integration, resolve


def _setup(target: str):
    """The experiment's config, its spiking settings with Brian2 ``target``, and the built study.

    The engine starts at step 0 and runs on without gaps, so the training stream's
    ``inputs`` are read at the engine's own steps.
    """
    config = resolve("path-integration").config
    spiking = replace(getattr(config, "spiking", SpikingConfig()), target=target)
    return config, spiking, path_integration.build(replace(config, engine="spiking", spiking=spiking))


def _cython(seconds: float) -> dict:
    start = time.perf_counter()
    config, spiking, setup = _setup("cython")
    engine, inputs, network = setup.engine, setup.stream.inputs, setup.engine.network
    engine.run(config.dt, inputs, config.theta)
    first = time.perf_counter() - start
    rec = engine.run(seconds, inputs, config.theta, record=("hpc", "mec", "hpc.spikes", "mec.spikes", "conjunctive.spikes"),
                     record_every=config.record_every)
    rates = {k.split(".")[0]: float(v.sum() / seconds / v.shape[1]) for k, v in rec.signals.items() if k.endswith("spikes")}
    n_plastic = sum(p.weights.size for p in network.projections if p.plastic)
    return {"wall": engine.last_run_seconds, "first": first, "rates": rates, "plastic": n_plastic, "spiking": spiking.__dict__}


def _standalone(seconds: float) -> dict:
    import brian2 as b2

    directory = cache_directory().parent / "brian2-standalone-benchmark"
    b2.set_device("cpp_standalone", build_on_run=False, directory=str(directory))
    config, spiking, setup = _setup("cython")
    engine, inputs = setup.engine, setup.stream.inputs
    n = int(round(seconds / config.dt))
    engine.set_modes(learn=True, noise=True)
    engine.load_steps(inputs, config.theta, n)
    engine.brian_network.run(n * config.dt * b2.second, namespace={})
    start = time.perf_counter()
    b2.device.build(directory=str(directory), compile=True, run=True, with_output=False)
    total = time.perf_counter() - start
    return {"run": float(b2.device._last_run_time), "binary": b2.device.timers["run_binary"],
            "make": b2.device.timers["compile"]["make"], "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=100.0, help="simulated seconds of training per mode")
    parser.add_argument("--no-standalone", action="store_true", help="skip the C++ standalone mode")
    parser.add_argument("--standalone-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help="compile from an empty cache (a fresh temporary folder)")
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
    """Run the benchmark modes ``args`` asks for and print their timings."""
    if args.standalone_worker:
        print(json.dumps(_standalone(args.seconds)))
        return

    cy = _cython(args.seconds)
    print(f"experiment-B spiking network, {cy['plastic']} plastic synapses; settings {cy['spiking']}")
    print("mean firing rates (Hz): " + ", ".join(f"{k} {v:.1f}" for k, v in cy["rates"].items()))
    first = "compiled from an empty cache" if args.cold else "compile or load from cache"
    print(f"cython runtime: first run ({first}) {cy['first']:.1f} s")
    print(f"  {args.seconds:g} simulated s in {cy['wall']:.1f} s: real-time factor {args.seconds / cy['wall']:.2f}, "
          f"30 simulated minutes in {1800 * cy['wall'] / args.seconds / 60:.1f} min")
    if args.no_standalone:
        return
    seconds = min(args.seconds, CHUNK_ROWS * resolve("path-integration").config.dt)
    out = subprocess.run([sys.executable, __file__, "--standalone-worker", "--seconds", str(seconds)],
                         capture_output=True, text=True, check=True)
    sa = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"C++ standalone: compile {sa['make']:.1f} s; {seconds:g} simulated s in {sa['run']:.1f} s "
          f"(real-time factor {seconds / sa['run']:.2f}); with start-up and file I/O {sa['binary']:.1f} s "
          f"(real-time factor {seconds / sa['binary']:.2f})")


if __name__ == "__main__":
    main()
