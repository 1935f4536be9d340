"""Agent motion through a gridworld, generated for the whole run as arrays.

See :class:`Trajectory` for the common output of every motion model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
