"""Velocity gain curve of a path integrator on a ring.

With its senses off, a path integrator should move its activity bump at the commanded
velocity. Constant-velocity probes measure how well it does: for every commanded
velocity ``v`` (m/s) the decoded position on the ring of length ``L`` is unwrapped
(:func:`unwrap`) and fitted by a line against time (:func:`linear_fit`). The slope is
the bump velocity; ``gain = bump velocity / v`` (1 for a perfect integrator); the fit's
R² measures how linear (steady) the motion is.

Summaries of a :class:`GainCurve`:

- :func:`speed_weighted_gain_error`: mean ``|gain − 1|`` weighted by how often each
  velocity occurs, under a Gaussian velocity distribution (:func:`gaussian_weights`, e.g.
  the training motion's Ornstein–Uhlenbeck velocity) or an empirical one
  (:func:`empirical_weights`, e.g. the velocities of the test trajectory). Each probe
  stands for the velocities closer to it than to any other probe with a defined gain;
  the outermost probes also stand for the tails beyond them.
- :func:`max_integrated_speed`: the largest speed up to which every probe is within
  ±``tolerance`` of unit gain.
- :func:`gain_curve_summary`: these and the R² and zero-velocity drift as scalars for
  ``metrics.json``.

:func:`probe_velocities` builds the default probe set (−1.5 … +1.5 m/s in 0.1 m/s steps)
and :func:`measure_gain_curve` runs a probe function over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from hippo.errors import HippoError


# ------------------------------------------------------------------ ring geometry
def unwrap(positions: np.ndarray, length: float, axis: int = -1) -> np.ndarray:
    """Positions on a ring of ``length`` metres made continuous along ``axis``.

    Every step between consecutive samples is taken the shorter way round, so the
    result is correct whenever the true motion between two samples is less than half a
    ring (``length / 2``). The first sample keeps its value.

    Args:
        positions: positions in metres (any shape).
        length: ring length in metres.
        axis: the time axis.

    Returns:
        Unwrapped positions in metres, same shape as ``positions``.
    """
    return np.unwrap(np.asarray(positions, dtype=float), period=length, axis=axis)


def linear_fit(t: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares line ``y ≈ intercept + slope · t``.

    Args:
        t: ``(T,)`` times in seconds (at least two distinct values).
        y: ``(T,)`` values (e.g. metres).

    Returns:
        ``(slope, intercept, r_squared)``: slope in units of ``y`` per second, and the
        fraction of the variance of ``y`` the line explains (1.0 when ``y`` is constant
        and fitted exactly).
    """
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    t_centred = t - t.mean()
    y_centred = y - y.mean()
    sxx = float(t_centred @ t_centred)
    if sxx == 0:
        raise HippoError("a linear fit needs at least two distinct times")
    slope = float(t_centred @ y_centred) / sxx
    intercept = float(y.mean() - slope * t.mean())
    total = float(y_centred @ y_centred)
    residual = float(np.sum((y_centred - slope * t_centred) ** 2))
    r_squared = 1.0 - residual / total if total > 0 else 1.0
    return slope, intercept, r_squared


# ------------------------------------------------------------------ gain curve
@dataclass(frozen=True)
class GainCurve:
    """Bump velocity against commanded velocity, from constant-velocity probes.

    Attributes:
        velocities: ``(K,)`` commanded velocities in m/s, ascending.
        bump_velocities: ``(K,)`` slopes of the unwrapped decoded position, m/s.
        gains: ``(K,)`` ``bump_velocity / velocity`` (dimensionless); NaN at zero velocity.
        r_squared: ``(K,)`` R² of the line fitted to each probe's unwrapped position.
    """

    velocities: np.ndarray
    bump_velocities: np.ndarray
    gains: np.ndarray
    r_squared: np.ndarray

    @property
    def defined(self) -> np.ndarray:
        """``(K,)`` True where the gain is defined (non-zero velocity, finite gain)."""
        return np.isfinite(self.gains)


