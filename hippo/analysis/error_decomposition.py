"""How the path-integration error grows: gain error, drift and diffusion; error horizons.

After the senses are cut off, the decoded position ``x̂`` departs from the true position
``x``. On a ring of length ``L`` both are unwrapped over time
(:func:`~hippo.analysis.velocity_gain.unwrap`), so the signed error ``e = x̂ − x`` keeps
growing past half a ring; it starts as the shortest signed error at the switch. With
``Δe(τ) = e(τ) − e(0)`` and the true displacement ``Δx(τ) = x(τ) − x(0)`` at time ``τ``
after the switch, :func:`decompose_errors` fits, pooled over trials and times,

    Δe(τ) = (g − 1) · Δx(τ) + c · τ + r(τ)

by least squares (no intercept: both sides vanish at the switch). The slope ``g − 1`` is
the gain error (a bump moving at ``g`` times the true velocity), ``c`` the drift (m/s,
error growth that does not depend on the motion), and the residual ``r`` what is left:
diffusion of the bump and decoding noise. Its mean squared displacement over trials,
``MSD(τ) = ⟨r(τ)²⟩``, grows as ``2 D τ`` for a bump diffusing in 1-D with coefficient
``D`` (m²/s); a straight line ``MSD = 2 D τ + m₀`` fitted over the fit window gives ``D``,
and the intercept ``m₀`` absorbs the decoding noise of single samples. Gain error grows
the error like ``τ``, diffusion like ``√τ``. Standard errors are jackknife estimates over
trials (trials are independent, samples within a trial are not).

:func:`error_horizon` gives the first time the mean error exceeds a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hippo.analysis.velocity_gain import unwrap, wrap_signed
from hippo.errors import HippoError


@dataclass(frozen=True)
class ErrorDecomposition:
    """The path-integration error split into gain error, drift and diffusion.

    Attributes:
        gain_minus_one: slope of the error on the true displacement, ``g − 1`` (dimensionless).
        gain_minus_one_sem: its jackknife standard error over trials (NaN for one trial).
        drift_m_per_s: error growth per second independent of the displacement (m/s).
        drift_sem: its jackknife standard error (m/s).
        diffusion_m2_per_s: diffusion coefficient ``D`` of the residual (m²/s).
        diffusion_sem: its jackknife standard error (m²/s).
        msd_offset_m2: intercept ``m₀`` of the MSD fit (m²).
        fit_window_s: ``(start, stop)`` seconds after the switch whose samples enter both fits.
        tau: ``(n,)`` seconds after the switch (0 at the switch).
        msd: ``(n,)`` mean squared residual displacement over trials (m²).
        signed_error: ``(n_trials, n)`` unwrapped signed error ``x̂ − x`` (m).
        displacement: ``(n_trials, n)`` true displacement since the switch (m).
    """

    gain_minus_one: float
    gain_minus_one_sem: float
    drift_m_per_s: float
    drift_sem: float
    diffusion_m2_per_s: float
    diffusion_sem: float
    msd_offset_m2: float
    fit_window_s: tuple[float, float]
    tau: np.ndarray
    msd: np.ndarray
    signed_error: np.ndarray
    displacement: np.ndarray

    def metrics(self) -> dict:
        """The scalars, for ``metrics.json``."""
        return {
            "gain_minus_one": self.gain_minus_one, "gain_minus_one_sem": self.gain_minus_one_sem,
            "drift_m_per_s": self.drift_m_per_s, "drift_sem_m_per_s": self.drift_sem,
            "diffusion_m2_per_s": self.diffusion_m2_per_s, "diffusion_sem_m2_per_s": self.diffusion_sem,
            "msd_offset_m2": self.msd_offset_m2, "fit_window_s": list(self.fit_window_s),
        }


def _trials_by_time(name: str, values) -> np.ndarray:
    """``(n_trials, n_t)`` from ``(n_trials, n_t)`` or ``(n_trials, n_t, 1)`` positions."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if values.ndim != 2:
        raise HippoError(f"{name} must have shape (n_trials, n_t) or (n_trials, n_t, 1) on a ring, got {values.shape}")
    return values


