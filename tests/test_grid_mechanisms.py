"""The grid-cell mechanisms of path-integration-2d: MEC cells on a periodic sheet with a fixed local
pattern-forming kernel (``[grid]``), checked on hand-computed sheets."""

import numpy as np
import pytest

from hippo.analysis.spatial import grid_spacing
from hippo.circuits.spec import ProjectionConfig
from hippo.errors import ConfigError
from hippo.experiments import resolve, run_experiment
from hippo.experiments.path_integration_2d import Config, circuit
from hippo.experiments.path_integration_2d.grid import (GridConfig, sheet_distances, sheet_kernel, sheet_profile,
                                                        sheet_side, sheet_wavelength, with_sheet)
from hippo.world.senses import SensesConfig


def test_sheet_distances_go_the_short_way_round():
    d = sheet_distances(4)  # cell j at column j % 4, row j // 4
    assert d[0, 1] == 1.0 and d[0, 3] == 1.0  # column 3 is next to column 0 across the wrap
    assert d[0, 12] == 1.0  # row 3 is next to row 0
    assert d[0, 5] == pytest.approx(np.sqrt(2))
    assert d[0, 10] == pytest.approx(np.sqrt(8))  # the farthest cell of a 4 x 4 sheet
    assert d[0, 15] == pytest.approx(np.sqrt(2))
    assert np.array_equal(d, d.T)


def test_the_sheet_kernel_is_a_zero_sum_difference_of_gaussians_within_the_radius():
    """6 x 6 sheet, R = 2: widths R/4 = 0.5 and R/2 = 1; the cell itself (d = 0), 4 cells at d = 1,
    4 at √2 and 4 at 2 are inside, the 8 at √5 and the rest outside."""
    config = GridConfig(sheet_radius=2.0, pattern_gain=1.7)
    kernel = sheet_kernel(6, config)
    distances = np.array([0.0, 1.0, np.sqrt(2), 2.0])
    counts = np.array([1, 4, 4, 4])
    centre, surround = np.exp(-distances**2 / 0.5), np.exp(-distances**2 / 2.0)
    c = (counts @ centre) / (counts @ surround)
    shape = centre - c * surround
    row = kernel[0]
    scale = row[0] / shape[0]
    assert row[1] == pytest.approx(scale * shape[1])  # d = 1
    assert row[7] == pytest.approx(scale * shape[2])  # d = √2
    assert row[2] == pytest.approx(scale * shape[3])  # d = 2
    assert row[8] == 0.0 and row[3] == 0.0  # d = √5 and d = 3: outside
    assert np.count_nonzero(kernel, axis=1).tolist() == [13] * 36
    assert np.allclose(kernel.sum(axis=1), 0.0)
    # the eigenvalues of a kernel on the periodic sheet are its cosine sums over the sheet's modes
    rows, cols = np.divmod(np.arange(36), 6)
    modes = [(kx, ky) for kx in range(6) for ky in range(6)]
    eigenvalues = [np.sum(row * np.cos(2 * np.pi * (kx * cols + ky * rows) / 6)) for kx, ky in modes]
    assert max(eigenvalues) == pytest.approx(1.7)
    assert min(eigenvalues) > -0.1 * 1.7  # no mode flips sign at every step
    kx, ky = modes[int(np.argmax(eigenvalues))]
    assert sheet_wavelength(6, config) == pytest.approx(6 / np.hypot(min(kx, 6 - kx), min(ky, 6 - ky)))
    profile = sheet_profile(kernel, 6)
    assert profile["1.000"] == pytest.approx(row[1]) and profile["2.000"] == pytest.approx(row[2])
    assert profile["2.236"] == 0.0


def _retanh(x):
    return np.maximum(np.tanh(x), 0.0)


