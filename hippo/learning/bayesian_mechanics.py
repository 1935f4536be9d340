r"""Bayesian mechanics of perception, action and learning (Kim).

Perception, motor behaviour and learning are treated as one least-action problem over
neural variables and their conjugate momenta; the momenta are the prediction errors.
This module implements a minimal generative model of that kind and the tools to
integrate it: forward in time, and by least action over a time horizon.

Symbols
-------
All variables are in arbitrary units (a.u.); time ``t`` is in seconds.

``s``      sensory input at the brain–environment interface, ``(n_s,)``.
           ``s = s_env(t) + a``: the environment's stimulus plus the effect of action.
``μ``      the brain's expectation of the hidden cause of ``s`` (state), ``(n_μ,)``.
``W``      synaptic weights relaying the presynaptic ``μ`` to the postsynaptic
           prediction of ``s``, ``(n_s, n_μ)`` (the scalar ``w`` of the seed when
           ``n_s = n_μ = 1``).
``g``      generative map, the sensory prediction ``g(W, μ) = W μ``.
``f``      state drift of the prior on ``μ``: ``f(μ) = −κ μ`` (``κ`` in 1/s), a leak
           towards the resting expectation 0.
``h``      learning force of the weight (Langevin drift ``Ẇ = h + ζ``):
           Hebb + Miller–MacKay decay  ``h_ij = α s_i μ_j − γ W_ij``, or
           Oja                         ``h_ij = α s_i μ_j − η s_i² W_ij``.
           For a dimensionless weight, ``α`` and ``η`` are in 1/(s·a.u.²) and ``γ`` in 1/s.
``m_μ``    precision of the fluctuations of ``μ̇`` about ``f`` (the "mass" of ``μ``).
``m_w``    precision of the fluctuations of ``Ẇ`` about ``h`` (the "mass" of ``W``).
``m_z``    precision of the sensory noise, i.e. of the prediction error ``s − g``.
``p_μ``    momentum conjugate to ``μ``: the state prediction error ``m_μ (μ̇ − f)``.
``p_W``    momentum conjugate to ``W``: the weight prediction error ``m_w (Ẇ − h)``.
``a``      motor variable, ``(n_s,)``; one effector per sensory channel.
``κ_a``    motor gain (1/s per unit of free-energy gradient).
``m_a``    precision of the motor prior that holds the effector near rest.

Lagrangian
----------
The Laplace-encoded informational free energy of the generative model
``p(s, μ, W) = p(s | μ, W) p(μ | W) p(W)`` with Gaussian sensory noise and Gaussian
fluctuations in the state and weight dynamics is used as the Lagrangian:

.. math::

    L(μ, \dot μ, W, \dot W; s) = \tfrac{m_μ}{2}\,|\dot μ − f(μ)|^2
        + \tfrac{m_w}{2}\,\|\dot W − h(W, μ, s)\|^2
        + \tfrac{m_z}{2}\,|s − g(W, μ)|^2 .

The action ``S = ∫ L dt`` over a horizon is the free energy accumulated over that
horizon; perception and learning are its stationary path.

Momenta and Hamiltonian
-----------------------
``p_μ = ∂L/∂μ̇ = m_μ (μ̇ − f)`` and ``p_W = ∂L/∂Ẇ = m_w (Ẇ − h)``. The Legendre
transform ``H = p_μ·μ̇ + p_W:Ẇ − L`` gives

.. math::

    H = \frac{|p_μ|^2}{2 m_μ} + p_μ·f(μ) + \frac{\|p_W\|^2}{2 m_w} + p_W : h(W, μ, s)
        − \tfrac{m_z}{2}\,|s − g(W, μ)|^2 .

The sensory term enters ``H`` with a minus sign: it acts as an inverted potential.

Hamilton's equations
--------------------
With ``g = Wμ``, ``f = −κμ``, ``e = s − g`` (the sensory prediction error) and
``∂h_ij/∂W_ij = −γ`` (Hebb + decay) or ``−η s_i²`` (Oja):

* perception (state and its momentum)::

      μ̇   =  p_μ / m_μ − κ μ
      ṗ_μ = −p_μ f'(μ) − p_W : ∂h/∂μ − m_z (∂g/∂μ)ᵀ e
          =  κ p_μ − α p_Wᵀ s − m_z Wᵀ e

* learning (the seed's eqs. 3–4, elementwise per synapse)::

      Ẇ   =  p_W / m_w + h(W, μ, s)
      ṗ_W = −p_W ⊙ ∂h/∂W − m_z e μᵀ          (e μᵀ = (s − g) ∂g/∂W)

* action (not a canonical variable: the motor law of active inference, descending
  the sensory free energy ``½ m_z |s − g|²`` through ``∂s/∂a = 1``, plus the motor
  prior ``½ m_a |a|²``)::

      ȧ = −κ_a (m_z e + m_a a)

  The effector moves to cancel the sensory prediction error; the motor prior keeps
  it from cancelling the stimulus outright (without it, a constant stimulus is
  absorbed entirely by ``a`` and ``μ`` and ``W`` decay to 0).

Fixed points and the saddle
---------------------------
For constant ``s`` and ``μ`` the learning pair has the fixed point (row ``i``,
``γ_i = γ`` or ``η s_i²``)::

    p_W* = m_z e μᵀ / γ_i,     W_i* = s_i μᵀ (α γ_i m_w + m_z) / (γ_i² m_w + m_z |μ|²)

(:func:`learning_fixed_point`; it interpolates between the Hebbian ``α s μ / γ``
at ``m_z = 0`` and the generative solution ``s/μ`` as ``γ → 0``). Linearising the
scalar learning pair there gives the Jacobian ``[[−γ, 1/m_w], [m_z μ², γ]]`` with
eigenvalues ``±sqrt(γ² + m_z μ²/m_w)``; the perception pair likewise gives
``±sqrt(κ² + m_z w²/m_μ)``. Both pairs are saddles at every fixed point: one stable and
one unstable direction each (the flow is Hamiltonian, so eigenvalues come in ± pairs).
:func:`linear_stability` returns the eigenvalues of the Jacobian of any set of
variables with the others clamped.

Which integrator when
---------------------
*Forward integration* (:func:`integrate_forward`, ``solve_ivp``) needs the momenta
at the start, which the data do not give. Any error in them, or any rounding error,
grows like ``exp(λ₊ t)`` along the unstable direction, ``λ₊`` being the positive
eigenvalue above. Use it only over horizons ``t ≲ 1/λ₊`` — for example to check a
least-action solution, to inspect the local flow near a fixed point, or for the
stable causal form used as a plasticity rule
(:mod:`hippo.learning.bayesian_mechanics_rule`).

*Least action* (:func:`least_action`, ``solve_bvp``) poses the stationary-action
problem as it is: ``μ``, ``W`` and ``a`` are given at the start of the horizon and
the momenta vanish at its free end (the transversality condition of a free end
point, ``∂L/∂q̇ = 0``). The solution runs along the stable manifold of the saddle, so
the linearised problem is well conditioned for any horizon. The nonlinear problem has
several stationary paths over long horizons (the model is symmetric under
``(μ, W) → −(μ, W)``, and paths to the mirror branch exist), so the guess matters:
:func:`receding_horizon` reaches its first horizon by continuation from a short one
and seeds every later solve with the previous solution. For a stream, :func:`receding_horizon` solves
over ``[t, t + T_h]``, keeps the first ``Δ`` of the solution and moves on; choose
``T_h`` several times ``1/λ₊`` of the slowest pair (the learning pair) so that the
end condition does not reach back into the kept part. Within each horizon the
solution uses the stream up to ``T_h`` ahead: it is a fixed-lag least-action
estimate, not a causal filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
from scipy.integrate import solve_bvp, solve_ivp

from hippo.errors import DivergenceError

#: A sensory stream: times ``(m,)`` in seconds → stimulus ``(n_s, m)`` (a.u.).
Stream = Callable[[np.ndarray], np.ndarray]

VARIABLES = ("mu", "p_mu", "W", "p_W", "a")


@dataclass(frozen=True)
class Model:
    """Parameters of the generative model (symbols as in the module docstring).

    Attributes:
        n_s: number of sensory channels (and effectors).
        n_mu: number of state variables.
        kappa: leak rate ``κ`` of the state drift ``f(μ) = −κ μ`` (1/s).
        m_mu: precision ``m_μ`` of the state dynamics.
        m_w: precision ``m_w`` of the weight dynamics.
        m_z: sensory precision ``m_z``.
        alpha: Hebbian rate ``α`` of the learning force.
        rule: ``"hebb-decay"`` (``h = α s μ − γ W``) or ``"oja"`` (``h = α s μ − η s² W``).
        gamma: Miller–MacKay decay rate ``γ`` (1/s), used by ``"hebb-decay"``.
        eta_oja: Oja rate ``η``, used by ``"oja"``.
        kappa_a: motor gain ``κ_a`` (1/s).
        m_a: precision ``m_a`` of the motor prior (0: none).
    """

    n_s: int = 1
    n_mu: int = 1
    kappa: float = 1.0
    m_mu: float = 1.0
    m_w: float = 2.0
    m_z: float = 1.0
    alpha: float = 0.5
    rule: Literal["hebb-decay", "oja"] = "hebb-decay"
    gamma: float = 0.2
    eta_oja: float = 0.2
    kappa_a: float = 2.0
    m_a: float = 1.0

    def __post_init__(self):
        if self.n_s < 1 or self.n_mu < 1:
            raise ValueError("n_s and n_mu must be at least 1")
        for name in ("m_mu", "m_w"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0")
        for name in ("kappa", "m_z", "alpha", "gamma", "eta_oja", "kappa_a", "m_a"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.rule not in ("hebb-decay", "oja"):
            raise ValueError(f"rule must be 'hebb-decay' or 'oja', got {self.rule!r}")

    @property
    def n_state(self) -> int:
        """Length of the flat state vector ``(μ, p_μ, W, p_W, a)``."""
        return 2 * self.n_mu + 2 * self.n_s * self.n_mu + self.n_s

    def indices(self, *names: str) -> np.ndarray:
        """Positions of the named variables in the flat state vector, in the order given."""
        sl = self.slices()
        return np.concatenate([np.arange(self.n_state)[sl[name]] for name in names])

    def slices(self) -> dict[str, slice]:
        """Where each variable lies in the flat state vector."""
        sizes = (self.n_mu, self.n_mu, self.n_s * self.n_mu, self.n_s * self.n_mu, self.n_s)
        bounds, start = {}, 0
        for name, size in zip(VARIABLES, sizes):
            bounds[name] = slice(start, start + size)
            start += size
        return bounds


def unpack(model: Model, y: np.ndarray) -> dict[str, np.ndarray]:
    """Split flat state(s) ``y`` of shape ``(n_state, ...)`` into named arrays.

    ``W`` and ``p_W`` come back with shape ``(n_s, n_mu, ...)``; the others ``(n, ...)``.
    """
    y = np.asarray(y)
    rest = y.shape[1:]
    parts = {name: y[sl] for name, sl in model.slices().items()}
    for name in ("W", "p_W"):
        parts[name] = parts[name].reshape(model.n_s, model.n_mu, *rest)
    return parts


def pack(model: Model, mu, p_mu, W, p_W, a) -> np.ndarray:
    """Join the variables into one flat state ``(n_state, ...)`` (inverse of :func:`unpack`)."""
    mu = np.asarray(mu, dtype=float)
    rest = mu.shape[1:]
    pieces = [mu, np.asarray(p_mu, float), np.asarray(W, float).reshape(model.n_s * model.n_mu, *rest),
              np.asarray(p_W, float).reshape(model.n_s * model.n_mu, *rest), np.asarray(a, float)]
    return np.concatenate([p.reshape(-1, *rest) for p in pieces], axis=0)


def learning_force(model: Model, s: np.ndarray, mu: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Learning force ``h`` and its elementwise slope ``∂h_ij/∂W_ij``.

    Args:
        s: ``(n_s, ...)`` sensory input; mu: ``(n_mu, ...)``; W: ``(n_s, n_mu, ...)``.

    Returns:
        ``(h, dh_dW)``, both broadcastable to the shape of ``W``.
    """
    hebb = model.alpha * s[:, None] * mu[None, :]
    decay = model.gamma if model.rule == "hebb-decay" else model.eta_oja * s[:, None] ** 2
    return hebb - decay * W, -decay * np.ones_like(W)


