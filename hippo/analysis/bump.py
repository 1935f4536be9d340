"""The activity bump on a ring: population-vector decoding and bump width.

Cell ``i`` has a preferred position ``x_i`` on a ring of length ``L`` (metres), e.g. the
circular centre of mass of its rate map (:func:`preferred_positions`). At each time step
the rates ``r_i`` (negative values count as zero) give

- the population-vector position ``x̂ = (L / 2π) · arg Σ_i r_i e^{i 2π x_i / L}``
  (:func:`population_vector`);
- the circular spread ``σ = (L / 2π) · √(−2 ln R)`` with ``R = |Σ_i r_i e^{i 2π x_i / L}| / Σ_i r_i``
  (:func:`circular_spread`): the standard deviation, in metres, of a wrapped Gaussian
  bump with the same ``R``;
- the full width at half maximum (:func:`fwhm`) of a smooth profile: the width in metres
  of the arc around the most active cell over which the rate stays above half way
  between the step's lowest and highest rate, with linear interpolation between cells.

A step whose rates are all zero (or all equal, for the FWHM) has no bump and gives NaN.

A learned population is not a smooth profile: some cells are silent in a given mode and
the active ones differ in peak rate, so at one step the arc from the most active cell
ends at its first silent or weak neighbour, and :func:`fwhm` of the raw rates measures
the spacing of those cells rather than the bump. :func:`tuning_width` measures the
bump as its cells see it instead: each cell's mean rate against the bump's
population-vector position, the width of that tuning curve, the median over cells that
fire. It is the width that sets how much the cells' spikes say about the bump's position
(:mod:`hippo.analysis.spike_diffusion`).
"""

from __future__ import annotations

import numpy as np

from hippo.errors import HippoError


def _phases(preferred: np.ndarray, length: float) -> np.ndarray:
    """Unit complex numbers ``(N,)`` of the preferred positions on the ring."""
    return np.exp(2j * np.pi * np.asarray(preferred, dtype=float) / length)


