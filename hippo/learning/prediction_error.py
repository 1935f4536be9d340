"""Prediction-error learning core: dendritic prediction of somatic activity.

Every dendritic compartment learns to predict its own soma. For a plastic projection
``W`` (``n_post × n_pre``, plus a last column when it has a bias, whose input is 1) into
a compartment with potential ``V``, rate ``r_comp = φ(V)`` and soma rate ``r_soma``:

    δ  = (r_soma − r_comp) · φ′(V)                # local prediction error
    P ← P + (dt/τ_P) · (δ ⊗ I − P)                 # plasticity-induction trace
    W ← W + η · (P − λ2·W − λ1·sign(W))            # η per step

With ``F = ½ Σ Π (r_soma − r_comp)²`` this is the local gradient step ``−∂F/∂W`` (the
precision Π folded into η) smoothed over τ_P: the free-energy view of the rule. Because
θ switches the soma between its basal and apical compartments, the basal weights learn
to match top-down samples and the apical weights to match bottom-up inference: a
wake–sleep algorithm at theta frequency.

The functions are compiled with numba and run on plain arrays; the rate engine calls
them from inside its own compiled loop, and tests call them from Python. The module
registers the rule with :mod:`hippo.learning.rules` (one state slot, the trace ``P``;
its Brian2 translation is :data:`hippo.learning.spiking_rule.PREDICTION_ERROR`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from numba import njit

from hippo.config import bounds
from hippo.learning import spiking_rule
from hippo.learning.rules import L1, L2, LEARNING_RATE, N_SHARED, Plasticity, Rule, l2_penalised, penalised, register


@dataclass(frozen=True)
class PredictionErrorPlasticity(Plasticity):
    """Configuration of the prediction-error rule.

    Attributes:
        eta: learning rate per step (the rate a learning-rate schedule scales).
        tau_trace: time constant τ_P of the plasticity-induction trace (seconds).
        l1, l2: L1 and L2 penalties (per step, scaled by η).
    """

    rule: Literal["prediction-error"] = "prediction-error"
    eta: float = field(default=0.01, metadata=bounds(min=0.0))
    tau_trace: float = field(default=0.1, metadata=bounds(gt=0.0))


@njit(inline="always")
def local_error(r_soma, r_comp, dphi):
    """The local prediction error ``δ = (r_soma − r_comp)·φ′(V)`` of one compartment unit."""
    return (r_soma - r_comp) * dphi


@njit(inline="always")
def induction_trace(trace, gradient, decay):
    """One step of the plasticity-induction trace, ``P + (dt/τ_P)·(δ·x − P)``: the local gradient every rule reads.

    Args:
        trace: the synapse's trace ``P`` before the step.
        gradient: ``δ·x``, the compartment unit's local error times the presynaptic rate (1 for a bias).
        decay: ``dt/τ_P`` (dimensionless).

    Returns:
        The trace after the step.
    """
    return trace + decay * (gradient - trace)


@njit(cache=True, fastmath=True)
def prediction_error_step(W, P, delta, pre, bias, decay, eta, l1, l2):
    """One step of the rule, in place (Dale's law is applied by the caller: :func:`hippo.learning.rules.apply_dale`).

    Args:
        W: ``(n_post, n_cols)`` weights; ``n_cols = n_pre + 1`` with a bias, else ``n_pre``.
        P: plasticity-induction trace, same shape as ``W``.
        delta: ``(n_post,)`` local prediction errors.
        pre: ``(n_pre,)`` presynaptic rates.
        bias: whether the last column of ``W`` is a bias (input 1).
        decay: ``dt/τ_P`` (dimensionless).
        eta: learning rate per step.
        l1, l2: L1 and L2 penalties.
    """
    n_pre = pre.shape[0]
    for i in range(W.shape[0]):
        d = delta[i]
        if l1 == 0.0:
            for j in range(n_pre):
                trace = induction_trace(P[i, j], d * pre[j], decay)
                P[i, j] = trace
                W[i, j] += eta * l2_penalised(trace, W[i, j], l2)
        else:
            for j in range(n_pre):
                trace = induction_trace(P[i, j], d * pre[j], decay)
                P[i, j] = trace
                W[i, j] += eta * penalised(trace, W[i, j], l1, l2)
        if bias:
            trace = induction_trace(P[i, n_pre], d, decay)
            P[i, n_pre] = trace
            W[i, n_pre] += eta * penalised(trace, W[i, n_pre], l1, l2)


def _parameters(plasticity: PredictionErrorPlasticity, dt: float) -> tuple[float, float]:
    """``(η, dt/τ_P)``."""
    return plasticity.eta, dt / plasticity.tau_trace


@njit(cache=True)
def _step(W, S, delta, pre, post, bias, params):
    """The registered step: slot 0 of ``S`` is the trace ``P``; ``params = [η, λ1, λ2, dt/τ_P]``."""
    prediction_error_step(W, S[0], delta, pre, bias, params[N_SHARED], params[LEARNING_RATE], params[L1], params[L2])


register(Rule("prediction-error", PredictionErrorPlasticity, slots=("trace",), parameters=_parameters, step=_step,
              learning_rate="eta", spiking=spiking_rule.PREDICTION_ERROR))
