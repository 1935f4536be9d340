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
them from inside its own compiled loop, and tests call them from Python.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DALE_NONE, DALE_EXCITATORY, DALE_INHIBITORY = 0, 1, 2


@njit(cache=True, fastmath=True)
def local_error(r_soma, r_comp, dphi, out):
    """Write ``δ = (r_soma − r_comp)·φ′(V)`` into ``out`` (all ``(n,)``)."""
    for i in range(out.shape[0]):
        out[i] = (r_soma[i] - r_comp[i]) * dphi[i]


@njit(cache=True, fastmath=True)
def prediction_error_step(W, P, delta, pre, bias, decay, eta, l1, l2, dale):
    """One step of the rule, in place.

    Args:
        W: ``(n_post, n_cols)`` weights; ``n_cols = n_pre + 1`` with a bias, else ``n_pre``.
        P: plasticity-induction trace, same shape as ``W``.
        delta: ``(n_post,)`` local prediction errors.
        pre: ``(n_pre,)`` presynaptic rates.
        bias: whether the last column of ``W`` is a bias (input 1).
        decay: ``dt/τ_P`` (dimensionless).
        eta: learning rate per step.
        l1, l2: L1 and L2 penalties.
        dale: 0 none, 1 excitatory (W ≥ 0), 2 inhibitory (W ≤ 0).
    """
    n_pre = pre.shape[0]
    for i in range(W.shape[0]):
        d = delta[i]
        if l1 == 0.0:
            for j in range(n_pre):
                trace = P[i, j] + decay * (d * pre[j] - P[i, j])
                P[i, j] = trace
                W[i, j] += eta * (trace - l2 * W[i, j])
        else:
            for j in range(n_pre):
                trace = P[i, j] + decay * (d * pre[j] - P[i, j])
                P[i, j] = trace
                W[i, j] += eta * (trace - l2 * W[i, j] - l1 * np.sign(W[i, j]))
        if bias:
            trace = P[i, n_pre] + decay * (d - P[i, n_pre])
            P[i, n_pre] = trace
            W[i, n_pre] += eta * (trace - l2 * W[i, n_pre] - l1 * np.sign(W[i, n_pre]))
    if dale == DALE_EXCITATORY:
        np.maximum(W, 0.0, W)
    elif dale == DALE_INHIBITORY:
        np.minimum(W, 0.0, W)
