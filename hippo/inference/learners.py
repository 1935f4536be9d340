"""Simulated de novo learners: GLM policies whose weights follow a known learning rule.

Every rule here climbs the same signal, the REINFORCE policy gradient of the trial's
reward,

    g_t = r_t·∇_W log p(y_t | s_t, W_t) = r_t·(y_t − p_t(right))·x_t,

which equals the textbook form ``r·(1 − p(y))·x·(−1)^{y+1}`` (``y = 1`` right, 0 left).
The rules are the learning core's own (:mod:`hippo.learning`), applied to the policy:
an animal is one postsynaptic unit whose presynaptic rate is the stimulus (and whose
bias is the GLM bias), whose local error is ``δ = r·(y − p)``, and whose
plasticity-induction trace follows the gradient of the current trial exactly
(``τ_P = dt``, one trial). So the rule's equations are written once, in the core:

* ``reinforce`` — the prediction-error rule: ``ΔW = α·g``;
* ``momentum`` — :mod:`hippo.learning.momentum`: ``v ← β·v + (1 − β)·g``, ``ΔW = α·v``;
* ``adam`` — :mod:`hippo.learning.adam`: moments ``m, u`` of ``g`` and ``g²`` with decays
  ``β, β₂``, bias-corrected, ``ΔW = α·m̂/(√û + ε)``.

``α = 0`` gives a learner whose weights never change (the zero rule). A population is
simulated trial by trial, vectorised over animals, from one seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit

from hippo.config import bounds
from hippo.inference import glm
from hippo.inference.task import TaskConfig, correct_side, draw_stimuli, initial_weights, reward
from hippo.learning import rules
from hippo.learning.rules import Plasticity

#: The learner's rules and the learning core's rule each one is.
CORE_RULES = {"reinforce": "prediction-error", "momentum": "momentum", "adam": "adam"}
#: One trial, as the rule's time step and trace time constant (``dt/τ_P = 1``).
TRIAL = 1.0


@dataclass(frozen=True)
class LearnerConfig:
    """A ground-truth learning rule and its parameters.

    Attributes:
        rule: ``"reinforce"``, ``"momentum"`` or ``"adam"`` (module docstring).
        alpha: learning rate α (weight change per unit of policy gradient and trial;
            for ``adam`` the largest weight change per trial; 0: no learning).
        beta: velocity decay ``β`` (``momentum``) or first-moment decay ``β₁`` (``adam``), per trial.
        beta2: second-moment decay ``β₂`` (``adam``), per trial.
        epsilon: ``ε`` of ``adam`` (gradient units).
    """

    rule: Literal["reinforce", "momentum", "adam"] = "reinforce"
    alpha: float = field(default=2.0 ** -6, metadata=bounds(min=0.0))
    beta: float = field(default=0.9, metadata=bounds(min=0.0, max=rules.BETA_MAX))
    beta2: float = field(default=0.999, metadata=bounds(min=0.0, max=rules.BETA_MAX))
    epsilon: float = field(default=1e-8, metadata=bounds(gt=0.0))

    def plasticity(self) -> Plasticity:
        """The learning core's configuration of this rule (trace time constant one trial)."""
        common = {"rule": CORE_RULES[self.rule], "eta": self.alpha, "tau_trace": TRIAL}
        if self.rule == "momentum":
            return Plasticity(**common, beta=self.beta)
        if self.rule == "adam":
            return Plasticity(**common, beta1=self.beta, beta2=self.beta2, epsilon=self.epsilon)
        return Plasticity(**common)


def policy_gradient(W: np.ndarray, s: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """REINFORCE signal ``r·(y − σ(W·x))·x``, shape ``(..., 2)``.

    Args:
        W: weights ``(..., 2)`` before the trial.
        s: stimuli ``(...)``.
        y: choices ``(...)`` (1 right, 0 left).
        r: rewards ``(...)``.
    """
    return (local_error(W, s, y, r)[..., None]) * glm.features(np.asarray(s, float))


def local_error(W: np.ndarray, s: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The policy's error ``δ = r·(y − p(right))``: the gradient per unit input."""
    return r * (y - glm.right_probability(W, s))


@njit
def _step_animals(step, W, S, delta, s, params):
    """The core rule's ``step`` for each animal: one unit, input ``s[a]`` and a bias."""
    post = np.zeros(1)
    for a in range(W.shape[0]):
        step(W[a], S[a], delta[a: a + 1], s[a: a + 1], post, True, params)


class Learner:
    """The state of one rule for a population of animals (rules in the module docstring).

    Args:
        config: the rule.
        n_animals: animals updated together.
    """

    def __init__(self, config: LearnerConfig, n_animals: int):
        plasticity = config.plasticity()
        self.rule = rules.rule_named(plasticity.rule)
        self.params = rules.parameter_row(plasticity, TRIAL)
        self.state = np.zeros((n_animals, len(self.rule.slots), 1, glm.N_WEIGHTS))

    def update(self, W: np.ndarray, s: np.ndarray, y: np.ndarray, r: np.ndarray) -> np.ndarray:
        """The weight change ``ΔW`` ``(n_animals, 2)`` after one trial; advances the rule's state."""
        after = np.array(W, float)[:, None, :]
        _step_animals(self.rule.step, after, self.state, local_error(W, s, y, r), np.asarray(s, float), self.params)
        return after[:, 0, :] - W


@dataclass(frozen=True)
class Behaviour:
    """Trials of a population of animals.

    Attributes:
        s: ``(n_animals, n_trials)`` stimuli.
        y: ``(n_animals, n_trials)`` choices (1 right, 0 left).
        r: ``(n_animals, n_trials)`` rewards (0 or 1).
        W: ``(n_animals, n_trials, 2)`` weights before each trial (stimulus weight, bias).
        dW: ``(n_animals, n_trials, 2)`` weight change after each trial.
        p: ``(n_animals, n_trials)`` probability of choosing right that generated each choice.
    """

    s: np.ndarray
    y: np.ndarray
    r: np.ndarray
    W: np.ndarray
    dW: np.ndarray
    p: np.ndarray

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The arrays by name, for saving."""
        return {f"{prefix}{name}": getattr(self, name) for name in ("s", "y", "r", "W", "dW", "p")}


def simulate(task: TaskConfig, learner: LearnerConfig, n_animals: int, n_trials: int,
             rng: np.random.Generator) -> Behaviour:
    """Simulate ``n_animals`` animals learning the task for ``n_trials`` trials each.

    Stimuli, rewarded sides, starting biases and choices are all drawn from ``rng``.
    """
    s = draw_stimuli(task, n_animals, n_trials, rng)
    side = correct_side(s, rng)
    uniforms = rng.random((n_animals, n_trials))
    W_now = initial_weights(task, n_animals, rng)
    rule = Learner(learner, n_animals)
    y = np.empty((n_animals, n_trials))
    r = np.empty((n_animals, n_trials))
    p = np.empty((n_animals, n_trials))
    W = np.empty((n_animals, n_trials, glm.N_WEIGHTS))
    dW = np.empty_like(W)
    for t in range(n_trials):
        W[:, t] = W_now
        p[:, t] = glm.right_probability(W_now, s[:, t])
        y[:, t] = (uniforms[:, t] < p[:, t]).astype(float)
        r[:, t] = reward(y[:, t], side[:, t])
        dW[:, t] = rule.update(W_now, s[:, t], y[:, t], r[:, t])
        W_now = W_now + dW[:, t]
    return Behaviour(s, y, r, W, dW, p)
