"""Spatial tuning: rate maps and spatial information in worlds of any dimension; gridness in 2-D.

- :func:`rate_maps`: every cell's mean rate per spatial bin, with the time spent in each
  bin (occupancy); bins never visited are NaN. Positions are ``(T, dim)``.
- :func:`skaggs_information`: Skaggs et al. (1993) information per unit of activity,
  ``I = Σ_i p_i (λ_i / λ) log₂(λ_i / λ)`` bits, with ``p_i`` the occupancy probability of
  bin ``i``, ``λ_i`` the cell's mean rate there and ``λ = Σ p_i λ_i``. It is 0 for a cell
  firing the same everywhere and ``log₂(1/p)`` for a cell firing only in a region of
  occupancy ``p``.
- :func:`autocorrelogram`: the spatial autocorrelation of a rate map, a Pearson
  correlation over the overlapping visited bins at every lag (Sargolini et al. 2006);
  lags overlapping in fewer than ``min_overlap`` bins are NaN.
- :func:`gridness`: the gridness score of Sargolini et al. (2006) as refined by Langston
  et al. (2010): the autocorrelogram inside an annulus around its centre is correlated
  with itself rotated by 30°, 60°, 90°, 120° and 150°;
  ``gridness = min(r60, r120) − max(r30, r90, r150)``. The annulus's inner radius is where
  the central peak ends (the first radius at which the ring-averaged autocorrelation
  falls below ``central_threshold`` or reaches a minimum); the score is the largest over
  outer radii from the inner radius plus two bins to the largest full circle. Hexagonal
  grids score up to about 1.5, square lattices below 0, single fields near 0.
- :func:`grid_spacing`: the median distance from the autocorrelogram's centre to its six
  nearest peaks beyond the central one (Hafting et al. 2005): a hexagonal grid's spacing.
- :func:`weight_profile`: the mean weight between two cells against the distance between
  their fields' peaks (the shortest way round on periodic axes): local excitation with an
  inhibitory surround reaching across the whole world gives one field per cell (Weber &
  Sprekeler 2018); grids need inhibition confined to a ring shorter than the world, as in
  the hand-wired kernel of Burak & Fiete (2009), zero beyond the grid's spacing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter, rotate
from scipy.signal import fftconvolve

from hippo.analysis.decoding import binned_mean
from hippo.errors import HippoError
from hippo.world.gridworld import Gridworld

ROTATIONS = (30, 60, 90, 120, 150)


@dataclass(frozen=True)
class RateMaps:
    """Rate maps of a population in a world of any dimension.

    Attributes:
        maps: ``(n_cells, …)`` mean rate per bin, one axis per world axis in reverse
            order (``(n_cells, n_bins)`` on a 1-D world, ``(n_cells, n_y, n_x)`` in 2-D, row 0
            the lowest ``y``); NaN where never visited.
        occupancy: the bins' shape (without the cells' axis): samples in each bin.
        bin_size: mean side of a bin in metres.
    """

    maps: np.ndarray
    occupancy: np.ndarray
    bin_size: float


def bin_counts(env: Gridworld, bin_size: float) -> tuple[int, ...]:
    """Bins per axis of ``env`` for bins of side about ``bin_size`` metres (> 0): each axis divided
    into a whole number of bins, rounded, at least one."""
    if bin_size <= 0:
        raise HippoError(f"bin_size must be > 0 metres, got {bin_size}")
    return tuple(int(n) for n in np.maximum(np.round(env.size / bin_size).astype(int), 1))


def rate_maps(activity: np.ndarray, position: np.ndarray, env: Gridworld, n_bins) -> RateMaps:
    """Mean activity of every cell per spatial bin, in a world of any dimension.

    Each axis ``d`` of the world ``[0, size_d)`` is cut into ``n_bins[d]`` equal bins
    (positions folded back into periodic worlds first); a sample at ``x`` falls in bin
    ``⌊x_d / size_d · n_bins[d]⌋`` on every axis (clipped to the axis).

    Args:
        activity: ``(T, n_cells)`` rates.
        position: ``(T, dim)`` positions in metres (``(T,)`` on a 1-D world).
        env: the world (its extent sets the bins).
        n_bins: bins per axis: one count for every axis, or one per axis (:func:`bin_counts`
            gives them for a bin side in metres).

    Returns:
        The :class:`RateMaps`.
    """
    activity = np.asarray(activity, dtype=float)
    position = env.wrap(np.asarray(position, dtype=float).reshape(len(position), -1))
    counts = np.broadcast_to(np.asarray(n_bins, dtype=int), (env.dim,))
    if activity.ndim != 2 or position.shape != (len(activity), env.dim):
        raise HippoError(f"rate maps of a {env.dim}-D world need activity (T, n_cells) and positions (T, {env.dim}), "
                         f"got {activity.shape} and {position.shape}")
    if (counts < 1).any():
        raise HippoError(f"every axis needs at least one bin, got {counts.tolist()}")
    index = np.clip(np.floor(position / env.size * counts).astype(int), 0, counts - 1)
    shape = tuple(int(n) for n in counts[::-1])
    flat = np.ravel_multi_index(tuple(index[:, ::-1].T), shape)
    n_total = int(np.prod(counts))
    maps = binned_mean(activity, flat, n_total).T.reshape(-1, *shape)
    occupancy = np.bincount(flat, minlength=n_total).reshape(shape).astype(float)
    return RateMaps(maps, occupancy, float((env.size / counts).mean()))


def skaggs_information(maps: np.ndarray, occupancy: np.ndarray | None = None) -> np.ndarray:
    """Skaggs information (bits per unit of activity) of every map; NaN for cells silent everywhere.

    Args:
        maps: ``(n_cells, …)`` mean rates per bin (:attr:`RateMaps.maps`); negative rates
            count as 0, and bins unvisited (NaN in any map, or no occupancy) are left out.
        occupancy: the bins' shape: time or samples in each bin; uniform if ``None``.

    Returns:
        ``(n_cells,)`` bits per unit of rate (per spike for spike counts): 0 for a uniform
        map, ``log₂(1/p)`` for a cell active only in bins of total occupancy ``p``.
    """
    maps = np.asarray(maps, dtype=float).reshape(len(maps), -1)
    occupancy = np.ones(maps.shape[1]) if occupancy is None else np.asarray(occupancy, dtype=float).reshape(-1)
    visited = (occupancy > 0) & ~np.isnan(maps).any(axis=0)
    rates = np.clip(maps[:, visited], 0.0, None)
    p = occupancy[visited] / occupancy[visited].sum()
    mean = rates @ p
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rates / mean[:, None]
        terms = np.where(ratio > 0, p * ratio * np.log2(ratio), 0.0)
    information = terms.sum(axis=1)
    information[~(mean > 0)] = np.nan
    return information


def autocorrelogram(rate_map: np.ndarray, min_overlap: int = 20) -> np.ndarray:
    """Spatial autocorrelation ``(2n_y − 1, 2n_x − 1)`` of a rate map ``(n_y, n_x)`` (NaN = unvisited).

    Entry ``[n_y − 1 + dy, n_x − 1 + dx]`` is the Pearson correlation of the map with itself
    shifted by ``(dy, dx)`` bins over the bins visited in both; NaN where fewer than
    ``min_overlap`` bins overlap or either part is constant.
    """
    rate_map = np.asarray(rate_map, dtype=float)
    valid = ~np.isnan(rate_map)
    x = np.where(valid, rate_map, 0.0)
    m = valid.astype(float)

    def corr(a, b):
        return fftconvolve(a, b[::-1, ::-1], mode="full")

    n = np.round(corr(m, m))
    sx, sy = corr(x, m), corr(m, x)
    sxx, syy, sxy = corr(x * x, m), corr(m, x * x), corr(x, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = n * sxy - sx * sy
        var = np.clip(n * sxx - sx**2, 0.0, None) * np.clip(n * syy - sy**2, 0.0, None)
        r = cov / np.sqrt(var)
    scale = np.sqrt(np.nanmax(var)) if np.isfinite(var).any() else 0.0
    r[(n < min_overlap) | (var <= (1e-12 * scale) ** 2)] = np.nan
    return np.clip(r, -1.0, 1.0)


def _radii(shape: tuple[int, int]) -> np.ndarray:
    rows, cols = shape
    y, x = np.mgrid[:rows, :cols]
    return np.hypot(y - (rows - 1) / 2, x - (cols - 1) / 2)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return np.nan
    a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    denominator = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / denominator) if denominator > 0 else np.nan


def central_radius(autocorr: np.ndarray, central_threshold: float = 0.1) -> float:
    """Radius (bins) where the autocorrelogram's central peak ends (see the module docstring)."""
    radius = _radii(autocorr.shape)
    rings = np.arange(1, int((min(autocorr.shape) - 1) / 2) + 1)
    profile = np.full(len(rings), np.nan)
    for index, k in enumerate(rings):
        values = autocorr[(radius >= k - 0.5) & (radius < k + 0.5)]
        if np.isfinite(values).any():
            profile[index] = np.nanmean(values)
    for k in range(len(rings)):
        if profile[k] < central_threshold or (0 < k < len(rings) - 1 and profile[k] <= profile[k + 1]):
            return float(rings[k])
    return float(rings[-1])


