"""``hippo run NAME --from RUN_DIR``: the saved run's configuration, changed only by ``--set``.

Every circuit preset, run small, is repeated with ``--from RUN_DIR --set duration=0``: the
repeat must report the saved run's metrics bit for bit (those of its test and analyses;
the training's own — losses, simulated and wall seconds — are this run's, which trained
for 0 s). Overrides that contradict the saved state, and a positional name other than
the saved run's experiment, are refused with one line before any work.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import SMALL_RING_ANALYSES
from hippo.cli import main
from hippo.config import read_toml

PI_1D = ["duration=20", "test.n_trials=2", "test.warmup=1", "test.generative=2", "test.decoder_window=10",
         "test.report_times=[1, 2]", "ring.drift_duration=1", "n_mec=10", "senses.n=20",
         "gain_probes.max_velocity=0.6", "gain_probes.step=0.3", "gain_probes.warmup=1", "gain_probes.duration=2",
         "topology.n_points=30", "topology.n_shuffles=1"]
PI_2D = ["duration=20", "test.n_trials=2", "test.warmup=1", "test.generative=2", "test.decoder_window=10",
         "test.report_times=[1, 2]", "n_mec=10", "senses.n=16", "maps.duration=5", "gain_probes.n_directions=2",
         "gain_probes.speeds=[0.2]", "gain_probes.warmup=1", "gain_probes.duration=1",
         "topology.n_points=20", "topology.n_shuffles=1"]
AUTOENCODING = ["duration=20", "test_duration=5", "show_duration=2", "max_lag=2", "senses.n=10"]
SPIKING = ["spiking.target=numpy", "spiking.dt=0.005"]
TRANSFER = [f"network.{setting}" for setting in PI_1D if not setting.startswith(("gain_probes", "topology"))] + [
    "network.conjunctive_threshold=0.2", "relearn.duration=10", "relearn.checkpoints=[0.0, 10.0]",
    "relearn.anneal_duration=10"]

#: Every preset of an experiment with a circuit, with settings that make it small (spiking neurons are
#: stepped every 5 ms: a repeat is bit for bit at any step).
CIRCUIT_PRESETS = {
    "autoencoding": AUTOENCODING,
    "autoencoding-spiking": AUTOENCODING + SPIKING,
    "path-integration": PI_1D,
    "path-integration-no-theta": PI_1D,
    "path-integration-no-velocity": PI_1D,
    "path-integration-untrained": PI_1D,
    "path-integration-paper": PI_1D,
    "path-integration-rat-ring": PI_1D,
    "path-integration-spiking": PI_1D + SPIKING + ["spike_map_duration=1", *SMALL_RING_ANALYSES],
    "path-integration-2d": PI_2D,
    "path-integration-rat": PI_2D,
    "path-integration-rat-simulated": PI_2D,
    "transfer": TRANSFER,
    "transfer-60min": TRANSFER,
    "transfer-paper": TRANSFER,
}

#: Metrics of the training itself: a run that trains for 0 s reports its own.
TRAINING_METRICS = {"loss_hpc_initial", "loss_hpc_final", "loss_mec_initial", "loss_mec_final", "loss_window_s",
                    "sim_seconds", "wall_seconds", "us_per_step", "wall_seconds_by_part", "training_wall_seconds",
                    "warnings", "files"}


def _duration_key(experiment: str) -> str:
    return "network.duration" if experiment == "transfer" else "duration"


def _set(settings: list[str]) -> list[str]:
    return [arg for setting in settings for arg in ("--set", setting)]


def _measured(run: Path) -> str:
    metrics = json.loads((run / "metrics.json").read_text())
    return json.dumps({k: v for k, v in metrics.items() if k not in TRAINING_METRICS}, sort_keys=True)


def _run(argv: list[str], capsys) -> None:
    code = main(argv + ["--quiet"])
    assert code == 0, capsys.readouterr().err


def test_every_circuit_preset_is_listed():
    from hippo.runner import list_presets, load_module, preset_path

    circuits = {"autoencoding", "path-integration", "path-integration-2d", "transfer"}
    presets = [p for p in list_presets()
               if load_module(read_toml(preset_path(p))["experiment"], p)
               .__name__.rsplit(".", 1)[-1].replace("_", "-") in circuits]
    assert sorted(presets) == sorted(CIRCUIT_PRESETS)


@pytest.mark.parametrize("preset", [pytest.param(p, marks=pytest.mark.slow) if "spiking" in p else p
                                    for p in sorted(CIRCUIT_PRESETS)])
def test_a_run_from_a_saved_run_without_training_repeats_its_metrics(preset, tmp_path, capsys):
    _run(["run", preset, *_set(CIRCUIT_PRESETS[preset]), "--seed", "3", "--out", str(tmp_path / "first")], capsys)
    experiment = read_toml(tmp_path / "first" / "config.toml")["experiment"]
    _run(["run", experiment, "--from", str(tmp_path / "first"), "--set", f"{_duration_key(experiment)}=0",
          "--out", str(tmp_path / "again")], capsys)
    again = read_toml(tmp_path / "again" / "config.toml")
    first = read_toml(tmp_path / "first" / "config.toml")
    assert again.pop("seed") == first.pop("seed") == 3
    if experiment == "transfer":
        assert again["network"].pop("duration") == 0 and first["network"].pop("duration") > 0
    else:
        assert again.pop("duration") == 0 and first.pop("duration") > 0
    assert again == first  # the saved configuration, with only the key named by --set changed
    assert _measured(tmp_path / "again") == _measured(tmp_path / "first")


STUDY = """experiment = "path-integration"
duration = 20.0
n_mec = 10

