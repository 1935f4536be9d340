"""Protocols as lists of phases, and the one driver that runs them on an engine.

A :class:`Phase` says for how long to run, with which theta gate, whether the network
learns (and which projections stay frozen, on which learning-rate schedule), which
:class:`~hippo.world.stream.Stream` feeds it (and which of its inputs are silenced),
whether compartment noise is on, and what to record how often. :func:`run_phases` runs
a list of them one after the other on the same engine and returns each phase's
recording with its steps counted in the phase's stream, so true positions are read
with ``stream.position_at(record.recording.steps)``, with no offsets to track.

A phase reads its stream from ``start`` (a local step) or, by default, from the
stream's ``cursor``, and leaves the cursor where it stopped: consecutive phases on one
stream read it without gaps, whether or not they silence it. Engine time (and so the
theta phase) runs on across phases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.errors import DivergenceError, HippoError
from hippo.learning.schedule import BlockSchedule, ScheduleConfig
from hippo.progress import Progress
from hippo.theta import ThetaConfig
from hippo.world.stream import Stream


@dataclass(frozen=True)
class Phase:
    """One stretch of a protocol.

    Attributes:
        name: unique within a protocol; the key of its record.
        duration: simulated seconds (rounded to whole engine steps; 0 runs nothing).
        stream: the stream feeding the engine's input layers.
        theta: the theta gate (``hippo.theta.INFERENCE`` / ``GENERATION`` for pure modes).
        learn: plasticity on (for the projections whose learning is enabled).
        frozen: projections that do not learn in this phase even when ``learn`` is on
            (plastic ones learn again after it).
        schedule: learning-rate schedule over the phase (segments of constant rate);
            ``None`` keeps the engine's current rates.
        silenced: input layers given zero rates (e.g. ``("velocity",)`` for the drift
            test, ``("features",)`` for generation without senses).
        noise: compartment noise on.
        record: signals to record (see :meth:`hippo.circuits.engine.EngineBase.run`).
        record_every: record every this many steps.
        spike_times: layers whose every spike is kept (spiking engines; none on the rate engine).
        record_weights: projections whose weights are recorded with the signals
            (``Recording.weights``; chunks then end at every record).
        start: local step of ``stream`` to start at; ``None`` continues at its cursor.
        label: progress-bar label; ``None`` shows no bar.
    """

    name: str
    duration: float
    stream: Stream
    theta: ThetaConfig = field(default_factory=ThetaConfig)
    learn: bool = False
    frozen: tuple[str, ...] = ()
    schedule: ScheduleConfig | BlockSchedule | None = None
    silenced: tuple[str, ...] = ()
    noise: bool = True
    record: tuple[str, ...] = ()
    record_every: int = 1
    spike_times: tuple[str, ...] = ()
    record_weights: tuple[str, ...] = ()
    start: int | None = None
    label: str | None = None


@dataclass
class InputArrays:
    """A stream of given input rates, for circuits fed from arrays rather than a world.

    Attributes:
        arrays: input layer → ``(n_steps, n)`` rates, one row per network step.
        cursor: the next local step a phase reads when it does not say where to start.
    """

    arrays: dict[str, np.ndarray]
    cursor: int = 0

    def inputs(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Rates of local steps ``start:stop``."""
        return {name: rates[start:stop] for name, rates in self.arrays.items()}

    def input_sizes(self) -> dict[str, int]:
        """Input layer → units."""
        return {name: rates.shape[1] for name, rates in self.arrays.items()}


@dataclass
class PhaseRecord:
    """What a phase recorded.

    Attributes:
        phase: the phase.
        recording: the engine's :class:`~hippo.circuits.rate.Recording`; its ``steps`` are
            local steps of ``phase.stream``.
        start, stop: the stream's local steps the phase read (``stop`` exclusive).
        wall_seconds: wall-clock seconds the engine ran.
    """

    phase: Phase
    recording: object
    start: int
    stop: int
    wall_seconds: float

    def positions(self) -> np.ndarray:
        """True positions (metres) at the recorded steps."""
        return self.phase.stream.position_at(self.recording.steps)