def learning_rhs(model: Model, s: np.ndarray, mu: np.ndarray, W: np.ndarray, p_W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The learning equations (seed eqs. 3–4): ``(Ẇ, ṗ_W)`` for given ``s`` and ``μ``."""
    h, dh_dW = learning_force(model, s, mu, W)
    e = s - np.einsum("ij...,j...->i...", W, mu)
    dW = p_W / model.m_w + h
    dp_W = -p_W * dh_dW - model.m_z * e[:, None] * mu[None, :]
    return dW, dp_W


def perception_rhs(model: Model, s: np.ndarray, mu: np.ndarray, p_mu: np.ndarray, W: np.ndarray,
                   p_W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The perception equations: ``(μ̇, ṗ_μ)`` for given ``s``, ``W`` and ``p_W``."""
    e = s - np.einsum("ij...,j...->i...", W, mu)
    dmu = p_mu / model.m_mu - model.kappa * mu
    dp_mu = (model.kappa * p_mu - model.alpha * np.einsum("ij...,i...->j...", p_W, s)
             - model.m_z * np.einsum("ij...,i...->j...", W, e))
    return dmu, dp_mu


def motor_rhs(model: Model, s: np.ndarray, mu: np.ndarray, W: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The motor law ``ȧ = −κ_a (m_z (s − g) + m_a a)``."""
    e = s - np.einsum("ij...,j...->i...", W, mu)
    return -model.kappa_a * (model.m_z * e + model.m_a * a)


def vector_field(model: Model, t, y: np.ndarray, stream: Stream) -> np.ndarray:
    """``dy/dt`` of the full model at time(s) ``t`` and state(s) ``y`` of shape ``(n_state, ...)``.

    Vectorised over trailing axes: ``t`` of shape ``(m,)`` with ``y`` of shape
    ``(n_state, m)`` (as ``solve_bvp`` calls it), or a scalar ``t`` with ``y (n_state,)``.
    """
    x = unpack(model, y)
    s_env = stream(np.atleast_1d(t))
    s = (s_env if np.ndim(t) else s_env[:, 0]) + x["a"]
    dmu, dp_mu = perception_rhs(model, s, x["mu"], x["p_mu"], x["W"], x["p_W"])
    dW, dp_W = learning_rhs(model, s, x["mu"], x["W"], x["p_W"])
    da = motor_rhs(model, s, x["mu"], x["W"], x["a"])
    return pack(model, dmu, dp_mu, dW, dp_W, da)


def constant_stream(s_env) -> Stream:
    """A stream holding the stimulus ``s_env`` (``(n_s,)``) constant."""
    value = np.atleast_1d(np.asarray(s_env, dtype=float))
    return lambda t: np.repeat(value[:, None], len(t), axis=1)


def learning_fixed_point(model: Model, s_mu: np.ndarray, mu_mu: np.ndarray, s_s: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Analytical fixed point ``(W*, p_W*)`` of the learning pair.

    For constant ``s`` and ``μ`` pass ``s_mu = s μᵀ``, ``mu_mu = μ μᵀ`` and ``s_s = s²``.
    For a stream whose correlations change fast compared with ``W`` and ``p_W`` pass
    the time averages ``⟨s μᵀ⟩``, ``⟨μ μᵀ⟩`` and ``⟨s²⟩``: the fixed point of the
    averaged equations. Row ``i`` solves

        ``W_i (γ_i I + m_z ⟨μμᵀ⟩ / (γ_i m_w)) = (α + m_z / (γ_i m_w)) ⟨s_i μᵀ⟩``,
        ``p_W,i = m_z (⟨s_i μᵀ⟩ − W_i ⟨μμᵀ⟩) / γ_i``,

    with ``γ_i = γ`` (Hebb + decay) or ``η ⟨s_i²⟩`` (Oja); ``s_s`` is needed for Oja only.
    """
    s_mu, mu_mu = np.atleast_2d(s_mu), np.atleast_2d(mu_mu)
    if model.rule == "hebb-decay":
        gam = np.full(s_mu.shape[0], model.gamma)
    else:
        gam = model.eta_oja * np.atleast_1d(s_s)
    if np.any(gam <= 0):
        raise ValueError("the learning pair has no isolated fixed point when its decay rate is 0")
    W = np.empty_like(s_mu, dtype=float)
    for i, g in enumerate(gam):
        lhs = g * np.eye(mu_mu.shape[0]) + model.m_z * mu_mu / (g * model.m_w)
        W[i] = np.linalg.solve(lhs.T, (model.alpha + model.m_z / (g * model.m_w)) * s_mu[i])
    p_W = model.m_z * (s_mu - W @ mu_mu) / gam[:, None]
    return W, p_W


def learning_saddle_rate(model: Model, s: np.ndarray, mu: np.ndarray) -> float:
    """Largest unstable rate ``λ₊ = sqrt(γ_i² + m_z |μ|² / m_w)`` (1/s) of the learning pair."""
    s = np.atleast_1d(s)
    gam = model.gamma if model.rule == "hebb-decay" else model.eta_oja * s ** 2
    return float(np.max(np.sqrt(gam ** 2 + model.m_z * np.sum(np.square(mu)) / model.m_w)))


def jacobian(model: Model, y: np.ndarray, s_env: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Jacobian ``∂ẏ/∂y`` of the full model at state ``y`` under the constant stimulus ``s_env``.

    Central differences with relative step ``step``; the vector field is polynomial in
    ``y``, so the error is of order ``step²``.
    """
    y = np.asarray(y, dtype=float)
    stream = constant_stream(s_env)
    h = step * np.maximum(1.0, np.abs(y))
    probes = np.concatenate([y[:, None] + np.diag(h), y[:, None] - np.diag(h)], axis=1)
    rates = vector_field(model, np.zeros(probes.shape[1]), probes, stream)
    n = len(y)
    return (rates[:, :n] - rates[:, n:]) / (2 * h[None, :])


def linear_stability(model: Model, y: np.ndarray, s_env: np.ndarray, free: tuple[str, ...] = VARIABLES) -> np.ndarray:
    """Eigenvalues (1/s) of the Jacobian at ``y``, with the variables not in ``free`` clamped.

    Clamping a variable holds it at its value in ``y``; the flow of the free variables
    is then governed by the corresponding principal block of the full Jacobian. For
    example ``free=("W", "p_W")`` gives the learning pair with ``s`` and ``μ`` held, whose
    eigenvalues at a fixed point are ``±sqrt(γ² + m_z |μ|²/m_w)``.
    """
    unknown = [name for name in free if name not in VARIABLES]
    if unknown:
        raise ValueError(f"unknown variables {unknown} (allowed: {', '.join(VARIABLES)})")
    index = model.indices(*free)
    J = jacobian(model, y, s_env)
    return np.linalg.eigvals(J[np.ix_(index, index)])


def integrate_forward(model: Model, y0: np.ndarray, t_span: tuple[float, float], stream: Stream,
                      rtol: float = 1e-10, atol: float = 1e-12, **kwargs):
    """Forward initial-value integration (``solve_ivp``, DOP853, dense output).

    Every initial state, momenta included, must be given. The problem is a saddle:
    errors grow like ``exp(λ₊ t)``, so keep ``t_span`` short (see the module docstring).
    """
    return solve_ivp(lambda t, y: vector_field(model, t, y, stream), t_span, np.asarray(y0, float),
                     method="DOP853", rtol=rtol, atol=atol, dense_output=True, **kwargs)


def _end_conditions(model: Model, q0: np.ndarray):
    """Boundary residuals: ``μ, W, a`` equal ``q0`` at the start; ``p_μ, p_W`` vanish at the end."""
    start, end = model.indices("mu", "W", "a"), model.indices("p_mu", "p_W")

    def bc(ya, yb):
        return np.concatenate([ya[start] - q0, yb[end]])

    return bc, start


def initial_configuration(model: Model, mu, W, a) -> np.ndarray:
    """The start values ``q0 = (μ, W, a)`` that :func:`least_action` fixes."""
    return np.concatenate([np.ravel(mu), np.ravel(W), np.ravel(a)]).astype(float)


def least_action(model: Model, t0: float, t1: float, q0: np.ndarray, stream: Stream, guess=None,
                 n_nodes: int = 200, tol: float = 1e-8, max_nodes: int = 100_000):
    """Stationary-action path over ``[t0, t1]`` as a two-point boundary-value problem.

    Args:
        q0: start values ``(μ, W, a)`` flattened (:func:`initial_configuration`).
        stream: the sensory stream over the horizon.
        guess: callable ``t → y (n_state, m)`` for the initial mesh (default: ``q0`` held,
            momenta 0), e.g. the previous solution in a receding horizon.
        n_nodes: initial mesh size; ``solve_bvp`` refines it up to ``max_nodes``.
        tol: ``solve_bvp`` tolerance on the relative collocation residual.

    Returns:
        The ``solve_bvp`` result; ``result.sol`` is a cubic spline of the path.
        The momenta vanish at ``t1``: the transversality condition of a free end point.
    """
    bc, start = _end_conditions(model, np.asarray(q0, float))
    t = np.linspace(t0, t1, n_nodes)
    if guess is None:
        y = np.zeros((model.n_state, n_nodes))
        y[start] = np.asarray(q0, float)[:, None]
    else:
        y = guess(t)
    return solve_bvp(lambda tt, yy: vector_field(model, tt, yy, stream), bc, t, y, tol=tol, max_nodes=max_nodes)


def residual(model: Model, sol, t: np.ndarray, stream: Stream) -> np.ndarray:
    """Relative residual of the equations along a path ``sol`` (a ``PPoly``, as from ``solve_bvp``) at times ``t``.

    ``|dy/dt − F(t, y)| / (1 + |F(t, y)|)``, maximum over components: the measure
    ``solve_bvp`` controls, evaluated here at arbitrary times (not only mesh nodes).
    """
    y = sol(t)
    rate = vector_field(model, t, y, stream)
    slope = sol(t, 1)
    return np.max(np.abs(slope - rate) / (1.0 + np.abs(rate)), axis=0)


@dataclass(frozen=True)
class StreamPath:
    """A least-action path over a stream, computed in a receding horizon.

    Attributes:
        t: ``(T,)`` sample times (s).
        y: ``(n_state, T)`` states at those times (see :func:`unpack`).
        residual: ``(T,)`` relative residual of the equations at ``t`` (:func:`residual`).
        momentum_jump: largest change of the momenta where one kept segment meets the
            next (the end condition moved by ``Δ``); 0 for a single horizon.
        n_solves: number of horizons solved (after the continuation that seeds the first).
    """

    t: np.ndarray
    y: np.ndarray
    residual: np.ndarray
    momentum_jump: float
    n_solves: int


class LeastActionError(DivergenceError):
    """A least-action solve failed; ``path`` holds what was computed before it (or ``None``)."""

    def __init__(self, message: str, path: "StreamPath | None" = None):
        super().__init__(message)
        self.path = path


def receding_horizon(model: Model, stream: Stream, t_end: float, q0: np.ndarray, horizon: float, keep: float,
                     dt_out: float, nodes_per_second: float = 40.0, tol: float = 1e-8,
                     callback: Callable[[float], None] | None = None) -> StreamPath:
    """Least action over a stream in a receding horizon.

    Solves :func:`least_action` over ``[t, t + horizon]`` starting from the state reached,
    keeps ``[t, t + keep)`` and moves on by ``keep`` until ``t_end``. The previous
    solution, held constant past its end, seeds the next solve; the first one is
    reached by continuation from a horizon of length ``keep``.

    Args:
        q0: start values ``(μ, W, a)`` at ``t = 0``.
        horizon: ``T_h`` (s); several times ``1/λ₊`` of the learning pair.
        keep: ``Δ`` (s), a multiple of ``dt_out``.
        dt_out: sampling interval of the returned path (s).
        nodes_per_second: initial mesh density of each solve.
        callback: called with the time reached after each solve (progress).

    Raises:
        LeastActionError: a solve failed; its ``path`` holds the segments kept so far.
    """
    per_keep = int(round(keep / dt_out))
    if per_keep < 1 or abs(per_keep * dt_out - keep) > 1e-9 * keep:
        raise ValueError("keep must be a positive multiple of dt_out")
    if horizon < keep:
        raise ValueError("horizon must be at least keep")
    momenta, configuration = model.indices("p_mu", "p_W"), model.indices("mu", "W", "a")
    n_nodes = max(int(horizon * nodes_per_second), 10)
    segments, q, jump, last_p = [], np.asarray(q0, float), 0.0, None
    try:
        guess = _continued_guess(model, stream, q, keep, horizon, nodes_per_second, tol)
        for k in range(int(np.ceil(t_end / keep - 1e-9))):
            t0 = k * keep
            result = _solve(model, t0, t0 + horizon, q, stream, guess, n_nodes, tol)
            t_seg = t0 + dt_out * np.arange(per_keep)
            y_seg = result.sol(t_seg)
            if last_p is not None:
                jump = max(jump, float(np.max(np.abs(y_seg[momenta, 0] - last_p))))
            segments.append((t_seg, y_seg, residual(model, result.sol, t_seg, stream)))
            end = result.sol(t0 + keep)
            last_p, q = end[momenta], end[configuration]
            guess = _held(result.sol, t0 + horizon)
            if callback is not None:
                callback(t0 + keep)
    except LeastActionError as error:
        raise LeastActionError(str(error), _assemble(segments, t_end, jump)) from None
    return _assemble(segments, t_end, jump)


def _assemble(segments: list, t_end: float, jump: float) -> StreamPath | None:
    """Join kept segments ``(t, y, residual)`` into one :class:`StreamPath` (``None`` if empty)."""
    if not segments:
        return None
    t = np.concatenate([seg[0] for seg in segments])
    inside = t <= t_end + 1e-12
    y = np.concatenate([seg[1] for seg in segments], axis=1)
    res = np.concatenate([seg[2] for seg in segments])
    return StreamPath(t[inside], y[:, inside], res[inside], jump, len(segments))


def _solve(model: Model, t0: float, t1: float, q0: np.ndarray, stream: Stream, guess, n_nodes: int, tol: float):
    """:func:`least_action`, raising :class:`LeastActionError` when ``solve_bvp`` fails."""
    result = least_action(model, t0, t1, q0, stream, guess, n_nodes=n_nodes, tol=tol)
    if not result.success or not np.all(np.isfinite(result.y)):
        raise LeastActionError(f"least action failed on [{t0:g}, {t1:g}] s: {result.message} "
                               "(try a shorter horizon, a smaller keep step or slower learning)")
    return result


def _continued_guess(model: Model, stream: Stream, q0: np.ndarray, step: float, horizon: float,
                     nodes_per_second: float, tol: float) -> Callable[[np.ndarray], np.ndarray]:
    """Initial guess for the first horizon, by continuation from a short one.

    Over a short horizon the problem is nearly linear and its solution unique; growing
    the horizon by ``step`` at a time, each solve seeded by the last solution, follows
    that branch. (The model is symmetric under ``(μ, W, p_μ, p_W) → −(μ, W, p_μ, p_W)``
    and has several stationary paths over long horizons, so a poor guess can land on
    another branch or fail to converge.)
    """
    guess = None
    for length in np.append(np.arange(step, horizon, step), horizon):
        result = _solve(model, 0.0, length, q0, stream, guess, max(int(length * nodes_per_second), 10), tol)
        guess = _held(result.sol, length)
    return guess


def _held(sol, t_last: float) -> Callable[[np.ndarray], np.ndarray]:
    """The spline ``sol`` held constant after ``t_last`` (an initial guess for the next horizon)."""
    return lambda t: sol(np.minimum(t, t_last))
