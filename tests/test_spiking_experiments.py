"""The experiments run on the spiking engine and write what the rate engine writes, plus spike figures."""

import json

import numpy as np
import pytest

from conftest import SMALL_RING_ANALYSES
import hippo.circuits.spiking  # noqa: F401  (Brian2 routes warnings to its log as it is imported: import it before pytest.warns)
from hippo.circuits.state import ForeignStateWarning
from hippo.config import read_toml
from hippo.experiments import path_integration, resolve, run_experiment
from hippo.protocol import Phase, run_phases


def _run(name, overrides, tmp_path, engine):
    """Run ``name`` on ``engine`` (the spiking engine with Brian2's numpy target: no compilation)."""
    engine_keys = [f"engine={engine}"] + (["spiking.target=numpy"] if engine == "spiking" else [])
    out = tmp_path / engine
    run_experiment(name, overrides + engine_keys, out=out, quiet=True)
    return out, json.loads((out / "metrics.json").read_text())


@pytest.mark.slow
def test_autoencoding_on_both_engines_gives_the_same_metrics_and_figures(tmp_path):
    overrides = ["duration=20", "test_duration=5", "show_duration=5"]
    rate_dir, rate = _run("autoencoding", overrides, tmp_path, "rate")
    spiking_dir, spiking = _run("autoencoding", overrides, tmp_path, "spiking")
    assert set(spiking) == set(rate)
    rate_figures = {p.name for p in (rate_dir / "figures").iterdir()}
    spiking_figures = {p.name for p in (spiking_dir / "figures").iterdir()}
    assert spiking_figures == rate_figures | {"spike_raster.png"}
    arrays = np.load(spiking_dir / "arrays.npz")
    assert len(arrays["raster.mec.t"]) > 0 and arrays["raster.mec.count"].min() >= 1


@pytest.mark.slow
def test_path_integration_on_the_spiking_engine_writes_rasters_and_spike_rate_maps(tmp_path):
    overrides = ["duration=20", "test.n_trials=1", "test.warmup=2", "test.generative=2", "test.report_times=[1, 2]",
                 "test.decoder_window=10",
                 "n_mec=20", "senses.n=30", "spike_map_duration=20", "ring.drift_duration=2",
                 "velocity_coding=push-pull", "conjunctive_threshold=0.5", *SMALL_RING_ANALYSES]
    rate_dir, rate = _run("path-integration", overrides, tmp_path, "rate")
    # Poisson spikes: this small network's bump is faint, and with the default gamma-renewal spikes
    # (a spike every 4th event) its 2 s of generation can pass without a spike to measure
    spiking_dir, spiking = _run("path-integration", overrides + ["spiking.gamma_order=1"], tmp_path, "spiking")
    assert set(spiking) == set(rate) | {"bump_noise"} and set(spiking["ring"]) == set(rate["ring"])
    # the spiking bump against its bound, and the same weights on the rate engine: MEC fires, so every
    # spiking number is measured; the rate engine has no spikes
    noise = spiking["bump_noise"]
    # one trial: no s.e.; its 2 s of generation cover too little of the ring to map the cells' tuning, so the
    # width and what rests on it (the bound, the units inside the bump) are NaN (None in JSON), the rest measured
    from_width = {"fwhm_m", "sigma_m", "d_min_m2_per_s", "d_over_d_min", "d_over_d_min_counts", "fano_unit", "cv"}
    assert all(np.isfinite(value) for key, value in noise["spiking"].items() if key not in from_width | {"diffusion_sem"})
    assert len({noise["spiking"][key] is None for key in from_width}) == 1  # all measured with the width, or none
    # no recurrent time constant of its own: every synapse into MEC has the run's tau_syn
    assert noise["spiking"]["tau_s"] == pytest.approx(read_toml(spiking_dir / "config.toml")["spiking"]["tau_syn"])
    # the rate engine has no spikes, so no bound (NaN in JSON); this small network's bump there falls silent
    # within a few steps of generation, too soon to map its cells' tuning, so its width is not asserted
    assert set(noise["rate"]) == set(noise["spiking"]) | {"pi_error_m", "pi_horizon_s"}
    assert noise["rate"]["d_over_d_min"] is None
    assert set(noise["rate"]["pi_error_m"]) == set(spiking["pi_error_m"])
    figures = {p.name for p in (spiking_dir / "figures").iterdir()}
    assert figures == {p.name for p in (rate_dir / "figures").iterdir()} | {"spike_raster.png", "spike_rate_maps.png"}
    arrays = np.load(spiking_dir / "arrays.npz")
    maps = arrays["spike_rate_maps.hpc"]
    assert maps.shape == (30, 100)
    # HPC units are place features: each unit's spike-count map peaks near its own place field
    # (tiled centres i/30 of the ring; distances in bins of 1 cm, periodic)
    offset = np.nanargmax(maps, axis=1) - np.arange(30) * 100 / 30
    distance = np.abs((offset + 50) % 100 - 50)
    assert np.median(distance) <= 4 and np.max(distance) <= 15


