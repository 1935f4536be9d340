"""The spiking engine as a compiled program (Brian2 ``cpp_standalone``).

:class:`StandaloneSpikingEngine` simulates the network of
:class:`~hippo.circuits.spiking.SpikingEngine` — the same Brian2 equations, built by the
same code — as one C++ program, compiled once per network configuration and run as
often as the protocol needs. A Brian2 run in Python pays Python's overhead for every
object in every simulation step (about 40 objects × 1000 steps per simulated second on
the experiment-B network); the program pays none.

The program runs at most :data:`PROGRAM_STEPS` network steps per execution; everything
that changes from run to run is given to it on the command line (Brian2's ``run_args``):

* the state (weights, plasticity traces, currents, filtered spike trains, noise, error
  integrals, counters, learned biases) and the rule's parameters — learning switched off
  (``learn=False``, a frozen projection) is the rule's learning switch at 0;
* the input rates, θ and the plasticity gate per network step, as tables
  (``TimedArray`` values);
* the number of network steps to run (the program stops itself after them), the seed
  of its random numbers, the period of its recordings, and which layers keep every spike.

After each execution the engine reads the state back, so its weights, state and
:class:`~hippo.circuits.rate.Recording` are those the runtime engine returns: the rest
of the package does not know which engine ran. The program records every layer's rates,
mismatch integral and spike counts — of the layers the run reads — every
``gcd(first step, record_every)`` network steps:
every ``record_every``-th when the execution starts on a recorded step, as every
execution of a run that starts on one does when ``record_every`` divides
:data:`PROGRAM_STEPS`, so it writes about ``1/record_every`` of the network's steps to
disk, however long the run; the engine keeps the signals and steps a run asked for. The period is a command-line value: a run's length, seed or recording
period never rebuilds the program.

Programs live in ``program_root()/<key>``, where the key hashes
everything compiled into the program (layer sizes and activations, connectivity of the
fixed projections, rule parameters, spiking settings, ``dt``, Brian2's version, this
package's spiking code and the modules of the network's layer kinds) and nothing that
changes between runs (weights, seeds, inputs, learning rates). A program is built in a private folder and renamed into place when
complete, under a lock that lets one process of the machine's user compile at a time;
other processes wait for it and reuse it, as do later runs with other seeds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path

import brian2 as b2
import numpy as np

from hippo.circuits.engine import Recording, RunOptions
from hippo.circuits.layer_kinds import kind_named, kind_signature
from hippo.circuits.spec import Layer, Network
from hippo.circuits.spiking import SpikingConfig, SpikingEngine, cache_directory, recording_steps
from hippo.errors import HippoError
from hippo.learning.rules import rule_signature

#: Network steps one execution of a program can run (the length of its input tables).
PROGRAM_STEPS = 8000

#: Wall seconds a program took to compile on the 2-core development machine (the notice quotes it).
COMPILE_SECONDS = 120

#: Source files whose contents are compiled into a program (a change rebuilds it).
_SOURCES = ("spiking.py", "spiking_standalone.py", "compartments.py", "activations.py")

#: C++ that sets the program's flush-to-zero and denormals-are-zero modes as it starts (x86-64: MXCSR
#: bits 15 and 6 through GCC's and Clang's builtins; AArch64: FPCR bit 24), as
#: :func:`hippo.circuits.subnormals.flushed_subnormals` does for the runtime engines.
FLUSH_SUBNORMALS_CODE = """#if defined(__x86_64__) || defined(__i386__)
__builtin_ia32_ldmxcsr(__builtin_ia32_stmxcsr() | (1 << 15) | (1 << 6));
#elif defined(__aarch64__)
{ unsigned long fpcr; __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
  __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr | (1UL << 24))); }
#endif"""

#: The custom event of a spike kept with its time (``Recording.spikes``).
_KEPT_SPIKE = "kept_spike"

#: C++ of the function that ends an execution after the requested number of steps.
_STOP_CODE = """
double hippo_stop_after(double t, double t_stop, double dt) {
    // the simulation step starting at t ends at t + dt: stop when that is t_stop
    if (t + 1.5*dt > t_stop)
        Network::_globally_stopped = true;
    return 0.0;
}
"""