def gain_curve(velocities, times, positions, length: float, transient: float = 0.0) -> GainCurve:
    """Fit the bump velocity of every constant-velocity probe.

    Args:
        velocities: ``(K,)`` commanded velocities in m/s.
        times: ``K`` arrays of sample times in seconds, one per probe.
        positions: ``K`` arrays of decoded positions in metres on the ring, one per probe
            (same lengths as ``times``); they are unwrapped with :func:`unwrap`, which
            needs the bump to move less than half a ring between samples.
        length: ring length in metres.
        transient: seconds at the start of each probe left out of the fit (the bump
            accelerating to its steady velocity).

    Returns:
        The :class:`GainCurve`, probes sorted by commanded velocity.
    """
    velocities = np.asarray(velocities, dtype=float)
    if velocities.ndim != 1 or len(times) != len(velocities) or len(positions) != len(velocities):
        raise HippoError(f"velocities, times and positions need one entry per probe, got "
                         f"{velocities.shape}, {len(times)} and {len(positions)}")
    if length <= 0:
        raise HippoError(f"the ring length must be > 0 metres, got {length}")
    if transient < 0:
        raise HippoError(f"transient must be >= 0 seconds, got {transient}")
    slopes, r_squared = np.empty(len(velocities)), np.empty(len(velocities))
    for k, (v, t, x) in enumerate(zip(velocities, times, positions)):
        t, x = np.asarray(t, dtype=float).reshape(-1), np.asarray(x, dtype=float).reshape(-1)
        if t.shape != x.shape:
            raise HippoError(f"probe at {v:g} m/s: {len(t)} times but {len(x)} positions")
        kept = t >= t[0] + transient
        if kept.sum() < 3:
            raise HippoError(f"probe at {v:g} m/s has {kept.sum()} samples after the {transient:g}-s transient; "
                             f"at least 3 are needed")
        slopes[k], _, r_squared[k] = linear_fit(t[kept], unwrap(x, length)[kept])
    with np.errstate(divide="ignore", invalid="ignore"):
        gains = np.where(velocities != 0, slopes / velocities, np.nan)
    order = np.argsort(velocities, kind="stable")
    return GainCurve(velocities[order], slopes[order], gains[order], r_squared[order])


def probe_velocities(max_velocity: float = 1.5, step: float = 0.1) -> np.ndarray:
    """Commanded probe velocities ``−max_velocity, …, 0, …, +max_velocity`` in steps of ``step`` (m/s).

    ``max_velocity`` must be a whole number of steps; zero is included (it measures the
    drift).
    """
    if step <= 0 or max_velocity <= 0:
        raise HippoError(f"max_velocity and step must be > 0 m/s, got {max_velocity} and {step}")
    n = int(round(max_velocity / step))
    if not np.isclose(n * step, max_velocity):
        raise HippoError(f"max_velocity {max_velocity} m/s is not a whole number of {step} m/s steps")
    return np.arange(-n, n + 1) * step


def measure_gain_curve(decode_probe: Callable[[float], tuple[np.ndarray, np.ndarray]], length: float,
                       velocities: np.ndarray | None = None, transient: float = 0.0) -> GainCurve:
    """Run ``decode_probe`` at every velocity and fit the gain curve.

    Args:
        decode_probe: ``decode_probe(velocity)`` runs one constant-velocity probe (m/s)
            with the senses off and returns ``(t, positions)``: sample times in seconds
            and decoded positions in metres.
        length: ring length in metres.
        velocities: commanded velocities in m/s; :func:`probe_velocities` by default.
        transient: seconds at the start of each probe left out of the fit.

    Returns:
        The :class:`GainCurve`.
    """
    velocities = probe_velocities() if velocities is None else np.asarray(velocities, dtype=float)
    runs = [decode_probe(float(v)) for v in velocities]
    return gain_curve(velocities, [t for t, _ in runs], [x for _, x in runs], length, transient)


# ------------------------------------------------------------------ summaries
def _cell_edges(velocities: np.ndarray) -> np.ndarray:
    """Edges ``(K + 1,)`` of the cells of ascending ``velocities``: midpoints, then ±∞ at the ends."""
    middle = (velocities[1:] + velocities[:-1]) / 2
    return np.concatenate([[-np.inf], middle, [np.inf]])


def gaussian_weights(curve: GainCurve, mean: float, std: float) -> np.ndarray:
    """Probability ``(K,)`` of each probe's velocity cell under a Gaussian velocity distribution.

    Args:
        curve: the gain curve; probes without a defined gain get weight 0 and the cells
            are built from the others.
        mean: mean velocity in m/s.
        std: standard deviation of the velocity in m/s (> 0).

    Returns:
        Weights summing to 1.
    """
    if std <= 0:
        raise HippoError(f"the velocity distribution's std must be > 0 m/s, got {std}")
    defined = _defined_or_raise(curve)
    cdf = ndtr((_cell_edges(curve.velocities[defined]) - mean) / std)
    weights = np.zeros(len(curve.velocities))
    weights[defined] = np.diff(cdf)
    return weights / weights.sum()


