"""Learning-rate schedules: training in segments with a geometrically annealed learning rate.

Annealing trades fast early learning for low weight noise late in training: with a
constant rate η, stochastic updates keep the weights fluctuating with a variance that
grows with η; shrinking η over training lets them settle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.config import bounds


@dataclass(frozen=True)
class ScheduleConfig:
    """Learning-rate schedule.

    Attributes:
        final_factor: learning-rate factor at the end of training (1 = constant rate);
            the factor falls geometrically from 1.
        segments: number of constant-rate segments the training is split into.
    """

    final_factor: float = field(default=1.0, metadata=bounds(gt=0.0, max=1.0))
    segments: int = field(default=20, metadata=bounds(min=1))

    def factors(self) -> np.ndarray:
        """Learning-rate factor of each segment."""
        if self.final_factor == 1.0:
            return np.ones(1)
        return self.final_factor ** (np.arange(self.segments) / max(1, self.segments - 1))


def train(engine, duration: float, inputs, theta, schedule: ScheduleConfig, learn: bool = True, record=(),
          record_every: int = 1, progress=None):
    """Run ``engine`` for ``duration`` seconds with the schedule's learning rates; returns the joined recording.

    ``progress(done_seconds, losses)`` is called as the run advances; the engine's
    learning rates are left at the last segment's value.
    """
    from hippo.circuits.rate import Recording

    factors = schedule.factors()
    seconds = np.diff(np.round(np.linspace(0.0, duration / engine.dt, len(factors) + 1))) * engine.dt
    parts, done, wall = [], 0.0, 0.0
    for factor, length in zip(factors, seconds):
        engine.scale_learning_rates(float(factor))
        offset = done
        part = engine.run(length, inputs, theta, learn=learn, record=record, record_every=record_every,
                          progress=None if progress is None else (lambda d, losses: progress(offset + d, losses)))
        parts.append(part)
        done += length
        wall += engine.last_run_seconds
    engine.last_run_seconds = wall
    return Recording.concatenate(parts)
