"""Path-integration metrics in 2-D: bump velocity and gain per direction, and the baseline of no integration.

**Gain per direction.** A constant-velocity probe commands a velocity ``u`` (m/s, a 2-vector)
with the senses off; the decoded positions, unwrapped on periodic axes, are fitted by a
line per axis against time (:func:`bump_velocity`), giving the bump velocity ``w``. With
``ê = u / |u|`` and ``ê⊥`` the unit vector 90° anticlockwise from it,
``gain_along = w·ê / |u|`` (1 for a perfect integrator) and ``gain_across = w·ê⊥ / |u|``
(0 for a perfect integrator: sideways slip) (:func:`directional_gains`).

**Baseline.** :func:`stationary_error` is the error of an estimate that stays where the
agent was when the senses were cut off: what a network without path integration scores.

The error's growth after the switch (gain error, drift vector, diffusion) is
:func:`~hippo.analysis.error_decomposition.decompose_errors`, which serves any dimension.
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
        """Mean gains along and across, mean ``|gain − 1|``, per-direction means along, median R², for ``metrics.json``."""
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
