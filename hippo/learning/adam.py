"""Adam on the local gradient: moment estimates of the landscape's slope and scale.

Every plastic synapse reads the local gradient of the prediction-error rule, its
plasticity-induction trace ``P`` (:func:`hippo.learning.prediction_error.induction_trace`),
and keeps running means of it and of its square, corrected for their start at 0:

    P ← P + (dt/τ_P)·(δ·x − P)
    m ← β₁·m + (1 − β₁)·P,     v ← β₂·v + (1 − β₂)·P²
    m̂ = m/(1 − β₁ᵗ),           v̂ = v/(1 − β₂ᵗ)        # t: steps taken by the rule
    W ← W + η·(m̂/(√v̂ + ε) − λ2·W − λ1·sign(W))         # η per step

The first moment is momentum (the long-horizon policy), the division by the root of
the second the square-root preconditioning of the undiscounted policy; read as online
inference of the landscape's shape, ``m̂`` estimates the slope and ``v̂`` its scale.
With ``β₁ = 0`` and ``ε`` much larger than ``√v̂`` it is the prediction-error rule with
learning rate ``η/ε``.

The module registers the rule ``"adam"`` (slots: the trace, the two moments and the
step count ``t``, kept in the first entry of its slot) with its Brian2 translation: once
per plasticity window of a spiking engine the same updates, with the window's local
gradient ``δ̄·x`` for ``δ·x`` and the penalties acting for the window's plastic fraction
(:mod:`hippo.learning.spiking_rule`); there every synapse counts its steps (all count
alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit

from hippo.config import bounds
from hippo.learning.prediction_error import induction_trace
from hippo.learning.rules import (BETA_MAX, L1, L2, LEARNING_RATE, N_SHARED, Plasticity, Rule, SpikingTranslation,
                                  WindowTerms, penalised, register)


@dataclass(frozen=True)
class AdamPlasticity(Plasticity):
    """Configuration of the Adam rule.

    Attributes:
        eta: learning rate per step, in weight units per step (the gradient is normalised);
            the rate a learning-rate schedule scales.
        tau_trace: time constant τ_P of the plasticity-induction trace (seconds).
        beta1: decay of the first moment per step (0 ≤ β₁ ≤ 0.99999).
        beta2: decay of the second moment per step (0 ≤ β₂ ≤ 0.99999).
        epsilon: added to the root of the second moment (gradient units).
        l1, l2: L1 and L2 penalties (per step, scaled by η).
    """

    rule: Literal["adam"] = "adam"
    eta: float = field(default=1e-4, metadata=bounds(min=0.0))
    tau_trace: float = field(default=0.1, metadata=bounds(gt=0.0))
    beta1: float = field(default=0.9, metadata=bounds(min=0.0, max=BETA_MAX))
    beta2: float = field(default=0.999, metadata=bounds(min=0.0, max=BETA_MAX))
    epsilon: float = field(default=1e-8, metadata=bounds(gt=0.0))


@njit(inline="always")
def _synapse(W, P, M, V, i, j, gradient, eta, l1, l2, decay, beta1, beta2, complement1, complement2, correct1,
             correct2, epsilon):
    """One synapse's step: trace, moments, weight (``complement``: ``1 − β``; ``correct``: ``1/(1 − βᵗ)``)."""
    trace = induction_trace(P[i, j], gradient, decay)
    P[i, j] = trace
    first = beta1 * M[i, j] + complement1 * trace
    second = beta2 * V[i, j] + complement2 * trace * trace
    M[i, j] = first
    V[i, j] = second
    W[i, j] += eta * penalised(first * correct1 / (np.sqrt(second * correct2) + epsilon), W[i, j], l1, l2)


@njit(cache=True, fastmath=True, error_model="numpy")
def adam_step(W, S, delta, pre, post, bias, params):
    """One step of one projection, in place (Dale's law is applied by the caller).

    Args:
        W: ``(n_post, n_cols)`` weights (last column a bias when ``bias``).
        S: ``(4, n_post, n_cols)`` state: the trace ``P``, the moments ``m`` and ``v``,
            and the step count ``t`` in ``S[3, 0, 0]``.
        delta: ``(n_post,)`` local prediction errors.
        pre: ``(n_pre,)`` presynaptic rates.
        post: unused (the registry's signature).
        bias: whether the last column of ``W`` is a bias (input 1).
        params: ``[η, λ1, λ2, dt/τ_P, β₁, β₂, ε]``.
    """
    eta, l1, l2 = params[LEARNING_RATE], params[L1], params[L2]
    decay, beta1, beta2, epsilon = params[N_SHARED], params[N_SHARED + 1], params[N_SHARED + 2], params[N_SHARED + 3]
    P, M, V = S[0], S[1], S[2]
    steps = S[3, 0, 0] + 1.0
    S[3, 0, 0] = steps
    real = W.dtype.type  # every factor in the weights' precision, so float32 loops stay float32
    complement1, complement2 = real(1) - beta1, real(1) - beta2
    correct1, correct2 = real(1.0 / (1.0 - beta1 ** steps)), real(1.0 / (1.0 - beta2 ** steps))
    n_pre = pre.shape[0]
    for i in range(W.shape[0]):
        d = delta[i]
        for j in range(n_pre):
            _synapse(W, P, M, V, i, j, d * pre[j], eta, l1, l2, decay, beta1, beta2, complement1, complement2,
                     correct1, correct2, epsilon)
        if bias:
            _synapse(W, P, M, V, i, n_pre, d, eta, l1, l2, decay, beta1, beta2, complement1, complement2,
                     correct1, correct2, epsilon)


def _parameters(plasticity: AdamPlasticity, dt: float) -> tuple[float, ...]:
    """``(η, dt/τ_P, β₁, β₂, ε)``."""
    return plasticity.eta, dt / plasticity.tau_trace, plasticity.beta1, plasticity.beta2, plasticity.epsilon


def _spiking_step(terms: WindowTerms) -> list[tuple[str, str]]:
    """Trace, moments, step count and weight increments, once per plasticity window (Brian2 expressions)."""
    trace, first, second, steps = (terms.state[s] for s in ("trace", "first_moment", "second_moment", "steps"))
    beta1, beta2 = terms.parameter("beta1"), terms.parameter("beta2")
    # at least one step in the corrections: a frozen projection that never learned has a count of 0, and
    # its (zero) increment must not be 0/0
    taken = f"clip({steps}, 1, inf)"
    corrected = f"({first}/(1 - {beta1}**{taken}))/(sqrt({second}/(1 - {beta2}**{taken})) + {terms.parameter('eps')})"
    return [(trace, f"{terms.parameter('decay')}*({terms.gradient} - {trace})"),
            (first, f"(1 - {beta1})*({trace} - {first})"),
            (second, f"(1 - {beta2})*({trace}*{trace} - {second})"),
            (steps, "1"),
            (terms.weight, f"{terms.parameter('eta')}*({corrected} - {terms.penalty})")]


register(Rule("adam", AdamPlasticity, slots=("trace", "first_moment", "second_moment", "steps"),
              parameters=_parameters, step=adam_step, learning_rate="eta",
              spiking=SpikingTranslation(state={"trace": "P", "first_moment": "M1", "second_moment": "M2",
                                                "steps": "Nsteps"},
                                         parameters=("decay", "beta1", "beta2", "eps"), step=_spiking_step)))
