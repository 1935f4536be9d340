"""Natural gradient on the local gradient: a diagonal Fisher metric from presynaptic power.

A compartment predicts its soma with ``Σⱼ Wᵢⱼ xⱼ``; for a Gaussian prediction error the
Fisher information of the weight ``Wᵢⱼ`` is, up to the error's precision, the mean
square of its input ``⟨xⱼ²⟩``. Every plastic synapse keeps a running mean of its
presynaptic power, corrected for its start at 0, and divides the local gradient of the
prediction-error rule — its trace ``P``
(:func:`hippo.learning.prediction_error.induction_trace`) — by it:

    P ← P + (dt/τ_P)·(δ·x − P)
    F ← β·F + (1 − β)·x²,      F̂ = F/(1 − βᵗ)          # t: steps taken by the rule
    W ← W + η·(P/(F̂ + ε) − λ2·W − λ1·sign(W))          # η per step

In the optimal-control view of learning a metric ``G`` on the cost of moving turns the
short-horizon policy into ``θ̇ = −(ηk/γ)·G⁻¹∇L``: each direction relaxes at a rate set
by its curvature relative to its metric, so inputs of every power learn equally fast.

The module registers the rule ``"natural-gradient"`` (slots: the trace; the presynaptic
power, one per input, kept in the first row of its slot; the step count ``t``, kept in
the first entry of its slot). Per-synapse and per-input state plus one count per
projection, so a Brian2 translation is possible; none is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit

from hippo.config import bounds
from hippo.learning.prediction_error import induction_trace
from hippo.learning.rules import BETA_MAX, L1, L2, LEARNING_RATE, N_SHARED, Plasticity, Rule, penalised, register


@dataclass(frozen=True)
class NaturalGradientPlasticity(Plasticity):
    """Configuration of the natural-gradient rule.

    Attributes:
        eta: learning rate per step, in rate² per step (the gradient is divided by a
            presynaptic power); the rate a learning-rate schedule scales.
        tau_trace: time constant τ_P of the plasticity-induction trace (seconds).
        beta: decay of the presynaptic power's running mean per step (0 ≤ β ≤ 0.99999).
        epsilon: added to the power (rate²): bounds the step of a silent input.
        l1, l2: L1 and L2 penalties (per step, scaled by η).
    """

    rule: Literal["natural-gradient"] = "natural-gradient"
    eta: float = field(default=0.001, metadata=bounds(min=0.0))
    tau_trace: float = field(default=0.1, metadata=bounds(gt=0.0))
    beta: float = field(default=0.999, metadata=bounds(min=0.0, max=BETA_MAX))
    epsilon: float = field(default=0.01, metadata=bounds(gt=0.0))


@njit(inline="always")
def _synapse(W, P, i, j, gradient, scale, eta, l1, l2, decay):
    """One synapse's step: trace, weight (``scale``: ``1/(F̂ + ε)`` of its input)."""
    trace = induction_trace(P[i, j], gradient, decay)
    P[i, j] = trace
    W[i, j] += eta * penalised(trace * scale, W[i, j], l1, l2)


@njit(cache=True, fastmath=True, error_model="numpy")
def natural_gradient_step(W, S, delta, pre, post, bias, params):
    """One step of one projection, in place (Dale's law is applied by the caller).

    The power is a property of the input, the same for every synapse it makes: it is kept
    once per input, in the first row of its slot, and updated once per step.

    Args:
        W: ``(n_post, n_cols)`` weights (last column a bias when ``bias``).
        S: ``(3, n_post, n_cols)`` state: the trace ``P``, the presynaptic power ``F`` of
            each input in ``S[1, 0, :]``, the step count ``t`` in ``S[2, 0, 0]``.
        delta: ``(n_post,)`` local prediction errors.
        pre: ``(n_pre,)`` presynaptic rates.
        post: unused (the registry's signature).
        bias: whether the last column of ``W`` is a bias (input 1).
        params: ``[η, λ1, λ2, dt/τ_P, β, ε]``.
    """
    eta, l1, l2 = params[LEARNING_RATE], params[L1], params[L2]
    decay, beta, epsilon = params[N_SHARED], params[N_SHARED + 1], params[N_SHARED + 2]
    P, F = S[0], S[1, 0]
    steps = S[2, 0, 0] + 1.0
    S[2, 0, 0] = steps
    real = W.dtype.type  # every factor in the weights' precision, so float32 loops stay float32
    complement, correct = real(1) - beta, real(1.0 / (1.0 - beta ** steps))
    n_pre = pre.shape[0]
    scale = np.empty(W.shape[1], W.dtype)
    for j in range(W.shape[1]):
        x = pre[j] if j < n_pre else real(1)
        power = beta * F[j] + complement * x * x
        F[j] = power
        scale[j] = real(1) / (power * correct + epsilon)
    for i in range(W.shape[0]):
        d = delta[i]
        for j in range(n_pre):
            _synapse(W, P, i, j, d * pre[j], scale[j], eta, l1, l2, decay)
        if bias:
            _synapse(W, P, i, n_pre, d, scale[n_pre], eta, l1, l2, decay)


def _parameters(plasticity: NaturalGradientPlasticity, dt: float) -> tuple[float, ...]:
    """``(η, dt/τ_P, β, ε)``."""
    return plasticity.eta, dt / plasticity.tau_trace, plasticity.beta, plasticity.epsilon


register(Rule("natural-gradient", NaturalGradientPlasticity, slots=("trace", "power", "steps"),
              parameters=_parameters, step=natural_gradient_step, learning_rate="eta"))
