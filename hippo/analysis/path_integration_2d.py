"""Path-integration metrics in 2-D: bump velocity and gain per direction, and the error's growth.

**Gain per direction.** A constant-velocity probe commands a velocity ``u`` (m/s, a 2-vector)
with the senses off; the decoded positions, unwrapped on periodic axes, are fitted by a
line per axis against time (:func:`bump_velocity`), giving the bump velocity ``w``. With
``ê = u / |u|`` and ``ê⊥`` the unit vector 90° anticlockwise from it,
``gain_along = w·ê / |u|`` (1 for a perfect integrator) and ``gain_across = w·ê⊥ / |u|``
(0 for a perfect integrator: sideways slip) (:func:`directional_gains`).

**Baseline.** :func:`stationary_error` is the error of an estimate that stays where the
agent was when the senses were cut off: what a network without path integration scores.

**Error decomposition.** With the decoded ``x̂`` and true ``x`` positions (2-vectors,
unwrapped on periodic axes) after the switch, the error ``e = x̂ − x``, its change
``Δe(τ) = e(τ) − e(0)`` and the true displacement ``Δx(τ)``, :func:`decompose_errors_2d`
fits, pooled over trials, times and both axes,

    Δe_d(τ) = (g − 1) · Δx_d(τ) + c_d · τ + r_d(τ),   d ∈ {x, y}

by least squares: one gain error ``g − 1`` for both axes, a drift vector ``c`` (m/s), and
the residual ``r``, whose mean squared length over trials ``MSD(τ) = ⟨|r(τ)|²⟩`` grows as
``4 D τ`` for a bump diffusing in 2-D with coefficient ``D`` (m²/s); ``D`` is a quarter
of the slope of a line ``MSD = 4 D τ + m₀`` over the fit window. This is the 2-D form of
:mod:`hippo.analysis.error_decomposition` (whose MSD grows as ``2 D τ`` in 1-D). In a
bounded box the decoder cannot place the bump beyond the walls, so the fit is meaningful
only while errors are small (fit up to the error horizon).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hippo.analysis.velocity_gain import GainCurve, empirical_weights, linear_fit, speed_weighted_gain_error
from hippo.errors import HippoError
from hippo.world.gridworld import Gridworld


def unwrap_path(positions: np.ndarray, env: Gridworld, axis: int = -2) -> np.ndarray:
    """Positions ``(..., T, dim)`` made continuous along ``axis`` on a periodic world (unchanged on a solid one)."""
    positions = np.asarray(positions, dtype=float)
    if not env.periodic:
        return positions
    return np.stack([np.unwrap(positions[..., d], period=float(env.size[d]), axis=axis + 1 if axis < 0 else axis)
                     for d in range(env.dim)], axis=-1)


def bump_velocity(t: np.ndarray, decoded: np.ndarray, env: Gridworld) -> tuple[np.ndarray, float]:
    """Velocity ``(dim,)`` (m/s) of a line fitted per axis to decoded positions ``(T, dim)`` against ``t`` (s),
    and the fit's R² over both axes together (1 − residual / total sum of squares)."""
    path = unwrap_path(decoded, env)
    velocity, residual, total = np.zeros(env.dim), 0.0, 0.0
    for d in range(env.dim):
        slope, intercept, _ = linear_fit(t, path[:, d])
        velocity[d] = slope
        residual += float(np.sum((path[:, d] - intercept - slope * t) ** 2))
        total += float(np.sum((path[:, d] - path[:, d].mean()) ** 2))
    return velocity, (1.0 - residual / total) if total > 0 else 1.0


def stationary_error(t: np.ndarray, true: np.ndarray, env: Gridworld) -> np.ndarray:
    """Mean error ``(n_t,)`` (m) over trials of an estimate that stays where the agent was at the switch.

    The baseline of an integrator that does not integrate: ``⟨|x(τ) − x(0)|⟩`` (the shortest
    way round on periodic worlds), with ``x(0)`` the true position at the sample nearest
    ``t = 0``, for true positions ``(n_trials, n_t, dim)`` at times ``t`` (s).
    """
    true = np.asarray(true, dtype=float)
    switch = int(np.argmin(np.abs(np.asarray(t, dtype=float))))
    return env.distance(true, true[:, switch:switch + 1]).mean(axis=0)


