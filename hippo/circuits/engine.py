"""The contract between an experiment and an engine, and the run loop every engine shares.

An engine runs a :class:`~hippo.circuits.spec.Network` description: the rate engine
(:class:`~hippo.circuits.rate.RateEngine`), the spiking engine on Brian2's runtime
(:class:`~hippo.circuits.spiking.SpikingEngine`) and the same spiking network as a
compiled program (:class:`~hippo.circuits.spiking_standalone.StandaloneSpikingEngine`).
Every engine implements :class:`Engine`:

* ``run(duration, inputs, theta, ...)`` simulates whole network steps of ``dt`` seconds
  and returns a :class:`Recording`;
* ``get_state()`` / ``set_state(state)`` — everything a continued run depends on, as
  arrays. The portable part is the same on every engine: ``weight:<projection>`` is the
  projection's full matrix ``(n_post, n_pre [+ 1 bias column])`` with zeros where no
  synapse exists, and the clock (:data:`~hippo.circuits.state.CLOCK_KEYS`). The rest
  (rates, traces, neuron variables) is the engine's own; a state saved by another kind
  of engine loads its portable part and resets the rest, and says so;
* ``copy()`` — an independent engine in the same state, learning switches and
  learning-rate factor included;
* ``weight(name)`` / ``all_weights()`` — weights in the portable shape;
  ``set_learning``, ``scale_learning_rates``, ``reset_state``;
* ``supports(network)`` — what of a network the engine cannot run (empty: all of it),
  answered from the description alone, before anything is built.

:class:`EngineBase` is the one run loop: it cuts a run into chunks, hands each chunk its
checked inputs (:func:`input_block`) and theta gate, advances the clock, stops on
divergence with what was recorded so far, snapshots weights and reports progress. An
engine supplies only :meth:`EngineBase._start_run`, which returns the :class:`ChunkRun`
that steps its simulation and assembles its recording.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from hippo.circuits.state import CLOCK_KEYS, check_state, is_portable, portable_part, state_kind, warn_foreign_state
from hippo.errors import DivergenceError
from hippo.theta import ThetaConfig, theta_gate

#: Inputs for steps ``start:stop``: a mapping from input-layer name to ``(stop − start, n)`` rates.
InputFunction = Callable[[int, int], dict]

#: Called after each chunk with (simulated seconds done in this run, current loss per pyramidal layer).
ProgressFunction = Callable[[float, dict], None]


@dataclass
class Recording:
    """Signals recorded every ``record_every`` steps of a run.

    Attributes:
        t: ``(n_records,)`` times in seconds (end of each recording window).
        signals: ``name -> (n_records, n)`` rates; names are layer names (soma or
            layer rate) and ``"<layer>.<compartment>"`` (compartment rates); the spiking
            engines also record ``"<layer>.spikes"`` (spike counts per window).
        loss: ``layer -> (n_records,)`` mean ``|basal − apical|`` rate over units, averaged
            over each recording window (pyramidal layers).
        theta: ``(n_records,)`` θ at the recorded steps.
        steps: ``(n_records,)`` global index of the input step each record was computed
            from (index into whole-run input arrays such as a trajectory).
        spikes: spiking engines only, for the layers asked for with ``spike_times``:
            ``layer -> (unit, time, count)``, one entry per simulation step in which a
            unit spiked (its index, the time in seconds, the number of spikes).
        weights: for the projections asked for with ``record_weights``: ``projection ->
            (n_records, n_post, n_cols)`` weights after the learning step of each record.
    """

    t: np.ndarray
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    loss: dict[str, np.ndarray] = field(default_factory=dict)
    theta: np.ndarray | None = None
    steps: np.ndarray | None = None
    spikes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    @staticmethod
    def concatenate(parts: list["Recording"]) -> "Recording":
        """The parts one after the other (signals, losses, θ, steps, weights and the spikes of every part's layers)."""
        if not parts:
            return Recording(np.zeros(0), theta=np.zeros(0), steps=np.zeros(0, dtype=int))
        layers = list(dict.fromkeys(layer for p in parts for layer in p.spikes))
        spikes = {layer: tuple(np.concatenate([p.spikes[layer][k] for p in parts if layer in p.spikes]) for k in range(3))
                  for layer in layers}
        return Recording(
            np.concatenate([p.t for p in parts]),
            {k: np.concatenate([p.signals[k] for p in parts]) for k in parts[0].signals},
            {k: np.concatenate([p.loss[k] for p in parts]) for k in parts[0].loss},
            np.concatenate([p.theta for p in parts]),
            np.concatenate([p.steps for p in parts]),
            spikes,
            {k: np.concatenate([p.weights[k] for p in parts]) for k in parts[0].weights},
        )

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Flat ``name -> array`` mapping for saving (``t``, ``theta``, signals, ``loss.<layer>``)."""
        out = {f"{prefix}t": self.t, f"{prefix}theta": self.theta}
        out.update({f"{prefix}{k}": v for k, v in self.signals.items()})
        out.update({f"{prefix}loss.{k}": v for k, v in self.loss.items()})
        return out


@runtime_checkable
class Engine(Protocol):
    """What every engine offers (see the module docstring); experiments use nothing else.

    Attributes:
        network: the description it runs.
        dt: network step, seconds (inputs, θ, recording and plasticity change once per step).
        step_count: network steps run since the engine was built (or since the state it
            was set to).
        t: simulated time, seconds (``step_count·dt``).
        last_run_seconds: wall seconds of the last :meth:`run`.
    """

    network: object
    dt: float
    step_count: int
    t: float
    last_run_seconds: float

    def run(self, duration: float, inputs: InputFunction, theta: ThetaConfig, learn: bool = True, noise: bool = True,
            record: tuple[str, ...] = (), record_every: int = 1, chunk_steps: int | None = None,
            progress: ProgressFunction | None = None, spike_times: tuple[str, ...] = (),
            record_weights: tuple[str, ...] = ()) -> Recording: ...

    def get_state(self) -> dict[str, np.ndarray]: ...

    def set_state(self, state: Mapping[str, np.ndarray]) -> None: ...

    def copy(self) -> "Engine": ...

    def weight(self, name: str) -> np.ndarray: ...

    def all_weights(self) -> dict[str, np.ndarray]: ...

    def set_learning(self, name: str, enabled: bool) -> None: ...

    def scale_learning_rates(self, factor: float) -> None: ...

    def reset_state(self) -> None: ...

    @classmethod
    def supports(cls, network) -> list[str]: ...


def input_block(layers, inputs: InputFunction, start: int, stop: int) -> dict[str, np.ndarray]:
    """Every input layer's rates for steps ``start:stop``, checked.

    Args:
        layers: the network's input layers.
        inputs: the run's input function (not called when there are no input layers).
        start, stop: global engine steps.

    Returns:
        Layer name → ``(stop − start, n)`` float rates.

    Raises:
        KeyError: an input layer is not given.
        ValueError: a layer's rates have another shape.
    """
    if not layers:
        return {}
    given = inputs(start, stop)
    block = {}
    for layer in layers:
        if layer.name not in given:
            raise KeyError(f"no input given for input layer {layer.name!r}")
        rates = np.asarray(given[layer.name], dtype=float)
        if rates.shape != (stop - start, layer.n):
            raise ValueError(f"input {layer.name!r} for steps {start}:{stop} has shape {rates.shape}, "
                             f"expected {(stop - start, layer.n)}")
        block[layer.name] = rates
    return block


@dataclass(frozen=True)
class RunOptions:
    """What one :meth:`EngineBase.run` asks of the engine's chunks (arguments as :meth:`Engine.run`)."""

    theta: ThetaConfig
    learn: bool
    noise: bool
    record: tuple[str, ...]
    record_every: int
    spike_times: tuple[str, ...]
    #: projections whose weights the engine's chunks record themselves (:attr:`EngineBase.records_weights_in_run`)
    record_weights: tuple[str, ...] = ()


class ChunkRun(Protocol):
    """One run of an engine, chunk by chunk (returned by :meth:`EngineBase._start_run`)."""

    def advance(self, start: int, inputs: dict[str, np.ndarray], gate: np.ndarray) -> dict[str, float]:
        """Simulate ``len(gate)`` network steps from engine step ``start`` with these input
        rates (:func:`input_block`) and θ per step; return the current loss per pyramidal layer."""

    def recording(self, stop: int) -> Recording:
        """What the run recorded up to engine step ``stop`` (the end of a chunk)."""

    def close(self) -> None:
        """Release what the run added to the engine (monitors); called once, also after an error."""


class EngineBase:
    """The run loop of every engine (see the module docstring).

    Subclasses set ``network``, ``dt``, ``t``, ``step_count`` and ``last_run_seconds``
    and implement :meth:`_start_run`, :meth:`_chunk_length`, :meth:`_finite` and the
    state and weight methods of :class:`Engine`.
    """

    #: Chunk length of a run without ``chunk_steps``.
    default_chunk_steps = 4000

    #: The kind of state the engine saves (:func:`~hippo.circuits.state.state_kind`).
    state_kind = "rate"

    #: Whether the engine's chunks record weights themselves (``RunOptions.record_weights``,
    #: into ``Recording.weights``); otherwise the loop ends a chunk at every record and copies them.
    records_weights_in_run = False

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Continue from ``state`` (:meth:`get_state` of an engine of the same network).

        A state saved by another kind of engine gives its portable part (weights, clock,
        learning-rate factor; :mod:`hippo.circuits.state`); everything else starts at rest
        (:meth:`reset_state`), and a :class:`~hippo.circuits.state.ForeignStateWarning` says so.

        Raises:
            HippoError: a key is missing or unknown, or an array has another shape than
                this engine's (the message names the key, the expected and the found shape);
                a rejected state changes nothing.
        """
        own = self.get_state()
        if state_kind(state) == self.state_kind:
            check_state(state, {key: np.shape(value) for key, value in own.items() if key not in CLOCK_KEYS},
                        scalars=CLOCK_KEYS)
        else:
            portable = portable_part(state, own)
            self._check_loadable(portable)
            self.reset_state()
            warn_foreign_state(state_kind(state), self.state_kind, [key for key in own if not is_portable(key)])
            state = {**self.get_state(), **portable}
        self._check_loadable(state)
        self._load_state(state)

    def _check_loadable(self, state: Mapping[str, np.ndarray]) -> None:
        """Raise a HippoError if this engine cannot hold ``state``'s weights (checked shapes); by default it can."""

    def _load_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Load a checked state (every key of :meth:`get_state`, in its shapes)."""
        raise NotImplementedError

    def run(self, duration: float, inputs: InputFunction, theta: ThetaConfig, learn: bool = True, noise: bool = True,
            record: tuple[str, ...] = (), record_every: int = 1, chunk_steps: int | None = None,
            progress: ProgressFunction | None = None, spike_times: tuple[str, ...] = (),
            record_weights: tuple[str, ...] = ()) -> Recording:
        """Simulate ``duration`` seconds (rounded to whole network steps).

        Args:
            duration: simulated seconds.
            inputs: ``inputs(start, stop)`` gives each input layer's rates for global steps
                ``start:stop`` (steps count from the engine's creation).
            theta: the theta gate for this run (``theta.INFERENCE`` / ``GENERATION`` for
                pure inference / generation).
            learn: apply plasticity to projections whose learning is enabled.
            noise: add compartment noise.
            record: signals to record (layer names, ``"<layer>.<compartment>"``; on the
                spiking engines also ``"<layer>.spikes"``).
            record_every: record every this many steps (decimation).
            chunk_steps: network steps per chunk (default :attr:`default_chunk_steps`).
            progress: called after each chunk with (simulated seconds done, current losses).
            spike_times: layers whose every spike is kept (``Recording.spikes``; spiking
                engines; keep such runs short).
            record_weights: projections whose weights are recorded with the signals
                (chunks then end at every record).

        Raises:
            DivergenceError: rates or weights became NaN or infinite; its ``recording``
                attribute holds everything recorded up to the last finite chunk.
        """
        self._prepare_run()
        started = time.perf_counter()
        n_total = int(round(duration / self.dt))
        chunk = self._chunk_length(self.default_chunk_steps if chunk_steps is None else chunk_steps, record_every)
        for name in record_weights:
            self.weight(name)  # an unknown projection fails before any work
        in_run = self.records_weights_in_run
        options = RunOptions(theta, learn, noise, tuple(record), record_every, tuple(spike_times),
                             tuple(record_weights) if in_run else ())
        run = self._start_run(options)
        snapshots = {} if in_run else {name: [] for name in record_weights}

        def recorded(stop: int) -> Recording:
            recording = run.recording(stop)
            if not in_run:
                recording.weights = {name: np.array(s) if s else np.zeros((0,) + np.shape(self.weight(name)))
                                     for name, s in snapshots.items()}
            return recording

        done = 0
        try:
            while done < n_total:
                n = min(chunk, n_total - done)
                if snapshots:
                    n = min(n, record_every - self.step_count % record_every)
                start = self.step_count
                block = input_block(self.network.input_layers, inputs, start, start + n)
                losses = run.advance(start, block, theta_gate((start + np.arange(n) + 1) * self.dt, theta))
                self.step_count += n
                self.t = self.step_count * self.dt
                done += n
                if not self._finite():
                    error = DivergenceError(
                        f"the simulation diverged (NaN or infinite rates or weights) between t = {start * self.dt:.2f} s "
                        f"and t = {self.t:.2f} s; reduce the learning rates or the initial weights")
                    error.recording = recorded(start)
                    raise error
                if snapshots and self.step_count % record_every == 0:
                    for name, taken in snapshots.items():
                        taken.append(np.array(self.weight(name), copy=True))
                if progress is not None:
                    progress(done * self.dt, losses)
            recording = recorded(self.step_count)
        finally:
            run.close()
        self.last_run_seconds = time.perf_counter() - started
        return recording

    def _prepare_run(self) -> None:
        """Work before a run's timing starts (compilation); none by default."""

    def _chunk_length(self, chunk_steps: int, record_every: int) -> int:
        """Network steps per chunk for a requested ``chunk_steps``."""
        return max(1, chunk_steps)

    def _start_run(self, options: RunOptions) -> ChunkRun:
        """The engine's :class:`ChunkRun` for one run."""
        raise NotImplementedError

    def _finite(self) -> bool:
        """Whether the engine's rates and weights are all finite."""
        raise NotImplementedError