def gridness(rate_map: np.ndarray, min_overlap: int = 20, central_threshold: float = 0.1) -> float:
    """Gridness score of a rate map ``(n_y, n_x)`` (NaN = unvisited), see the module docstring; NaN when undefined."""
    autocorr = autocorrelogram(rate_map, min_overlap)
    if not np.isfinite(autocorr).any():
        return np.nan
    radius = _radii(autocorr.shape)
    inner = central_radius(autocorr, central_threshold)
    largest = (min(autocorr.shape) - 1) / 2
    filled = np.where(np.isfinite(autocorr), autocorr, np.nan)
    rotated = {angle: rotate(np.nan_to_num(filled, nan=0.0), angle, reshape=False, order=1) for angle in ROTATIONS}
    valid = {angle: rotate(np.isfinite(filled).astype(float), angle, reshape=False, order=1) > 0.99
             for angle in ROTATIONS}
    best = np.nan
    for outer in np.arange(inner + 2, largest + 1e-9, 1.0):
        ring = (radius > inner) & (radius <= outer)
        r = {angle: _pearson(filled[ring], np.where(valid[angle], rotated[angle], np.nan)[ring]) for angle in ROTATIONS}
        score = min(r[60], r[120]) - max(r[30], r[90], r[150])
        if np.isfinite(score) and not score <= best:
            best = score
    return float(best)