@b2.implementation("cpp", _STOP_CODE, headers=['"network.h"'])
@b2.check_units(t=b2.second, t_stop=b2.second, dt=b2.second, result=1)
def hippo_stop_after(t, t_stop, dt):
    """Whether the step starting at ``t`` (s) is the last before ``t_stop`` (1.0) or not (0.0); the C++ version stops the program."""
    return float(t + 1.5 * dt > t_stop)


#: Fraction of its period by which the program's recording clock runs early: its ticks fall
#: (at most ``PROGRAM_STEPS·dt·1e-9`` s, far less than a neuron step) before the network steps
#: they sample, so each records the state before that step's first update. Brian2 runs clocks
#: of different ``dt`` together only when their times agree to 1e-14 s, which ``t = i·dt``
#: does not guarantee (``i·(3·dt)`` and ``(3i)·dt`` differ by a rounding error); a clock that
#: could fall after the step would record the state after its first update.
_RECORD_EARLY = 1e-9


def record_period(first: int, record_every: int, dt: float) -> float:
    """Seconds between the program's recordings in an execution starting at network step ``first``.

    Every ``gcd(first, record_every)``-th step, so every step of the run's recorded steps
    (the multiples of ``record_every``) is among them, shortened by :data:`_RECORD_EARLY`.
    """
    return math.gcd(first, record_every) * dt * (1 - _RECORD_EARLY)


def _unrecorded_period(dt: float) -> float:
    """Recording period (s) of a layer a run does not read: longer than an execution, so one
    sample at its start, a step no run keeps."""
    return 2 * PROGRAM_STEPS * dt


def _settable(obj, name: str, var) -> bool:
    """Whether ``var`` is a value array of ``obj`` itself that a program's command line can set."""
    return (isinstance(var, b2.core.variables.ArrayVariable) and not var.read_only and not name.startswith("_")
            and getattr(var.owner, "name", None) == obj.name)


def _recorded(layer: Layer) -> list[str]:
    """Variables a program records of ``layer`` at every recorded network step."""
    kind = kind_named(layer.kind)
    return [f"r_{c}" for c in kind.compartments] + (["mis"] if kind.mismatch is not None else []) + ["count"]


def program_root() -> Path:
    """The folder of compiled programs: ``$HIPPO_PROGRAMS`` if set (sweep workers share their
    launcher's), else ``brian2-standalone`` in the cache (:func:`~hippo.circuits.spiking.cache_directory`)."""
    if os.environ.get("HIPPO_PROGRAMS"):
        path = Path(os.environ["HIPPO_PROGRAMS"])
        path.mkdir(parents=True, exist_ok=True)
        return path
    return cache_directory("brian2-standalone")


#: Spiking settings that only change values given per execution (learning rates, the
#: plasticity gate), not the compiled program.
_RUN_TIME_SETTINGS = ("target", "eta_scale", "settle")


