r"""Bayesian-mechanics plasticity as a per-synapse, per-time-step rule for circuits.

Each plastic synapse carries a weight ``W_ij`` and its conjugate momentum ``p_ij``
(the weight prediction error of :mod:`hippo.learning.bayesian_mechanics`). A
compartment receives presynaptic rates ``pre`` (``(n_pre,)``, with a trailing 1 when it
has a bias), predicts its soma with its own rate and reports its local prediction
error ``err`` (``(n_post,)``); ``post`` (``(n_post,)``) is the somatic rate it predicts.

Mapping onto the generative model
---------------------------------
In the standalone model the weight relays the presynaptic cause ``μ`` to the
postsynaptic prediction ``g = wμ`` of the signal ``s``. Per synapse:

* ``μ ↦ pre_j`` — the presynaptic rate is what the weight carries;
* ``s ↦ post_i`` — the somatic rate, the signal the compartment learns to predict;
* ``s − g ↦ err_i`` — the compartment's local prediction error (for a linear
  compartment exactly ``post − W·pre`` summed over all its inputs).

With this mapping the Hebbian term ``α s μ`` correlates the postsynaptic target with
the presynaptic rate — Hebbian in the proper sense, post × pre — and the fixed point
of the rule is the fixed point of the seed's learning equations with ``s μᵀ`` and
``μ μᵀ`` replaced by their averages over the stream
(:func:`hippo.learning.bayesian_mechanics.learning_fixed_point`). Mapping ``s`` to the
error instead would turn the Hebbian term into a second delta rule; recovering ``s`` as
``W·pre + err`` would be wrong for a compartment fed by several projections, whose
prediction sums over all of them. With ``alpha = 0`` the rule is purely error-driven
and ``post`` is not read.

Causal form of the momentum equation
------------------------------------
The seed's eq. 4, ``ṗ = −p ∂h/∂w − m_z (s − g) ∂g/∂w = γ p − m_z err preᵀ``, run
forward in time is the unstable direction of a saddle (see the module above): a synapse
integrating it online drives its weight away from the target. On the least-action
path the momentum is instead the discounted *future* error correlation,
``p(t) = m_z ∫_t^∞ e^{−γ(t'−t)} err(t') pre(t')ᵀ dt'``. A synapse only has the past, so
the rule uses the same discounted sum over the past,

    ``ṗ = −γ p + m_z err preᵀ``,

which is eq. 4 with time reversed. For a stationary stream both sums have the same
mean, so the rule keeps the fixed point ``(W*, p*)`` of the least-action equations
while being stable forward in time: linearised around it, each mode decays at rate
``γ`` while oscillating at ``sqrt(m_z c / m_w)`` (``c`` an eigenvalue of
``⟨pre preᵀ⟩``). The weight equation is the seed's eq. 3 unchanged:

    ``Ẇ = p / m_w + α s preᵀ − γ W``.

Discretisation: semi-implicit (symplectic) Euler — the momentum is advanced first, and
the weight is advanced with the new momentum. Stable when ``dt·γ < 1`` and
``dt·sqrt(m_z c_max / m_w) < 2``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def bayesian_mechanics_step(W: np.ndarray, p_W: np.ndarray, err: np.ndarray, pre: np.ndarray, post: np.ndarray,
                            dt: float, m_w: float, m_z: float, alpha: float, gamma: float) -> None:
    """Advance weights and momenta of one projection by one step, in place.

    Args:
        W: ``(n_post, n_pre)`` float64 weights, updated in place.
        p_W: ``(n_post, n_pre)`` float64 momenta (weight prediction errors), updated in place.
        err: ``(n_post,)`` local prediction error of the postsynaptic compartment, ``s − g``.
        pre: ``(n_pre,)`` presynaptic rates ``μ`` (a trailing 1 for a bias).
        post: ``(n_post,)`` postsynaptic target ``s`` (the somatic rate the compartment predicts).
        dt: time step (s).
        m_w: precision of the weight dynamics (the weight's "mass").
        m_z: precision of the prediction error.
        alpha: Hebbian rate ``α`` (1/s per unit of post × pre).
        gamma: Miller–MacKay decay ``γ`` of weights and momenta (1/s).
    """
    n_post, n_pre = W.shape
    for i in range(n_post):
        for j in range(n_pre):
            p_W[i, j] += dt * (m_z * err[i] * pre[j] - gamma * p_W[i, j])
            W[i, j] += dt * (p_W[i, j] / m_w + alpha * post[i] * pre[j] - gamma * W[i, j])
