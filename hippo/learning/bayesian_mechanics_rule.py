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

The defaults of :class:`BayesianMechanicsPlasticity` follow from these bounds. The module
registers the rule with :mod:`hippo.learning.rules` (one state slot, the momenta).

On the spiking engines
----------------------
Once per plasticity window of Δ seconds (:mod:`hippo.learning.spiking_rule`) each
synapse takes the same semi-implicit step with the window's mean error ``δ̄`` for
``err``, the presynaptic and postsynaptic decoded rates at the window's start for
``pre`` and ``s``, and the window's plastic fraction ``f`` (the error is integrated only
while plasticity is on, so ``δ̄ ≈ f·err``):

    ``p ← p + Δ (m_z δ̄ pre − γ p)``
    ``W ← W + Δ (p/m_w + f (α s pre − γ W) − f (λ2 W + λ1 sign W))``

The momentum then settles at ``f`` times its rate-engine value, and the terms of the
weight equation that do not pass through the error act with the same ``f``, so the
fixed point ``(W*)`` is the rate rule's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numba import njit

from hippo.config import bounds
from hippo.learning.rules import (L1, L2, LEARNING_RATE, N_SHARED, Plasticity, Rule, SpikingTranslation, WindowTerms,
                                  penalised, register)


@dataclass(frozen=True)
class BayesianMechanicsPlasticity(Plasticity):
    """Configuration of the Bayesian-mechanics rule (runs in real time, step ``dt``).

    Attributes:
        m_w: inertial mass of the weights per presynaptic input (s): a synapse of a
            projection with ``n`` inputs has mass ``n·m_w``, as its initial weights have
            variance ``∝ 1/n``.
        m_z: precision of the compartment's prediction error (1/(s·rate²)); the rate a
            learning-rate schedule scales.
        alpha: Hebbian coefficient of the learning force ``α s μ − γ W`` (1/(s·rate²)).
        gamma: decay rate ``γ`` of weights and momenta (1/s).
        l1, l2: L1 and L2 penalties (1/s), added to the weight equation.

    The defaults suit circuits with rates of order 0.1–1, dt = 25 ms, theta at 5 Hz and
    inputs correlated over about a second. Averaged over the stream and the theta cycle,
    each mode of a projection (eigenvalue ``c`` of ``⟨μ μᵀ⟩``) is a damped oscillator
    with decay rate ``γ``, frequency ``ω = sqrt(f·m_z·c/(n·m_w))``, damping ratio
    ``sqrt(ρ/(ρ + c))`` and fixed point ``W* = ⟨s μᵀ⟩ (⟨μ μᵀ⟩ + ρ)⁻¹``, where
    ``ρ = γ²·n·m_w/(f·m_z)`` and ``f = ½`` is the fraction of the theta cycle in which
    the compartment's target is the other compartment (derivation above). One number,
    the ridge per input ``ρ/n``, thus sets both how much a mode is shrunk and how much it
    overshoots:

    * ``γ = 0.002/s``: weights and momenta relax over ``1/γ = 500 s``, a quarter of a
      30-minute training run; the momentum averages the error over thousands of theta
      cycles.
    * ``m_w/m_z = 2000 s²·rate²`` per input, so ``ρ/n = γ²·m_w/(f·m_z) = 0.016``: modes
      with ``c ≤ 5ρ`` keep a damping ratio of at least 0.4 and overshoot their fixed
      point by at most a quarter, which keeps a recurrent weight learning a slow generative
      dynamics (fixed point just inside the stability edge) from crossing it. Every
      mode's frequency stays far below theta (``ω ≪ π·5 Hz``) and within the discrete
      limit (``dt·ω ≪ 2``), and slow enough (``ω²·τ_c < γ/4`` for ``c < 125 ρ``, ``τ_c``
      = 1 s) that the inputs' fluctuations do not pump the oscillation.
    * ``α = 0``: the fixed point is the ridge regression above. A Hebbian term adds
      ``α·γ·n·m_w ⟨s μᵀ⟩`` (averaged over the whole cycle) to ``f·m_z ⟨s μᵀ⟩`` and, in the
      half cycle where the compartment drives its own soma (``s`` is then its own
      output), feeds back positively.
    """

    rule: Literal["bayesian-mechanics"] = "bayesian-mechanics"
    m_w: float = field(default=2000.0, metadata=bounds(gt=0.0))
    m_z: float = field(default=1.0, metadata=bounds(min=0.0))
    alpha: float = field(default=0.0)
    gamma: float = field(default=0.002, metadata=bounds(min=0.0))


