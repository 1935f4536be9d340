"""Everyday slips at the command line, and what the commands tell their user.

Probes follow ``tests/test_probes.py``: exit code 2, exactly one line on stderr,
``error: ...``, naming the culprit (the file, or the option), no traceback, no work done
and nothing left behind. Malformed input files (recordings) are read by one loader;
every path a command writes is checked in one place before any work.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hippo.experiments.path_integration
from hippo.cli import main

RECORDED = ["run", "path-integration", "--set", "motion.kind=recorded", "--set", "environment=ring-1m"]


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


T = np.arange(200) * 0.02
GOOD = _npz_bytes(t=T, pos=0.5 + 0.2 * np.sin(T))

# id, files written into the inputs folder {d} (bytes, or None for a folder), argv, what stderr must name
PROBES = [
    # ------------------------------------------------------------ recordings
    ("recording-empty-npz", {"rec.npz": b""}, [*RECORDED, "--set", "motion.recording.source={d}/rec.npz"],
     ["rec.npz: motion.recording.source:", "empty"]),
    ("recording-truncated-npz", {"rec.npz": GOOD[: len(GOOD) // 2]},
     [*RECORDED, "--set", "motion.recording.source={d}/rec.npz"], ["rec.npz: motion.recording.source:", ".npz"]),
    ("recording-npy-named-npz", {"rec.npz": _npy_bytes(T)},
     [*RECORDED, "--set", "motion.recording.source={d}/rec.npz"], ["rec.npz: motion.recording.source:", ".npz"]),
    ("recording-text-arrays", {"rec.npz": _npz_bytes(t=np.array(["a", "b"]), pos=np.array(["c", "d"]))},
     [*RECORDED, "--set", "motion.recording.source={d}/rec.npz"], ["rec.npz: motion.recording.source:", ".npz"]),
    ("recording-csv-not-utf8", {"rec.csv": "t,x\n0,0.1\n0.02,0.2\n# caf\xe9\n".encode("latin-1")},
     [*RECORDED, "--set", "motion.recording.source={d}/rec.csv"], ["rec.csv: motion.recording.source:", ".csv"]),
    # ---------------------------------------------------------- output paths
    ("envs-out-under-a-file", {"notes.txt": b"mine"}, ["envs", "show", "ring-1m", "--out", "{d}/notes.txt/ring.png"],
     ["--out:", "notes.txt is a file"]),
    ("envs-out-is-a-folder", {"figs": None}, ["envs", "show", "ring-1m", "--out", "{d}/figs"],
     ["--out:", "figs is a folder"]),
    ("envs-out-without-a-format", {}, ["envs", "show", "ring-1m", "--out", "{d}/ring.xyz"],
     ["--out:", "ring.xyz", "pdf"]),
    ("envs-unknown-format", {}, ["envs", "show", "ring-1m", "--format", "doc"], ["--format:", "'doc'", "svg"]),
    ("envs-format-against-suffix", {}, ["envs", "show", "ring-1m", "--out", "{d}/ring.png", "--format", "pdf"],
     ["--out:", "ring.png", "--format is pdf"]),
]


def _write_inputs(folder: Path, files: dict) -> None:
    folder.mkdir()
    for name, content in files.items():
        if content is None:
            (folder / name).mkdir()
        else:
            (folder / name).write_bytes(content)


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}



@pytest.fixture
def no_work(monkeypatch):
    """The experiment's ``run`` and drawing a figure fail the test: probes are refused before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("work started on malformed input")

    monkeypatch.setattr(hippo.experiments.path_integration, "run", refuse)
    monkeypatch.setattr("hippo.plotting.plot_environment", refuse)


@pytest.mark.parametrize("name, files, argv, culprit", PROBES, ids=[probe[0] for probe in PROBES])
def test_probe(name, files, argv, culprit, tmp_path, monkeypatch, capsys, no_work, assert_refused):
    inputs, cwd = tmp_path / "inputs", tmp_path / "cwd"
    _write_inputs(inputs, files)
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    argv = [arg.replace("{d}", str(inputs)) for arg in argv]
    if argv[0] == "run":
        argv += ["--out", str(cwd / "run")]
    before = _snapshot(tmp_path)
    capsys.readouterr()

    code = main(argv)

    assert_refused(code, capsys.readouterr().err, culprit)
    assert _snapshot(tmp_path) == before


