"""RMSprop on the local gradient: the "ballistic" policy of loss-landscape navigation.

Every plastic synapse reads the local gradient of the prediction-error rule, its
plasticity-induction trace ``P`` (:func:`hippo.learning.prediction_error.induction_trace`),
keeps a running mean of its square and divides by its root:

    P ← P + (dt/τ_P)·(δ·x − P)
    s ← β₂·s + (1 − β₂)·P²
    W ← W + η·(P/√(s + ε) − λ2·W − λ1·sign(W))   # η per step

In the optimal-control view of learning (cost ``(1/2η)|θ̇|²`` for moving plus ``k·L``
for loss, discounted at rate ``γ``) the undiscounted (``γ = 0``) policy on a quadratic
of curvature ``h`` relaxes at rate ``√(ηkh)``, a square-root preconditioning; this rule
is the optimiser of that "ballistic" regime (no first moment, no bias correction: the
running mean starts at 0, so the first steps are up to ``1/√(1 − β₂)`` times the
normalised gradient). With ``ε`` much larger than ``s`` it is the prediction-error rule
with learning rate ``η/√ε``.

The module registers the rule ``"rmsprop"`` (slots: the trace, the mean square).
Per-synapse state only, so a Brian2 translation is possible; none is built.
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
class RMSpropPlasticity(Plasticity):
    """Configuration of the RMSprop ("ballistic") rule.

    Attributes:
        eta: learning rate per step, in weight units per step (the gradient is normalised);
            the rate a learning-rate schedule scales.
        tau_trace: time constant τ_P of the plasticity-induction trace (seconds).
        beta2: decay of the mean square per step (0 ≤ β₂ ≤ 0.99999).
        epsilon: added to the mean square under the root (gradient units squared).
        l1, l2: L1 and L2 penalties (per step, scaled by η).
    """

    rule: Literal["rmsprop"] = "rmsprop"
    eta: float = field(default=1e-4, metadata=bounds(min=0.0))
    tau_trace: float = field(default=0.1, metadata=bounds(gt=0.0))
    beta2: float = field(default=0.999, metadata=bounds(min=0.0, max=BETA_MAX))
    epsilon: float = field(default=1e-8, metadata=bounds(gt=0.0))


@njit(inline="always")
def _synapse(W, P, M, i, j, gradient, eta, l1, l2, decay, beta2, complement, epsilon):
    """One synapse's step: trace, mean square, weight (``complement``: ``1 − β₂``)."""
    trace = induction_trace(P[i, j], gradient, decay)
    P[i, j] = trace
    square = beta2 * M[i, j] + complement * trace * trace
    M[i, j] = square
    W[i, j] += eta * penalised(trace / np.sqrt(square + epsilon), W[i, j], l1, l2)


@njit(cache=True, fastmath=True, error_model="numpy")
def rmsprop_step(W, S, delta, pre, post, bias, params):
    """One step of one projection, in place (Dale's law is applied by the caller).

    Args:
        W: ``(n_post, n_cols)`` weights (last column a bias when ``bias``).
        S: ``(2, n_post, n_cols)`` state: the trace ``P``, the mean square ``s``.
        delta: ``(n_post,)`` local prediction errors.
        pre: ``(n_pre,)`` presynaptic rates.
        post: unused (the registry's signature).
        bias: whether the last column of ``W`` is a bias (input 1).
        params: ``[η, λ1, λ2, dt/τ_P, β₂, ε]``.
    """
    eta, l1, l2 = params[LEARNING_RATE], params[L1], params[L2]
    decay, beta2, epsilon = params[N_SHARED], params[N_SHARED + 1], params[N_SHARED + 2]
    complement = W.dtype.type(1) - beta2  # in the weights' precision, so float32 loops stay float32
    P, M = S[0], S[1]
    n_pre = pre.shape[0]
    for i in range(W.shape[0]):
        d = delta[i]
        for j in range(n_pre):
            _synapse(W, P, M, i, j, d * pre[j], eta, l1, l2, decay, beta2, complement, epsilon)
        if bias:
            _synapse(W, P, M, i, n_pre, d, eta, l1, l2, decay, beta2, complement, epsilon)


def _parameters(plasticity: RMSpropPlasticity, dt: float) -> tuple[float, ...]:
    """``(η, dt/τ_P, β₂, ε)``."""
    return plasticity.eta, dt / plasticity.tau_trace, plasticity.beta2, plasticity.epsilon


register(Rule("rmsprop", RMSpropPlasticity, slots=("trace", "mean_square"), parameters=_parameters,
              step=rmsprop_step, learning_rate="eta"))