def check_phases(engine, phases: list[Phase]) -> None:
    """Raise one clear error, before anything runs, if a phase cannot run on ``engine``.

    Raises:
        HippoError: repeated phase names, a negative duration, an unknown frozen
            projection (frozen or with recorded weights), a silenced input the stream does not
            give, or ``record_every`` < 1.
    """
    seen = set()
    projections = {p.name for p in engine.network.projections}
    for phase in phases:
        where = f"phase {phase.name!r}"
        if phase.name in seen:
            raise HippoError(f"{where}: the name is used twice in one protocol")
        seen.add(phase.name)
        if not phase.duration >= 0:
            raise HippoError(f"{where}: duration {phase.duration} s; allowed: >= 0")
        if phase.record_every < 1:
            raise HippoError(f"{where}: record_every {phase.record_every}; allowed: >= 1")
        unknown = sorted(set(phase.frozen) - projections)
        if unknown:
            raise HippoError(f"{where}: cannot freeze unknown projection {unknown[0]!r}; allowed: {', '.join(sorted(projections))}")
        unknown = sorted(set(phase.record_weights) - projections)
        if unknown:
            raise HippoError(f"{where}: cannot record the weights of unknown projection {unknown[0]!r}; "
                             f"allowed: {', '.join(sorted(projections))}")
        given = phase.stream.input_sizes()
        missing = sorted(set(phase.silenced) - set(given))
        if missing:
            raise HippoError(f"{where}: cannot silence {missing[0]!r}, which the stream does not give; allowed: {', '.join(given)}")


def _input_function(phase: Phase, engine_start: int, local_start: int):
    """``inputs(start, stop)`` in engine steps, reading the phase's stream at its local steps."""
    stream, silenced = phase.stream, phase.silenced

    def inputs(start: int, stop: int) -> dict[str, np.ndarray]:
        first = local_start + start - engine_start
        given = stream.inputs(first, first + stop - start)
        for name in silenced:
            given[name] = np.zeros_like(given[name])
        return given

    return inputs


def _run_phase(engine, phase: Phase, progress: bool) -> PhaseRecord:
    from hippo.circuits.engine import Recording

    engine_start = engine.step_count
    local_start = phase.stream.cursor if phase.start is None else phase.start
    n_steps = int(round(phase.duration / engine.dt))
    inputs = _input_function(phase, engine_start, local_start)
    segments = phase.schedule.segment_steps(n_steps, engine.dt) if phase.schedule is not None \
        else [(None, n_steps)]
    plastic = [p.name for p in engine.network.projections if p.plastic and p.name in phase.frozen]
    for name in plastic:
        engine.set_learning(name, False)
    bar = Progress(phase.duration, phase.label or phase.name, enabled=progress and phase.label is not None)
    parts, wall, done = [], 0.0, 0

    def local(recording):
        recording.steps = np.asarray(recording.steps, dtype=np.int64) - engine_start + local_start
        return recording

    try:
        for factor, steps in segments:
            if factor is not None:
                engine.scale_learning_rates(factor)
            offset = done * engine.dt
            try:
                part = engine.run(steps * engine.dt, inputs, phase.theta, learn=phase.learn, noise=phase.noise,
                                  record=phase.record, record_every=phase.record_every,
                                  progress=lambda d, losses: bar.update(offset + d, **losses),
                                  spike_times=phase.spike_times, record_weights=phase.record_weights)
            except DivergenceError as error:
                error.recording = local(Recording.concatenate(parts + [error.recording]) if parts else error.recording)
                raise
            parts.append(part)
            wall += engine.last_run_seconds
            done += steps
    finally:
        bar.close()
        for name in plastic:
            engine.set_learning(name, True)
        phase.stream.cursor = local_start + (engine.step_count - engine_start)
    engine.last_run_seconds = wall
    recording = parts[0] if len(parts) == 1 else Recording.concatenate(parts)
    return PhaseRecord(phase, local(recording), local_start, local_start + n_steps, wall)


def run_phases(engine, phases: list[Phase], progress: bool = False) -> dict[str, PhaseRecord]:
    """Run ``phases`` one after the other on ``engine``; returns their records by name, in order.

    Args:
        engine: a rate or spiking engine (its state runs on from phase to phase).
        phases: the protocol; checked as a whole (:func:`check_phases`) before anything runs.
        progress: show a progress bar for phases with a ``label``.

    Raises:
        HippoError: the protocol cannot run (see :func:`check_phases`).
        DivergenceError: the simulation diverged; ``error.records`` holds the records of
            the phases completed before, ``error.phase`` the phase that diverged and
            ``error.recording`` what it recorded (stream-local steps).
    """
    check_phases(engine, phases)
    records = {}
    for phase in phases:
        try:
            records[phase.name] = _run_phase(engine, phase, progress)
        except DivergenceError as error:
            error.records, error.phase = records, phase
            raise
    return records
