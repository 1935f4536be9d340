r"""Learning as navigation of a loss landscape: optimal control of the parameters' motion.

A learner moving its parameters ``θ`` pays ``(1/2η)(θ̇ − f)ᵀG(θ̇ − f)`` for moving them
away from a drift ``f`` it does not control and ``k·L(θ)`` for the loss, discounted at
rate ``γ``:

    J = ∫₀^∞ e^{−γt} [ (1/2η)(θ̇ − f(θ))ᵀ G (θ̇ − f(θ)) + k·L(θ) ] dt.

Learning rules are the policies that minimise ``J`` (Vastola, Gershman & Rajan, NeurIPS
2025). Without drift and with ``G = I`` the Euler–Lagrange equations are ``θ̇ = p``,
``ṗ = γp + ηk∇L``, a boundary-value problem whose decaying branch is the path.

Quadratic loss ``L = ½Σhᵢ(θᵢ − μᵢ)²`` with the drift of weight decay, ``f = −jθ``
(diagonal ``G``): per coordinate the Euler–Lagrange equation is

    θ̈ − γθ̇ − (ηk·h/G + j(j + γ))·θ + ηk·h·μ/G = 0,

so the optimal policy relaxes as ``θ̇ᵢ = −rᵢ(θᵢ − Bᵢμᵢ)`` with

    rᵢ = √(γ²/4 + ηk·hᵢ/Gᵢ + j(j + γ)) − γ/2,     Bᵢ = ηk·hᵢ/(ηk·hᵢ + Gᵢ·j(j + γ)).

For ``γ ≫ 1`` (short horizon) ``rᵢ ≈ ηkhᵢ/(Gᵢγ)``: gradient descent, natural gradient
with ``G``; for ``γ = 0`` (no discount) ``rᵢ = √(ηkhᵢ/Gᵢ)``: the "ballistic" square-root
preconditioning. With drift the end point is shrunk by ``B`` (at ``γ = 0``,
``ηkh/(ηkh + j²)``): weight decay is a non-gradient term the learner cannot cancel.

Besides these closed forms the module computes least-action paths numerically by
direct minimisation of the discretised action (:func:`least_action`), and integrates
gradient descent (:func:`gradient_descent`), for any loss with a gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_bvp, solve_ivp
from scipy.optimize import minimize

Loss = Callable[[np.ndarray], np.ndarray]


def relaxation_rate(h, gamma: float, eta_k: float = 1.0, metric=1.0, decay: float = 0.0):
    """Rate ``r`` (1/time) at which the optimal policy approaches the end point of a quadratic.

    Args:
        h: curvature(s) of the loss along each coordinate.
        gamma: discount rate ``γ`` (1/time).
        eta_k: ``η·k``, the product of the learner's mobility and the loss's weight.
        metric: the metric ``G`` along each coordinate.
        decay: ``j`` of the drift ``f = −jθ`` (1/time).

    Returns:
        ``√(γ²/4 + ηk·h/G + j(j + γ)) − γ/2``, shaped like ``h``.
    """
    h = np.asarray(h, dtype=float)
    return np.sqrt(gamma**2 / 4 + eta_k * h / metric + decay * (decay + gamma)) - gamma / 2


def shrinkage(h, gamma: float, decay: float, eta_k: float = 1.0, metric=1.0):
    """Factor ``B = ηkh/(ηkh + G·j(j + γ))`` by which the drift ``f = −jθ`` shrinks the end point ``μ``."""
    h = np.asarray(h, dtype=float)
    return eta_k * h / (eta_k * h + metric * decay * (decay + gamma))


def quadratic_path(t, theta0, h, mu, gamma: float, eta_k: float = 1.0, metric=1.0, decay: float = 0.0) -> np.ndarray:
    """The optimal path on the quadratic ``½Σhᵢ(θᵢ − μᵢ)²``: ``θ(t) = Bμ + (θ₀ − Bμ)·e^{−rt}``, shape ``(len(t), n)``."""
    end = shrinkage(h, gamma, decay, eta_k, metric) * np.asarray(mu, dtype=float)
    rate = relaxation_rate(h, gamma, eta_k, metric, decay)
    return end + (np.asarray(theta0, dtype=float) - end) * np.exp(-np.multiply.outer(np.asarray(t, float), rate))


@dataclass(frozen=True)
class Path:
    """A path through parameter space.

    Attributes:
        t: ``(m,)`` times.
        theta: ``(m, n)`` parameters.
        action: the discounted action of the path (least-action paths; NaN otherwise).
    """

    t: np.ndarray
    theta: np.ndarray
    action: float = float("nan")


def gradient_descent(gradient: Loss, theta0, duration: float, rate: float = 1.0, points: int = 401) -> Path:
    """Gradient flow ``θ̇ = −rate·∇L(θ)`` from ``theta0`` for ``duration``, sampled at ``points`` times."""
    t = np.linspace(0.0, duration, points)
    solution = solve_ivp(lambda _, y: -rate * gradient(y), (0.0, duration), np.asarray(theta0, float), t_eval=t,
                         rtol=1e-10, atol=1e-12)
    return Path(t, solution.y.T)


def discretised_action(theta: np.ndarray, dt: float, loss: Loss, gradient: Loss, gamma: float, eta: float, k: float,
                       drift: Loss | None = None, drift_jacobian: Callable | None = None,
                       quadrature: str = "midpoint") -> tuple[float, np.ndarray]:
    """The discounted action of a sampled path and its gradient with respect to every sample.

    Each interval ``[tₙ, tₙ₊₁]`` contributes ``e^{−γ t}·dt·[(1/2η)|Δθ/dt − f(θ)|² + k·L(θ)]``
    with ``θ`` and ``t`` taken at the interval's midpoint (``quadrature="midpoint"``, second
    order) or at its start (``"left"``, first order: the rule of the published study's
    direct minimisation); ``G = I``.

    Args:
        theta: ``(m, n)`` samples at times ``n·dt``.
        dt: sampling interval.
        loss, gradient: ``L`` and ``∇L`` of an ``(…, n)`` array of parameters.
        gamma, eta, k: discount rate, mobility and loss weight.
        drift, drift_jacobian: ``f`` and its Jacobian ``(…, n, n)``; None for no drift.
        quadrature: ``"midpoint"`` or ``"left"``.

    Returns:
        The action and its gradient ``(m, n)``.
    """
    left = quadrature == "left"
    mid = theta[:-1] if left else 0.5 * (theta[1:] + theta[:-1])
    t_mid = (np.arange(len(mid)) + (0.0 if left else 0.5)) * dt
    weight = np.exp(-gamma * t_mid)[:, None] * dt
    velocity = np.diff(theta, axis=0) / dt
    residual = velocity - drift(mid) if drift is not None else velocity
    action = float(np.sum(weight[:, 0] * (0.5 / eta * np.sum(residual**2, axis=1) + k * loss(mid))))
    kinetic = weight * residual / eta
    at_mid = weight * k * gradient(mid)
    if drift is not None:
        at_mid = at_mid - np.einsum("mi,mij->mj", kinetic, drift_jacobian(mid))
    grad = np.zeros_like(theta)
    share = (0.0, 1.0) if left else (0.5, 0.5)  # how θ_mid depends on the interval's end and start
    grad[1:] += kinetic / dt + share[0] * at_mid
    grad[:-1] += -kinetic / dt + share[1] * at_mid
    return action, grad


def least_action(loss: Loss, gradient: Loss, start, end, duration: float, points: int, gamma: float,
                 eta: float = 1.0, k: float = 1.0, drift: Loss | None = None, drift_jacobian: Callable | None = None,
                 initial: np.ndarray | None = None, tol: float = 1e-12, quadrature: str = "midpoint") -> Path:
    """The path of least discounted action between fixed ends, by direct minimisation of the discretised action.

    Args:
        loss, gradient: ``L`` and ``∇L``.
        start, end: the path's fixed ends ``θ(0)`` and ``θ(duration)``.
        duration: ``T``.
        points: samples of the path, ends included.
        gamma, eta, k: discount rate, mobility and loss weight.
        drift, drift_jacobian: ``f`` and its Jacobian; None for no drift.
        initial: ``(points, n)`` first guess (default: the straight line).
        tol: gradient tolerance of the minimiser (L-BFGS).
        quadrature: rule of :func:`discretised_action`.

    Returns:
        The path and its action.

    Raises:
        RuntimeError: the minimiser did not converge.
    """
    start, end = np.asarray(start, float), np.asarray(end, float)
    t = np.linspace(0.0, duration, points)
    dt = t[1] - t[0]
    guess = initial if initial is not None else start + np.outer(t / duration, end - start)
    shape = (points - 2, start.size)

    def objective(interior):
        theta = np.vstack([start, interior.reshape(shape), end])
        action, grad = discretised_action(theta, dt, loss, gradient, gamma, eta, k, drift, drift_jacobian, quadrature)
        return action, grad[1:-1].ravel()

    result = minimize(objective, guess[1:-1].ravel(), jac=True, method="L-BFGS-B",
                      options={"maxiter": 100000, "maxfun": 200000, "gtol": tol, "ftol": 1e-15})
    if not result.success and np.max(np.abs(result.jac)) > 1e3 * tol:
        raise RuntimeError(f"least action did not converge: {result.message}")
    theta = np.vstack([start, result.x.reshape(shape), end])
    return Path(t, theta, float(result.fun))


def quadratic_euler_lagrange(theta0: float, h: float, mu: float, gamma: float, duration: float, eta_k: float = 1.0,
                             metric: float = 1.0, decay: float = 0.0, points: int = 2001) -> Path:
    """The Euler–Lagrange equations of one quadratic coordinate with drift ``−jθ``, solved as a boundary-value problem.

    ``θ̈ = γθ̇ + (ηk·h/G + j(j + γ))·θ − ηk·h·μ/G`` from ``θ(0) = theta0`` with the free end's
    natural condition ``θ̇(T) = f(θ(T)) = −jθ(T)`` (zero momentum). For ``T`` many times
    ``1/r`` the path follows the decaying branch, the optimal policy, until shortly before ``T``.

    Raises:
        RuntimeError: the solver did not converge.
    """
    stiffness = eta_k * h / metric + decay * (decay + gamma)
    pull = eta_k * h * mu / metric

    def equations(_, y):
        return np.vstack([y[1], gamma * y[1] + stiffness * y[0] - pull])

    def boundary(start, end):
        return np.array([start[0] - theta0, end[1] + decay * end[0]])

    t = np.linspace(0.0, duration, points)
    solution = solve_bvp(equations, boundary, t, np.vstack([np.full_like(t, theta0), np.zeros_like(t)]),
                         tol=1e-10, max_nodes=200000)
    if not solution.success:
        raise RuntimeError(f"Euler-Lagrange boundary-value problem did not converge: {solution.message}")
    return Path(t, solution.sol(t)[0][:, None])


def fitted_rate(t: np.ndarray, theta: np.ndarray, end: float, until: float) -> float:
    """Rate ``r`` of ``|θ − end| ∝ e^{−rt}``, fitted by least squares on ``log|θ − end|`` over ``t ≤ until``."""
    keep = t <= until
    return float(-np.polyfit(t[keep], np.log(np.abs(theta[keep] - end)), 1)[0])


# ------------------------------------------------------------------ the double well
def double_well(theta: np.ndarray) -> np.ndarray:
    """``L = (θ₁² − 1)² − θ₁/2 + θ₂²`` of an ``(…, 2)`` array: a local minimum near θ₁ = −0.93, the global near 1.06."""
    x, y = theta[..., 0], theta[..., 1]
    return (x**2 - 1.0) ** 2 - 0.5 * x + y**2


def double_well_gradient(theta: np.ndarray) -> np.ndarray:
    """``∇L`` of :func:`double_well`."""
    x, y = theta[..., 0], theta[..., 1]
    return np.stack([4.0 * x * (x**2 - 1.0) - 0.5, 2.0 * y], axis=-1)


def double_well_minima() -> tuple[float, float]:
    """θ₁ of the local (left) and the global (right) minimum of :func:`double_well` (θ₂ = 0)."""
    roots = np.roots([4.0, 0.0, -4.0, -0.5]).real
    minima = sorted(r for r in roots if 12.0 * r**2 - 4.0 > 0)
    return minima[0], minima[-1]
