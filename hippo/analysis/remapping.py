"""Remapping between two environments, measured on rate maps of the same cells in both.

All functions take rate maps ``(n_cells, n_bins)`` of a 1-D world (see
:func:`hippo.analysis.spatial.rate_maps`), cells in the same order in A and B.
Bins the agent never visited (NaN) are left out of every correlation. What they measure
(see Leutgeb et al. 2005, Fyhn et al. 2007, Yoon et al. 2013, Skaggs et al. 1993):

* :func:`map_correlations` — per-cell Pearson correlation of the maps in A and B
  (≈ 1 for rate remapping or no remapping, ≈ 0 for global remapping);
* :func:`population_vector_correlation` — for every pair of bins, the correlation over
  cells of the population vectors; a coherent shift of the whole code shows as an
  offset diagonal;
* :func:`realignment` — on a ring, the circular shift that best aligns each cell's map
  in B to its map in A, and how consistent that shift is across cells (1: the whole
  population shifted together, as grid cells do under global remapping);
* :func:`pair_correlation_preservation` — whether the cell-pair correlation matrix is
  kept across environments (the attractor's signature);
* :func:`~hippo.analysis.spatial.skaggs_information` — spatial information of each map, bits per unit rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hippo.analysis.spatial import skaggs_information


def _centred(maps: np.ndarray) -> np.ndarray:
    """Maps minus each row's mean over visited bins, with unvisited bins set to 0."""
    maps = np.asarray(maps, dtype=float)
    centred = maps - np.nanmean(maps, axis=1, keepdims=True)
    return np.where(np.isnan(centred), 0.0, centred)


def _visited(maps_a: np.ndarray, maps_b: np.ndarray) -> np.ndarray:
    """Bins visited in both environments (no NaN in any cell's map)."""
    return ~(np.isnan(maps_a).any(axis=0) | np.isnan(maps_b).any(axis=0))


def _row_correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``x`` with the same row of ``y``; NaN for a constant row."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (x * y).sum(axis=1) / np.where(norm > 0, norm, 1.0), np.nan)


def map_correlations(maps_a: np.ndarray, maps_b: np.ndarray) -> np.ndarray:
    """Per-cell Pearson correlation of the rate maps in A and B.

    Args:
        maps_a, maps_b: ``(n_cells, n_bins)`` rate maps of the same cells.

    Returns:
        ``(n_cells,)`` correlations over the bins visited in both; NaN for a cell silent
        (constant) in either environment.
    """
    keep = _visited(maps_a, maps_b)
    return _row_correlation(np.asarray(maps_a, float)[:, keep], np.asarray(maps_b, float)[:, keep])