def program_key(network: Network, dt: float, config: SpikingConfig) -> str:
    """Hash of everything a program compiles in: equal keys run the same program.

    Weights enter only through the connectivity of fixed projections (the program's
    synapses), a rule only through its name and whether it has an L1 penalty (a term of
    its code): weights, the rule's rates and penalties, seeds and inputs are given per
    execution, so sweeping them reuses one program.
    """
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    digest.update((here.parent / "learning" / "spiking_rule.py").read_bytes())
    for rule in sorted({p.plasticity.rule for p in network.projections if p.plastic}):
        digest.update(rule_signature(rule).encode())  # the module of the rule's window step
    for kind in sorted({layer.kind for layer in network.layers if not kind_named(layer.kind).external}):
        digest.update(kind_signature(kind).encode())  # the module of the kind's soma
    projections = []
    for p in network.projections:
        W = p.weights[:, :-1] if p.bias else p.weights
        description = {k: v for k, v in asdict(p).items() if k not in ("weights", "plasticity", "synapses")}
        description.update(shape=list(p.weights.shape), rule=p.plasticity.rule if p.plastic else None,
                           l1_penalty=bool(p.plastic and p.plasticity.l1 > 0))
        if p.connectivity != "dense":
            digest.update(np.concatenate(p.synapse_indices()).tobytes())
        elif not p.plastic:
            digest.update(np.packbits(W != 0).tobytes())
        projections.append(description)
    description = {"layers": [asdict(layer) for layer in network.layers], "projections": projections,
                   "config": {k: v for k, v in asdict(config).items() if k not in _RUN_TIME_SETTINGS}, "dt": dt,
                   "rows": PROGRAM_STEPS, "brian2": b2.__version__, "python": sys.version_info[:2]}
    digest.update(json.dumps(description, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:20]


@contextmanager
def _build_lock(stream):
    """Hold the machine's build lock (one per user, whatever the cache): one compilation at a time, as one takes every core.

    Says on ``stream`` when it has to wait for another process's compilation.
    """
    with open(Path(tempfile.gettempdir()) / f"hippo-standalone-build-{os.getuid()}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.write("waiting for another process to finish compiling a spiking network\n")
            stream.flush()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Program:
    """A compiled spiking network and what its builder wrote about it (``manifest.json``).

    Attributes:
        directory: the program's folder (Brian2's project folder).
        manifest: command-line names, result files, dtypes and sizes of the program's
            variables; table shapes; monitor files (see :func:`_write_manifest`).
        built_seconds: wall seconds the build took in this process (0 if it was cached).
    """

    def __init__(self, directory: Path, built_seconds: float = 0.0):
        self.directory = directory
        self.manifest = json.loads((directory / "manifest.json").read_text())
        self.built_seconds = built_seconds

    @classmethod
    def for_network(cls, network: Network, dt: float, config: SpikingConfig, stream=None) -> "Program":
        """The program of this configuration, built first if no process has built it.

        Args:
            network, dt, config: as :class:`StandaloneSpikingEngine`.
            stream: where the notice of a compilation goes (default stderr).

        Raises:
            HippoError: the build failed (the message holds the end of the compiler's output).
        """
        root = program_root()
        key = program_key(network, dt, config)
        directory = root / key
        if (directory / "manifest.json").exists():
            return cls(directory)
        stream = stream or sys.stderr
        with _build_lock(stream):
            if (directory / "manifest.json").exists():  # built by another process while this one waited
                return cls(directory)
            stream.write(f"compiling the spiking network as a C++ program — once per network configuration, about "
                         f"{COMPILE_SECONDS} s on a 2-core machine (cache: {directory})\n")
            stream.flush()
            started = time.perf_counter()
            building = root / f"{key}.building-{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir()
            (building / "spec.pkl").write_bytes(pickle.dumps((network, dt, config)))
            done = subprocess.run([sys.executable, "-m", "hippo.circuits.spiking_standalone", str(building)],
                                  capture_output=True, text=True)
            if done.returncode != 0 or not (building / "manifest.json").exists():
                shutil.rmtree(building, ignore_errors=True)
                raise HippoError("building the spiking network's C++ program failed:\n" + (done.stderr or done.stdout)[-3000:])
            os.rename(building, directory)
            return cls(directory, time.perf_counter() - started)

    def execute(self, tables: dict[str, np.ndarray], values: dict[str, object], read: list[str],
                events: list[str]) -> dict[str, np.ndarray]:
        """Run the program once.

        Args:
            tables: table name → values of the shape the program was built with (tables
                the program does not read are left out).
            values: command-line variable name (``<object>.<variable>``) → array or number.
            read: variables to read back after the run (command-line names).
            events: layers whose kept spikes to read back.

        Returns:
            ``read``'s variables by name; ``monitor:<layer>:<variable>`` (``(samples, n)``)
            and ``monitor:<layer>:t`` for every recorded layer; ``spikes:<layer>:<i|t|k>``
            for ``events``.

        Raises:
            HippoError: an array does not have the program's shape, or the program failed.
        """
        manifest = self.manifest
        with tempfile.TemporaryDirectory(prefix="hippo-program-run-") as work:
            work = Path(work)
            results = work / "results"
            results.mkdir()
            args = []
            for name, table in tables.items():
                if name not in manifest["tables"]:
                    continue  # a table the network does not read
                spec = manifest["tables"][name]
                table = np.ascontiguousarray(table, dtype=spec["dtype"])
                if list(table.shape) != spec["shape"]:
                    raise HippoError(f"table {name}: shape {table.shape}, the program needs {tuple(spec['shape'])}")
                table.tofile(work / f"{name}.dat")
                args.append(f"{name}.values={work / f'{name}.dat'}")
            for name, value in values.items():
                spec = manifest["variables"][name]
                array = np.asarray(value, dtype=spec["dtype"])
                if array.size == 1 and spec["size"] == 1:
                    args.append(f"{name}={array.item()!r}")
                    continue
                if spec["size"] is not None and array.size != spec["size"]:
                    raise HippoError(f"variable {name}: {array.size} values, the program has {spec['size']}")
                np.ascontiguousarray(array.ravel()).tofile(work / f"{name}.dat")
                args.append(f"{name}={work / f'{name}.dat'}")
            # OpenMP threads that wait at a barrier sleep rather than spin: with more threads than
            # free cores, spinning threads stall the ones that have work
            environment = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "passive"))
            done = subprocess.run([str(self.directory / "main"), "--results_dir", f"{results}/", *args],
                                  cwd=self.directory, env=environment, capture_output=True, text=True)
            if done.returncode != 0 or done.stderr.strip():
                raise HippoError(f"the spiking program {self.directory} failed (exit status {done.returncode}):\n"
                                 + (done.stderr or done.stdout)[-3000:])

            def load(spec):
                return np.fromfile(results / spec["file"], dtype=spec["dtype"])

            out = {name: load(manifest["variables"][name]) for name in read}
            for layer, monitor in manifest["monitors"].items():
                out[f"monitor:{layer}:t"] = load(monitor["t"])
                for var, spec in monitor["variables"].items():
                    out[f"monitor:{layer}:{var}"] = load(spec).reshape(-1, monitor["n"])
            for layer in events:
                for var, spec in manifest["events"][layer].items():
                    out[f"spikes:{layer}:{var}"] = load(spec)
            return out


