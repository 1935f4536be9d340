"""Learning-rate schedules: training in segments with a geometrically annealed learning rate.

Annealing trades fast early learning for low weight noise late in training: with a
constant rate η, stochastic updates keep the weights fluctuating with a variance that
grows with η; shrinking η over training lets them settle.

Two forms, both run by :func:`hippo.protocol.run_phases` segment by segment
(``segment_steps``): :class:`ScheduleConfig`, a phase split into equal segments (the
``schedule`` key of the circuit experiments), and :class:`BlockSchedule`, blocks of fixed
seconds over a stretch of learning that several phases cover in turn (each from its
``offset``), so the learning does not depend on where the stretch is cut. Both anneal by
:func:`annealed_factor`.
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
        return annealed_factor(1.0, self.final_factor, np.arange(self.segments) / max(1, self.segments - 1))

    def segment_steps(self, n_steps: int, dt: float) -> list[tuple[float, int]]:
        """``(learning-rate factor, steps)`` of each segment of a phase of ``n_steps`` steps (of ``dt``
        seconds, which equal segments do not need).

        The protocol driver (:func:`hippo.protocol.run_phases`) runs a phase with a schedule
        segment by segment; the engine's rates stay at the last segment's factor.
        """
        factors = self.factors()
        bounds_ = np.round(np.linspace(0.0, n_steps, len(factors) + 1)).astype(np.int64)
        return [(float(f), int(n)) for f, n in zip(factors, np.diff(bounds_))]


def annealed_factor(start: float, final_factor: float, fraction):
    """The learning-rate factor ``start·final_factor^fraction`` after ``fraction`` (0…1, or an array of them)
    of a geometric anneal from ``start`` to ``start·final_factor``."""
    return start * final_factor ** fraction


@dataclass(frozen=True)
class BlockSchedule:
    """A learning-rate schedule in blocks of fixed length over a stretch of learning that phases cover in turn.

    The factor is constant within each block of ``block`` seconds of the stretch and falls
    geometrically (:func:`annealed_factor`) from ``start`` to ``start·final_factor`` over the
    first ``span`` seconds, then stays there: the block that begins ``t`` seconds into the stretch
    has ``start·final_factor^(min(t, span)/span)``. A phase running the stretch from ``offset``
    seconds on splits where its blocks end, so a stretch cut into phases
    anywhere learns as one phase would. With ``final_factor = 1`` the factor is ``start`` throughout
    and a phase is not split.

    Attributes:
        block: seconds of a block.
        span: seconds of the stretch over which the factor falls.
        start: factor of the first block.
        final_factor: factor at the end of the anneal, relative to ``start`` (1: constant).
        offset: seconds of the stretch before the phase that runs this schedule.
    """

    block: float
    span: float
    start: float = 1.0
    final_factor: float = 1.0
    offset: float = 0.0

    def factor_at(self, seconds: float) -> float:
        """The factor of the block running at ``seconds`` into the stretch (a time on a block's start is in it)."""
        annealed = min(np.floor(seconds / self.block + 1e-9) * self.block, self.span)
        return float(annealed_factor(self.start, self.final_factor, annealed / self.span))

    def segment_steps(self, n_steps: int, dt: float) -> list[tuple[float, int]]:
        """``(learning-rate factor, steps)`` of each segment of a phase of ``n_steps`` steps of ``dt`` seconds
        that starts ``offset`` seconds into the stretch: one segment per block it overlaps."""
        blocks = [] if self.final_factor == 1.0 else np.arange(self.block, self.offset + n_steps * dt, self.block)
        ends = [float(t) for t in blocks if 0 < round((t - self.offset) / dt) < n_steps]
        starts = [self.offset] + ends
        steps = [int(round((b - a) / dt)) for a, b in zip(starts, ends)]
        steps.append(n_steps - sum(steps))
        return [(self.factor_at(t), n) for t, n in zip(starts, steps)]
