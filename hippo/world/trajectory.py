"""Sampled paths: the common output of every motion model, and a path through a sequence of cells."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from hippo.world.gridworld import Gridworld


@dataclass(frozen=True)
class Trajectory:
    """A sampled path.

    Attributes:
        t: ``(T,)`` times in seconds.
        position: ``(T, dim)`` positions in metres (wrapped on periodic worlds).
        velocity: ``(T, dim)`` velocities in metres per second.
    """

    t: np.ndarray
    position: np.ndarray
    velocity: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


def sample_times(duration: float, dt: float) -> np.ndarray:
    """``round(duration / dt)`` (at least one) sample times ``0, dt, 2·dt, …`` in seconds."""
    return np.arange(max(1, round(duration / dt))) * dt


def through_cells(env: Gridworld, cells: np.ndarray, step_time: float, t: np.ndarray, smoothing: float) -> Trajectory:
    """Continuous motion from cell centre to cell centre, one cell per ``step_time`` seconds.

    Each move is a straight line at constant speed (a repeated cell is a pause of the
    same length); corners are rounded by a Gaussian filter of width ``smoothing`` moves,
    so the velocity changes smoothly.

    Args:
        env: the gridworld.
        cells: ``(n_moves + 1, 2)`` (row, col) cells visited in turn, enough to cover ``t``.
        step_time: seconds per move (> 0).
        t: ``(T,)`` sample times from :func:`sample_times`.
        smoothing: standard deviation of the corner-rounding filter in moves (>= 0; 0
            keeps the straight segments).

    Returns:
        The trajectory at times ``t``: positions in metres (wrapped on periodic worlds)
        and velocities in m/s (the gradient of the position).
    """
    centres = env.cell_centres(cells)
    path = np.concatenate([centres[:1], centres[0] + np.cumsum(env.displacement(centres[1:], centres[:-1]), axis=0)])
    knots = np.arange(len(cells)) * step_time
    position = np.stack([np.interp(t, knots, path[:, d]) for d in range(path.shape[1])], axis=-1)
    if len(t) > 1:
        dt = t[1] - t[0]
        if smoothing > 0:
            position = gaussian_filter1d(position, smoothing * step_time / dt, axis=0, mode="nearest")
        velocity = np.gradient(position, dt, axis=0)
    else:
        velocity = np.zeros_like(position)
    wrapped = env.wrap(position)
    # np.mod of a tiny negative number gives the period itself: fold it to 0.
    wrapped = np.where(wrapped >= env.size, 0.0, wrapped) if env.periodic else wrapped
    return Trajectory(t=t, position=wrapped, velocity=velocity)