@pytest.mark.parametrize("gain, patterned", [(0.5, False), (2.0, True)])
def test_a_uniform_drive_breaks_into_a_pattern_of_the_sheet_wavelength_above_gain_one(gain, patterned):
    """The MEC wake drive retanh(h + K·m) iterated on a 14 x 14 sheet (R = 4) from a faint random
    perturbation: below gain 1 every mode decays to the uniform state; above it a pattern grows,
    whose strongest mode is one of the kernel's unstable modes (eigenvalue > 1), near the
    sheet wavelength."""
    config = GridConfig(sheet_radius=4.0, pattern_gain=gain)
    kernel = sheet_kernel(14, config)
    m = 0.3 + 0.01 * np.random.default_rng(0).standard_normal(196)
    for _ in range(300):
        m = _retanh(0.3 + kernel @ m)
    assert (m.std() > 0.2) == patterned
    if patterned:
        spectrum = np.abs(np.fft.fft2(m.reshape(14, 14) - m.mean()))
        strongest = np.unravel_index(np.argmax(spectrum), spectrum.shape)
        eigenvalues = np.real(np.fft.fft2(kernel[0].reshape(14, 14)))
        assert eigenvalues[strongest] > 1.0
        k = np.fft.fftfreq(14)
        assert 1 / np.hypot(k[strongest[1]], k[strongest[0]]) == pytest.approx(sheet_wavelength(14, config), rel=0.3)


def test_the_sheet_adds_a_fixed_sparse_projection_into_the_mec_basal_compartment():
    small = dict(n_mec=36, senses=SensesConfig(n=16, width=0.1))
    plain = circuit(Config(**small))[2]
    sheeted = circuit(Config(**small, grid=GridConfig(sheet_radius=2.0)))[2]
    assert [p.name for p in sheeted.projections] == [p.name for p in plain.projections] + ["mec.basal<-mec"]
    sheet = sheeted.projection("mec.basal<-mec")
    assert sheet.connectivity == "sparse" and not sheet.plastic and not sheet.bias
    target, source = sheet.synapse_indices()
    assert np.all(sheet_distances(6)[target, source] <= 2.0) and len(target) == 36 * 13
    assert np.array_equal(sheet.weights, sheet_kernel(6, GridConfig(sheet_radius=2.0)))
    assert with_sheet(plain, 36, GridConfig(), 0) is plain


def test_interneurons_relay_the_local_mean_mec_rate_through_learned_inhibitory_synapses():
    """6 x 6 sheet, R = 2: interneuron i fires relu of the mean of the 13 MEC cells within 2 of site i;
    its synapses onto the MEC apical compartment learn and start at or below zero; without a
    pattern_gain the fixed sheet kernel is left out."""
    small = dict(n_mec=36, senses=SensesConfig(n=16, width=0.1))
    config = GridConfig(sheet_radius=2.0, pattern_gain=0.0, interneurons=True)
    network = circuit(Config(**small, grid=config))[2]
    names = [p.name for p in network.projections]
    assert "mec.basal<-mec" not in names and names[-2:] == ["mec_inhibitory.input<-mec", "mec.apical<-mec_inhibitory"]
    layer = network.layer("mec_inhibitory")
    assert (layer.n, layer.kind, layer.activation.kind) == (36, "feedforward", "relu")
    pooling = network.projection("mec_inhibitory.input<-mec")
    assert not pooling.plastic and pooling.connectivity == "sparse"
    mec = np.random.default_rng(1).random(36)
    within = [j for j in range(36) if sheet_distances(6)[7, j] <= 2.0]
    assert len(within) == 13
    assert (pooling.weights @ mec)[7] == pytest.approx(mec[within].mean())
    relay = network.projection("mec.apical<-mec_inhibitory")
    assert relay.plastic and relay.dale == "inhibitory" and relay.weights.shape == (36, 36)
    assert np.all(relay.weights <= 0) and np.any(relay.weights < 0)
    again = circuit(Config(**small, grid=config))[2].projection("mec.apical<-mec_inhibitory")
    assert np.array_equal(again.weights, relay.weights)  # seeded