@pytest.mark.parametrize("preset", ["autoencoding-spiking", "path-integration-spiking"])
def test_spiking_presets_take_their_settings_from_the_experiment_toml(preset):
    config = resolve(preset, ["spiking.tau_syn=0.03"]).config
    assert config.engine == "spiking" and config.spiking.tau_syn == 0.03
    defaults = resolve(preset).config.spiking
    assert defaults.rate_scale >= 1000.0 and defaults.dt == 0.001


def test_path_integration_builds_its_spiking_engine_with_the_configured_settings():
    config = resolve("path-integration-spiking", ["spiking.target=numpy", "n_mec=10", "senses.n=10"]).config
    setup = path_integration.build(config)
    assert setup.engine.config == config.spiking
    record = run_phases(setup.engine, [Phase("run", 0.5, setup.stream, config.theta, record=("mec.spikes",))])["run"]
    assert record.recording.signals["mec.spikes"].shape == (20, 10)


@pytest.mark.slow
def test_a_run_moves_between_engines_with_from(tmp_path):
    """A rate run tested on the spiking engine (``--from``, ``engine=spiking``, no training; its neurons
    stepped every 5 ms, as the weights move the same at any step), and the reverse."""
    tiny = ["duration=20", "test.n_trials=1", "test.warmup=1", "test.generative=1", "test.report_times=[1]",
            "test.decoder_window=10", "n_mec=8", "senses.n=10", "spike_map_duration=2", "ring.drift_duration=1",
            "velocity_coding=push-pull", "conjunctive_threshold=0.5", *SMALL_RING_ANALYSES]
    rate_dir, _ = _run("path-integration", tiny, tmp_path, "rate")
    with pytest.warns(ForeignStateWarning, match="rate engine loaded into the spiking engine"):
        run_experiment("path-integration", ["engine=spiking", "spiking.target=numpy", "spiking.dt=0.005", "duration=0"],
                       out=tmp_path / "on-spiking", quiet=True, start_from=rate_dir)
    on_spiking = np.load(tmp_path / "on-spiking" / "weights.npz")
    trained = np.load(rate_dir / "weights.npz")
    assert set(on_spiking.files) == set(trained.files)
    for name in trained.files:  # float32 rate weights are exact in the spiking engine's float64
        assert np.array_equal(on_spiking[name], trained[name].astype(float)), name
    with pytest.warns(ForeignStateWarning, match="spiking engine loaded into the rate engine"):
        run_experiment("path-integration", ["engine=rate", "duration=0"], out=tmp_path / "back", quiet=True,
                       start_from=tmp_path / "on-spiking")
    back = np.load(tmp_path / "back" / "weights.npz")
    for name in trained.files:
        assert np.array_equal(back[name], trained[name]), name
    metrics = {name: set(json.loads((tmp_path / name / "metrics.json").read_text())) for name in ("on-spiking", "back")}
    assert metrics["on-spiking"] == metrics["back"] | {"bump_noise"}  # the spiking run adds its bump's spike noise
