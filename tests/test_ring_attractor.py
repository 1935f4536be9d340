import numpy as np
import pytest
from scipy.special import erf

from hippo.analysis.decoding import TemplateDecoder
from hippo.analysis.ring_attractor import (
    aligned,
    bump_score,
    drift_m_per_s,
    mean_profile,
    offsets,
    order_by_peak,
    peak_offset,
    ring_indices,
    ring_weights,
)
from hippo.analysis.spatial import rate_maps
from hippo.errors import HippoError
from hippo.world.gridworld import load_environment

RING = load_environment("ring-1m")
N = 100


def bump(x, centres, width=0.04):
    """Rates ``(T, N)`` of cells with periodic Gaussian tuning to ring positions ``x`` ``(T,)``."""
    d = (x[:, None] - centres[None, :] + 0.5) % 1.0 - 0.5
    return np.exp(-(d**2) / (2 * width**2))


def test_rate_maps_and_order_recover_shuffled_place_cells():
    rng = np.random.default_rng(0)
    centres = rng.uniform(0, 1, N)
    x = rng.uniform(0, 1, 20000)
    maps = rate_maps(bump(x, centres), x[:, None], RING, n_bins=50).maps
    assert maps.shape == (N, 50)
    peak_positions = (np.nanargmax(maps, axis=1) + 0.5) / 50
    assert np.abs((peak_positions - centres + 0.5) % 1 - 0.5).max() <= 0.02
    order = order_by_peak(maps)
    assert np.all(np.diff(np.floor(centres[order] * 50)) >= 0)


def test_rate_maps_leave_unvisited_bins_nan():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 0.5, 5000)
    maps = rate_maps(bump(x, np.linspace(0, 1, N, endpoint=False)), x, RING, n_bins=10).maps
    assert np.isnan(maps[:, 5:]).all() and np.isfinite(maps[:, :5]).all()
    order = order_by_peak(maps)
    assert sorted(order) == list(range(N))


def test_rate_maps_need_positions_of_the_worlds_dimension():
    with pytest.raises(HippoError, match="1-D world"):
        rate_maps(np.zeros((4, 3)), np.zeros((4, 2)), RING, n_bins=10)
    with pytest.raises(HippoError, match="2-D world"):
        rate_maps(np.zeros((4, 3)), np.zeros(4), load_environment("box-1m"), n_bins=10)


def test_aligned_centres_each_rows_own_pre_cell():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(6, 6))
    A = aligned(W, np.arange(6))
    np.testing.assert_array_equal(A[:, 3], np.diag(W))  # offset 0 at column 6 // 2
    np.testing.assert_array_equal(offsets(6), [-3, -2, -1, 0, 1, 2])
    np.testing.assert_array_equal(A[1, 4], W[1, 2])  # offset +1 is the next pre cell
    wide = aligned(rng.normal(size=(4, 8)), np.arange(4), np.arange(8))
    assert wide.shape == (4, 8)


def test_aligned_undoes_a_permutation_of_the_cells():
    W = ring_weights(N, 3, 0.2)
    p = np.random.default_rng(3).permutation(N)
    shuffled = W[np.ix_(p, p)]
    np.testing.assert_allclose(aligned(shuffled, np.argsort(p)), aligned(W, np.arange(N)))


def test_ring_indices_on_a_hand_built_ring():
    order = np.arange(N)
    indices = ring_indices(ring_weights(N, 3, 0.2), ring_weights(N, 3, 0.0, shift=2), ring_weights(N, 3, 0.0, shift=-2), order)
    assert indices["local_excitation"] > 0 > indices["surround_inhibition"]
    assert indices["surround_inhibition"] == pytest.approx(-0.2, abs=1e-3)
    assert indices["conj_shift_plus"] == pytest.approx(2, abs=1e-9)
    assert indices["conj_shift_minus"] == pytest.approx(-2, abs=1e-9)


def test_ring_indices_through_rate_maps_of_a_shuffled_ring():
    """Cells shuffled, ring order found from place fields: same indices as the ideal ring."""
    rng = np.random.default_rng(4)
    p = rng.permutation(N)
    weights = [ring_weights(N, 3, 0.2), ring_weights(N, 4, 0.1, shift=3), ring_weights(N, 4, 0.1, shift=-3)]
    shuffled = [W[np.ix_(p, p)] for W in weights]
    x = rng.uniform(0, 1, 20000)
    activity = bump(x, ((np.arange(N) + 0.5) / N)[p])  # shuffled cell k sits at ring cell p[k]
    order = order_by_peak(rate_maps(activity, x, RING, n_bins=100).maps)
    expected = ring_indices(*weights, np.arange(N))
    found = ring_indices(*shuffled, order)
    assert found == pytest.approx(expected)
    assert found["conj_shift_plus"] == pytest.approx(3) and found["conj_shift_minus"] == pytest.approx(-3)


