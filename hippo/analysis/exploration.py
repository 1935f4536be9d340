"""Coverage of a discrete state space by exploring runs (steps are discrete moves)."""

from __future__ import annotations

import numpy as np


def coverage_curves(states: np.ndarray, n_states: int) -> np.ndarray:
    """Fraction of the ``n_states`` states visited by each step: ``(n_runs, T + 1)`` from states ``(n_runs, T + 1)``."""
    n_runs, length = states.shape
    curves = np.empty((n_runs, length))
    for run, path in enumerate(states):
        _, first = np.unique(path, return_index=True)
        curves[run] = np.cumsum(np.bincount(first, minlength=length)) / n_states
    return curves


def steps_to_coverage(curves: np.ndarray, target: float) -> np.ndarray:
    """First step at which each curve reaches ``target`` (``inf`` if never): ``(n_runs,)``."""
    reached = curves >= target - 1e-12
    return np.where(reached.any(axis=1), reached.argmax(axis=1), np.inf)
