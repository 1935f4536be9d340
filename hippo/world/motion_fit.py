"""Smooth simulated motion fitted to a recorded path: the speed and turning statistics of ``kind = "smooth"``.

Smooth 2-D motion (:class:`hippo.world.motion.PlaneMotion`) moves at speed ``|s|`` with ``s``
an Ornstein–Uhlenbeck process (mean ``speed_mean``, standard deviation ``speed_std``,
correlation time ``coherence_time``) and turns at an angular velocity ``ω``, an OU process of
standard deviation ``rotation_std`` (rad/s) and correlation time ``rotation_coherence_time``.
:func:`fit_smooth_motion` estimates the five from a path's per-step velocities (m/s, at the
network's step, as the velocity cells see them):

- **Speed.** ``speed_mean`` and ``speed_std`` maximise the likelihood of the speeds under
  the folded normal ``|N(μ, σ)|``. The speeds' autocorrelation falls to ``1/e`` after a lag
  ``τ_e``; for ``|OU(μ, σ, τ)|`` that lag is ``τ·f(μ/σ)`` (the process scales with ``τ``), so
  ``coherence_time = τ_e / f(μ/σ)``, with ``f`` measured on a seeded simulation of ``τ = 1``.
- **Turning.** For OU angular velocity the heading change over a lag ``τ`` is Gaussian with
  variance ``V(τ) = 2σ²τ_r²(τ/τ_r − 1 + e^{−τ/τ_r})``. Measured on pairs of steps ``τ`` apart
  at which the agent moves faster than ``min_speed`` (a resting animal's heading is noise),
  ``V(τ) = −2 ln⟨cos Δθ⟩`` (exact for a wrapped Gaussian, so wrapping does not bias it);
  ``σ`` and ``τ_r`` are fitted by least squares over :data:`TURN_LAGS`, lags short enough that
  walls have not yet turned the animal (a rat's ``V`` grows more slowly than OU turning
  predicts beyond about 0.3 s).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

from hippo.world.motion import MotionConfig, ornstein_uhlenbeck

#: Lags (seconds) over which the turning statistics are fitted.
TURN_LAGS = (0.025, 0.05, 0.075, 0.1, 0.15, 0.2)


def _e_folding_lag(x: np.ndarray, dt: float) -> float:
    """Lag (seconds) at which the autocorrelation of ``x`` (sampled every ``dt`` s) first falls below ``1/e``."""
    centred = x - x.mean()
    spectrum = np.fft.rfft(centred, 2 * len(centred))
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum))[:len(centred)]
    below = np.nonzero(autocorrelation / autocorrelation[0] < np.exp(-1.0))[0]
    return float(below[0] * dt) if len(below) else float("nan")


def speed_statistics(speeds: np.ndarray, dt: float) -> tuple[float, float, float]:
    """``(μ, σ, τ)`` (m/s, m/s, s) of ``|OU(μ, σ, τ)|`` fitted to speeds ``(n,)`` (m/s) sampled every
    ``dt`` s (module docstring)."""
    speeds = np.asarray(speeds, dtype=float)

    def negative_log_likelihood(theta):
        mu, sigma = theta[0], abs(theta[1]) + 1e-9
        return -np.sum(np.log(norm.pdf(speeds, mu, sigma) + norm.pdf(speeds, -mu, sigma) + 1e-300))

    fit = minimize(negative_log_likelihood, [speeds.mean(), speeds.std()], method="Nelder-Mead",
                   options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 4000})
    mu, sigma = abs(float(fit.x[0])), abs(float(fit.x[1]))
    step = 0.02  # of the unit-τ reference, in units of τ
    reference = np.abs(ornstein_uhlenbeck(200_000, step, mu / sigma, 1.0, 1.0, np.random.default_rng(0)))
    return mu, sigma, _e_folding_lag(speeds, dt) / _e_folding_lag(reference, step)


def heading_change_variance(velocity: np.ndarray, dt: float, lags: tuple[float, ...] = TURN_LAGS,
                            min_speed: float = 0.05) -> np.ndarray:
    """``V(τ) = −2 ln⟨cos Δθ(τ)⟩`` (rad²) at each lag (seconds) over pairs of steps at which the speed
    exceeds ``min_speed`` (m/s) at both ends; velocities ``(n, 2)`` in m/s every ``dt`` s."""
    velocity = np.asarray(velocity, dtype=float)
    heading = np.arctan2(velocity[:, 1], velocity[:, 0])
    moving = np.linalg.norm(velocity, axis=1) > min_speed
    variances = []
    for lag in lags:
        k = max(int(round(lag / dt)), 1)
        both = moving[k:] & moving[:-k]
        variances.append(-2.0 * np.log(np.mean(np.cos(heading[k:][both] - heading[:-k][both]))))
    return np.array(variances)


def turning_statistics(variances: np.ndarray, lags: tuple[float, ...] = TURN_LAGS) -> tuple[float, float]:
    """``(σ, τ_r)``: the OU angular velocity's standard deviation (rad/s) and correlation time (s) fitted
    by least squares to heading-change variances ``V(τ)`` (rad²) at ``lags`` (s) (module docstring;
    ``τ_r`` searched on a logarithmic grid from 5 ms to 10 s)."""
    lags, variances = np.asarray(lags, dtype=float), np.asarray(variances, dtype=float)
    best = (np.inf, 0.0, 0.0)
    for tau in np.geomspace(0.005, 10.0, 500):
        shape = 2.0 * tau**2 * (lags / tau - 1.0 + np.exp(-lags / tau))
        sigma2 = float(shape @ variances / (shape @ shape))
        residual = float(np.sum((sigma2 * shape - variances) ** 2))
        if residual < best[0]:
            best = (residual, float(np.sqrt(max(sigma2, 0.0))), float(tau))
    return best[1], best[2]


def fit_smooth_motion(velocity: np.ndarray, dt: float, base: MotionConfig = MotionConfig(),
                      min_speed: float = 0.05) -> MotionConfig:
    """``base`` as ``kind = "smooth"`` motion with the speed and turning statistics of the path whose
    per-step velocities ``(n, 2)`` (m/s, every ``dt`` seconds) are given (module docstring)."""
    mu, sigma, coherence = speed_statistics(np.linalg.norm(velocity, axis=1), dt)
    rotation, rotation_coherence = turning_statistics(heading_change_variance(velocity, dt, TURN_LAGS, min_speed))
    return replace(base, kind="smooth", speed_mean=round(mu, 3), speed_std=round(sigma, 3),
                   coherence_time=round(coherence, 3), rotation_std=round(rotation, 2),
                   rotation_coherence_time=round(rotation_coherence, 3))



if __name__ == "__main__":  # python -m hippo.world.motion_fit WORLD SOURCE [START STOP]: the fitted [motion]
    import sys

    from hippo.world.gridworld import load_environment
    from hippo.world.recorded import RecordingConfig, load_recorded_path

    world, source, span = sys.argv[1], sys.argv[2], tuple(float(x) for x in sys.argv[3:5])
    step = 0.025
    path = load_recorded_path(load_environment(world), RecordingConfig(source=source, span=span), step)
    fitted = fit_smooth_motion(path.segment(0, len(path.positions) - 1)[1], step)
    for key in ("speed_mean", "speed_std", "coherence_time", "rotation_std", "rotation_coherence_time"):
        print(f"{key} = {getattr(fitted, key)}")