@dataclass(frozen=True)
class DirectionalGains:
    """Bump velocities of constant-velocity probes against the commanded velocities.

    Attributes:
        commanded: ``(K, 2)`` commanded velocities (m/s).
        measured: ``(K, 2)`` bump velocities (m/s).
        r_squared: ``(K,)`` linearity of each probe's decoded path.
        along: ``(K,)`` gain along the commanded direction.
        across: ``(K,)`` gain across it (anticlockwise positive).
    """

    commanded: np.ndarray
    measured: np.ndarray
    r_squared: np.ndarray
    along: np.ndarray
    across: np.ndarray

    @property
    def speeds(self) -> np.ndarray:
        return np.linalg.norm(self.commanded, axis=1)

    @property
    def directions_deg(self) -> np.ndarray:
        """Commanded directions in degrees anticlockwise from +x, in [0, 360)."""
        return np.mod(np.degrees(np.arctan2(self.commanded[:, 1], self.commanded[:, 0])), 360.0)

    def metrics(self) -> dict:
        """Mean gains along and across, mean |gain − 1|, per-direction means along, median R², for ``metrics.json``."""
        per_direction = {f"{d:g}": float(self.along[np.isclose(self.directions_deg, d)].mean())
                         for d in np.unique(np.round(self.directions_deg, 6))}
        return {"gain_along_mean": float(np.mean(self.along)), "gain_across_mean": float(np.mean(self.across)),
                "abs_gain_error_mean": float(np.mean(np.abs(self.along - 1.0))),
                "gain_along_by_direction_deg": per_direction, "r_squared_median": float(np.median(self.r_squared))}

    def speed_weighted(self, speed_samples: np.ndarray) -> dict:
        """Per probed direction, the 1-D gain curve's summary of its gains along: the speed-weighted
        ``Σ_s w_s·|gain_s − 1|`` and ``Σ_s w_s·R²_s`` over the probed speeds ``s``, with ``w_s`` the
        fraction of ``speed_samples`` (m/s, e.g. the training path's speeds) nearest ``s``
        (:func:`~hippo.analysis.velocity_gain.empirical_weights`); and the worst direction of each."""
        errors, r_squared = {}, {}
        directions = np.round(self.directions_deg, 6)
        for d in np.unique(directions):
            probes = np.nonzero(np.isclose(directions, d))[0]
            probes = probes[np.argsort(self.speeds[probes], kind="stable")]
            curve = GainCurve(self.speeds[probes], self.along[probes] * self.speeds[probes], self.along[probes],
                              self.r_squared[probes])
            weights = empirical_weights(curve, speed_samples)
            errors[f"{d:g}"] = speed_weighted_gain_error(curve, weights)
            r_squared[f"{d:g}"] = float(np.sum(weights * curve.r_squared))
        return {"gain_error_speed_weighted_by_direction_deg": errors, "gain_error_speed_weighted_max": max(errors.values()),
                "r_squared_speed_weighted_by_direction_deg": r_squared,
                "r_squared_speed_weighted_min": min(r_squared.values())}


def directional_gains(commanded: np.ndarray, measured: np.ndarray, r_squared: np.ndarray | None = None) -> DirectionalGains:
    """Gains along and across each commanded velocity (module docstring).

    Args:
        commanded: ``(K, 2)`` commanded velocities (m/s), none zero.
        measured: ``(K, 2)`` bump velocities (m/s).
        r_squared: ``(K,)`` linearity of each probe (NaN when not given).
    """
    commanded, measured = np.asarray(commanded, dtype=float), np.asarray(measured, dtype=float)
    if commanded.shape != measured.shape or commanded.ndim != 2 or commanded.shape[1] != 2:
        raise HippoError(f"commanded {commanded.shape} and measured {measured.shape} must both be (K, 2)")
    speed = np.linalg.norm(commanded, axis=1)
    if not (speed > 0).all():
        raise HippoError("every commanded velocity must be non-zero")
    unit = commanded / speed[:, None]
    normal = np.column_stack([-unit[:, 1], unit[:, 0]])
    along = np.sum(measured * unit, axis=1) / speed
    across = np.sum(measured * normal, axis=1) / speed
    r2 = np.full(len(speed), np.nan) if r_squared is None else np.asarray(r_squared, dtype=float)
    return DirectionalGains(commanded, measured, r2, along, across)


