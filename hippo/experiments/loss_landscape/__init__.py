"""Learning rules as policies on a loss landscape: the optimal-control toy results.

A learner paying ``(1/2η)|θ̇ − f|²`` to move its parameters and ``k·L`` for the loss,
discounted at rate ``γ``, follows a policy set by its horizon
(:mod:`hippo.learning.navigation`). The study reproduces the toy results of Vastola,
Gershman & Rajan (NeurIPS 2025), each from its closed form and from a numerical
solution of the same problem:

* quadratic ``L = ½h(θ − 1)²`` (``h = ηk = 1``): relaxation rates ``r = 1, 0.618, 0.099``
  for ``γ = 0, 1, 10``; a coordinate ``curvature_ratio`` times more curved relaxes
  ``3.89×`` faster at ``γ = 10`` (→ 4, gradient descent) and exactly ``2×`` at ``γ = 0``
  (the square root of the ballistic regime). Numerically: the Euler–Lagrange
  boundary-value problem over ``horizon_rates/r``, its rate fitted on the first third.
* double well ``L = (θ₁² − 1)² − θ₁/2 + θ₂²`` from ``(−0.6, 0.55)``: gradient descent stays
  in the local minimum ``θ₁ ≈ −0.930``, the least-action path (``γ = 0.1``, ``T = 4``, end
  fixed near the global minimum) crosses the barrier. Its action on the published grid
  (50 points, left-point rule, reported as the mean Lagrangian ``S/T``) is ``0.1696``;
  a refined midpoint grid gives the continuum value.
* weight decay (drift ``f = −jθ``, ``h = 4``, ``j = 10``, ``γ = 0``, minimum ``(0, −0.5)``): the
  end point shrinks by ``4/104``; numerically the boundary-value problem's path half-way
  through ``horizon_rates/r``.

Metrics name each number with its closed form and its numerical value; arrays hold the
paths; figures ``quadratic``, ``double_well``, ``weight_decay``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.config import bounds, preset_defaults
from hippo.errors import ConfigError
from hippo.experiments.loss_landscape import figures
from hippo.io import RunDir
from hippo.learning import navigation as nav


@dataclass(frozen=True)
@preset_defaults("loss-landscape.toml", table="quadratic")
class QuadraticConfig:
    """The quadratic ``L = ½h(θ − μ)²`` from ``θ = 0`` to ``μ = 1``.

    Attributes:
        eta_k: ``η·k``.
        curvature: ``h``.
        curvature_ratio: a second coordinate's curvature, in units of ``h``.
        gammas: discount rates compared.
        horizon_rates: length of the boundary-value problem, in units of ``1/r``.
        points: samples of its path.
    """

    eta_k: float = field(metadata=bounds(gt=0.0))
    curvature: float = field(metadata=bounds(gt=0.0))
    curvature_ratio: float = field(metadata=bounds(gt=0.0))
    gammas: tuple[float, ...]
    horizon_rates: float = field(metadata=bounds(min=6.0))
    points: int = field(metadata=bounds(min=101))


@dataclass(frozen=True)
@preset_defaults("loss-landscape.toml", table="double_well")
class DoubleWellConfig:
    """The double well ``L = (θ₁² − 1)² − θ₁/2 + θ₂²``.

    Attributes:
        start, end: the least-action path's fixed ends.
        duration: its length ``T``.
        points: its samples on the published grid (left-point rule).
        refined_points: samples of the refined grid (midpoint rule).
        gamma, eta, k: discount rate, mobility, loss weight.
        descent_duration: how long gradient descent (``θ̇ = −ηk∇L``) is integrated.
    """

    start: tuple[float, ...]
    end: tuple[float, ...]
    duration: float = field(metadata=bounds(gt=0.0))
    points: int = field(metadata=bounds(min=3))
    refined_points: int = field(metadata=bounds(min=3))
    gamma: float = field(metadata=bounds(min=0.0))
    eta: float = field(metadata=bounds(gt=0.0))
    k: float = field(metadata=bounds(gt=0.0))
    descent_duration: float = field(metadata=bounds(gt=0.0))


@dataclass(frozen=True)
@preset_defaults("loss-landscape.toml", table="weight_decay")
class WeightDecayConfig:
    """The drift ``f = −jθ`` on ``L = ½h|θ − μ|²`` (``ηk = 1``).

    Attributes:
        curvature: ``h``.
        decay: ``j`` (1/time).
        gamma: discount rate.
        mu: the loss's minimum.
        start: where the paths start.
    """

    curvature: float = field(metadata=bounds(gt=0.0))
    decay: float = field(metadata=bounds(min=0.0))
    gamma: float = field(metadata=bounds(min=0.0))
    mu: tuple[float, ...]
    start: tuple[float, ...]


@dataclass(frozen=True)
@preset_defaults("loss-landscape.toml")
class Config:
    """The loss-landscape study (nothing random: ``seed`` only names the run)."""

    experiment: str
    seed: int
    quadratic: QuadraticConfig
    double_well: DoubleWellConfig
    weight_decay: WeightDecayConfig


def validate(config: Config) -> None:
    """Two-dimensional ends for the double well, at least one discount rate, non-negative rates."""
    source = "loss-landscape"
    for key in ("start", "end"):
        if len(getattr(config.double_well, key)) != 2:
            raise ConfigError(source, f"double_well.{key}", "needs two numbers", "[theta1, theta2]")
    if not config.quadratic.gammas or min(config.quadratic.gammas) < 0.0:
        raise ConfigError(source, "quadratic.gammas", "needs at least one discount rate, none negative", "[0.0, 1.0, 10.0]")
    if not config.weight_decay.mu or len(config.weight_decay.start) != len(config.weight_decay.mu):
        raise ConfigError(source, "weight_decay.start", "needs one number per coordinate of weight_decay.mu",
                          f"{len(config.weight_decay.mu)} numbers, at least one")


def quadratic_study(config: QuadraticConfig) -> tuple[dict, dict]:
    """Rates of the two curvatures at every ``γ``, closed form and numerical; the paths of the first."""
    metrics, arrays = {}, {}
    for gamma in config.gammas:
        rates = {}
        for label, h in (("", config.curvature), ("_curved", config.curvature * config.curvature_ratio)):
            closed = float(nav.relaxation_rate(h, gamma, config.eta_k))
            duration = config.horizon_rates / closed
            path = nav.quadratic_euler_lagrange(0.0, h, 1.0, gamma, duration, config.eta_k, points=config.points)
            numerical = nav.fitted_rate(path.t, path.theta[:, 0], 1.0, duration / 3)
            rates[label] = (closed, numerical)
            metrics[f"rate{label}_gamma_{figures.gamma_key(gamma)}"] = closed
            metrics[f"rate{label}_gamma_{figures.gamma_key(gamma)}_numerical"] = numerical
            if not label:
                arrays[f"quadratic_t_gamma_{figures.gamma_key(gamma)}"] = path.t
                arrays[f"quadratic_theta_gamma_{figures.gamma_key(gamma)}"] = path.theta[:, 0]
        metrics[f"rate_ratio_gamma_{figures.gamma_key(gamma)}"] = rates["_curved"][0] / rates[""][0]
        metrics[f"rate_ratio_gamma_{figures.gamma_key(gamma)}_numerical"] = rates["_curved"][1] / rates[""][1]
    metrics["rate_ratio_gradient_descent_limit"] = config.curvature_ratio
    metrics["rate_ratio_ballistic_limit"] = float(np.sqrt(config.curvature_ratio))
    return metrics, arrays


def double_well_study(config: DoubleWellConfig) -> tuple[dict, dict]:
    """Gradient descent and the least-action path on the double well; the action on both grids."""
    local, global_ = nav.double_well_minima()
    descent = nav.gradient_descent(nav.double_well_gradient, config.start, config.descent_duration,
                                   rate=config.eta * config.k)
    common = dict(duration=config.duration, gamma=config.gamma, eta=config.eta, k=config.k)
    published = nav.least_action(nav.double_well, nav.double_well_gradient, config.start, config.end,
                                 points=config.points, quadrature="left", **common)
    refined = nav.least_action(nav.double_well, nav.double_well_gradient, config.start, config.end,
                               points=config.refined_points, **common)
    metrics = {
        "double_well_local_minimum": local, "double_well_global_minimum": global_,
        "descent_final_theta1": float(descent.theta[-1, 0]),
        "descent_final_loss": float(nav.double_well(descent.theta[-1])),
        "least_action_mean_lagrangian": published.action / config.duration,
        "least_action_mean_lagrangian_refined": refined.action / config.duration,
        "least_action_final_theta1": float(published.theta[-1, 0]),
        "least_action_final_loss": float(nav.double_well(published.theta[-1])),
        "least_action_crosses_barrier": bool(np.min(published.theta[:, 0]) < 0.0 < np.max(published.theta[:, 0])),
    }
    arrays = {"descent_t": descent.t, "descent_theta": descent.theta,
              "least_action_t": published.t, "least_action_theta": published.theta,
              "refined_t": refined.t, "refined_theta": refined.theta}
    return metrics, arrays


def weight_decay_study(config: WeightDecayConfig, horizon_rates: float, points: int) -> tuple[dict, dict]:
    """End point under the drift ``−jθ``: closed-form shrinkage against each coordinate's boundary-value path."""
    shrink = float(nav.shrinkage(config.curvature, config.gamma, config.decay))
    rate = float(nav.relaxation_rate(config.curvature, config.gamma, decay=config.decay))
    duration = horizon_rates / rate
    paths = [nav.quadratic_euler_lagrange(start, config.curvature, mu, config.gamma, duration, decay=config.decay,
                                          points=points) for start, mu in zip(config.start, config.mu)]
    half = points // 2  # half way: on the decaying branch, long after it relaxed
    reached = np.array([p.theta[half, 0] for p in paths])
    mu = np.asarray(config.mu)
    numerical = float(reached[np.argmax(np.abs(mu))] / mu[np.argmax(np.abs(mu))]) if np.any(mu) else float("nan")
    free = [nav.quadratic_euler_lagrange(start, config.curvature, mu, config.gamma, duration, points=points)
            for start, mu in zip(config.start, config.mu)]
    metrics = {"weight_decay_shrinkage": shrink, "weight_decay_shrinkage_numerical": numerical,
               "weight_decay_rate": rate}
    shown = slice(0, half + 1)  # the decaying branch, before the free end bends it
    arrays = {"decay_t": paths[0].t[shown], "decay_theta": np.stack([p.theta[shown, 0] for p in paths], axis=1),
              "no_decay_theta": np.stack([p.theta[shown, 0] for p in free], axis=1), "decay_mu": mu}
    return metrics, arrays


def run(config: Config, run_dir: RunDir, progress: bool = True) -> dict:
    """Compute the three studies, write their paths and figures, return the metrics."""
    metrics, arrays = {}, {}
    for part_metrics, part_arrays in (quadratic_study(config.quadratic), double_well_study(config.double_well),
                                      weight_decay_study(config.weight_decay, config.quadratic.horizon_rates,
                                                         config.quadratic.points)):
        metrics.update(part_metrics)
        arrays.update(part_arrays)
    run_dir.write_arrays("paths", arrays)
    run_dir.figure("quadratic", lambda path: figures.quadratic(arrays, metrics, config.quadratic, path))
    run_dir.figure("double_well", lambda path: figures.double_well(arrays, metrics, path))
    run_dir.figure("weight_decay", lambda path: figures.weight_decay(arrays, metrics, config.weight_decay, path))
    return metrics