@njit(cache=True)
def bayesian_mechanics_step(W: np.ndarray, p_W: np.ndarray, err: np.ndarray, pre: np.ndarray, post: np.ndarray,
                            dt: float, m_w: float, m_z: float, alpha: float, gamma: float,
                            l1: float = 0.0, l2: float = 0.0) -> None:
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
        l1, l2: L1 and L2 penalties of the weight equation (1/s).
    """
    n_post, n_pre = W.shape
    for i in range(n_post):
        for j in range(n_pre):
            p_W[i, j] += dt * (m_z * err[i] * pre[j] - gamma * p_W[i, j])
            W[i, j] += dt * penalised(p_W[i, j] / m_w + alpha * post[i] * pre[j] - gamma * W[i, j], W[i, j], l1, l2)


def _parameters(plasticity: BayesianMechanicsPlasticity, dt: float) -> tuple[float, ...]:
    """``(m_z, dt, m_w, α, γ)``."""
    return plasticity.m_z, dt, plasticity.m_w, plasticity.alpha, plasticity.gamma


@njit(cache=True)
def _step(W, S, delta, pre, post, bias, params):
    """The registered step: slot 0 of ``S`` holds the momenta; ``params = [m_z, λ1, λ2, dt, m_w, α, γ]``.

    ``m_w`` is the mass per presynaptic input, so each synapse of a projection with
    ``n_pre`` inputs has mass ``n_pre·m_w``. Its weights' scale is ``1/sqrt(n_pre)``, and
    the stiffness ``m_z |pre|²/(n_pre m_w)`` then depends on the inputs' mean square,
    not on their number.
    """
    fan_in = pre.shape[0]
    if bias:
        extended = np.ones(pre.shape[0] + 1, pre.dtype)
        extended[:-1] = pre
        pre = extended
    bayesian_mechanics_step(W, S[0], delta, pre, post, params[N_SHARED], params[N_SHARED + 1] * fan_in,
                            params[LEARNING_RATE], params[N_SHARED + 2], params[N_SHARED + 3], params[L1], params[L2])


def _spiking_step(terms: WindowTerms) -> list[tuple[str, str]]:
    """Momentum, then weight increments, once per plasticity window (Brian2 expressions; the module docstring)."""
    momentum, step = terms.state["momentum"], terms.parameter("dt_rule")
    gamma = terms.parameter("gamma_decay")
    force = f"{terms.parameter('alpha_hebb')}*{terms.post}*{terms.pre} - {gamma}*{terms.weight}"
    mass = f"{terms.parameter('mass')}*{terms.parameter('fan_in')}"
    return [(momentum, f"{step}*({terms.parameter('eta')}*{terms.gradient} - {gamma}*{momentum})"),
            (terms.weight, f"{step}*({momentum}/({mass}) + {terms.fraction}*({force}) - {terms.penalty})")]


register(Rule("bayesian-mechanics", BayesianMechanicsPlasticity, slots=("momentum",), parameters=_parameters,
              step=_step, learning_rate="m_z",
              spiking=SpikingTranslation(state={"momentum": "Pm"}, parameters=("dt_rule", "mass", "alpha_hebb", "gamma_decay"),
                                         step=_spiking_step)))