class StandaloneSpikingEngine(SpikingEngine):
    """:class:`SpikingEngine`'s network run as a compiled program; same arguments, attributes and methods.

    The Brian2 objects of this engine (``groups``, ``projections``) are never run: they
    hold the state between executions of the program (:meth:`get_state`, :meth:`weight`,
    :meth:`set_state` read and write them as in the runtime engine).

    Attributes:
        program: the compiled :class:`Program` (built on first use of its configuration).
    """

    records_weights_in_run = False  # the program records rates and counts; the loop copies weights between executions

    table_rows = default_chunk_steps = PROGRAM_STEPS

    def __init__(self, network: Network, dt: float, seed: int = 0, config: SpikingConfig = SpikingConfig()):
        super().__init__(network, dt, seed, config)
        self.program = Program.for_network(network, dt, config)
        self._objects = {obj.name: obj for obj in list(self.groups.values())
                         + [p.synapses for p in self.projections.values() if p.synapses is not None]}
        for obj in self.brian_network.objects:
            # they belong to this engine's network, which holds values and is never run (Brian2 would
            # warn, when they are deleted, that they were never part of a run)
            obj._network = self.brian_network.id

    def _configure_brian(self) -> None:
        # the objects only hold values: numpy code generation builds them without compiling anything
        b2.prefs.codegen.target = "numpy"

    def _parameters(self, learn: bool) -> dict[str, object]:
        """Command-line values of the shared parameters (noise switch, rule parameters; learning off: the switch at 0)."""
        values = {}
        for obj in self._objects.values():
            for name, var in obj.variables.items():
                if var.scalar and _settable(obj, name, var) and name != "t0":
                    values[f"{obj.name}.{name}"] = var.get_value().item()
        for proj in self.projections.values():
            if proj.constants is None or (learn and proj.enabled):
                continue
            values[f"{proj.synapses.name}.learning"] = 0.0
            if proj.spec.bias:
                values[f"{self.groups[proj.spec.target].name}.learning_{proj.key}"] = 0.0
        return values

    def _start_run(self, options: RunOptions) -> "_ProgramRun":
        return _ProgramRun(self, options)

    def _keep_samples(self, out: dict, values: dict, first: int, n: int, record_every: int) -> None:
        """Append an execution's samples at recorded steps to ``values`` (``(layer, variable)`` → list of blocks).

        The program samples at the start of every step of its ``n`` that
        :func:`record_period` gives, a superset of the recorded steps; the sample after the
        last step comes from the state read back into this engine's groups (rates
        evaluated from it by Brian2, as the runtime engine does).
        """
        for (layer, var), parts in values.items():
            local = np.round(out[f"monitor:{layer}:t"] / self.dt).astype(np.int64)
            keep = (local >= 1) & ((first + local) % record_every == 0)
            parts.append(out[f"monitor:{layer}:{var}"][keep])
            if (first + n) % record_every == 0:
                # a copy: the group's array is overwritten in place by the next execution's state
                parts.append(np.array(getattr(self.groups[layer], var + "_")[:], copy=True)[None, :])


