"""Time-series statistics: autocorrelation, decorrelation time, smoothing, s.e.m."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.signal import lfilter


def autocorrelation(x: np.ndarray, dt: float, max_lag: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean autocorrelation over the columns of ``x`` (``(T, n)``, sampled every ``dt`` s).

    Each column is centred and its autocorrelation normalised to 1 at lag 0 (computed by
    FFT); columns with zero variance are skipped. Returns ``(lags_s, mean_autocorr)`` up
    to ``max_lag`` seconds.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    x = x - x.mean(axis=0)
    variance = (x * x).mean(axis=0)
    x = x[:, variance > 1e-12]
    n_lags = min(int(round(max_lag / dt)) + 1, len(x))
    if x.shape[1] == 0:
        return np.arange(n_lags) * dt, np.full(n_lags, np.nan)
    size = 1 << int(np.ceil(np.log2(2 * len(x))))
    spectrum = np.fft.rfft(x, n=size, axis=0)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=0)[:n_lags]
    acov /= (len(x) - np.arange(n_lags))[:, None]
    acorr = acov / acov[0]
    return np.arange(n_lags) * dt, acorr.mean(axis=1)


def decorrelation_time(lags: np.ndarray, acorr: np.ndarray, level: float = np.exp(-1)) -> float:
    """First lag (seconds) where ``acorr`` falls below ``level`` (1/e by default), linearly interpolated.

    NaN if it never does.
    """
    below = np.nonzero(acorr < level)[0]
    if len(below) == 0 or below[0] == 0:
        return float("nan")
    k = below[0]
    fraction = (acorr[k - 1] - level) / (acorr[k - 1] - acorr[k])
    return float(lags[k - 1] + fraction * (lags[k] - lags[k - 1]))


def smooth(x: np.ndarray, dt: float, tau: float) -> np.ndarray:
    """Causal exponential smoothing of ``x`` (sampled every ``dt`` s) with time constant ``tau`` s."""
    a = np.exp(-dt / tau)
    x = np.asarray(x, dtype=float)
    return lfilter([1 - a], [1, -a], x, axis=0, zi=a * x[:1])[0]


def sem(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """Standard error of the mean along ``axis`` (NaN-safe; NaN where fewer than two values)."""
    x = np.asarray(x, dtype=float)
    n = np.sum(np.isfinite(x), axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # fewer than two values: NaN, said in the docstring
        return np.nanstd(x, axis=axis, ddof=1) / np.sqrt(np.maximum(n, 1))
