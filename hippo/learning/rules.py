"""The plasticity interface between circuits and learning cores.

A circuit engine knows only this: every plastic projection has a rule code, a row of
parameters (:func:`rule_parameters`), its weights ``W``, a trace ``P`` and an auxiliary
state ``A`` of the same shape, and each step it calls :func:`apply_rule` with the
postsynaptic compartment's local prediction error ``δ`` and the presynaptic rates.
Which learning core runs is decided here.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hippo.circuits.spec import Plasticity
from hippo.learning.bayesian_mechanics_rule import bayesian_mechanics_step
from hippo.learning.prediction_error import DALE_EXCITATORY, DALE_INHIBITORY, DALE_NONE, prediction_error_step

RULE_CODES = {"prediction-error": 0, "bayesian-mechanics": 1}
DALE_CODES = {"none": DALE_NONE, "excitatory": DALE_EXCITATORY, "inhibitory": DALE_INHIBITORY}
N_PARAMETERS = 10


def rule_parameters(plasticity: Plasticity, dale: str, dt: float) -> np.ndarray:
    """Parameter row ``[dt/τ_P, η, λ1, λ2, dale, m_w, m_z, α, γ, dt]`` for :func:`apply_rule`."""
    p = plasticity
    return np.array([dt / p.tau_trace, p.eta, p.l1, p.l2, DALE_CODES[dale], p.m_w, p.m_z, p.alpha, p.gamma, dt])


@njit(cache=True)
def apply_rule(rule, W, P, A, delta, pre, post, bias, params):
    """Advance the weights ``W`` of one projection by one step of its learning rule, in place.

    Args:
        rule: 0 prediction error (``P`` its plasticity-induction trace), 1 Bayesian
            mechanics (``A`` the weights' conjugate momenta).
        W, P, A: ``(n_post, n_pre + bias)`` weights and per-synapse states.
        delta: ``(n_post,)`` the compartment's local prediction error (in the role of
            ``s − g`` for Bayesian mechanics).
        pre: ``(n_pre,)`` presynaptic rates.
        post: ``(n_post,)`` somatic rates the compartment predicts (the target ``s``).
        bias: whether the last column of ``W`` is a bias (input 1).
        params: the row from :func:`rule_parameters`. Bayesian mechanics runs in real time
            with step ``dt`` and its own rates ``m_w, m_z, α, γ``, so ``η`` does not apply;
            ``m_w`` is the mass per presynaptic input, so each synapse of a projection
            with ``n_pre`` inputs has mass ``n_pre·m_w``. Its weights' scale is
            ``1/sqrt(n_pre)``, and the stiffness ``m_z |pre|²/(n_pre m_w)`` then depends on
            the inputs' mean square, not on their number.
    """
    if rule == 0:
        prediction_error_step(W, P, delta, pre, bias, params[0], params[1], params[2], params[3], int(params[4]))
    elif rule == 1:
        fan_in = pre.shape[0]
        if bias:
            extended = np.ones(pre.shape[0] + 1, pre.dtype)
            extended[:-1] = pre
            pre = extended
        bayesian_mechanics_step(W, A, delta, pre, post, params[9], params[5] * fan_in, params[6], params[7], params[8])
