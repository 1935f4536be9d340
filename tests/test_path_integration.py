"""Path integration: the test protocol, the controls, learning to path-integrate, starting from a saved run."""

import json
from pathlib import Path

import numpy as np
import pytest

from hippo.analysis import ring_attractor
from hippo.analysis.decoding import RidgeDecoder
from hippo.analysis.path_integration import PathIntegrationResult, PathIntegrationTestConfig
from hippo.circuits.wiring import conjunctive_blocks
from hippo.errors import ConfigError, HippoError
from hippo.experiments import run_experiment
from hippo.experiments.path_integration import Config, build
from hippo.probes import run_test
from hippo.protocol import Phase, run_phases
from hippo.theta import ThetaConfig
from hippo.world.senses import SensesConfig

SHORT = ["duration=1800", "test.n_trials=6", "test.decoder_window=300", "ring.drift_duration=5"]
TINY = ["duration=60", "test.n_trials=2", "test.warmup=2", "test.generative=3", "test.report_times=[1, 2]",
        "test.decoder_window=30",
        "ring.drift_duration=2", "n_mec=12", "senses.n=16"]


def test_protocol_times_shapes_and_true_positions():
    setup = build(Config(n_mec=20, senses=SensesConfig(n=20), precision="float64"))
    fit = run_phases(setup.engine, [Phase("fit", 20.0, setup.stream, ThetaConfig(), record=("hpc",))])["fit"]
    decoder = RidgeDecoder(setup.env).fit(fit.recording.signals["hpc"], fit.positions())
    config = PathIntegrationTestConfig(n_trials=3, warmup=2.0, generative=3.0, report_times=(1.0, 2.0))
    result = run_test(setup.engine, setup.test_stream, decoder, ThetaConfig(), config)
    n = int(2.0 / 0.025) + int(3.0 / 0.025)
    assert result.errors.shape == (3, n)
    assert result.decoded.shape == result.true.shape == (3, n, 1)
    assert np.sum(result.t <= 0) == 80 and np.isclose(result.t[80], 0.025) and np.isclose(result.t[-1], 3.0)
    # trials follow one another along the test stream, and the true positions are its trajectory's
    test_positions = setup.test_stream.position(0, 3 * n)[:, 0]
    assert np.allclose(result.true[0, :, 0], test_positions[:n])
    assert np.allclose(result.true[1, :, 0], test_positions[n:2 * n])
    assert setup.test_stream.cursor == 3 * n and setup.stream.cursor == 800
    assert np.all((result.errors >= 0) & (result.errors <= 0.5))
    mean, sem = result.error_at(1.0)
    column = result.errors[:, 80 + 39]
    assert mean == pytest.approx(column.mean()) and sem == pytest.approx(column.std(ddof=1) / np.sqrt(3))
    # every decoded error is positive, so the mean first exceeds 0 m at the first step after the switch;
    # errors never exceed 0.5 m, so a 0.5 m horizon is the test's length
    assert result.horizon(0.0) == pytest.approx(0.025) and result.horizon(0.5) == pytest.approx(3.0)


def test_horizon_is_the_first_crossing_of_the_mean_error_after_the_switch():
    t = np.arange(-3, 8) * 0.5
    errors = np.array([np.where(t <= 0, 0.5, 0.02 * t), np.where(t <= 0, 0.5, 0.06 * t)])  # mean 0.04·t after 0
    result = PathIntegrationResult(t, errors, errors[..., None], errors[..., None], errors[..., None])
    assert result.horizon(0.1) == pytest.approx(3.0)  # 0.04·2.5 = 0.1 is not above; 0.12 at 3 s is
    assert result.horizon(0.01) == pytest.approx(0.5)
    assert result.horizon(1.0) == pytest.approx(3.5)  # never crossed: the test's length
    assert result.error_at(2.0) == pytest.approx((0.08, 0.04))  # s.e.m. of two values: half their difference


