"""How the path-integration error grows: gain error, drift and diffusion; error horizons.

After the senses are cut off, the decoded position ``x̂`` departs from the true position
``x`` (both ``dim``-vectors: ``dim = 1`` on a ring, 2 in a 2-D world). On periodic axes
both are unwrapped over time (:func:`~hippo.analysis.velocity_gain.unwrap`), so the
signed error ``e = x̂ − x`` keeps growing past half a period; it starts as the shortest
signed error at the switch. With ``Δe(τ) = e(τ) − e(0)`` and the true displacement
``Δx(τ) = x(τ) − x(0)`` at time ``τ`` after the switch, :func:`decompose_errors` fits,
pooled over trials, times and axes ``d``,

    Δe_d(τ) = (g − 1) · Δx_d(τ) + c_d · τ + r_d(τ)

by least squares (no intercept: both sides vanish at the switch). The slope ``g − 1``,
one for all axes, is the gain error (a bump moving at ``g`` times the true velocity),
the vector ``c`` the drift (m/s, error growth that does not depend on the motion), and
the residual ``r`` what is left: diffusion of the bump and decoding noise. Its mean
squared length over trials, ``MSD(τ) = ⟨|r(τ)|²⟩``, grows as ``2 · dim · D · τ`` for a
bump diffusing with coefficient ``D`` (m²/s); a straight line ``MSD = 2 · dim · D · τ + m₀``
fitted over the fit window gives ``D``, and the intercept ``m₀`` absorbs the decoding
noise of single samples. Gain error grows the error like ``τ``, diffusion like ``√τ``.
In a bounded box the decoder cannot place the bump beyond the walls, so the fit is
meaningful only while errors are small (fit up to the error horizon). Standard errors
are jackknife estimates over trials (trials are independent, samples within a trial are not).

:func:`error_horizon` gives the first time the mean error exceeds a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hippo.analysis.velocity_gain import unwrap
from hippo.errors import HippoError
from hippo.world.gridworld import Gridworld, periodic_displacement


@dataclass(frozen=True)
class ErrorDecomposition:
    """The path-integration error split into gain error, drift and diffusion.

    Attributes:
        gain_minus_one: slope of the error on the true displacement, ``g − 1`` (dimensionless).
        gain_minus_one_sem: its jackknife standard error over trials (NaN for one trial).
        drift_m_per_s: ``(dim,)`` error growth per second independent of the displacement (m/s).
        drift_sem: ``(dim,)`` its jackknife standard error (m/s).
        diffusion_m2_per_s: diffusion coefficient ``D`` of the residual (m²/s).
        diffusion_sem: its jackknife standard error (m²/s).
        msd_offset_m2: intercept ``m₀`` of the MSD fit (m²).
        fit_window_s: ``(start, stop)`` seconds after the switch whose samples enter both fits.
        tau: ``(n,)`` seconds after the switch (0 at the switch).
        msd: ``(n,)`` mean squared residual length over trials (m²).
        signed_error: ``(n_trials, n, dim)`` unwrapped signed error ``x̂ − x`` (m).
        displacement: ``(n_trials, n, dim)`` true displacement since the switch (m).
    """

    gain_minus_one: float
    gain_minus_one_sem: float
    drift_m_per_s: np.ndarray
    drift_sem: np.ndarray
    diffusion_m2_per_s: float
    diffusion_sem: float
    msd_offset_m2: float
    fit_window_s: tuple[float, float]
    tau: np.ndarray
    msd: np.ndarray
    signed_error: np.ndarray
    displacement: np.ndarray

    def metrics(self) -> dict:
        """The scalars, for ``metrics.json`` (the drift and its error a number on a ring, a list per axis else)."""
        def per_axis(vector):
            return float(vector[0]) if len(vector) == 1 else [float(v) for v in vector]

        return {
            "gain_minus_one": self.gain_minus_one, "gain_minus_one_sem": self.gain_minus_one_sem,
            "drift_m_per_s": per_axis(self.drift_m_per_s), "drift_sem_m_per_s": per_axis(self.drift_sem),
            "diffusion_m2_per_s": self.diffusion_m2_per_s, "diffusion_sem_m2_per_s": self.diffusion_sem,
            "msd_offset_m2": self.msd_offset_m2, "fit_window_s": list(self.fit_window_s),
        }


def _positions(name: str, values, dim: int) -> np.ndarray:
    """``(n_trials, n_t, dim)`` positions; on a ring also from ``(n_trials, n_t)``."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 2 and dim == 1:
        values = values[:, :, None]
    if values.ndim != 3 or values.shape[2] != dim:
        raise HippoError(f"{name} must have shape (n_trials, n_t, {dim}), got {values.shape}")
    return values


