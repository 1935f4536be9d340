"""Remapping analyses on synthetic rate maps whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from hippo.analysis import remapping
from hippo.analysis.spatial import skaggs_information

N_CELLS, N_BINS = 40, 60


def _ring_maps(rng, width: float = 3.0) -> np.ndarray:
    """Gaussian place fields at random centres on a ring of ``N_BINS`` bins, random peak rates."""
    centres = rng.uniform(0, N_BINS, N_CELLS)
    d = np.abs(np.arange(N_BINS)[None, :] - centres[:, None])
    d = np.minimum(d, N_BINS - d)
    return rng.uniform(0.5, 1.5, (N_CELLS, 1)) * np.exp(-d**2 / (2 * width**2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_identical_maps_correlate_perfectly(seed):
    maps = _ring_maps(np.random.default_rng(seed))
    np.testing.assert_allclose(remapping.map_correlations(maps, maps), 1.0)
    np.testing.assert_allclose(np.diag(remapping.population_vector_correlation(maps, maps)), 1.0)
    assert remapping.pair_correlation_preservation(maps, maps) == pytest.approx(1.0)
    aligned = remapping.realignment(maps, maps)
    assert np.all(aligned.shift_bins == 0) and aligned.consistency == pytest.approx(1.0)


@pytest.mark.parametrize("seed, shift", [(0, 7), (1, 23), (2, 45)])
def test_a_circular_shift_is_recovered_and_keeps_the_cell_pairs(seed, shift):
    maps = _ring_maps(np.random.default_rng(seed))
    shifted = np.roll(maps, shift, axis=1)
    aligned = remapping.realignment(maps, shifted)
    assert np.all(aligned.shift_bins == shift)
    assert aligned.mean_shift_bins == pytest.approx(shift)
    assert aligned.consistency == pytest.approx(1.0)
    assert remapping.pair_correlation_preservation(maps, shifted) == pytest.approx(1.0)
    pv = remapping.population_vector_correlation(maps, shifted)
    # the population vector of bin i in A reappears at bin i + shift in B
    np.testing.assert_allclose(pv[np.arange(N_BINS), (np.arange(N_BINS) + shift) % N_BINS], 1.0)
    assert remapping.summary(maps, shifted)["pv_correlation_best_offset"] == pytest.approx(1.0)
    assert remapping.summary(maps, shifted)["pv_correlation_diagonal"] < 0.5


def test_permuted_maps_are_uncorrelated_and_shift_inconsistently():
    rng = np.random.default_rng(3)
    correlations, pv, preserved, consistency = [], [], [], []
    for _ in range(5):
        maps = _ring_maps(rng)
        permuted = maps[rng.permutation(N_CELLS)]
        correlations.append(np.nanmean(remapping.map_correlations(maps, permuted)))
        pv.append(np.nanmean(np.diag(remapping.population_vector_correlation(maps, permuted))))
        preserved.append(remapping.pair_correlation_preservation(maps, permuted))
        consistency.append(remapping.realignment(maps, permuted).consistency)
    # chance levels: a random cell pair's field overlap is small; sums of N_CELLS unrelated
    # shifts have a resultant length ~ 1/sqrt(N_CELLS)
    assert abs(np.mean(correlations)) < 0.1
    assert abs(np.mean(pv)) < 0.15
    assert abs(np.mean(preserved)) < 0.1
    assert np.mean(consistency) < 3 / np.sqrt(N_CELLS)


def test_rate_remapping_keeps_the_fields():
    rng = np.random.default_rng(4)
    maps = _ring_maps(rng)
    rescaled = maps * rng.uniform(0.2, 2.0, (N_CELLS, 1))
    np.testing.assert_allclose(remapping.map_correlations(maps, rescaled), 1.0)
    np.testing.assert_allclose(skaggs_information(rescaled), skaggs_information(maps))


def test_skaggs_information_of_uniform_and_single_bin_maps():
    maps = np.zeros((3, 8))
    maps[0] = 1.0
    maps[1, 2] = 4.0
    information = skaggs_information(maps)
    assert information[0] == pytest.approx(0.0)
    assert information[1] == pytest.approx(np.log2(8))  # all rate in one of 8 equally visited bins
    assert np.isnan(information[2])


def test_unvisited_bins_and_silent_cells_are_left_out():
    maps = _ring_maps(np.random.default_rng(5))
    holes = maps.copy()
    holes[:, 10:14] = np.nan
    holes[0] = 0.0
    correlations = remapping.map_correlations(holes, holes)
    assert np.isnan(correlations[0]) and np.allclose(correlations[1:], 1.0)
    assert np.all(np.isnan(remapping.population_vector_correlation(holes, holes)[10:14]))
    assert remapping.realignment(holes, holes).shift_bins[0] == -1