def test_output_cut_short_by_its_reader_ends_quietly(tmp_path):
    """``hippo show NAME | head``: the reader has gone before the output is written; no traceback."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "hippo", "show", "path-integration"], stdout=write,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=120)
    finally:
        os.close(write)
    assert done.stderr == ""
    assert done.returncode == 141


def test_figures_in_the_format_their_suffix_or_format_names(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["envs", "show", "ring-1m", "--out", "ring.pdf"]) == 0
    assert (tmp_path / "ring.pdf").read_bytes().startswith(b"%PDF")
    assert main(["envs", "show", "ring-1m", "--format", "svg"]) == 0
    assert b"<svg" in (tmp_path / "ring-1m.svg").read_bytes()[:500]
    assert main(["envs", "show", "ring-1m", "--out", "figures/ring", "--format", "png"]) == 0
    assert (tmp_path / "figures" / "ring.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(_snapshot(tmp_path)) == ["figures", "figures/ring.png", "ring-1m.svg", "ring.pdf"]


# ---------------------------------------------------------------- figures


def _drawn(monkeypatch) -> list:
    """The figures saved from now on, each after it is drawn."""
    import hippo.plotting

    figures, real_save = [], hippo.plotting.save

    def save(fig, path):
        fig.canvas.draw()
        figures.append(fig)
        return real_save(fig, path)

    monkeypatch.setattr(hippo.plotting, "save", save)
    return figures


def test_the_error_figure_of_one_trial_says_so_and_its_legend_leaves_the_curve_free(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from hippo.experiments.path_integration.figures import error_curve

    figures = _drawn(monkeypatch)
    t = np.linspace(-1, 10, 200)
    error_curve(SimpleNamespace(t=t, errors=0.25 * (1 - np.exp(-np.abs(t)))[None]), {"chance_error_m": 0.25},
                tmp_path / "error.png")
    ax = figures[0].axes[0]
    legend = ax.get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels[0] == "mean ± s.e.m., 1 trial" and "trials" not in " ".join(labels)
    assert not legend.get_window_extent().overlaps(ax.get_window_extent())


def test_every_colour_bar_says_what_its_colours_are(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from hippo.experiments.path_integration.figures import ring_weights
    from hippo.plotting import save

    figures = _drawn(monkeypatch)
    rng = np.random.default_rng(0)
    ring_weights(rng.normal(size=(8, 8)), rng.normal(size=(8, 16)), {"+x": np.arange(8), "-x": np.arange(8, 16)},
                 np.arange(8), tmp_path / "weights.png")
    bars = [ax for ax in figures[0].axes if getattr(ax, "_colorbar", None) is not None]
    assert len(bars) == 3 and all(ax.get_ylabel() == "weight" for ax in bars)
    fig, ax = plt.subplots()
    fig.colorbar(ax.imshow(np.eye(3)), ax=ax)
    with pytest.raises(ValueError, match="colour bar without a label"):
        save(fig, tmp_path / "unlabelled.png")
    assert not (tmp_path / "unlabelled.png").exists()


# ---------------------------------------------------------------- hippo show

#: The unit of every configuration field that has one (module.Class.field), read from the
#: science of each field; every other field is a count, a fraction, a rate in model units,
#: a name or a switch, shown with "-".
UNITS = {
    "autoencoding.Config.dt": "s",
    "autoencoding.Config.duration": "s",
    "autoencoding.Config.max_lag": "s",
    "autoencoding.Config.show_duration": "s",
    "autoencoding.Config.test_duration": "s",
    "bayesian_mechanics.Config.duration": "s",
    "bayesian_mechanics.Config.switch_time": "s",
    "bayesian_mechanics.ModelConfig.gamma": "1/s",
    "bayesian_mechanics.ModelConfig.kappa": "1/s",
    "bayesian_mechanics.ModelConfig.kappa_a": "1/s",
    "bayesian_mechanics.SolverConfig.dt_out": "s",
    "bayesian_mechanics.SolverConfig.horizon": "s",
    "bayesian_mechanics.SolverConfig.nodes_per_second": "1/s",
    "bayesian_mechanics.StreamConfig.frequency_after": "Hz",
    "bayesian_mechanics.StreamConfig.frequency_before": "Hz",
    "bayesian_mechanics.StreamConfig.noise_timescale": "s",
    "circuit_rules.CircuitConfig.dt": "s",
    "circuit_rules.CircuitConfig.duration": "s",
    "circuit_rules.CircuitConfig.input_tau": "s",
    "motion.MotionConfig.coherence_time": "s",
    "motion.MotionConfig.rotation_coherence_time": "s",
    "motion.MotionConfig.rotation_std": "rad/s",
    "motion.MotionConfig.speed_mean": "m/s",
    "motion.MotionConfig.speed_std": "m/s",
    "motion.MotionConfig.start": "m",
    "motion.MotionConfig.step_interval": "s",
    "path_integration.Config.dt": "s",
    "path_integration.Config.duration": "s",
    "path_integration.Config.spike_map_duration": "s",
    "path_integration.Config.velocity_slope": "s/m",
    "path_integration.PathIntegrationTestConfig.decoder_window": "s",
    "path_integration.PathIntegrationTestConfig.generative": "s",
    "path_integration.PathIntegrationTestConfig.horizon_error": "m",
    "path_integration.PathIntegrationTestConfig.report_times": "s",
    "path_integration.PathIntegrationTestConfig.warmup": "s",
    "path_integration.RingAnalysisConfig.drift_duration": "s",
    "path_integration_2d.Config.dt": "s",
    "path_integration_2d.Config.duration": "s",
    "path_integration_2d.Config.velocity_slope": "s/m",
    "path_integration_2d.SpatialMapConfig.bin_size": "m",
    "path_integration_2d.SpatialMapConfig.duration": "s",
    "prediction_error.PredictionErrorPlasticity.tau_trace": "s",
    "probes.DirectionProbeConfig.duration": "s",
    "probes.DirectionProbeConfig.speeds": "m/s",
    "probes.DirectionProbeConfig.transient": "s",
    "probes.DirectionProbeConfig.warmup": "s",
    "probes.GainProbeConfig.duration": "s",
    "probes.GainProbeConfig.max_velocity": "m/s",
    "probes.GainProbeConfig.step": "m/s",
    "probes.GainProbeConfig.transient": "s",
    "probes.GainProbeConfig.warmup": "s",
    "recorded.RecordingConfig.margin": "m",
    "recorded.RecordingConfig.max_gap": "s",
    "recorded.RecordingConfig.span": "s",
    "senses.SensesConfig.timescale": "s",
    "senses.SensesConfig.width": "m",
    "spec.Noise.tau": "s",
    "spiking_config.SpikingConfig.dt": "s",
    "spiking_config.SpikingConfig.max_rate": "Hz",
    "spiking_config.SpikingConfig.rate_scale": "Hz",
    "spiking_config.SpikingConfig.settle": "s",
    "spiking_config.SpikingConfig.tau_syn": "s",
    "spiking_config.SpikingConfig.tau_recurrent": "s",
    "spiking_config.SpikingConfig.facilitation_tau": "s",
    "theta.ThetaConfig.frequency": "Hz",
    "transfer.RelearnConfig.anneal_duration": "s",
    "transfer.RelearnConfig.checkpoints": "s",
    "transfer.RelearnConfig.criterion_m": "m",
    "transfer.RelearnConfig.duration": "s",
    "transfer.RelearnConfig.speed_mean": "m/s",
}


def test_every_key_of_every_preset_shows_the_unit_of_its_field():
    from hippo.describe import _leaves, key_rows
    from hippo.experiments import list_presets, resolve

    checked = set()
    for preset in list_presets():
        rows = {row.key: row for row in key_rows(preset)}
        for key, _, _, field, owner in _leaves(resolve(preset).config):
            name = f"{owner.__module__.rsplit('.', 1)[-1]}.{owner.__qualname__}.{field.name}"
            assert rows[key].unit == UNITS.get(name, "-"), (preset, key, rows[key].unit, rows[key].description)
            checked.add(name)
    assert set(UNITS) <= checked  # every entry of the table is a field of some preset


def test_show_describes_nested_experiment_keys_by_their_own_comments():
    from hippo.describe import key_rows

    rows = {row.key: row for row in key_rows("transfer")}
    assert rows["network.seed"].description.startswith("seed of every random draw")
    assert rows["network.n_mec"].description == "MEC neurons"
    spiking = {row.key: row for row in key_rows("path-integration-spiking")}
    assert spiking["spiking.target"].description.endswith("(one compiled C++ program per network; fastest)")


# ---------------------------------------------------------------- what a run prints and reports

# A path-integration run of two short test trials: its generative phases give fewer MEC
# population vectors (80) than MEC cells (150), a cloud ripser takes for a transposed one.
FEW_VECTORS = ["duration=20", "test.n_trials=2", "test.warmup=1", "test.generative=1", "test.decoder_window=10",
               "test.report_times=[1]", "ring.drift_duration=1", "senses.n=20"]
# A small 1-D path-integration network, trained and tested briefly (transfer's network below).
PI_1D = ["duration=20", "test.n_trials=2", "test.warmup=1", "test.generative=2", "test.decoder_window=10",
         "test.report_times=[1, 2]", "ring.drift_duration=1", "n_mec=10", "senses.n=20"]

# Every circuit preset that runs in a few seconds, with settings that make it small.
SHORT_PRESETS = {
    "path-integration": FEW_VECTORS,
    "autoencoding": ["duration=20", "test_duration=5", "show_duration=2", "max_lag=2", "senses.n=10"],
    "path-integration-2d": ["duration=20", "test.n_trials=2", "test.warmup=1", "test.generative=2",
                            "test.decoder_window=10", "test.report_times=[1, 2]", "n_mec=10", "senses.n=16",
                            "maps.duration=5", "gain_probes.n_directions=2", "gain_probes.speeds=[0.2]",
                            "gain_probes.warmup=1", "gain_probes.duration=1", "topology.n_points=20",
                            "topology.n_shuffles=1"],
    "transfer": [f"network.{setting}" for setting in PI_1D] + [
        "network.conjunctive_threshold=0.2", "relearn.duration=10", "relearn.checkpoints=[0.0, 10.0]",
        "relearn.anneal_duration=10"],
    "bayesian-mechanics": ["duration=3.0", "switch_time=1.0", "solver.horizon=1.0", "stream.frequency_before=2.0",
                           "stream.frequency_after=1.0"],
    "active-exploration": ["environments=['tem-grid']", "n_seeds=2", "agent_steps=120", "random_walk_steps=3000"],
    "rule-identification": ["train_runs=2", "test_runs=2", "circuit.duration=5", "identifier.steps=5"],
}


@pytest.mark.parametrize("preset", SHORT_PRESETS)
def test_a_short_run_prints_no_dependency_warning_and_times_the_whole_run(preset, tmp_path):
    command = [sys.executable, "-m", "hippo", "run", preset, "--quiet", "--out", str(tmp_path / "run")]
    for override in SHORT_PRESETS[preset]:
        command += ["--set", override]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "default"})
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    # stderr holds only the run's own warnings (a number the short run could not measure), never a dependency's
    assert done.stderr.splitlines() == [f"warning: {warning}" for warning in metrics["warnings"]], done.stderr
    assert metrics["wall_seconds"] > 0
    if "training_wall_seconds" in metrics:
        assert metrics["training_wall_seconds"] <= metrics["wall_seconds"]
    if "wall_seconds_by_part" in metrics:
        parts = metrics["wall_seconds_by_part"]
        assert metrics["training_wall_seconds"] <= parts["training"] + 1e-6
        assert metrics["wall_seconds"] >= sum(parts.values())  # the whole run, as in every experiment