def _fit(change: np.ndarray, displacement: np.ndarray, tau: np.ndarray, window: np.ndarray):
    """Gain error, drift ``(dim,)``, D, MSD intercept and MSD ``(n,)`` of one set of trials (module docstring).

    ``change`` and ``displacement`` are ``(n_trials, n, dim)`` in metres, ``tau`` ``(n,)``
    seconds, ``window`` the ``(n,)`` samples fitted.
    """
    dim = change.shape[2]
    time = np.broadcast_to(tau, change.shape[:2])
    fitted = time[:, window].ravel()
    # design: [Δx_d, τ·[d = 0], ..., τ·[d = dim − 1]] for every trial, sample and axis d
    design = np.vstack([np.column_stack([displacement[:, window, d].ravel(), *(fitted * (d == k) for k in range(dim))])
                        for d in range(dim)])
    target = np.concatenate([change[:, window, d].ravel() for d in range(dim)])
    (gain_minus_one, *drift), *_ = np.linalg.lstsq(design, target, rcond=None)
    drift = np.array(drift)
    msd = np.mean(sum((change[..., d] - gain_minus_one * displacement[..., d] - drift[d] * time) ** 2
                      for d in range(dim)), axis=0)
    slope, offset = np.polyfit(tau[window], msd[window], 1)
    return float(gain_minus_one), drift, float(slope / (2 * dim)), float(offset), msd


def _jackknife_sem(estimates: np.ndarray) -> np.ndarray:
    """Jackknife standard errors from leave-one-out estimates ``(n, k)``."""
    n = len(estimates)
    return np.sqrt((n - 1) / n * np.sum((estimates - estimates.mean(axis=0)) ** 2, axis=0))


def decompose_errors(t: np.ndarray, decoded: np.ndarray, true: np.ndarray, world: float | Gridworld,
                     fit_window: tuple[float, float] | None = None) -> ErrorDecomposition:
    """Split the path-integration error of test trials into gain error, drift and diffusion.

    Args:
        t: ``(n_t,)`` seconds from the switch to generation; samples with ``t < 0``
            (before the switch) are ignored and the first sample with ``t ≥ 0`` is the
            reference (``τ = 0``).
        decoded: ``(n_trials, n_t, dim)`` decoded positions in metres (on a ring also ``(n_trials, n_t)``).
        true: the true positions, same shape.
        world: a ring's length in metres (``dim = 1``), or the world the positions are in
            (its periodic axes are unwrapped, the shortest way round at the switch).
        fit_window: ``(start, stop)`` seconds after the switch whose samples enter the
            regression and the MSD fit; the whole test by default. Restrict it to before
            the error horizon when the bump is lost later in the test.

    Returns:
        The :class:`ErrorDecomposition`.
    """
    t = np.asarray(t, dtype=float)
    ring = not isinstance(world, Gridworld)
    if ring and world <= 0:
        raise HippoError(f"the ring length must be > 0 metres, got {world}")
    dim = 1 if ring else world.dim
    decoded, true = _positions("decoded", decoded, dim), _positions("true", true, dim)
    if decoded.shape != true.shape or decoded.shape[1] != len(t):
        raise HippoError(f"decoded {decoded.shape} and true {true.shape} must both have shape "
                         f"(n_trials, {len(t)}, {dim})")
    after = t >= 0
    if not after.any():
        raise HippoError("decompose_errors needs samples after the switch (t >= 0)")
    tau = t[after] - t[after][0]
    start, stop = (0.0, float(tau[-1])) if fit_window is None else fit_window
    window = (tau >= start) & (tau <= stop)
    if window.sum() < 3:
        raise HippoError(f"the fit window {start:g}–{stop:g} s after the switch holds {window.sum()} samples; "
                         f"at least 3 are needed")
    periods = (world,) if ring else world.size if world.periodic else None
    x_hat, x = decoded[:, after], true[:, after]
    if periods is not None:
        x_hat, x = ([np.stack([unwrap(p[..., d], float(period), axis=1) for d, period in enumerate(periods)], axis=-1)
                     for p in (x_hat, x)])
    error = x_hat - x
    if periods is not None:  # the error at the switch, the shortest way round
        first = error[:, :1]
        error = error - first + periodic_displacement(first, np.asarray(periods, dtype=float))
    displacement = x - x[:, :1]
    change = error - error[:, :1]
    gain_minus_one, drift, diffusion, offset, msd = _fit(change, displacement, tau, window)
    n = len(error)
    if n > 1:
        leave_one_out = np.array([np.hstack(_fit(np.delete(change, i, 0), np.delete(displacement, i, 0), tau,
                                                 window)[:3]) for i in range(n)])
        sems = _jackknife_sem(leave_one_out)
    else:
        sems = np.full(dim + 2, np.nan)
    return ErrorDecomposition(
        gain_minus_one=gain_minus_one, gain_minus_one_sem=float(sems[0]),
        drift_m_per_s=drift, drift_sem=sems[1:-1],
        diffusion_m2_per_s=diffusion, diffusion_sem=float(sems[-1]),
        msd_offset_m2=offset, fit_window_s=(float(start), float(stop)),
        tau=tau, msd=msd, signed_error=error, displacement=displacement,
    )