def grid_spacing(rate_map: np.ndarray, bin_size: float, min_overlap: int = 20, central_threshold: float = 0.1) -> float:
    """Grid spacing (metres) of a rate map ``(n_y, n_x)`` with square bins of side ``bin_size`` metres: the
    median distance from the autocorrelogram's centre to its six nearest local maxima (3 × 3 bins,
    positive) outside the central peak (:func:`central_radius`); NaN with fewer than three."""
    autocorr = autocorrelogram(rate_map, min_overlap)
    if not np.isfinite(autocorr).any():
        return np.nan
    filled = np.nan_to_num(autocorr, nan=-np.inf)
    peaks = (filled == maximum_filter(filled, size=3, mode="constant", cval=-np.inf)) & (filled > 0)
    radius = _radii(autocorr.shape)
    distances = np.sort(radius[peaks & (radius > central_radius(autocorr, central_threshold))])[:6]
    return float(np.median(distances) * bin_size) if len(distances) >= 3 else np.nan


def field_peaks(maps: np.ndarray, env: Gridworld) -> np.ndarray:
    """Position ``(n_cells, 2)`` (metres) of the centre of each rate map's highest visited bin."""
    n_cells, n_y, n_x = maps.shape
    peak = np.argmax(np.where(np.isfinite(maps), maps, -np.inf).reshape(n_cells, -1), axis=1)
    return (np.column_stack([peak % n_x, peak // n_x]) + 0.5) * (env.size / np.array([n_x, n_y]))


def weight_profile(weights: np.ndarray, peaks: np.ndarray, env: Gridworld, bin_edges: np.ndarray) -> np.ndarray:
    """Mean weight ``w_ij`` (``i ≠ j``; ``weights`` ``(n, n)``, target × source) over the cell pairs whose
    fields' peaks (``(n, 2)`` metres, :func:`field_peaks`) lie at a distance in each bin of ``bin_edges``
    (metres, the shortest way round on periodic axes); NaN for a bin without pairs."""
    distance = env.distance(peaks[:, None, :], peaks[None, :, :])
    pairs = ~np.eye(len(peaks), dtype=bool)
    which = np.digitize(distance[pairs], bin_edges) - 1
    kept = (which >= 0) & (which < len(bin_edges) - 1)
    total = np.bincount(which[kept], weights=np.asarray(weights)[pairs][kept], minlength=len(bin_edges) - 1)
    count = np.bincount(which[kept], minlength=len(bin_edges) - 1)
    with np.errstate(invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