def population_vector_correlation(maps_a: np.ndarray, maps_b: np.ndarray) -> np.ndarray:
    """Correlation over cells of the population vector at every bin of A with every bin of B.

    Args:
        maps_a, maps_b: ``(n_cells, n_bins)`` rate maps of the same cells (silent cells included).

    Returns:
        ``(n_bins, n_bins)``: entry ``[i, j]`` correlates bin ``i`` in A with bin ``j`` in
        B; NaN where a bin was not visited or its population vector is constant. Its
        diagonal (``np.diag``) is the per-bin PV correlation of Leutgeb et al.
    """
    a, b = np.asarray(maps_a, float).T, np.asarray(maps_b, float).T
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt(np.outer((a * a).sum(axis=1), (b * b).sum(axis=1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (a @ b.T) / np.where(norm > 0, norm, 1.0), np.nan)


@dataclass(frozen=True)
class Realignment:
    """The circular shifts that align each cell's map in B to its map in A.

    Attributes:
        shift_bins: ``(n_cells,)`` shift ``s`` (bins, ``0 <= s < n_bins``) such that the map
            in B is closest to the map in A rolled by ``s`` (``np.roll(map_a, s)``); −1
            for a cell silent in either environment.
        peak_correlation: ``(n_cells,)`` the correlation at that shift (NaN for silent cells).
        mean_shift_bins: circular mean of the shifts of the active cells (bins).
        consistency: mean resultant length of the shifts as angles on the ring, in
            [0, 1]: 1 when every cell shifted alike, ≈ 0 for unrelated shifts.
    """

    shift_bins: np.ndarray
    peak_correlation: np.ndarray
    mean_shift_bins: float
    consistency: float


def realignment(maps_a: np.ndarray, maps_b: np.ndarray) -> Realignment:
    """Per-cell best circular shift from A to B on a ring, and its consistency across cells.

    Unvisited bins count as the cell's mean rate (they add nothing to the correlation).

    Args:
        maps_a, maps_b: ``(n_cells, n_bins)`` rate maps on a periodic 1-D world.

    Returns:
        The :class:`Realignment`.
    """
    a, b = _centred(maps_a), _centred(maps_b)
    n_bins = a.shape[1]
    # cross[s] = Σ_k a[k] · b[k + s], largest where b ≈ roll(a, s)
    cross = np.real(np.fft.ifft(np.conj(np.fft.fft(a, axis=1)) * np.fft.fft(b, axis=1), axis=1))
    norm = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    active = norm > 0
    shift = np.where(active, np.argmax(cross, axis=1), -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        peak = np.where(active, cross.max(axis=1) / np.where(active, norm, 1.0), np.nan)
    if not active.any():
        return Realignment(shift, peak, float("nan"), float("nan"))
    resultant = np.mean(np.exp(2j * np.pi * shift[active] / n_bins))
    mean_shift = float(np.mod(np.angle(resultant) / (2 * np.pi) * n_bins, n_bins))
    return Realignment(shift, peak, mean_shift, float(np.abs(resultant)))


def pair_correlation_preservation(maps_a: np.ndarray, maps_b: np.ndarray) -> float:
    """Correlation between the cell-pair correlation matrices of A and B (upper triangles).

    Args:
        maps_a, maps_b: ``(n_cells, n_bins)`` rate maps; cells silent in either
            environment are left out.

    Returns:
        Pearson correlation of the pairwise map correlations in A with those in B: ≈ 1
        when cells that fire together in A fire together in B (an attractor carried
        over, possibly shifted), ≈ 0 when the pairs are reshuffled; NaN with fewer than
        three active cells.
    """
    a, b = _centred(maps_a), _centred(maps_b)
    active = ((a * a).sum(axis=1) > 0) & ((b * b).sum(axis=1) > 0)
    if active.sum() < 3:
        return float("nan")
    upper = np.triu_indices(int(active.sum()), k=1)
    pairs_a = np.corrcoef(a[active])[upper]
    pairs_b = np.corrcoef(b[active])[upper]
    return float(np.corrcoef(pairs_a, pairs_b)[0, 1])


def summary(maps_a: np.ndarray, maps_b: np.ndarray) -> dict[str, float]:
    """Scalar remapping indices of one population (for a run's metrics).

    Returns:
        ``map_correlation_median`` (over cells active in both), ``pv_correlation_diagonal``
        (mean of the PV correlation's diagonal), ``pv_correlation_best_offset`` (mean over
        the diagonal offset — a circular shift of bins — whose mean PV correlation is
        highest), ``shift_consistency``, ``mean_shift_bins``, ``pair_correlation_preservation``,
        ``skaggs_bits_a`` and ``skaggs_bits_b`` (medians over active cells).
    """
    correlations = map_correlations(maps_a, maps_b)
    pv = population_vector_correlation(maps_a, maps_b)
    n_bins = pv.shape[0]
    offsets = [np.nanmean(pv[np.arange(n_bins), (np.arange(n_bins) + k) % n_bins]) for k in range(n_bins)]
    aligned = realignment(maps_a, maps_b)
    with np.errstate(all="ignore"):
        return {
            "map_correlation_median": float(np.nanmedian(correlations)) if np.isfinite(correlations).any() else float("nan"),
            "pv_correlation_diagonal": float(np.nanmean(np.diag(pv))) if np.isfinite(np.diag(pv)).any() else float("nan"),
            "pv_correlation_best_offset": float(np.nanmax(offsets)) if np.isfinite(offsets).any() else float("nan"),
            "shift_consistency": aligned.consistency,
            "mean_shift_bins": aligned.mean_shift_bins,
            "pair_correlation_preservation": pair_correlation_preservation(maps_a, maps_b),
            "skaggs_bits_a": float(np.nanmedian(skaggs_information(maps_a))),
            "skaggs_bits_b": float(np.nanmedian(skaggs_information(maps_b))),
        }