def test_peak_offset_interpolates_between_cells():
    for shift in (1.5, -0.3, 4.25):
        profile = mean_profile(aligned(ring_weights(N, 3, 0.0, shift=shift), np.arange(N)))
        assert peak_offset(profile) == pytest.approx(shift, abs=0.1)


def test_ring_indices_on_random_weights():
    rng = np.random.default_rng(5)
    opposite, magnitudes = [], []
    for _ in range(40):
        W_rec, W_plus, W_minus = rng.normal(size=(3, N, N))
        indices = ring_indices(W_rec, W_plus, W_minus, rng.permutation(N))
        assert abs(indices["local_excitation"]) < 0.15  # 5 standard errors of a mean of 1100 weights
        assert abs(indices["surround_inhibition"]) < 0.07
        opposite.append(np.sign(indices["conj_shift_plus"]) != np.sign(indices["conj_shift_minus"]))
        magnitudes += [abs(indices["conj_shift_plus"]), abs(indices["conj_shift_minus"])]
    assert 0.2 < np.mean(opposite) < 0.8  # 0.5 ± 3.8 standard errors of a fraction of 40 trials
    assert np.mean(magnitudes) > 10  # the peaks fall anywhere on the ring, not next to the centre


def test_ring_indices_reject_mismatched_shapes():
    with pytest.raises(HippoError, match="W_conj_minus"):
        ring_indices(np.zeros((5, 5)), np.zeros((5, 5)), np.zeros((5, 10)), np.arange(5))


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_bump_score_separates_a_bump_from_noise(seed):
    rng = np.random.default_rng(seed)
    centres = np.arange(N) / N
    p = rng.permutation(N)
    x = np.mod(0.3 + 0.1 * np.arange(400) * 0.025, 1.0)
    activity = bump(x, centres[p]) + 0.01 * rng.uniform(size=(400, N))
    # the window of ±10 cells (±2.5 widths) holds erf(2.5/√2) of the bump's mass √(2π)·4 cells,
    # plus its 21 cells' share of the noise (mean 0.005 per cell)
    mass, noise = np.sqrt(2 * np.pi) * 0.04 * N, 0.005
    expected = (erf(2.5 / np.sqrt(2)) * mass + 21 * noise) / (mass + N * noise)
    assert bump_score(activity, np.argsort(p)) == pytest.approx(expected, abs=0.01)
    assert bump_score(activity, np.arange(N)) < 0.5  # unordered cells show no bump
    assert bump_score(rng.uniform(size=(400, N)), np.arange(N)) < 0.3
    assert bump_score(np.zeros((10, N)), np.arange(N)) == 0.0


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_drift_of_a_decoded_drifting_bump(seed):
    """A bump drifting at 0.05 m/s for 30 s (wrapping once) is decoded and its drift measured."""
    rng = np.random.default_rng(seed)
    centres = np.arange(N) / N
    train = rng.uniform(0, 1, 5000)
    decoder = TemplateDecoder(RING).fit(bump(train, centres) + 0.05 * rng.normal(size=(5000, N)), train)
    t = np.arange(0, 30, 0.025)
    for speed in (0.05, -0.05):
        x = np.mod(0.8 + speed * t, 1.0)
        decoded = decoder.predict(bump(x, centres) + 0.05 * rng.normal(size=(len(t), N)))
        assert drift_m_per_s(decoded, t, RING) == pytest.approx(0.05, rel=0.02)
    still = decoder.predict(bump(np.full(len(t), 0.995), centres) + 0.05 * rng.normal(size=(len(t), N)))
    assert drift_m_per_s(still, t, RING) < 0.002  # sitting on the wrap point is no drift


def test_drift_on_a_solid_2d_world():
    t = np.linspace(0, 10, 101)
    path = np.stack([0.1 + 0.03 * t, 0.9 - 0.04 * t], axis=1)
    assert drift_m_per_s(path, t, load_environment("box-1m")) == pytest.approx(0.05)