[senses]
n = 20

[test]
n_trials = 3
warmup = 1.0
generative = 2.0
decoder = "template"
decoder_window = 10.0
report_times = [0.5, 2.0]

[ring]
n_bins = 40
drift_duration = 1.0

[gain_probes]
max_velocity = 0.6
step = 0.3
warmup = 1.0
duration = 2.0

[topology]
n_points = 30
n_shuffles = 1
"""


def test_a_study_file_with_its_own_test_is_repeated_with_its_test(tmp_path, capsys):
    (tmp_path / "my.toml").write_text(STUDY)
    _run(["run", str(tmp_path / "my.toml"), "--out", str(tmp_path / "first")], capsys)
    _run(["run", "path-integration", "--from", str(tmp_path / "first"), "--set", "duration=0",
          "--out", str(tmp_path / "again")], capsys)
    metrics = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert set(metrics["pi_error_m"]) == {"0.5", "2"}
    with np.load(tmp_path / "again" / "arrays.npz") as arrays:
        assert arrays["test.errors"].shape[0] == 3 and arrays["rate_maps"].shape == (10, 40)
    assert _measured(tmp_path / "again") == _measured(tmp_path / "first")


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A small trained path-integration run."""
    folder = tmp_path_factory.mktemp("saved") / "run"
    assert main(["run", "path-integration", *_set(PI_1D), "--out", str(folder), "--quiet"]) == 0
    return folder



REFUSALS = [
    # id, positional name, settings, what the one line must name
    ("another-preset-as-name", "path-integration-no-velocity", [], ["--from:", "'path-integration'",
                                                                    "hippo run path-integration --from"]),
    ("another-experiment-as-name", "transfer", ["network.duration=0"], ["--from:", "'path-integration'"]),
    ("a-study-file-as-name", "{saved}/config.toml", [], ["--from:", "hippo run path-integration --from"]),
    ("another-environment", "path-integration", ["environment=ring-2m"],
     ["--set: environment: 'ring-2m' contradicts the saved run", "'ring-1m'", "world"]),
    ("another-environment-while-training", "path-integration", ["environment=ring-2m", "duration=20"],
     ["--set: environment:"]),
    ("other-map-bins-without-training", "path-integration", ["duration=0", "ring.n_bins=50"],
     ["--set: ring.n_bins: 50 contradicts the saved run", "100", "rate maps"]),
    ("another-decoder-without-training", "path-integration", ["duration=0", "test.decoder=knn"],
     ["--set: test.decoder: 'knn' contradicts the saved run", "'ridge'", "decoder"]),
    ("another-decoder-window-without-training", "path-integration", ["duration=0", "test.decoder_window=5"],
     ["--set: test.decoder_window:"]),
    ("more-mec-cells", "path-integration", ["duration=0", "n_mec=14"], ["--set: n_mec: 14 contradicts", "10"]),
    ("another-seed", "path-integration", ["duration=0", "seed=3"], ["seed: 3 contradicts", "sensory code"]),
    ("other-senses", "path-integration", ["duration=0", "senses.width=0.08"], ["--set: senses.width:"]),
    ("another-step", "path-integration", ["duration=0", "dt=0.02"], ["--set: dt:"]),
    ("another-engine", "path-integration", ["duration=0", "engine=spiking", "velocity_coding=push-pull",
                                            "conjunctive_threshold=0.5"], ["--set: "]),
]


@pytest.mark.parametrize("name, target, settings, culprit", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_run_from_a_saved_run_refuses_what_contradicts_it(name, target, settings, culprit, saved_run, tmp_path,
                                                            capsys, no_work, assert_refused):
    before = sorted(p.name for p in saved_run.iterdir())
    capsys.readouterr()
    code = main(["run", target.replace("{saved}", str(saved_run)), "--from", str(saved_run), *_set(settings),
                 "--out", str(tmp_path / "run")])
    assert_refused(code, capsys.readouterr().err, culprit)
    assert not (tmp_path / "run").exists() and sorted(p.name for p in saved_run.iterdir()) == before


def test_a_run_from_a_saved_run_refuses_another_seed_by_its_flag(saved_run, tmp_path, capsys, no_work):
    """The seed draws the sensory code the saved network learned: --seed cannot change it either."""
    code = main(["run", "path-integration", "--from", str(saved_run), "--seed", "3", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --seed: seed: 3 contradicts the saved run") and err.count("\n") == 1, err


def test_a_run_from_a_saved_run_may_retrain_what_it_refits(saved_run, tmp_path, capsys):
    """With training, the decoder and the rate maps are fitted anew, so their settings may change."""
    _run(["run", "path-integration", "--from", str(saved_run), *_set(["duration=10", "test.decoder=knn",
                                                                     "ring.n_bins=50", "test.decoder_window=5"]),
          "--out", str(tmp_path / "more")], capsys)
    config = read_toml(tmp_path / "more" / "config.toml")
    assert config["test"]["decoder"] == "knn" and config["ring"]["n_bins"] == 50 and config["n_mec"] == 10
    with np.load(tmp_path / "more" / "arrays.npz") as arrays:
        assert arrays["rate_maps"].shape == (10, 50)
