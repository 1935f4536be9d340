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

    A factor scales the learning rate every rule names (``eta`` for prediction error,
    ``m_z`` for Bayesian mechanics; see :mod:`hippo.learning.rules`) through the
    engine's ``scale_learning_rates``.

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

    def segment_steps(self, n_steps: int) -> list[tuple[float, int]]:
        """``(learning-rate factor, steps)`` of each segment of a training of ``n_steps`` steps.

        The protocol driver (:func:`hippo.protocol.run_phases`) runs a phase with a schedule
        segment by segment; the engine's rates stay at the last segment's factor.
        """
        factors = self.factors()
        bounds_ = np.round(np.linspace(0.0, n_steps, len(factors) + 1)).astype(np.int64)
        return [(float(f), int(n)) for f, n in zip(factors, np.diff(bounds_))]