class _ProgramRun:
    """One run of a :class:`StandaloneSpikingEngine`: each chunk one execution of its program, state read back."""

    def __init__(self, engine: StandaloneSpikingEngine, options: RunOptions):
        self.engine = engine
        self.options = options
        self.plan = engine._recording_plan(list(options.record))
        for layer in options.spike_times:
            engine.network.layer(layer)
        engine.set_modes(options.learn, options.noise)
        self.variables = {key: (obj, name, f"{obj.name}.{name}") for key, (obj, name) in engine._state_variables().items()}
        self.start_step = engine.step_count
        self.baseline = engine._counters()
        self.input_rows = {name: [] for name, kind, _ in self.plan if kind == "input"}
        self.values = {(layer, var): [] for layer, names in engine._monitored(self.plan).items() for var in names}
        self.read_layers = {layer for layer, _ in self.values}
        self.kept = {layer: [] for layer in options.spike_times}
        self.flags = {f"{engine.groups[layer.name].name}.spike_record": float(layer.name in options.spike_times)
                      for layer in engine.network.layers}

    def advance(self, start: int, inputs: dict[str, np.ndarray], gate: np.ndarray) -> dict[str, float]:
        engine, n = self.engine, len(gate)
        for name in self.input_rows:
            self.input_rows[name].append(inputs[name])
        tables = engine._tables(inputs, gate, engine._plasticity_gate(gate))
        given = {cmd: obj.variables[name].get_value() for obj, name, cmd in self.variables.values()}
        given.update(engine._parameters(self.options.learn))
        given.update(self.flags)
        given["hippo_control.t_stop"] = n * engine.dt
        given["hippo_control.random_seed"] = int(engine.rng.integers(2**31 - 1))
        period = record_period(start, self.options.record_every, engine.dt)
        for index, layer in enumerate(engine.network.layers):
            given[f"hippo_control.record_dt_{index}"] = (period if layer.name in self.read_layers
                                                         else _unrecorded_period(engine.dt))
        before = engine._counters()
        out = engine.program.execute(tables, given, [cmd for _, _, cmd in self.variables.values()], list(self.kept))
        for obj, name, cmd in self.variables.values():
            obj.variables[name].set_value(out[cmd])
        engine._keep_samples(out, self.values, start, n, self.options.record_every)
        for layer, chunks in self.kept.items():
            chunks.append((start + n, out[f"spikes:{layer}:i"], out[f"spikes:{layer}:t"] + start * engine.dt,
                           out[f"spikes:{layer}:k"]))
        return engine._chunk_losses(before, n)

    def recording(self, stop: int) -> Recording:
        engine = self.engine
        steps = recording_steps(self.start_step, stop, self.options.record_every)
        stacked = {key: (np.concatenate(parts) if parts else np.zeros((0, engine.network.layer(key[0]).n)))[:len(steps)]
                   for key, parts in self.values.items()}
        part = engine._assemble(self.plan, stacked, steps, self.start_step, self.baseline, self.options.theta,
                                self.input_rows)
        for layer, chunks in self.kept.items():
            chunks = [c[1:] for c in chunks if c[0] <= stop]
            i, t, k = (np.concatenate([c[j] for c in chunks]) if chunks else np.zeros(0) for j in range(3))
            part.spikes[layer] = (i.astype(np.int64), t.astype(float), k.astype(np.int64))
        return part

    def close(self) -> None:
        pass


