"""Path integration: the test protocol, the controls, and learning to path-integrate."""

import json

import numpy as np
import pytest

from hippo.analysis.decoding import RidgeDecoder
from hippo.analysis.path_integration import PathIntegrationTestConfig, run_test
from hippo.circuits.activations import Activation
from hippo.circuits.rate import RateEngine
from hippo.circuits.wiring import PathIntegratorProjections, PyramidalConfig, path_integrator_network
from hippo.experiments import run_experiment
from hippo.theta import ThetaConfig
from hippo.world.gridworld import load_environment
from hippo.world.motion import MotionConfig, generate_motion
from hippo.world.senses import PlaceCells, VelocityCells

SHORT = ["duration=600", "test.n_trials=6", "test.decoder_window=300", "ring.drift_duration=5"]


def _tiny_setup(seed=0):
    env = load_environment("ring-1m")
    rng = np.random.default_rng(seed)
    trajectory = generate_motion(env, 200.0, 0.025, MotionConfig(), rng)
    senses = PlaceCells.build(env, 20, 0.06, "tiled", 0.0, rng)
    velocity = VelocityCells(1, 0.5)
    mec = PyramidalConfig(basal=Activation("retanh"), apical=Activation("retanh"))
    network = path_integrator_network(20, 20, 2, PyramidalConfig(), mec, 1.0, PathIntegratorProjections(), rng)

    def inputs(start, stop):
        return {"features": senses.encode(trajectory, start, stop), "velocity": velocity.encode(trajectory, start, stop)}

    return env, trajectory, network, inputs


def test_protocol_times_shapes_and_true_positions():
    env, trajectory, network, inputs = _tiny_setup()
    engine = RateEngine(network, 0.025, seed=0)
    fit = engine.run(20.0, inputs, ThetaConfig(), learn=False, record=("hpc",))
    decoder = RidgeDecoder(env).fit(fit.signals["hpc"], trajectory.position[fit.steps])
    config = PathIntegrationTestConfig(n_trials=3, warmup=2.0, generative=3.0)
    start = engine.step_count
    result = run_test(engine, inputs, trajectory.position, decoder, env, ThetaConfig(), config)
    n = int(2.0 / 0.025) + int(3.0 / 0.025)
    assert result.errors.shape == (3, n)
    assert result.decoded.shape == result.true.shape == (3, n, 1)
    assert np.sum(result.t <= 0) == 80 and np.isclose(result.t[80], 0.025) and np.isclose(result.t[-1], 3.0)
    # trials follow one another along the trajectory, and the true positions are the trajectory's
    assert np.allclose(result.true[0, :, 0], trajectory.position[start:start + n, 0])
    assert np.allclose(result.true[1, :, 0], trajectory.position[start + n:start + 2 * n, 0])
    assert np.all((result.errors >= 0) & (result.errors <= 0.5))
    mean, sem = result.error_at(1.0)
    assert mean == pytest.approx(result.errors[:, 80 + 39].mean()) and sem >= 0
    assert 0 < result.horizon(0.0) <= 3.0


@pytest.mark.slow
def test_training_improves_path_integration_over_untrained(tmp_path):
    _, trained = run_experiment("path-integration", SHORT, seed=0, out=tmp_path / "trained", quiet=True)
    _, untrained = run_experiment("path-integration-untrained", SHORT, seed=0, out=tmp_path / "untrained", quiet=True)
    assert trained["control"] == "none" and untrained["control"] == "untrained"
    assert trained["pi_error_before_m"] < 0.03  # the decoder works while the senses are on
    assert trained["pi_error_m"]["1"] < 0.12
    assert untrained["pi_error_m"]["1"] > 0.15
    assert trained["pi_error_m"]["1"] < 0.6 * untrained["pi_error_m"]["1"]
    assert trained["chance_error_m"] == pytest.approx(0.25)
    ring = trained["ring"]
    assert ring["local_excitation"] > 0 > ring["surround_inhibition"]
    assert ring["conj_shift_plus"] * ring["conj_shift_minus"] < 0
    saved = json.loads((tmp_path / "trained" / "metrics.json").read_text())
    assert saved["pi_error_m"] == pytest.approx(trained["pi_error_m"])
    for figure in ("decoding", "error", "mec_activity", "ring_weights", "loss"):
        assert (tmp_path / "trained" / "figures" / f"{figure}.png").stat().st_size > 10_000


def test_multi_seed_study_summarises_every_seed(tmp_path):
    from hippo.experiments import run_seeds

    overrides = ["duration=120", "test.n_trials=2", "test.decoder_window=60", "ring.drift_duration=2"]
    root, summary = run_seeds("path-integration", [0, 1], overrides, out=tmp_path, quiet=True)
    saved = json.loads((root / "summary.json").read_text())
    assert saved["seeds"] == [0, 1]
    one_second = summary["pi_error_m.1"]
    per_seed = [json.loads((tmp_path / f"seed{s}" / "metrics.json").read_text())["pi_error_m"]["1"] for s in (0, 1)]
    assert list(one_second["per_seed"].values()) == pytest.approx(per_seed)
    assert one_second["mean"] == pytest.approx(np.mean(per_seed))
    assert one_second["sem"] == pytest.approx(np.std(per_seed, ddof=1) / np.sqrt(2))