def empirical_weights(curve: GainCurve, samples: np.ndarray) -> np.ndarray:
    """Fraction ``(K,)`` of velocity ``samples`` (m/s) in each probe's velocity cell.

    Each sample counts for the nearest probe with a defined gain (a sample exactly half
    way between two probes counts for the lower one); probes without a defined gain get
    weight 0. Weights sum to 1.
    """
    samples = np.asarray(samples, dtype=float).reshape(-1)
    samples = samples[np.isfinite(samples)]
    if len(samples) == 0:
        raise HippoError("empirical_weights needs at least one finite velocity sample")
    defined = _defined_or_raise(curve)
    cell = np.searchsorted(_cell_edges(curve.velocities[defined])[1:-1], samples)
    weights = np.zeros(len(curve.velocities))
    weights[defined] = np.bincount(cell, minlength=defined.sum()) / len(samples)
    return weights


def _defined_or_raise(curve: GainCurve) -> np.ndarray:
    defined = curve.defined
    if not defined.any():
        raise HippoError("the gain curve has no probe with a defined gain (all velocities are zero)")
    return defined


def speed_weighted_gain_error(curve: GainCurve, weights: np.ndarray) -> float:
    """``Σ_k w_k |gain_k − 1|`` over the probes with a defined gain (dimensionless).

    ``weights`` ``(K,)`` come from :func:`gaussian_weights` or :func:`empirical_weights`.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.shape != curve.velocities.shape:
        raise HippoError(f"weights must have one entry per probe ({len(curve.velocities)}), got {weights.shape}")
    defined = curve.defined
    return float(np.sum(weights[defined] * np.abs(curve.gains[defined] - 1.0)))


def max_integrated_speed(curve: GainCurve, tolerance: float = 0.1) -> float:
    """Largest probe speed ``s`` (m/s) such that every probe with ``0 < |v| ≤ s`` has ``|gain − 1| ≤ tolerance``.

    Both directions count: the first probe, in order of speed, whose gain is off by more
    than ``tolerance`` ends the range. 0.0 when the slowest probe already fails.
    """
    defined = curve.defined
    speeds = np.abs(curve.velocities[defined])
    within = np.abs(curve.gains[defined] - 1.0) <= tolerance
    failing = speeds[~within]
    limit = failing.min() if len(failing) else np.inf
    passing = speeds[speeds < limit]
    return float(passing.max()) if len(passing) else 0.0


def gain_curve_summary(curve: GainCurve, weights: np.ndarray, tolerance: float = 0.1) -> dict:
    """Scalar summary of a gain curve for ``metrics.json``.

    Args:
        curve: the gain curve.
        weights: ``(K,)`` velocity weights (:func:`gaussian_weights`, :func:`empirical_weights`).
        tolerance: relative gain error accepted by :func:`max_integrated_speed`.

    Returns:
        ``gain_error_speed_weighted`` (:func:`speed_weighted_gain_error`),
        ``r_squared_speed_weighted`` (weighted mean R² over probes with a defined gain),
        ``r_squared_min`` (the lowest of those R²), ``max_integrated_speed_m_per_s``,
        ``gain_tolerance``, ``zero_velocity_drift_m_per_s`` (the bump velocity of the
        zero-velocity probe, or None if there is none), and ``velocities_m_per_s``,
        ``gains``, ``r_squared`` per probe (None where undefined).
    """
    defined = curve.defined
    zero = np.nonzero(curve.velocities == 0)[0]
    return {
        "gain_error_speed_weighted": speed_weighted_gain_error(curve, weights),
        "r_squared_speed_weighted": float(np.sum(weights[defined] * curve.r_squared[defined]) / np.sum(weights[defined])),
        "r_squared_min": float(curve.r_squared[defined].min()),
        "max_integrated_speed_m_per_s": max_integrated_speed(curve, tolerance),
        "gain_tolerance": float(tolerance),
        "zero_velocity_drift_m_per_s": float(curve.bump_velocities[zero[0]]) if len(zero) else None,
        "velocities_m_per_s": [float(v) for v in curve.velocities],
        "gains": [float(g) if np.isfinite(g) else None for g in curve.gains],
        "r_squared": [float(r) for r in curve.r_squared],
    }