def _build(directory: Path) -> None:
    """Generate and compile the program described by ``directory/spec.pkl``; write ``manifest.json`` last."""
    network, dt, config = pickle.loads((directory / "spec.pkl").read_bytes())
    b2.set_device("cpp_standalone", build_on_run=False, directory=str(directory))
    b2.prefs.devices.cpp_standalone.openmp_threads = config.threads if config.threads > 1 else 0
    # as many compiler processes as cores (Brian2's default, a bare -j, starts one per source file at once)
    b2.prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
    engine = _ProgramBuild(network, dt, 0, replace(config, target="cython"))
    objects = list(engine.groups.values()) + [p.synapses for p in engine.projections.values() if p.synapses is not None]
    monitors, events, record_clocks = {}, {}, []
    for index, layer in enumerate(network.layers):
        group = engine.groups[layer.name]
        # one clock per layer, its period set per execution (hippo_control.record_dt_<index>) before the network runs
        record_clocks.append(b2.Clock(record_period(1, 1, dt) * b2.second, name=f"hippo_record_clock_{index}"))
        monitors[layer.name] = b2.StateMonitor(group, _recorded(layer), record=True, clock=record_clocks[-1],
                                               when="start", order=-1, name=f"{group.name}_monitor")
        events[layer.name] = b2.EventMonitor(group, _KEPT_SPIKE, variables=["k"], name=f"{group.name}_kept_spikes")
    periods = "".join(f"\nrecord_dt_{index} : second (shared)" for index in range(len(record_clocks)))
    control = b2.NeuronGroup(1, "t_stop : second (shared)\nrandom_seed : integer (shared)\nstop_flag : 1 (shared)" + periods,
                             clock=engine._clock, namespace={"hippo_stop_after": hippo_stop_after}, name="hippo_control")
    for index, clock in enumerate(record_clocks):
        setattr(control, f"record_dt_{index}", clock.dt)
    control.run_regularly("stop_flag = hippo_stop_after(t, t_stop, dt)", when="end", order=10**6, name="hippo_stop")
    net = b2.Network(*objects, *monitors.values(), *events.values(), control)
    b2.device.apply_run_args()
    seed = b2.device.get_array_name(control.variables["random_seed"])
    threads = max(1, b2.prefs.devices.cpp_standalone.openmp_threads)
    b2.device.insert_code("main", f"for (int _i = 0; _i < {threads}; _i++)\n"
                                  f"    brian::_random_generators[_i].seed((unsigned long) brian::{seed}[0] + _i);")
    b2.device.insert_code("main", FLUSH_SUBNORMALS_CODE)
    for index, clock in enumerate(record_clocks):
        b2.device.insert_code("before_network_run",
                              f"brian::{b2.device.get_array_name(clock.variables['dt'])}[0] = "
                              f"brian::{b2.device.get_array_name(control.variables[f'record_dt_{index}'])}[0];")
    net.run(PROGRAM_STEPS * dt * b2.second, namespace={})
    b2.device.build(directory=str(directory), compile=True, run=False, with_output=False)
    _write_manifest(directory, engine, objects + [control], monitors, events)


def _write_manifest(directory: Path, engine: SpikingEngine, objects: list, monitors: dict, events: dict) -> None:
    device = b2.get_device()

    def entry(var) -> dict:
        # the size of a dynamic array (synapses, recordings) is known when the program runs
        size = None if isinstance(var, b2.core.variables.DynamicArrayVariable) else int(var.size)
        return {"file": device.get_array_filename(var), "dtype": np.dtype(var.dtype).name, "size": size}

    variables = {}
    for obj in objects:
        for name, var in obj.variables.items():
            if _settable(obj, name, var):
                variables[f"{obj.name}.{name}"] = entry(var)
    for obj, name in engine._state_variables().values():
        variables[f"{obj.name}.{name}"] = entry(obj.variables[name])
    # the tables the network reads (a network without plasticity, say, has no plasticity gate)
    tables = {name: {"shape": list(table.values.shape), "dtype": np.dtype(table.values.dtype).name}
              for table, name in device.timed_arrays.items()}
    manifest = {
        "variables": variables,
        "tables": tables,
        "monitors": {layer: {"t": entry(m.variables["t"]), "n": int(m.source.N),
                             "variables": {v: entry(m.variables[v]) for v in m.record_variables}}
                     for layer, m in monitors.items()},
        "events": {layer: {v: entry(m.variables[v]) for v in ("i", "t", "k")} for layer, m in events.items()},
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1))


class _ProgramBuild(SpikingEngine):
    """The engine's Brian2 objects as the program compiles them: long tables and kept-spike events."""

    table_rows = PROGRAM_STEPS

    def _configure_brian(self) -> None:
        # the C++ standalone device generates its own code; no runtime target applies
        pass

    def _group_additions(self, layer: Layer) -> tuple[list[str], dict[str, str]]:
        return ["spike_record : 1 (shared)"], {_KEPT_SPIKE: "k > 0 and spike_record > 0.5"}


if __name__ == "__main__":
    _build(Path(sys.argv[1]))
