"""How well a fitted rule recovers the generating one.

* **Held-out log-likelihood**: mean per-trial log-likelihood of held-out animals' choices
  under the fitted rule (starting weights refitted, rule frozen) against the same under
  the generating probabilities; the gap is reported relative to the latter.
* **ΔW on a grid** (memoryless rules): the fitted stimulus-weight change against the
  generating one over every stimulus × choice × stimulus weight × bias (reward set by
  the task: rewarded when the choice matches the stimulus's side, both outcomes for a
  zero stimulus), as an RMSE in units of the rule's learning rate α.
* **ΔW along held-out trajectories**: the fitted rule's stimulus-weight changes, replayed
  over the held-out trials, against the generating ones (RMSE / α); this also applies to
  rules with a memory (momentum, Adam) and to the RNNGLM.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from hippo.inference import glm
from hippo.inference.fit import Fit, memoryless_update
from hippo.inference.learners import LearnerConfig, policy_gradient
from hippo.inference.task import TaskConfig


def update_grid(task: TaskConfig, n_weights: int, weight_range: float = 2.0) -> dict[str, np.ndarray]:
    """Covariates of the ΔW grid, each a flat array of equal length.

    Args:
        task: the task (its stimuli and starting biases).
        n_weights: stimulus weights evenly spaced in ``[−weight_range, weight_range]``.
        weight_range: largest stimulus weight magnitude.

    Returns:
        ``s``, ``y``, ``r`` and ``W`` (``(n, 2)``: stimulus weight, bias) of every grid point.
    """
    cases = []
    for s in task.stimuli():
        for y in (0.0, 1.0):
            outcomes = (0.0, 1.0) if s == 0 else (float((y == 1.0) == (s > 0)),)
            cases.extend((s, y, r) for r in outcomes)
    cases = np.array(cases)
    weights = np.linspace(-weight_range, weight_range, n_weights)
    biases = np.asarray(task.initial_biases, float)
    case, w, b = (a.ravel() for a in np.meshgrid(np.arange(len(cases)), weights, biases, indexing="ij"))
    return {"s": cases[case, 0], "y": cases[case, 1], "r": cases[case, 2], "W": np.stack([w, b], axis=-1)}


def generating_update(learner: LearnerConfig, grid: dict[str, np.ndarray]) -> np.ndarray:
    """``α·g`` at the grid's covariates (a memoryless rule: ``reinforce``)."""
    if learner.rule != "reinforce":
        raise ValueError(f"rule {learner.rule!r} has a memory: its ΔW is not a function of one trial's covariates")
    return learner.alpha * policy_gradient(grid["W"], grid["s"], grid["y"], grid["r"])


def fitted_update(fit: Fit, grid: dict[str, np.ndarray]) -> np.ndarray:
    """A DNNGLM's ``ΔW`` ``(n, 2)`` at the grid's covariates."""
    if fit.net.kind != "dnn":
        raise ValueError("only a DNNGLM's update is a function of one trial's covariates")
    as32 = lambda a: jnp.asarray(a, jnp.float32)  # noqa: E731
    return np.asarray(memoryless_update(fit.net, fit.params, as32(grid["W"]), as32(grid["s"]), as32(grid["y"]),
                                        as32(grid["r"])), float)


def rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Root-mean-square difference."""
    return float(np.sqrt(np.mean((np.asarray(estimate) - np.asarray(truth)) ** 2)))


def generating_log_likelihood(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-trial log-likelihood of choices ``y`` under the probabilities ``p`` of choosing right that generated them."""
    return np.asarray(glm.choice_log_likelihood(jnp.log(p) - jnp.log1p(-p), jnp.asarray(y, float)), float)


def relative_gap(fitted: float, generating: float) -> float:
    """``(fitted − generating)/|generating|`` (negative: the fitted model explains the choices less well)."""
    return (fitted - generating) / abs(generating)