def _rates(rates: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """Rates as ``(T, N)``, negative values set to zero."""
    if not np.all(np.isfinite(preferred)):
        raise HippoError("preferred positions must be finite (leave out cells that are silent everywhere)")
    rates = np.asarray(rates, dtype=float)
    if rates.ndim == 1:
        rates = rates[None, :]
    if rates.ndim != 2 or rates.shape[1] != len(preferred):
        raise HippoError(f"rates must have shape (T, {len(preferred)}) to match the preferred positions, "
                         f"got {rates.shape}")
    return np.clip(rates, 0.0, None)


def _resultant(rates: np.ndarray, preferred: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """``Σ r e^{iθ}`` ``(T,)`` and ``Σ r`` ``(T,)`` of rates ``(T, N)``."""
    rates = _rates(rates, preferred)
    return rates @ _phases(preferred, length), rates.sum(axis=1)


def preferred_positions(rate_maps: np.ndarray, length: float) -> np.ndarray:
    """Circular centre of mass of each cell's rate map, in metres.

    Args:
        rate_maps: ``(N, n_bins)`` mean rates in ``n_bins`` equal bins spanning ``[0, L)``
            (e.g. :func:`hippo.analysis.spatial.rate_maps`); NaN bins (never
            visited) and negative rates count as zero.
        length: ring length in metres.

    Returns:
        ``(N,)`` positions in ``[0, L)``; NaN for a cell that is silent everywhere.
    """
    maps = np.clip(np.nan_to_num(np.asarray(rate_maps, dtype=float)), 0.0, None)
    centres = (np.arange(maps.shape[1]) + 0.5) * length / maps.shape[1]
    resultant = maps @ _phases(centres, length)
    position = np.mod(np.angle(resultant) * length / (2 * np.pi), length)
    return np.where(maps.sum(axis=1) > 0, position, np.nan)


def population_vector(rates: np.ndarray, preferred: np.ndarray, length: float) -> np.ndarray:
    """Population-vector positions ``(T,)`` in metres, in ``[0, L)``.

    Args:
        rates: ``(T, N)`` rates (or ``(N,)`` for one step).
        preferred: ``(N,)`` preferred positions in metres.
        length: ring length in metres.
    """
    resultant, total = _resultant(rates, preferred, length)
    position = np.mod(np.angle(resultant) * length / (2 * np.pi), length)
    return np.where(total > 0, position, np.nan)


def circular_spread(rates: np.ndarray, preferred: np.ndarray, length: float) -> np.ndarray:
    """Circular spread ``σ = (L / 2π) √(−2 ln R)`` ``(T,)`` of the bump, in metres.

    ``inf`` when the population vector cancels exactly (``R = 0``); uniform activity,
    where ``R`` vanishes up to rounding, gives a spread larger than the ring. NaN for a
    silent step. Arguments as in :func:`population_vector`.
    """
    resultant, total = _resultant(rates, preferred, length)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.abs(resultant) / total
        return np.where(total > 0, length / (2 * np.pi) * np.sqrt(-2 * np.log(np.minimum(r, 1.0))), np.nan)


def fwhm(rates: np.ndarray, preferred: np.ndarray, length: float) -> np.ndarray:
    """Full width at half maximum ``(T,)`` of the bump, in metres.

    Cells are put in order of preferred position. From the most active cell, the arc is
    followed both ways to the first cell whose rate falls below half way between the
    step's minimum and maximum; each crossing is placed by linear interpolation between
    that cell and its neighbour. Arguments as in :func:`population_vector`.
    """
    preferred = np.asarray(preferred, dtype=float)
    order = np.argsort(np.mod(preferred, length), kind="stable")
    rates = _rates(rates, preferred)[:, order]
    position = np.mod(preferred[order], length)
    n_steps, n = rates.shape
    peak = np.argmax(rates, axis=1)
    low, high = rates.min(axis=1), rates.max(axis=1)
    half = (low + high) / 2
    width = np.zeros(n_steps)
    for direction in (1, -1):
        index = (peak[:, None] + direction * np.arange(n)[None, :]) % n  # cells away from the peak, one way
        along = np.take_along_axis(rates, index, axis=1)
        distance = np.mod(direction * (position[index] - position[peak][:, None]), length)  # metres from the peak
        below = along < half[:, None]
        first = np.argmax(below, axis=1)  # first cell below half; exists unless the step is flat
        first = np.maximum(first, 1)
        rows = np.arange(n_steps)
        inside_rate, outside_rate = along[rows, first - 1], along[rows, first]
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = (inside_rate - half) / (inside_rate - outside_rate)
        width += distance[rows, first - 1] + fraction * (distance[rows, first] - distance[rows, first - 1])
    return np.where(high > low, width, np.nan)


def tuning_width(rates: np.ndarray, preferred: np.ndarray, length: float, n_bins: int = 100,
                 silent: float = 0.05, max_gap: float = 0.05) -> float:
    """Median full width at half maximum (m) of the cells' tuning to the bump's position.

    The bump's position at each step is its population vector (:func:`population_vector`).
    For each cell the steps are binned by that position (``n_bins`` equal bins of the
    ring) and its mean rate per bin is its tuning curve; the bump must have visited the
    whole ring but for gaps of at most ``max_gap`` of it, which are filled by periodic
    linear interpolation (a bump that stays on part of the ring maps no tuning curve: a
    curve interpolated across a long gap is a ramp, not a width). The width of each tuning curve is
    :func:`fwhm` of the curve (half way between its lowest and highest bin); cells whose
    highest bin is below ``silent`` times the population's highest are left out. A cell's
    curve does not depend on its preferred position, so errors in ``preferred`` only
    blur the bump's position, which averages over the cells.

    Args:
        rates: ``(T, N)`` rates; negative values count as zero.
        preferred: ``(N,)`` preferred positions in metres, finite.
        length: ring length in metres.
        n_bins: bins of the bump's position (``length / n_bins`` metres each).
        silent: fraction of the highest tuning-curve value below which a cell counts as silent.
        max_gap: the longest stretch of the ring, as a fraction of it, that the bump may
            have left unvisited.

    Returns:
        The median width over the cells that fire, in metres; NaN if no step has a bump
        or the bump left a longer stretch of the ring than ``max_gap`` unvisited.
    """
    rates = _rates(rates, preferred)
    position = population_vector(rates, preferred, length)
    bumped = np.isfinite(position)
    rates, position = rates[bumped], position[bumped]
    index = np.minimum((position / length * n_bins).astype(int), n_bins - 1)
    order = np.argsort(index, kind="stable")
    starts = np.flatnonzero(np.diff(index[order], prepend=-1))  # first step of each visited bin
    visited = index[order][starts]
    if len(visited) == 0 or np.diff(visited, append=visited[0] + n_bins).max() - 1 > max_gap * n_bins:
        return float("nan")
    means = np.add.reduceat(rates[order], starts, axis=0) / np.diff(starts, append=len(order))[:, None]
    centres = (np.arange(n_bins) + 0.5) * length / n_bins
    curves = np.stack([np.interp(centres, centres[visited], means[:, cell], period=length)
                       for cell in range(rates.shape[1])])
    peaks = curves.max(axis=1)
    firing = peaks >= silent * peaks.max() if peaks.max() > 0 else np.zeros(len(peaks), dtype=bool)
    if not firing.any():
        return float("nan")
    return float(np.nanmedian(fwhm(curves[firing], centres, length)))