# ------------------------------------------------------------------ horizons
@dataclass(frozen=True)
class ErrorHorizon:
    """When the mean error first exceeds a threshold.

    Attributes:
        threshold_m: the error threshold in metres.
        seconds: the first time after the switch (s) at which the mean error exceeds the
            threshold; if it never does, the last time of the test — then a lower bound.
        reached: whether the threshold was exceeded within the test.
    """

    threshold_m: float
    seconds: float
    reached: bool


def error_horizon(t: np.ndarray, mean_error: np.ndarray, threshold: float) -> ErrorHorizon:
    """First sample time ``t > 0`` (s) with ``mean_error > threshold`` (m).

    Args:
        t: ``(n_t,)`` seconds from the switch (samples at ``t ≤ 0`` are ignored).
        mean_error: ``(n_t,)`` mean error over trials in metres.
        threshold: error threshold in metres.

    Returns:
        The :class:`ErrorHorizon`; when the threshold is never exceeded, ``seconds`` is the
        test's last time and ``reached`` is False.
    """
    t = np.asarray(t, dtype=float)
    mean_error = np.asarray(mean_error, dtype=float)
    if t.shape != mean_error.shape:
        raise HippoError(f"t {t.shape} and mean_error {mean_error.shape} must have the same shape")
    after = t > 0
    if not after.any():
        raise HippoError("error_horizon needs samples after the switch (t > 0)")
    above = np.nonzero(mean_error[after] > threshold)[0]
    if len(above):
        return ErrorHorizon(float(threshold), float(t[after][above[0]]), True)
    return ErrorHorizon(float(threshold), float(t[after][-1]), False)


def error_horizons(t: np.ndarray, errors: np.ndarray, thresholds=(0.05, 0.10)) -> dict:
    """Horizons of the trial-mean error for ``metrics.json``.

    Args:
        t: ``(n_t,)`` seconds from the switch.
        errors: ``(n_trials, n_t)`` unsigned errors in metres.
        thresholds: thresholds in metres.

    Returns:
        ``horizon_<X>cm_s`` (seconds, :class:`ErrorHorizon`) and ``horizon_<X>cm_reached``
        for every threshold ``X`` in centimetres, e.g. ``horizon_10cm_s``.
    """
    mean = np.mean(np.asarray(errors, dtype=float), axis=0)
    metrics = {}
    for threshold in thresholds:
        horizon = error_horizon(t, mean, threshold)
        name = f"horizon_{threshold * 100:g}cm"
        metrics[f"{name}_s"], metrics[f"{name}_reached"] = horizon.seconds, horizon.reached
    return metrics
