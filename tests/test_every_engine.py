"""Every circuit experiment runs on every engine and reports the rate run's metrics (a spiking run adds its spike measurements)."""

import json

import pytest

from conftest import SMALL_RING_ANALYSES
from hippo.experiments import run_experiment
from hippo.experiments.transfer import ARMS

#: Tiny configurations of each circuit experiment, and the key that picks its engine.
TINY = {
    "autoencoding": ("engine", ["duration=10", "test_duration=3", "show_duration=3"]),
    "path-integration": ("engine", ["duration=4", "test.n_trials=1", "test.warmup=1", "test.generative=1",
                                    "test.report_times=[1]", "test.decoder_window=2.5", "n_mec=8", "senses.n=10",
                                    "spike_map_duration=1", "ring.drift_duration=1", *SMALL_RING_ANALYSES]),
    "path-integration-2d": ("engine", ["duration=10", "test.decoder_window=5", "test.n_trials=1", "test.generative=1",
                                       "test.warmup=1", "test.report_times=[1.0]", "n_mec=10", "senses.n=16",
                                       "maps.duration=5", "gain_probes.speeds=[0.2]", "gain_probes.n_directions=4",
                                       "topology.n_points=10", "topology.max_dim=1"]),
    "transfer": ("network.engine", ["network.senses.n=12", "network.n_mec=8", "network.conjunctive_threshold=0.2",
                                    "network.duration=2.5", "network.test.n_trials=1", "network.test.warmup=0.5",
                                    "network.test.generative=0.5", "network.test.decoder_window=2.5",
                                    "network.test.report_times=[0.5]", "network.schedule.segments=1",
                                    "relearn.duration=2.5", "relearn.checkpoints=[0.0, 2.5]"]),
    "rule-identification": ("circuit.engine", ['rules=["prediction-error", "momentum"]', "train_runs=1", "test_runs=1",
                                               "circuit.duration=1.0", "identifier.steps=10"]),
}

#: Metrics only a spiking run measures (the bump's spike noise against its bound).
SPIKING_ONLY = ("bump_noise",)


def _numeric(key: str) -> bool:
    try:
        float(key)
        return True
    except ValueError:
        return False


def _keys(metrics: dict, prefix: str = "") -> set[str]:
    """Every metric's dotted key (timings and the run's own bookkeeping left out); a table keyed by
    numbers (a profile over distances the run measured) is one metric."""
    keys = set()
    for key, value in metrics.items():
        if key in ("warnings", "files") or "wall_seconds" in key or key == "us_per_step":
            continue
        table = isinstance(value, dict) and value and not all(_numeric(k) for k in value)
        keys |= _keys(value, f"{prefix}{key}.") if table else {prefix + key}
    return keys


@pytest.mark.slow
@pytest.mark.parametrize("experiment", sorted(TINY))
def test_a_circuit_experiment_reports_the_same_metrics_on_the_spiking_engine(experiment, tmp_path):
    key, overrides = TINY[experiment]
    prefix = key.rpartition("engine")[0]  # neurons stepped every 5 ms: the metrics are the same at any step
    spiking = [f"{key}=spiking", f"{prefix}spiking.target=numpy", f"{prefix}spiking.dt=0.005"]
    metrics = {}
    for engine, more in (("rate", [f"{key}=rate"]), ("spiking", spiking)):
        run_experiment(experiment, overrides + more, out=tmp_path / engine, quiet=True)
        metrics[engine] = json.loads((tmp_path / engine / "metrics.json").read_text())
    rate, spiking = _keys(metrics["rate"]), _keys(metrics["spiking"])
    assert rate <= spiking and len(rate) > 5, sorted(rate - spiking)
    assert all(key.startswith(SPIKING_ONLY) for key in spiking - rate), sorted(spiking - rate)
    if experiment == "transfer":
        assert set(metrics["spiking"]["arms"]) == set(ARMS) and len(ARMS) == 5
