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

Dynamics inside a theta-gated circuit
-------------------------------------
Write ``k = m_z/m_w`` and take ``α = 0``. Eliminating the momentum, each weight obeys

    ``Ẅ + 2γ Ẇ + γ² W = k·err·preᵀ``,

a damped oscillator driven by the error correlation. A compartment's error is nonzero
only while the other compartment drives the soma, a fraction ``f`` of each theta cycle
(``f = ½`` for a square gate; while the compartment drives the soma itself, its error
is 0 and the momentum only decays). When the weights move slowly compared with theta
and with the inputs' correlation time ``τ_c``, the drive averages to
``f k (⟨s μᵀ⟩ − W⟨μ μᵀ⟩)`` (averages over the phase in which the error is nonzero).
Each eigenmode ``c`` of ``⟨μ μᵀ⟩`` then has eigenvalues ``−γ ± i·ω``,
``ω = sqrt(f k c)``, and the fixed point is the ridge regression

    ``W* = ⟨s μᵀ⟩ (⟨μ μᵀ⟩ + ρ)⁻¹``,   ``ρ = γ²/(f k)``,

the seed's fixed point (:func:`hippo.learning.bayesian_mechanics.learning_fixed_point`
with ``α = 0``) with the error precision weighted by ``f``. With ``α ≠ 0`` it solves
``γ² m_w W = f m_z (⟨s μᵀ⟩ − W ⟨μ μᵀ⟩) + α γ m_w ⟨s μᵀ⟩_θ``, the last average taken
over the whole cycle, including the phase in which ``s`` is the compartment's own
output (a positive feedback). The damping ratio of a mode is ``ζ = sqrt(ρ/(ρ + c))``
and its shrinkage ``c/(c + ρ) = 1 − ζ²``: since the same ``γ`` damps the momentum and
decays the weight, a mode is either learned accurately (``c ≫ ρ``) and rings,
overshooting its fixed point by ``exp(−π ζ/sqrt(1 − ζ²))``, or damped and shrunk.
The theta switch itself is harmless as long as ``ω`` lies far below theta, but two
things limit the rule:

* the inputs' own fluctuations: the instantaneous stiffness ``k·pre·preᵀ`` varies over
  ``τ_c``, which pumps the oscillation (parametric resonance driven by the stream).
  Growth sets in between ``ω²·τ_c ≈ γ/2`` and ``γ``; keep ``ω²·τ_c`` well below.
  Fast weights (``ω ≫ 1/τ_c``) do not escape it: the stiffness has rank one along
  the current input, so momentum along the other directions is free and drifts.
* weights whose fixed point lies near an edge: a recurrent weight learning a slow
  generative dynamics has a fixed point just inside spectral radius 1 and crosses it
  when it overshoots, after which generated activity grows within each sleep phase.
  Such projections need damping ratios of about 0.4 or more, which costs shrinkage.

The defaults in :class:`hippo.circuits.spec.Plasticity` follow from these bounds.
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