@pytest.mark.parametrize("settings, key", [(dict(interneurons=True), "interneurons"),
                                           (dict(sheet_radius=2.0, interneurons=True,
                                                 inhibitory=ProjectionConfig(dale="none")), "inhibitory.dale")])
def test_interneurons_need_a_sheet_and_inhibitory_synapses(settings, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        GridConfig(**settings)


@pytest.mark.parametrize("n_mec, radius, key", [(200, 3.0, "n_mec"), (36, 3.0, "grid.sheet_radius"),
                                                (36, 1.5, "grid.sheet_radius")])
def test_a_sheet_that_cannot_be_laid_out_is_refused(n_mec, radius, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        sheet_side(n_mec, GridConfig(sheet_radius=radius))


@pytest.mark.parametrize("spacing, orientation, phase", [(0.3, 0.0, 0.0), (0.4, 0.3, 1.0), (0.25, 1.1, 2.0)])
def test_grid_spacing_is_the_distance_to_the_six_nearest_autocorrelogram_peaks(spacing, orientation, phase):
    """Three plane waves 60° apart with wave number 4π/(√3·spacing) peak on a hexagonal lattice of
    that spacing; in 2.5-cm bins of a 1 m box the measured spacing is within a bin of it. A single
    field has no peaks beyond its centre."""
    y, x = (np.mgrid[:40, :40] + 0.5) / 40
    k = 4 * np.pi / (np.sqrt(3) * spacing)
    waves = [np.cos(k * (np.cos(a + orientation) * x + np.sin(a + orientation) * y) + phase)
             for a in (0, np.pi / 3, 2 * np.pi / 3)]
    assert grid_spacing(np.maximum(sum(waves), 0.0), 0.025) == pytest.approx(spacing, abs=0.025)
    field = np.exp(-((x - 0.4) ** 2 + (y - 0.6) ** 2) / (2 * 0.08**2))
    assert np.isnan(grid_spacing(field, 0.025))


def test_a_short_run_with_every_mechanism_reports_the_sheet_profiles(tmp_path):
    """Centre-surround features, the sheet kernel and the interneurons together on the rate engine: the
    run learns and reports the fixed kernel, the learned recurrence and the relayed inhibition
    against sheet distance, and the interneurons' learned synapses stay at or below zero."""
    overrides = ["duration=30", "test.decoder_window=20", "test.n_trials=2", "test.generative=2",
                 "test.report_times=[1.0]", "n_mec=36", "senses.n=25", "senses.surround=2", "maps.duration=10",
                 "gain_probes.speeds=[0.2]", "gain_probes.n_directions=4", "topology.n_points=20",
                 "topology.max_dim=1", "grid.sheet_radius=2", "grid.pattern_gain=2", "grid.interneurons=true"]
    _, metrics = run_experiment("path-integration-2d", overrides, seed=0, out=tmp_path / "run", quiet=True)
    sheet = metrics["grid_sheet"]
    assert "grid_spacing_median_m" in metrics["spatial"]
    assert sheet["side_cells"] == 6 and sheet["wavelength_cells"] == pytest.approx(sheet_wavelength(6, GridConfig(
        sheet_radius=2.0, pattern_gain=2.0)))
    assert sheet["fixed_by_sheet_distance"]["1.000"] == pytest.approx(sheet_kernel(6, GridConfig(
        sheet_radius=2.0, pattern_gain=2.0))[0, 1])
    assert set(sheet["learned_recurrent_by_sheet_distance"]) == set(sheet["learned_inhibition_by_sheet_distance"])
    weights = np.load(tmp_path / "run" / "weights.npz")
    learned = weights["mec.apical<-mec_inhibitory"]
    assert np.all(learned <= 0) and np.any(learned < 0)
    assert not np.allclose(learned, circuit(resolve("path-integration-2d", overrides).config)[2].projection(
        "mec.apical<-mec_inhibitory").weights)