def signed_error(decoded: np.ndarray, true: np.ndarray, length: float) -> np.ndarray:
    """Unwrapped signed error ``(n_trials, n_t)`` in metres of decoded against true positions on a ring.

    Both are unwrapped along time (each must move less than half a ring between
    samples); the first sample's error is the shortest signed one, in ``[−L/2, L/2)``.
    """
    error = unwrap(decoded, length, axis=1) - unwrap(true, length, axis=1)
    return error - error[:, :1] + wrap_signed(error[:, :1], length)


def _fit(error: np.ndarray, displacement: np.ndarray, tau: np.ndarray, window: np.ndarray):
    """Gain error, drift, D, MSD intercept and MSD ``(n,)`` of one set of trials (see the module docstring)."""
    change = error - error[:, :1]
    t = np.broadcast_to(tau, change.shape)
    design = np.column_stack([displacement[:, window].ravel(), t[:, window].ravel()])
    (gain_minus_one, drift), *_ = np.linalg.lstsq(design, change[:, window].ravel(), rcond=None)
    msd = np.mean((change - gain_minus_one * displacement - drift * t) ** 2, axis=0)
    slope, offset = np.polyfit(tau[window], msd[window], 1)
    return float(gain_minus_one), float(drift), float(slope / 2), float(offset), msd


def _jackknife_sem(estimates: np.ndarray) -> np.ndarray:
    """Jackknife standard errors from leave-one-out estimates ``(n, k)``."""
    n = len(estimates)
    return np.sqrt((n - 1) / n * np.sum((estimates - estimates.mean(axis=0)) ** 2, axis=0))


def decompose_errors(t: np.ndarray, decoded: np.ndarray, true: np.ndarray, length: float,
                     fit_window: tuple[float, float] | None = None) -> ErrorDecomposition:
    """Split the path-integration error of test trials into gain error, drift and diffusion.

    Args:
        t: ``(n_t,)`` seconds from the switch to generation; samples with ``t < 0``
            (before the switch) are ignored and the first sample with ``t ≥ 0`` is the
            reference (``τ = 0``).
        decoded: ``(n_trials, n_t)`` (or ``(n_trials, n_t, 1)``) decoded positions in metres on the ring.
        true: the true positions, same shape.
        length: ring length in metres.
        fit_window: ``(start, stop)`` seconds after the switch whose samples enter the
            regression and the MSD fit; the whole test by default. Restrict it to before
            the error horizon when the bump is lost later in the test.

    Returns:
        The :class:`ErrorDecomposition`.
    """
    t = np.asarray(t, dtype=float)
    decoded, true = _trials_by_time("decoded", decoded), _trials_by_time("true", true)
    if decoded.shape != true.shape or decoded.shape[1] != len(t):
        raise HippoError(f"decoded {decoded.shape} and true {true.shape} must both have shape (n_trials, {len(t)})")
    if length <= 0:
        raise HippoError(f"the ring length must be > 0 metres, got {length}")
    after = t >= 0
    if not after.any():
        raise HippoError("decompose_errors needs samples after the switch (t >= 0)")
    tau = t[after] - t[after][0]
    start, stop = (0.0, float(tau[-1])) if fit_window is None else fit_window
    window = (tau >= start) & (tau <= stop)
    if window.sum() < 3:
        raise HippoError(f"the fit window {start:g}–{stop:g} s after the switch holds {window.sum()} samples; "
                         f"at least 3 are needed")
    error = signed_error(decoded[:, after], true[:, after], length)
    displacement = unwrap(true[:, after], length, axis=1)
    displacement = displacement - displacement[:, :1]
    gain_minus_one, drift, diffusion, offset, msd = _fit(error, displacement, tau, window)
    n = len(error)
    if n > 1:
        leave_one_out = np.array([_fit(np.delete(error, i, 0), np.delete(displacement, i, 0), tau, window)[:3]
                                  for i in range(n)])
        sems = _jackknife_sem(leave_one_out)
    else:
        sems = np.full(3, np.nan)
    return ErrorDecomposition(
        gain_minus_one=gain_minus_one, gain_minus_one_sem=float(sems[0]),
        drift_m_per_s=drift, drift_sem=float(sems[1]),
        diffusion_m2_per_s=diffusion, diffusion_sem=float(sems[2]),
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
