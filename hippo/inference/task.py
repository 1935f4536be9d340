"""The two-alternative forced-choice task of de novo learning (IBL-like, simulated).

Each trial shows one signed stimulus drawn uniformly from ``n_stimuli`` values evenly
spaced in ``[−stimulus_max, stimulus_max]`` (17 values in ``[−2, 2]`` by default). The
correct side is right for a positive stimulus and left for a negative one; on a zero
stimulus it is drawn at random. A choice on the correct side is rewarded (``r = 1``),
any other is not (``r = 0``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.config import bounds
from hippo.errors import ConfigError


@dataclass(frozen=True)
class TaskConfig:
    """The task and the animals' starting policy.

    Attributes:
        n_stimuli: number of stimulus values, evenly spaced and symmetric about 0.
        stimulus_max: largest stimulus magnitude (a.u.).
        initial_stimulus_weight: every animal's stimulus weight before its first trial.
        initial_biases: the biases an animal starts with, one drawn uniformly per animal.
    """

    n_stimuli: int = field(default=17, metadata=bounds(min=2))
    stimulus_max: float = field(default=2.0, metadata=bounds(gt=0.0))
    initial_stimulus_weight: float = -2.0
    initial_biases: tuple[float, ...] = (-1.0, 0.0, 1.0)

    def __post_init__(self):
        if not self.initial_biases:
            raise ConfigError("", "initial_biases", "empty list", "one or more numbers")

    def stimuli(self) -> np.ndarray:
        """The ``n_stimuli`` stimulus values, ascending."""
        return np.linspace(-self.stimulus_max, self.stimulus_max, self.n_stimuli)


def draw_stimuli(task: TaskConfig, n_animals: int, n_trials: int, rng: np.random.Generator) -> np.ndarray:
    """Stimuli ``(n_animals, n_trials)`` drawn uniformly from the task's values."""
    return rng.choice(task.stimuli(), size=(n_animals, n_trials))


def correct_side(s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The rewarded side of each stimulus: 1 (right) if ``s > 0``, 0 if ``s < 0``, a fair coin if ``s = 0``."""
    coin = rng.integers(0, 2, size=np.shape(s)).astype(float)
    return np.where(s > 0, 1.0, np.where(s < 0, 0.0, coin))


def reward(y: np.ndarray, side: np.ndarray) -> np.ndarray:
    """``r = 1`` where the choice ``y`` is the rewarded ``side``, else 0."""
    return (np.asarray(y) == np.asarray(side)).astype(float)


def initial_weights(task: TaskConfig, n_animals: int, rng: np.random.Generator) -> np.ndarray:
    """Weights ``(n_animals, 2)`` before the first trial: the task's stimulus weight and a drawn bias."""
    W = np.empty((n_animals, 2))
    W[:, 0] = task.initial_stimulus_weight
    W[:, 1] = rng.choice(np.asarray(task.initial_biases, float), size=n_animals)
    return W
