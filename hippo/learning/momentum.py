"""Momentum on the local gradient: the long-horizon policy of loss-landscape navigation.

Every plastic synapse reads the same local gradient as the prediction-error rule, its
plasticity-induction trace ``P`` (:func:`hippo.learning.prediction_error.induction_trace`),
and averages it into a velocity before moving its weight:

    P ← P + (dt/τ_P)·(δ·x − P)
    v ← β·v + (1 − β)·P
    W ← W + η·(v − λ2·W − λ1·sign(W))            # η per step

The velocity is an exponential average, so a gradient that holds still moves the
weight at the plain rule's speed ``η·P``; a gradient that keeps its sign over
``1/(1 − β)`` steps is followed with inertia, and one that flips is damped. With
``β = 0`` the rule is the prediction-error rule. In the optimal-control view of
learning (cost ``(1/2η)|θ̇|²`` for moving plus ``k·L`` for loss, discounted at rate
``γ``) gradient descent is the short-horizon limit and momentum the long-horizon one.

The module registers the rule ``"momentum"`` (slots: the trace, the velocity) with its
Brian2 translation: once per plasticity window of a spiking engine the same three
updates, with the window's local gradient ``δ̄·x`` for ``δ·x`` and the penalties acting
for the window's plastic fraction (:mod:`hippo.learning.spiking_rule`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from numba import njit

from hippo.config import bounds
from hippo.learning.prediction_error import induction_trace
from hippo.learning.rules import (BETA_MAX, L1, L2, LEARNING_RATE, N_SHARED, Plasticity, Rule, SpikingTranslation,
                                  WindowTerms, penalised, register)


@dataclass(frozen=True)
class MomentumPlasticity(Plasticity):
    """Configuration of the momentum rule.

    Attributes:
        eta: learning rate per step (the rate a learning-rate schedule scales).
        tau_trace: time constant τ_P of the plasticity-induction trace (seconds).
        beta: decay of the velocity per step (0 ≤ β ≤ 0.99999; 0 is the prediction-error rule).
        l1, l2: L1 and L2 penalties (per step, scaled by η).
    """

    rule: Literal["momentum"] = "momentum"
    eta: float = field(default=0.01, metadata=bounds(min=0.0))
    tau_trace: float = field(default=0.1, metadata=bounds(gt=0.0))
    beta: float = field(default=0.9, metadata=bounds(min=0.0, max=BETA_MAX))


@njit(inline="always")
def _synapse(W, P, V, i, j, gradient, eta, l1, l2, decay, beta, complement):
    """One synapse's step: trace, velocity, weight (``complement``: ``1 − β``)."""
    trace = induction_trace(P[i, j], gradient, decay)
    P[i, j] = trace
    velocity = beta * V[i, j] + complement * trace
    V[i, j] = velocity
    W[i, j] += eta * penalised(velocity, W[i, j], l1, l2)


@njit(cache=True, fastmath=True, error_model="numpy")
def momentum_step(W, S, delta, pre, post, bias, params):
    """One step of one projection, in place (Dale's law is applied by the caller).

    Args:
        W: ``(n_post, n_cols)`` weights (last column a bias when ``bias``).
        S: ``(2, n_post, n_cols)`` state: the trace ``P``, the velocity ``v``.
        delta: ``(n_post,)`` local prediction errors.
        pre: ``(n_pre,)`` presynaptic rates.
        post: unused (the registry's signature).
        bias: whether the last column of ``W`` is a bias (input 1).
        params: ``[η, λ1, λ2, dt/τ_P, β]``.
    """
    eta, l1, l2 = params[LEARNING_RATE], params[L1], params[L2]
    decay, beta = params[N_SHARED], params[N_SHARED + 1]
    complement = W.dtype.type(1) - beta  # in the weights' precision, so float32 loops stay float32
    P, V = S[0], S[1]
    n_pre = pre.shape[0]
    for i in range(W.shape[0]):
        d = delta[i]
        for j in range(n_pre):
            _synapse(W, P, V, i, j, d * pre[j], eta, l1, l2, decay, beta, complement)
        if bias:
            _synapse(W, P, V, i, n_pre, d, eta, l1, l2, decay, beta, complement)


def _parameters(plasticity: MomentumPlasticity, dt: float) -> tuple[float, ...]:
    """``(η, dt/τ_P, β)``."""
    return plasticity.eta, dt / plasticity.tau_trace, plasticity.beta


def _spiking_step(terms: WindowTerms) -> list[tuple[str, str]]:
    """Trace, velocity and weight increments, once per plasticity window (Brian2 expressions)."""
    trace, velocity = terms.state["trace"], terms.state["velocity"]
    return [(trace, f"{terms.parameter('decay')}*({terms.gradient} - {trace})"),
            (velocity, f"(1 - {terms.parameter('beta_v')})*({trace} - {velocity})"),
            (terms.weight, f"{terms.parameter('eta')}*({velocity} - {terms.penalty})")]


register(Rule("momentum", MomentumPlasticity, slots=("trace", "velocity"), parameters=_parameters,
              step=momentum_step, learning_rate="eta",
              spiking=SpikingTranslation(state={"trace": "P", "velocity": "Vel"}, parameters=("decay", "beta_v"),
                                         step=_spiking_step)))
