"""Resetting plasticity: the prediction-error rule plus a surprise-triggered pull to the initial weights.

When the world a compartment predicts changes, what its weights learned becomes a
liability: a learner unsure whether the task is still the same does best to partly
forget. This rule is the prediction-error rule (its trace ``P``,
:func:`hippo.learning.prediction_error.induction_trace`, and step ``W ← W + η·P``) with
a detector of such changes in each compartment. Its design is ours:

* the compartment's error power ``e = mean_i δᵢ²`` is averaged over a short window,
  ``ē ← ē + (dt/window)·(e − ē)``;
* a baseline tracks the mean ``μ`` and variance ``σ²`` of ``ē`` over a long window
  (exponentially weighted, rate ``dt/baseline``);
* the rule fires when ``z = (ē − μ)/σ`` exceeds ``threshold``, the short average exceeds
  the baseline by more than the fraction ``min_rise`` (``ē > (1 + min_rise)·μ``), and at
  least ``refractory`` seconds have passed since the start or the last firing (the
  baseline is learned in that time). Only a rise fires: an error that falls is learning.
  The z-score alone is scale-free: once learning has settled, the baseline's variance
  is small and an ordinary fluctuation of the input would pass it; the relative rise
  asks for a jump of the error itself.

Firing pulls every weight toward the value it had when the rule started,
``W ← W + factor·(W₀ − W)``, clears the trace and restarts the baseline's mean at the
current ``ē``. Stationary noise leaves ``z`` small however large its variance, since
the baseline learns that variance; a jump of the error's level by many baseline
standard deviations fires once.

The module registers the rule ``"reset"``. Slots: the trace, the initial weights ``W₀``
(captured on the rule's first step, and again after the engine clears its state),
and the compartment's statistics ``ē``, ``μ``, ``σ²`` and the steps since the start or
the last firing, each kept in the first entry of its slot. The detector reads the whole
compartment's error, not one synapse's, so the rule has no per-synapse Brian2 form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit

from hippo.config import bounds
from hippo.learning.prediction_error import induction_trace
from hippo.learning.rules import L1, L2, LEARNING_RATE, N_SHARED, Plasticity, Rule, penalised, register

#: Slots of the rule's state, in order.
SLOTS = ("trace", "initial", "error_window", "error_mean", "error_variance", "steps_since")
TRACE, INITIAL, WINDOW, MEAN, VARIANCE, SINCE = range(len(SLOTS))


@dataclass(frozen=True)
class ResetPlasticity(Plasticity):
    """Configuration of the resetting rule.

    Attributes:
        eta: learning rate per step (the rate a learning-rate schedule scales).
        tau_trace: time constant τ_P of the plasticity-induction trace (seconds).
        window: time constant of the short average of the compartment's error power (seconds).
        baseline: time constant of the baseline's mean and variance of that average (seconds).
        threshold: z-score of the short average above the baseline that fires a reset.
        min_rise: and the least rise of the short average over the baseline's mean, as a
            fraction of that mean (1: the error power doubles).
        factor: fraction of the way back to the initial weights a reset moves them (0–1).
        refractory: seconds after the start or a reset before the next reset can fire.
        l1, l2: L1 and L2 penalties (per step, scaled by η).
    """

    rule: Literal["reset"] = "reset"
    eta: float = field(default=0.01, metadata=bounds(min=0.0))
    tau_trace: float = field(default=0.1, metadata=bounds(gt=0.0))
    window: float = field(default=2.0, metadata=bounds(gt=0.0))
    baseline: float = field(default=60.0, metadata=bounds(gt=0.0))
    threshold: float = field(default=6.0, metadata=bounds(gt=0.0))
    min_rise: float = field(default=1.0, metadata=bounds(min=0.0))
    factor: float = field(default=0.5, metadata=bounds(min=0.0, max=1.0))
    refractory: float = field(default=60.0, metadata=bounds(min=0.0))


@njit(cache=True, fastmath=True, error_model="numpy")
def surprised(S, delta, window_rate, baseline_rate, threshold, min_rise, refractory_steps):
    """Advance the compartment's error statistics by one step; whether the error jumped (see the module docstring).

    Args:
        S: the rule's state (slots :data:`SLOTS`); the statistics live in the first entry
            of their slots. ``steps_since = 0`` marks a fresh state: the statistics start
            from the current error.
        delta: ``(n_post,)`` local prediction errors.
        window_rate: ``dt/window``.
        baseline_rate: ``dt/baseline``.
        threshold: z-score that fires.
        min_rise: least relative rise of the short average over the baseline's mean that fires.
        refractory_steps: steps after the start or a firing before the next can fire.

    Returns:
        True when the rule fires on this step (the baseline's mean then restarts at the
        short average and the step count at 1).
    """
    power = 0.0
    for i in range(delta.shape[0]):
        power += delta[i] * delta[i]
    power /= max(delta.shape[0], 1)
    since = S[SINCE, 0, 0]
    if since == 0.0:
        S[WINDOW, 0, 0] = power
        S[MEAN, 0, 0] = power
        S[VARIANCE, 0, 0] = 0.0
    short = S[WINDOW, 0, 0] + window_rate * (power - S[WINDOW, 0, 0])
    S[WINDOW, 0, 0] = short
    deviation = short - S[MEAN, 0, 0]
    variance = S[VARIANCE, 0, 0]
    fire = (since >= refractory_steps and variance > 0.0 and deviation > threshold * np.sqrt(variance)
            and deviation > min_rise * S[MEAN, 0, 0])
    if fire:
        S[MEAN, 0, 0] = short
        S[SINCE, 0, 0] = 1.0
    else:
        S[MEAN, 0, 0] += baseline_rate * deviation
        S[VARIANCE, 0, 0] = (1.0 - baseline_rate) * (variance + baseline_rate * deviation * deviation)
        S[SINCE, 0, 0] = since + 1.0
    return fire


@njit(cache=True, fastmath=True, error_model="numpy")
def reset_step(W, S, delta, pre, post, bias, params):
    """One step of one projection, in place (Dale's law is applied by the caller).

    Args:
        W: ``(n_post, n_cols)`` weights (last column a bias when ``bias``).
        S: ``(6, n_post, n_cols)`` state, slots :data:`SLOTS`.
        delta: ``(n_post,)`` local prediction errors.
        pre: ``(n_pre,)`` presynaptic rates.
        post: unused (the registry's signature).
        bias: whether the last column of ``W`` is a bias (input 1).
        params: ``[η, λ1, λ2, dt/τ_P, dt/window, dt/baseline, threshold, min_rise, factor, refractory steps]``.
    """
    eta, l1, l2, decay = params[LEARNING_RATE], params[L1], params[L2], params[N_SHARED]
    P, W0 = S[TRACE], S[INITIAL]
    if S[SINCE, 0, 0] == 0.0:
        W0[:, :] = W
    if surprised(S, delta, params[N_SHARED + 1], params[N_SHARED + 2], params[N_SHARED + 3], params[N_SHARED + 4],
                 params[N_SHARED + 6]):
        factor = params[N_SHARED + 5]
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                W[i, j] += factor * (W0[i, j] - W[i, j])
                P[i, j] = 0.0
    n_pre = pre.shape[0]
    for i in range(W.shape[0]):
        d = delta[i]
        for j in range(n_pre):
            trace = induction_trace(P[i, j], d * pre[j], decay)
            P[i, j] = trace
            W[i, j] += eta * penalised(trace, W[i, j], l1, l2)
        if bias:
            trace = induction_trace(P[i, n_pre], d, decay)
            P[i, n_pre] = trace
            W[i, n_pre] += eta * penalised(trace, W[i, n_pre], l1, l2)


def _parameters(plasticity: ResetPlasticity, dt: float) -> tuple[float, ...]:
    """``(η, dt/τ_P, dt/window, dt/baseline, threshold, min_rise, factor, refractory steps)``."""
    return (plasticity.eta, dt / plasticity.tau_trace, dt / plasticity.window, dt / plasticity.baseline,
            plasticity.threshold, plasticity.min_rise, plasticity.factor, plasticity.refractory / dt)


register(Rule("reset", ResetPlasticity, slots=SLOTS, parameters=_parameters, step=reset_step, learning_rate="eta"))