@dataclass(frozen=True)
class ErrorDecomposition2D:
    """The 2-D path-integration error split into gain error, drift and diffusion (module docstring).

    Attributes:
        gain_minus_one: ``g − 1``.
        drift_m_per_s: ``(2,)`` drift vector ``c`` (m/s).
        diffusion_m2_per_s: ``D`` (m²/s).
        msd_offset_m2: intercept ``m₀`` of the MSD fit (m²).
        fit_window_s: ``(start, stop)`` seconds after the switch entering both fits.
        tau: ``(n,)`` seconds after the switch.
        msd: ``(n,)`` mean squared residual length (m²).
    """

    gain_minus_one: float
    drift_m_per_s: np.ndarray
    diffusion_m2_per_s: float
    msd_offset_m2: float
    fit_window_s: tuple[float, float]
    tau: np.ndarray
    msd: np.ndarray

    def metrics(self) -> dict:
        return {"gain_minus_one": self.gain_minus_one, "drift_m_per_s": [float(c) for c in self.drift_m_per_s],
                "diffusion_m2_per_s": self.diffusion_m2_per_s, "msd_offset_m2": self.msd_offset_m2,
                "fit_window_s": list(self.fit_window_s)}


def decompose_errors_2d(t: np.ndarray, decoded: np.ndarray, true: np.ndarray, env: Gridworld,
                        fit_window: tuple[float, float] | None = None) -> ErrorDecomposition2D:
    """Gain error, drift vector and diffusion coefficient of 2-D test trials (module docstring).

    Args:
        t: ``(n_t,)`` seconds from the switch; samples before it are ignored, the first at
            ``t ≥ 0`` is the reference.
        decoded, true: ``(n_trials, n_t, 2)`` positions in metres.
        env: the 2-D world (periodic axes are unwrapped).
        fit_window: ``(start, stop)`` seconds after the switch to fit (default: all).
    """
    t = np.asarray(t, dtype=float)
    decoded, true = np.asarray(decoded, dtype=float), np.asarray(true, dtype=float)
    if decoded.shape != true.shape or decoded.ndim != 3 or decoded.shape[1:] != (len(t), 2):
        raise HippoError(f"decoded {decoded.shape} and true {true.shape} must both be (n_trials, {len(t)}, 2)")
    after = t >= 0
    tau = t[after] - t[after][0]
    start, stop = (0.0, float(tau[-1])) if fit_window is None else fit_window
    window = (tau >= start) & (tau <= stop)
    if window.sum() < 3:
        raise HippoError(f"the fit window {start:g}–{stop:g} s after the switch holds {window.sum()} samples; "
                         "at least 3 are needed")
    x_hat, x = unwrap_path(decoded[:, after], env), unwrap_path(true[:, after], env)
    error = x_hat - x
    if env.periodic:  # the error at the switch, the shortest way round
        error = error - error[:, :1] + env.displacement(x_hat[:, :1], x[:, :1])
    change = error - error[:, :1]
    displacement = x - x[:, :1]
    n_trials = len(change)
    rows = []  # design: [Δx_d, τ·[d = x], τ·[d = y]] for every trial, sample and axis d
    for d in range(2):
        time = np.broadcast_to(tau, (n_trials, len(tau)))[:, window].ravel()
        rows.append(np.column_stack([displacement[:, window, d].ravel(), time * (d == 0), time * (d == 1)]))
    design = np.vstack(rows)
    target = np.concatenate([change[:, window, d].ravel() for d in range(2)])
    (gain_minus_one, cx, cy), *_ = np.linalg.lstsq(design, target, rcond=None)
    drift = np.array([cx, cy])
    residual = change - gain_minus_one * displacement - tau[None, :, None] * drift
    msd = np.mean(np.sum(residual**2, axis=2), axis=0)
    slope, offset = np.polyfit(tau[window], msd[window], 1)
    return ErrorDecomposition2D(float(gain_minus_one), drift, float(slope / 4), float(offset),
                                (float(start), float(stop)), tau, msd)
