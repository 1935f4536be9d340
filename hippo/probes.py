"""Measurement protocols: what an engine is made to do so that its network can be measured.

Each protocol is a function from an engine (its weights are kept; learning off, and the
noise as stated) and a stream to recordings or to the numbers read off them; the
arithmetic on those recordings lives in :mod:`hippo.analysis`, which runs no engine.
A protocol runs on the engine it is given: pass a copy (``engine.copy()``) to leave the
original's state where it was.

- :func:`run_test`: the path-integration test trials, theta mode then pure generation
  (:class:`~hippo.analysis.path_integration.PathIntegrationTestConfig`).
- :func:`run_gain_probes`: constant-velocity probes on a ring, the velocity gain curve
  (:class:`GainProbeConfig`).
- :func:`run_direction_probes`: straight-line probes in 2-D along several directions, the
  gains along and across each (:class:`DirectionProbeConfig`, :func:`probe_paths`).
- :func:`zero_velocity_drift`: a bump without velocity input on a ring, the drift test.
- :func:`mapping_session`: the network in theta mode on a stream, recorded at every step
  (decoder calibration, rate maps).
- :func:`spikes_around_switch`: every spike of some layers for :data:`RASTER_SECONDS`
  around a switch to pure generation (spike rasters).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from hippo.analysis.decoding import decoding_error
from hippo.analysis.path_integration import PathIntegrationResult, PathIntegrationTestConfig
from hippo.analysis.path_integration_2d import DirectionalGains, bump_velocity, directional_gains
from hippo.analysis.velocity_gain import GainCurve, measure_gain_curve, probe_velocities
from hippo.config import bounds
from hippo.errors import ConfigError
from hippo.protocol import Phase, PhaseRecord, run_phases
from hippo.theta import GENERATION, ThetaConfig
from hippo.world.gridworld import Gridworld
from hippo.world.recorded import RecordedPath

#: Seconds a spike raster shows before and after the switch to generative mode.
RASTER_SECONDS = (2.0, 3.0)


# ------------------------------------------------------------------ path-integration test
def run_test(engine, stream, decoder, theta: ThetaConfig, config: PathIntegrationTestConfig,
             progress=None, spikes: bool = False) -> PathIntegrationResult:
    """Run ``config.n_trials`` trials on ``engine`` (which keeps its weights; learning and noise off).

    Each trial is two phases (:mod:`hippo.protocol`) on ``stream`` — ``warmup`` seconds with
    the gate ``theta``, then ``generative`` seconds of pure generation — read from its
    cursor on, so trials follow one another along the stream's trajectory; true positions
    are the stream's at the recorded steps. ``progress(done_trials)`` is called after each trial;
    ``spikes`` (a spiking engine) records the MEC spike counts too.
    """
    decoded, true, errors, mec, counts = [], [], [], [], []
    record = ("hpc", "mec", "mec.spikes") if spikes else ("hpc", "mec")
    for trial in range(config.n_trials):
        records = run_phases(engine, [
            Phase("warmup", config.warmup, stream, theta, noise=False, record=record),
            Phase("generative", config.generative, stream, GENERATION, noise=False, record=record),
        ])
        parts = [records["warmup"].recording, records["generative"].recording]
        hpc = np.vstack([part.signals["hpc"] for part in parts])
        positions = np.vstack([record.positions() for record in records.values()])
        estimate = decoder.predict(hpc)
        decoded.append(estimate)
        true.append(positions)
        errors.append(decoding_error(stream.env, estimate, positions))
        mec.append(np.vstack([part.signals["mec"] for part in parts]))
        if spikes:
            counts.append(np.vstack([part.signals["mec.spikes"] for part in parts]))
        if progress is not None:
            progress(trial + 1)
    n_before = int(round(config.warmup / engine.dt))
    t = (np.arange(len(errors[0])) - n_before + 1) * engine.dt
    return PathIntegrationResult(t, np.array(errors), np.array(decoded), np.array(true), np.array(mec),
                                 np.array(counts) if spikes else None)



# ------------------------------------------------------------------ gain probes on a ring
@dataclass(frozen=True)
class GainProbeConfig:
    """Constant-velocity probes of the velocity gain curve (m/s, seconds).

    Each probe moves the agent at one constant velocity: ``warmup`` seconds in theta
    mode (senses on), then ``duration`` seconds of pure generation with the velocity
    input on; the decoded positions of the generative part, less its first
    ``transient`` seconds, give the bump velocity
    (:func:`hippo.analysis.velocity_gain.gain_curve`).

    Attributes:
        max_velocity: probes run at ``−max_velocity … +max_velocity`` m/s (a whole number of steps).
        step: spacing of the probe velocities (m/s).
        warmup: seconds in theta mode before the switch.
        duration: seconds of pure generation per probe.
        transient: seconds after the switch left out of the fit (the bump reaching its velocity).
    """

    max_velocity: float = field(default=1.5, metadata=bounds(gt=0.0))
    step: float = field(default=0.1, metadata=bounds(gt=0.0))
    warmup: float = field(default=2.0, metadata=bounds(gt=0.0))
    duration: float = field(default=4.0, metadata=bounds(gt=0.0))
    transient: float = field(default=0.5, metadata=bounds(min=0.0))

    def __post_init__(self):
        n = self.max_velocity / self.step
        if not np.isclose(n, round(n)):
            raise ConfigError("", "max_velocity, step", f"{self.max_velocity:g} m/s is not a whole number of "
                              f"{self.step:g} m/s steps", "max_velocity = a whole multiple of step")
        if self.transient >= self.duration:
            raise ConfigError("", "transient, duration", f"a {self.transient:g}-s transient leaves nothing of a "
                              f"{self.duration:g}-s probe to fit", "transient < duration")


def run_gain_probes(engine, stream, decoder, theta: ThetaConfig, config: GainProbeConfig, seed) -> GainCurve:
    """Measure the velocity gain curve of a trained path integrator on a ring (learning and noise off).

    Probe ``k`` runs on a copy of ``stream`` (same place code and velocity cells) whose
    agent moves at constant velocity ``v_k`` (smooth motion, whatever the stream's motion), from a
    start drawn from ``[*seed, k]``.

    Args:
        engine: the engine (its weights are kept; its state runs on from probe to probe).
        stream: a stream on a 1-D periodic track with velocity cells.
        decoder: fitted decoder of HPC activity.
        theta: the theta gate of the warm-up.
        config: the probes.
        seed: list of ints seeding the probes' starts.

    Returns:
        The :class:`~hippo.analysis.velocity_gain.GainCurve`.
    """
    velocities = probe_velocities(config.max_velocity, config.step)
    index = {float(v): k for k, v in enumerate(velocities)}

    def decode_probe(velocity: float):
        moving = replace(stream.motion_config, kind="smooth", speed_mean=velocity, speed_std=0.0)
        probe = replace(stream, motion_config=moving).fresh_trajectory([*seed, index[velocity]])
        record = run_phases(engine, [
            Phase("warmup", config.warmup, probe, theta, noise=False),
            Phase("generative", config.duration, probe, GENERATION, noise=False, record=("hpc",)),
        ])["generative"].recording
        return record.t, decoder.predict(record.signals["hpc"])[:, 0]

    return measure_gain_curve(decode_probe, float(stream.env.size[0]), velocities, config.transient)


# ------------------------------------------------------------------ direction probes in 2-D
@dataclass(frozen=True)
class DirectionProbeConfig:
    """Constant-velocity probes of the gain per direction (seconds, m/s).

    Each probe holds the agent still at a start for ``warmup`` seconds in theta mode
    (senses on), then moves it in a straight line at one velocity for ``duration`` seconds
    of pure generation; the decoded path, less its first ``transient`` seconds, gives the
    bump velocity. Directions are ``n_directions`` evenly spaced from +x; in a bounded world
    the line is centred on the world's centre and shortened to ``max_path`` of the world's
    smaller side.

    Attributes:
        n_directions: directions probed.
        speeds: commanded speeds (m/s).
        warmup: seconds still in theta mode.
        duration: seconds of generation (at most; see ``max_path``).
        transient: seconds after the switch left out of the fit.
        max_path: longest probe path in a bounded world, as a fraction of its smaller side.
    """

    n_directions: int = field(default=8, metadata=bounds(min=1))
    speeds: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4)
    warmup: float = field(default=2.0, metadata=bounds(gt=0.0))
    duration: float = field(default=2.0, metadata=bounds(gt=0.0))
    transient: float = field(default=0.25, metadata=bounds(min=0.0))
    max_path: float = field(default=0.8, metadata=bounds(gt=0.0, max=1.0))

    def __post_init__(self):
        if not self.speeds or min(self.speeds) <= 0:
            raise ConfigError("", "speeds", f"{list(self.speeds)} are not all speeds > 0", "one or more speeds > 0 m/s")
        if self.transient >= self.duration:
            raise ConfigError("", "transient, duration", f"a {self.transient:g}-s transient leaves nothing of a "
                              f"{self.duration:g}-s probe to fit", "transient < duration")


def probe_paths(env: Gridworld, config: DirectionProbeConfig, dt: float) -> list[tuple[np.ndarray, RecordedPath]]:
    """``(commanded velocity, path)`` of every probe: still for ``warmup``, then a straight line (see
    :class:`DirectionProbeConfig`); ``dt`` is the step in seconds."""
    angles = 2 * np.pi * np.arange(config.n_directions) / config.n_directions
    centre = env.size / 2
    n_warmup = int(round(config.warmup / dt))
    probes = []
    for speed in config.speeds:
        duration = config.duration if env.periodic else min(config.duration, config.max_path * env.size.min() / speed)
        n_moving = int(round(duration / dt))
        for angle in angles:
            velocity = speed * np.array([np.cos(angle), np.sin(angle)])
            start = centre - velocity * (n_moving * dt) / 2
            moving = start + velocity * dt * np.arange(n_moving + 1)[:, None]
            positions = env.wrap(np.vstack([np.repeat(start[None], n_warmup, axis=0), moving]))
            probes.append((velocity, RecordedPath(positions, dt, "mirror", env, "probe")))
    return probes


def run_direction_probes(engine, stream, decoder, theta: ThetaConfig, config: DirectionProbeConfig) -> DirectionalGains:
    """Gains along and across each probe direction on a 2-D stream's world (learning and noise off).

    Every probe of :func:`probe_paths` replays its path on ``stream`` (same senses and
    velocity cells): ``warmup`` seconds with the gate ``theta``, then pure generation.
    """
    commanded, measured, r_squared = [], [], []
    for velocity, path in probe_paths(stream.env, config, engine.dt):
        probe = stream.replayed(path)
        n_moving = len(path.positions) - 1 - int(round(config.warmup / engine.dt))
        record = run_phases(engine, [
            Phase("warmup", config.warmup, probe, theta, noise=False),
            Phase("generative", n_moving * engine.dt, probe, GENERATION, noise=False, record=("hpc",)),
        ])["generative"].recording
        t = record.t - record.t[0]
        kept = t >= config.transient
        fitted, r2 = bump_velocity(t[kept], decoder.predict(record.signals["hpc"])[kept], stream.env)
        commanded.append(velocity)
        measured.append(fitted)
        r_squared.append(r2)
    return directional_gains(np.array(commanded), np.array(measured), np.array(r_squared))


# ------------------------------------------------------------------ zero-velocity drift
def zero_velocity_drift(engine, stream, theta: ThetaConfig, warmup: float, duration: float):
    """The drift test of a ring attractor: a bump left without velocity input (learning and noise off).

    Two phases on ``stream`` (from its cursor) with its velocity input silenced: ``warmup``
    seconds with the gate ``theta``, then ``duration`` seconds of pure generation. Returns the
    engine's recording of the generation phase: HPC rates at every step, ``t`` in engine
    seconds (the drift in m/s is :func:`hippo.analysis.ring_attractor.drift_m_per_s` of the
    decoded positions).
    """
    still = dict(stream=stream, silenced=("velocity",), noise=False)
    return run_phases(engine, [
        Phase("drift warm-up", warmup, theta=theta, **still),
        Phase("drift", duration, theta=GENERATION, record=("hpc",), **still),
    ])["drift"].recording


# ------------------------------------------------------------------ sessions
def mapping_session(engine, stream, theta: ThetaConfig, duration: float, record: tuple[str, ...],
                    noise: bool = True, name: str = "mapping") -> PhaseRecord:
    """``duration`` seconds of ``engine`` on ``stream`` (from its cursor) with the gate ``theta``,
    learning off, recording the layers ``record`` at every step: the activity that fits a
    decoder or fills rate maps (``PhaseRecord.positions()`` gives the true positions)."""
    return run_phases(engine, [Phase(name, duration, stream, theta, noise=noise, record=record)])[name]


@dataclass
class SwitchSpikes:
    """Spikes around a switch to generative mode (see :func:`spikes_around_switch`).

    Attributes:
        spikes: ``layer -> (unit, time, count)`` over both phases (times in engine seconds).
        start: engine time (s) at the start of the raster.
        switch: engine time (s) of the switch.
        t: engine times (s) of the records asked for.
        steps: the stream's local steps of those records (for true positions).
    """

    spikes: dict
    start: float
    switch: float
    t: np.ndarray
    steps: np.ndarray


def spikes_around_switch(engine, stream, theta: ThetaConfig, layers: tuple[str, ...],
                         silenced_after: tuple[str, ...] = (), noise: bool = True,
                         record: tuple[str, ...] = ()) -> SwitchSpikes:
    """Every spike of ``layers`` for :data:`RASTER_SECONDS` around a switch of the theta gate.

    Two phases without learning on ``stream`` (from its cursor): ``RASTER_SECONDS[0]`` s
    with the gate ``theta``, then ``RASTER_SECONDS[1]`` s of pure generation with the
    inputs ``silenced_after`` silenced; ``record`` names layers whose rates are recorded too.
    """
    before = Phase("raster before", RASTER_SECONDS[0], stream, theta, noise=noise, spike_times=layers, record=record)
    after = Phase("raster after", RASTER_SECONDS[1], stream, GENERATION, silenced=silenced_after, noise=noise,
                  spike_times=layers, record=record)
    start = engine.t
    records = run_phases(engine, [before, after])
    switch = start + (records["raster before"].stop - records["raster before"].start) * engine.dt
    first, second = records["raster before"].recording, records["raster after"].recording
    spikes = {layer: tuple(np.concatenate([a, b]) for a, b in zip(first.spikes[layer], second.spikes[layer]))
              for layer in layers}
    return SwitchSpikes(spikes, start, switch, np.concatenate([first.t, second.t]),
                        np.concatenate([first.steps, second.steps]))