def test_a_run_started_from_a_saved_state_with_no_training_repeats_its_test(tmp_path):
    _, first = run_experiment("path-integration", TINY, seed=2, out=tmp_path / "first", quiet=True)
    _, again = run_experiment("path-integration", TINY + ["duration=0"], out=tmp_path / "again", quiet=True,
                              start_from=tmp_path / "first")
    assert again["seed"] == 2 and again["sim_seconds"] == 0
    assert again["pi_error_m"] == first["pi_error_m"]  # bit-identical
    assert again["pi_error_before_m"] == first["pi_error_before_m"] and again["ring"] == first["ring"]
    with np.load(tmp_path / "first" / "weights.npz") as a, np.load(tmp_path / "again" / "weights.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)
    # training on from the saved state changes the weights and reads the training stream on
    _, more = run_experiment("path-integration", TINY + ["duration=30"], out=tmp_path / "more", quiet=True,
                             start_from=tmp_path / "first")
    assert more["pi_error_m"] != first["pi_error_m"]


def test_every_run_reports_the_gain_curve_error_decomposition_bump_and_topology(tmp_path):
    probes = ["gain_probes.max_velocity=0.6", "gain_probes.step=0.3", "gain_probes.warmup=1",
              "gain_probes.duration=2"]
    _, metrics = run_experiment("path-integration", TINY + probes, seed=1, out=tmp_path / "run", quiet=True)
    curve = metrics["gain_curve"]
    assert curve["velocities_m_per_s"] == pytest.approx([-0.6, -0.3, 0.0, 0.3, 0.6])
    assert curve["gains"][2] is None and all(np.isfinite(g) for i, g in enumerate(curve["gains"]) if i != 2)
    assert curve["gain_error_speed_weighted"] >= 0 and 0 <= curve["max_integrated_speed_m_per_s"] <= 0.6
    decomposition = metrics["error_decomposition"]
    assert {"gain_minus_one", "drift_m_per_s", "diffusion_m2_per_s"} <= set(decomposition)
    assert decomposition["fit_window_s"][0] == 0 and 1.0 <= decomposition["fit_window_s"][1] <= 3.0
    # the short test's bump covers too little of the ring to map its cells' tuning (NaN, None in JSON;
    # tuning_width itself is tested in test_pi_analyses), its spread is measured at every sample
    assert set(metrics["bump"]) == {f"{kind}_{mode}_m" for kind in ("fwhm", "spread") for mode in ("theta", "generative")}
    assert 0 < metrics["bump"]["spread_theta_m"] < 1.0
    assert metrics["topology"]["betti"][0] >= 1 and len(metrics["topology"]["betti"]) == 2
    assert 0 < metrics["horizon_5cm_s"] <= metrics["horizon_10cm_s"] <= 3.0
    assert metrics["horizon_10cm_s"] == metrics["pi_horizon_s"]
    assert set(metrics["wall_seconds_by_part"]) == {"training", "test", "analyses"}
    for figure in ("gain_curve", "error_decomposition", "persistence"):
        assert (tmp_path / "run" / "figures" / f"{figure}.png").stat().st_size > 10_000
    with np.load(tmp_path / "run" / "arrays.npz") as arrays:
        assert np.allclose(arrays["gain_curve.velocities"], curve["velocities_m_per_s"])


def test_starting_from_a_run_of_another_shape_names_the_key_or_the_projection(tmp_path):
    run_experiment("path-integration", TINY, out=tmp_path / "first", quiet=True)
    with pytest.raises(ConfigError, match=r"--set: n_mec: 14 contradicts the saved run, where it is 12"):
        run_experiment("path-integration", TINY + ["n_mec=14"], out=tmp_path / "other", quiet=True,
                       start_from=tmp_path / "first")
    with pytest.raises(HippoError, match=r"first/state.npz: fixed projection 'conjunctive.gain<-velocity' differs"):
        run_experiment("path-integration", TINY + ["control=no-velocity"], out=tmp_path / "control", quiet=True,
                       start_from=tmp_path / "first")
    with pytest.raises(ConfigError, match="no state.npz"):
        run_experiment("path-integration", TINY, out=tmp_path / "none", quiet=True, start_from=tmp_path)
    with pytest.raises(ConfigError, match="duration"):
        run_experiment("path-integration", TINY + ["duration=0"], out=tmp_path / "zero", quiet=True)
    assert not (tmp_path / "other").exists() and not (tmp_path / "zero").exists()


@pytest.mark.slow
def test_training_improves_path_integration_over_untrained(tmp_path):
    """Thirty minutes of training, on seeds 0–2: the decoder works while the senses are on; 1 s after the
    switch the trained network is below chance (0.25 m) and below the untrained one on every seed, and
    on average at most 0.8 of it; the learned conjunctive weights of the +v block minus those of the −v
    block form an odd profile around each cell (they push the bump one way)."""
    trained, untrained = {}, {}
    for seed in (0, 1, 2):
        _, trained[seed] = run_experiment("path-integration", SHORT, seed=seed, out=tmp_path / f"trained{seed}", quiet=True)
        _, untrained[seed] = run_experiment("path-integration-untrained", SHORT, seed=seed, out=tmp_path / f"untrained{seed}",
                                            quiet=True)
    assert {m["control"] for m in trained.values()} == {"none"} and {m["control"] for m in untrained.values()} == {"untrained"}
    one_second = {seed: (trained[seed]["pi_error_m"]["1"], untrained[seed]["pi_error_m"]["1"]) for seed in trained}
    for seed, (learned, naive) in one_second.items():
        assert trained[seed]["pi_error_before_m"] < 0.03, seed  # the decoder works while the senses are on
        assert learned < min(naive, 0.8 * trained[seed]["chance_error_m"]), (seed, one_second)
        assert _odd_to_even_energy(tmp_path / f"trained{seed}") > 3.0, seed
    assert np.mean([a for a, _ in one_second.values()]) <= 0.8 * np.mean([b for _, b in one_second.values()]), one_second
    assert trained[0]["chance_error_m"] == pytest.approx(0.25)
    saved = json.loads((tmp_path / "trained0" / "metrics.json").read_text())
    assert saved["pi_error_m"] == pytest.approx(trained[0]["pi_error_m"])
    for figure in ("decoding", "error", "mec_activity", "ring_weights", "loss"):
        assert (tmp_path / "trained0" / "figures" / f"{figure}.png").stat().st_size > 10_000


def _odd_to_even_energy(run: Path) -> float:
    """Energy of the odd over the even part of the mean aligned profile of the (+x − −x) conjunctive weights."""
    with np.load(run / "weights.npz") as weights, np.load(run / "arrays.npz") as arrays:
        w, order = weights["mec.apical<-conjunctive"], arrays["order"]
    n = len(order)
    blocks = conjunctive_blocks(n, w.shape[1] // n)
    profile = ring_attractor.mean_profile(ring_attractor.aligned(w[:, blocks["+x"]] - w[:, blocks["-x"]], order))
    k = np.arange(1, n // 2)
    right, left = profile[n // 2 + k], profile[n // 2 - k]
    return float(np.sum((right - left) ** 2) / np.sum((right + left) ** 2))


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


@pytest.mark.parametrize("kind", ["ridge", "template", "knn"])
def test_a_decoder_saved_as_arrays_predicts_exactly_as_the_fitted_one(kind, tmp_path):
    from hippo.analysis.path_integration import decoder_state, make_decoder, restore_decoder
    from hippo.world.gridworld import load_environment

    env = load_environment("ring-1m")
    rng = np.random.default_rng(4)
    position = rng.random((400, 1))
    activity = np.exp(-((position - np.linspace(0, 1, 12)) ** 2) / 0.01) + 0.05 * rng.standard_normal((400, 12))
    fitted = make_decoder(kind, env).fit(activity, position)
    np.savez(tmp_path / "decoder.npz", **decoder_state(fitted))
    with np.load(tmp_path / "decoder.npz") as saved:
        restored = restore_decoder(kind, env, {key: saved[key] for key in saved.files})
    probe = activity[::7] + 0.1 * rng.standard_normal(activity[::7].shape)
    assert np.array_equal(restored.predict(probe), fitted.predict(probe))
