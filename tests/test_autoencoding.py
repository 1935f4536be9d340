"""Experiment A, autoencoding a latent stream: a short run whose losses fall."""

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.experiments import resolve

METRICS = ("loss_hpc_initial", "loss_hpc_final", "loss_mec_initial", "loss_mec_final", "autocorr_time_latents_s",
           "autocorr_time_generated_s", "sim_seconds", "wall_seconds", "us_per_step")
PHASES = ("before_inference", "before_generation", "after_inference", "after_generation")


@pytest.fixture(scope="module")
def arrays(short_autoencoding):
    with np.load(short_autoencoding.run_dir.path / "arrays.npz") as data:
        return {k: data[k] for k in data.files}


def test_losses_fall_during_training(short_autoencoding):
    m = short_autoencoding.metrics
    assert m["loss_hpc_final"] <= 0.8 * m["loss_hpc_initial"]
    assert m["loss_mec_final"] <= 0.5 * m["loss_mec_initial"]


def test_loss_falls_minute_by_minute(arrays):
    """Four minutes of training: every later minute has a lower mean loss than the first, the last the lowest."""
    for layer in ("hpc", "mec"):
        per_minute = arrays[f"train.loss.{layer}"].reshape(4, -1).mean(axis=1)
        assert np.all(per_minute[1:] < per_minute[0]), (layer, per_minute)
        assert per_minute[-1] == per_minute.min()


def test_metrics_are_complete_and_match_the_recordings(short_autoencoding, arrays):
    m = short_autoencoding.metrics
    assert set(METRICS) <= set(m) and m["experiment"] == "autoencoding" and m["seed"] == short_autoencoding.seed
    assert m["sim_seconds"] == 240.0 and m["us_per_step"] > 0 and m["wall_seconds"] > 0
    assert len(arrays["train.t"]) == 2400
    assert m["loss_window_s"] == pytest.approx(24.0)  # a tenth of training, shorter than ten minutes
    window = 240  # records of 0.1 s
    assert m["loss_hpc_initial"] == pytest.approx(arrays["train.loss.hpc"][:window].mean())
    assert m["loss_mec_final"] == pytest.approx(arrays["train.loss.mec"][-window:].mean())


def test_latent_stream_has_the_squared_exponential_decorrelation_time(short_autoencoding, arrays):
    assert short_autoencoding.metrics["autocorr_time_latents_s"] == pytest.approx(np.sqrt(2.0), rel=0.2)
    assert arrays["latents"].shape[1] == 5
    assert arrays["autocorr_latents"][0] == pytest.approx(1.0)


def test_training_improves_inference_mode_predictions(arrays):
    """With θ ≡ 1 the apical dendrites predict the bottom-up activity much better after training."""
    for layer in ("hpc", "mec"):
        before = arrays[f"before_inference.loss.{layer}"].mean()
        after = arrays[f"after_inference.loss.{layer}"].mean()
        assert after < 0.5 * before, (layer, before, after)


def test_test_phases_run_in_their_modes(arrays):
    for phase in PHASES:
        inference = phase.endswith("inference")
        assert np.all(arrays[f"{phase}.theta"] == (1.0 if inference else 0.0))
        follows = "basal" if inference else "apical"
        for layer in ("hpc", "mec"):
            assert np.allclose(arrays[f"{phase}.{layer}"], arrays[f"{phase}.{layer}.{follows}"])
    # the phases follow one another in time: 2 × 60 s, 240 s of training, 60 s, 60 s
    assert arrays["before_generation.t"][0] == pytest.approx(60.025)
    assert arrays["train.t"][0] == pytest.approx(120.1) and arrays["train.t"][-1] == pytest.approx(360.0)
    assert arrays["after_generation.t"][-1] == pytest.approx(480.0)


def test_weights_and_figures_are_written(short_autoencoding):
    path = short_autoencoding.run_dir.path
    with np.load(path / "weights.npz") as weights:
        shapes = {k: weights[k].shape for k in weights.files}
        assert np.array_equal(weights["hpc.basal<-features"], np.eye(50))  # fixed
    assert shapes == {"hpc.basal<-features": (50, 50), "hpc.apical<-mec": (50, 5), "mec.basal<-hpc": (5, 50),
                      "mec.apical<-mec": (5, 5)}
    for name in ("loss", "activity", "autocorrelation"):
        figure = path / "figures" / f"{name}.png"
        assert figure.read_bytes()[:4] == b"\x89PNG"


def test_autoencoding_needs_latent_senses():
    with pytest.raises(ConfigError, match="senses.kind must be 'latent'"):
        resolve("autoencoding", ["senses.kind=place"])


def test_a_run_started_from_a_saved_state_goes_on_from_the_trained_network(short_autoencoding, tmp_path):
    """The continued run's first losses are those of a trained network: as low as the saved run's last ones."""
    from hippo.errors import HippoError
    from hippo.experiments import run_experiment

    saved = short_autoencoding.run_dir.path
    _, more = run_experiment("autoencoding", ["duration=60", "test_duration=10", "show_duration=10"],
                             out=tmp_path / "more", quiet=True, start_from=saved)
    first = short_autoencoding.metrics
    assert more["seed"] == first["seed"]
    for layer in ("hpc", "mec"):
        assert more[f"loss_{layer}_initial"] < 0.5 * (first[f"loss_{layer}_initial"] + first[f"loss_{layer}_final"])
    with pytest.raises(HippoError, match=r"--set: n_mec: 6 contradicts the saved run, where it is 5"):
        run_experiment("autoencoding", ["duration=60", "n_mec=6"], out=tmp_path / "other", quiet=True, start_from=saved)
