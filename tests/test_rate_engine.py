"""The rate engine running an engine-free network description."""

from pathlib import Path

import numpy as np
import pytest

from hippo.circuits.activations import Activation
from hippo.circuits.engines import make_engine
from hippo.circuits.engine import Recording
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Noise, Plasticity, Projection, ProjectionConfig, build_projection
from hippo.errors import ConfigError, DivergenceError, HippoError
from hippo.theta import GENERATION, INFERENCE, ThetaConfig

DT = 0.025
N = 4


def _network(soma=Activation(), basal=Activation(), apical=Activation(), noise=0.0, learn_apical=True, seed=0):
    """Inputs x → p.basal (fixed A), y → p.apical (B, plastic or not), p → p.basal (plastic, small)."""
    rng = np.random.default_rng(seed)
    x, y = Layer("x", N, "input"), Layer("y", N, "input")
    p = Layer("p", N, "pyramidal", soma, basal, apical, Noise(noise, 0.3), Noise(noise, 0.3))
    return Network((x, y, p), (
        Projection("x", "p", "basal", rng.normal(size=(N, N))),
        Projection("y", "p", "apical", rng.normal(size=(N, N)), plasticity=Plasticity(eta=0.01) if learn_apical else None),
        Projection("p", "p", "basal", 0.1 * rng.normal(size=(N, N)), plasticity=Plasticity(eta=0.01)),
    ))


def _inputs(n_steps=4000, seed=1):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n_steps, N)), rng.normal(size=(n_steps, N))
    return (lambda start, stop: {"x": x[start:stop], "y": y[start:stop]}), x, y


def _potentials(engine, x, y, rates):
    """Basal and apical potentials of p at every recorded step (record_every = 1, from step 0)."""
    A, B, R = engine.weight("p.basal<-x"), engine.weight("p.apical<-y"), engine.weight("p.basal<-p")
    previous = np.vstack([np.zeros((1, N)), rates[:-1]])  # the recurrent projection reads the previous step
    n = len(rates)
    return x[:n] @ A.T + previous @ R.T, y[:n] @ B.T


@pytest.mark.parametrize("theta, follows", [(INFERENCE, "basal"), (GENERATION, "apical")])
def test_pure_modes_follow_one_compartment(theta, follows):
    inputs, x, y = _inputs()
    network = _network(basal=Activation("relu", threshold=0.1), apical=Activation("sigmoid"))
    engine = RateEngine(network, DT, seed=0)
    rec = engine.run(2.0, inputs, theta, learn=False, record=("p", "p.basal", "p.apical"))
    assert np.allclose(rec.signals["p"], rec.signals[f"p.{follows}"])
    other = "apical" if follows == "basal" else "basal"
    assert not np.allclose(rec.signals["p"], rec.signals[f"p.{other}"])
    v_basal, v_apical = _potentials(engine, x, y, rec.signals["p"])
    assert np.allclose(rec.signals["p.basal"], np.maximum(v_basal - 0.1, 0.0))
    assert np.allclose(rec.signals["p.apical"], 1 / (1 + np.exp(-v_apical)))
    assert np.all(rec.theta == theta.value)


def test_pure_generation_cuts_the_senses_off():
    """θ ≡ 0: the soma does not depend on the sensory (basal) input at all."""
    inputs_a, x, y = _inputs(seed=2)
    shuffled_x = np.random.default_rng(3).normal(size=x.shape)
    runs = []
    for xs in (x, shuffled_x):
        engine = RateEngine(_network(), DT, seed=0)
        runs.append(engine.run(2.0, lambda a, b, xs=xs: {"x": xs[a:b], "y": y[a:b]}, GENERATION, record=("p",)))
    assert np.array_equal(runs[0].signals["p"], runs[1].signals["p"])


def test_soma_mixes_compartments_by_theta():
    inputs, x, y = _inputs()
    soma = Activation("retanh", threshold=-0.5, gain=0.7)
    engine = RateEngine(_network(soma=soma), DT, seed=0)
    rec = engine.run(2.0, inputs, ThetaConfig(shape="sine", frequency=3.0), learn=False,
                     record=("p", "p.basal", "p.apical"))
    th = rec.theta[:, None]
    assert rec.theta.min() < 0.1 and rec.theta.max() > 0.9 and np.mean((rec.theta > 0.2) & (rec.theta < 0.8)) > 0.3
    assert np.allclose(rec.signals["p"], soma(th * rec.signals["p.basal"] + (1 - th) * rec.signals["p.apical"]))


def test_square_theta_alternates_compartments():
    inputs, _, _ = _inputs()
    engine = RateEngine(_network(), DT, seed=0)
    rec = engine.run(2.0, inputs, ThetaConfig(), learn=False, record=("p", "p.basal", "p.apical"))
    wake = rec.theta == 1.0
    assert wake.mean() == 0.5
    assert np.allclose(rec.signals["p"][wake], rec.signals["p.basal"][wake])
    assert np.allclose(rec.signals["p"][~wake], rec.signals["p.apical"][~wake])


def test_feedforward_layer_reads_this_steps_rates():
    """A layer evaluated later reads the new rates of earlier layers; a recurrent projection reads the last step's."""
    x = Layer("x", 2, "input")
    p = Layer("p", 2, "pyramidal")
    f = Layer("f", 2, "feedforward", Activation("relu"))
    network = Network((x, p, f), (
        Projection("x", "p", "basal", np.eye(2)),
        Projection("p", "p", "apical", np.eye(2)),
        Projection("p", "f", "input", -np.eye(2)),
    ))
    xs = np.random.default_rng(4).normal(size=(40, 2))
    engine = RateEngine(network, DT)
    rec = engine.run(1.0, lambda a, b: {"x": xs[a:b]}, INFERENCE, record=("p", "p.apical", "f"))
    assert np.allclose(rec.signals["p"], xs)
    assert np.allclose(rec.signals["f"], np.maximum(-xs, 0.0))
    assert np.allclose(rec.signals["p.apical"][1:], xs[:-1]) and np.all(rec.signals["p.apical"][0] == 0)


def test_learning_is_switchable_per_projection():
    inputs, _, _ = _inputs()
    engine = RateEngine(_network(), DT, seed=0)
    apical, recurrent, fixed = "p.apical<-y", "p.basal<-p", "p.basal<-x"
    before = engine.all_weights()
    assert engine.learning_enabled == {apical: True, recurrent: True, fixed: False}
    engine.set_learning(apical, False)
    engine.run(2.0, inputs, ThetaConfig())
    after = engine.all_weights()
    assert np.array_equal(after[apical], before[apical])
    assert not np.allclose(after[recurrent], before[recurrent])
    assert np.array_equal(after[fixed], before[fixed])
    engine.set_learning(apical, True)
    engine.set_learning(recurrent, False)
    engine.run(2.0, inputs, ThetaConfig())
    again = engine.all_weights()
    assert not np.allclose(again[apical], after[apical])
    assert np.array_equal(again[recurrent], after[recurrent])
    # learn=False freezes everything
    engine.set_learning(recurrent, True)
    engine.run(2.0, inputs, ThetaConfig(), learn=False)
    assert all(np.array_equal(w, again[k]) for k, w in engine.all_weights().items())
    with pytest.raises(ValueError, match="no plasticity"):
        engine.set_learning(fixed, True)
    engine.set_learning(fixed, False)  # switching a fixed projection off is harmless


def test_learning_rates_scale():
    inputs, _, _ = _inputs()
    engine = RateEngine(_network(), DT, seed=0)
    before = engine.all_weights()
    engine.scale_learning_rates(0.0)
    engine.run(1.0, inputs, ThetaConfig())
    assert all(np.array_equal(w, before[k]) for k, w in engine.all_weights().items())
    engine.scale_learning_rates(1.0)
    engine.run(1.0, inputs, ThetaConfig())
    assert not np.allclose(engine.weight("p.apical<-y"), before["p.apical<-y"])


def test_decimated_recording_sizes_times_and_window_means():
    inputs, _, _ = _inputs()
    full = RateEngine(_network(noise=0.05), DT, seed=5).run(10.0, inputs, ThetaConfig(), record=("p", "p.apical"))
    engine = RateEngine(_network(noise=0.05), DT, seed=5)
    rec = engine.run(10.0, inputs, ThetaConfig(), record=("p", "p.apical"), record_every=4, chunk_steps=30)
    assert len(full.t) == 400 and len(rec.t) == 100
    assert rec.signals["p"].shape == (100, N) and rec.signals["p.apical"].shape == (100, N)
    assert rec.loss["p"].shape == (100,) and rec.theta.shape == (100,)
    assert np.allclose(rec.t, 0.1 * np.arange(1, 101))
    assert np.array_equal(rec.steps, 4 * np.arange(100) + 3)
    # records are the states at their steps; the loss is the mean over each window of 4 steps
    assert np.allclose(rec.signals["p"], full.signals["p"][3::4])
    assert np.allclose(rec.loss["p"], full.loss["p"].reshape(100, 4).mean(axis=1))
    assert engine.step_count == 400 and engine.t == pytest.approx(10.0)
    # a later run continues the global step count and the recording grid
    more = engine.run(0.05, inputs, ThetaConfig(), record=("p",), record_every=4)
    assert len(more.t) == 0
    more = engine.run(0.5, inputs, ThetaConfig(), record=("p",), record_every=4)
    assert np.array_equal(more.steps, [403, 407, 411, 415, 419])
    arrays = rec.arrays("train.")
    assert set(arrays) == {"train.t", "train.theta", "train.p", "train.p.apical", "train.loss.p"}


def test_recording_concatenate_of_nothing_is_empty():
    empty = Recording.concatenate([])
    assert len(empty.t) == 0 and len(empty.steps) == 0


def test_noise_is_ou_with_the_given_scale_and_seeded():
    inputs, _, _ = _inputs(n_steps=40_000)
    network = _network(noise=0.1)
    quiet = RateEngine(network, DT, seed=0).run(600.0, inputs, INFERENCE, learn=False, noise=False, record=("p.apical",))
    noisy = RateEngine(network, DT, seed=0).run(600.0, inputs, INFERENCE, learn=False, record=("p.apical",))
    again = RateEngine(network, DT, seed=0).run(600.0, inputs, INFERENCE, learn=False, record=("p.apical",))
    other = RateEngine(network, DT, seed=1).run(600.0, inputs, INFERENCE, learn=False, record=("p.apical",))
    assert np.array_equal(noisy.signals["p.apical"], again.signals["p.apical"])
    assert not np.allclose(noisy.signals["p.apical"], other.signals["p.apical"])
    noise = noisy.signals["p.apical"] - quiet.signals["p.apical"]
    assert noise[2000:].std() == pytest.approx(0.1, rel=0.1)
    lag = int(round(0.3 / DT))
    centred = noise[2000:]
    rho = np.mean(centred[:-lag] * centred[lag:]) / np.mean(centred * centred)
    assert rho == pytest.approx(np.exp(-1), abs=0.06)


@pytest.mark.slow  # compiles the engine a second time, for float32 (about 10 s on a cold cache)
def test_single_precision_tracks_double():
    inputs, _, _ = _inputs()
    double = RateEngine(_network(), DT, seed=0).run(5.0, inputs, ThetaConfig(), record=("p",), noise=False)
    single_engine = RateEngine(_network(), DT, seed=0, precision="float32")
    single = single_engine.run(5.0, inputs, ThetaConfig(), record=("p",), noise=False)
    assert single_engine.weights.dtype == np.float32
    assert np.allclose(single.signals["p"], double.signals["p"], atol=1e-3)


def test_divergence_raises_with_the_partial_recording():
    q = Layer("q", 3, "pyramidal")
    runaway = np.hstack([10.0 * np.eye(3), np.ones((3, 1))])  # rates grow tenfold every step
    network = Network((q,), (Projection("q", "q", "apical", runaway, bias=True),))
    engine = RateEngine(network, DT)
    with pytest.raises(DivergenceError) as info:
        engine.run(20.0, lambda a, b: {}, GENERATION, record=("q",), record_every=2, chunk_steps=100)
    error = info.value
    assert isinstance(error, HippoError)
    assert "diverged" in str(error) and "t = 7.50 s" in str(error) and "t = 10.00 s" in str(error)
    partial = error.recording
    assert len(partial.t) == 150 and partial.signals["q"].shape == (150, 3)  # the first three chunks
    assert np.all(np.isfinite(partial.signals["q"])) and partial.signals["q"][-1, 0] > 1e290


def test_divergence_in_the_first_chunk_keeps_an_empty_recording_of_every_signal():
    q = Layer("q", 3, "pyramidal")
    explosive = np.hstack([1e200 * np.eye(3), np.ones((3, 1))])
    engine = RateEngine(Network((q,), (Projection("q", "q", "apical", explosive, bias=True),)), DT)
    with pytest.raises(DivergenceError) as info:
        engine.run(20.0, lambda a, b: {}, GENERATION, record=("q", "q.basal"))
    partial = info.value.recording
    assert len(partial.t) == 0
    assert partial.signals["q"].shape == (0, 3) and partial.signals["q.basal"].shape == (0, 3)
    assert partial.loss["q"].shape == (0,)


def test_a_run_of_no_steps_records_empty_signals():
    engine = RateEngine(_network(), DT)
    inputs, _, _ = _inputs()
    rec = engine.run(0.0, inputs, INFERENCE, record=("p", "p.apical"))
    assert rec.signals["p"].shape == (0, N) and rec.signals["p.apical"].shape == (0, N)
    assert rec.loss["p"].shape == (0,) and engine.step_count == 0


def test_inputs_are_checked():
    engine = RateEngine(_network(), DT)
    with pytest.raises(KeyError, match="'y'"):
        engine.run(0.1, lambda a, b: {"x": np.zeros((b - a, N))}, INFERENCE)
    with pytest.raises(ValueError, match=r"input 'x' for steps 0:4 has shape \(4, 3\), expected \(4, 4\)"):
        engine.run(0.1, lambda a, b: {"x": np.zeros((b - a, 3)), "y": np.zeros((b - a, N))}, INFERENCE)


def test_network_description_is_validated():
    x, p = Layer("x", 2, "input"), Layer("p", 3, "pyramidal")
    with pytest.raises(ConfigError, match="p.basal<-z: unknown layer 'z'"):
        Network((x, p), (Projection("z", "p", "basal", np.zeros((3, 2))),))
    with pytest.raises(ConfigError, match=r"weights of shape \(3, 2\) \(allowed: shape \(3, 3\)\)"):
        Network((x, p), (Projection("x", "p", "basal", np.zeros((3, 2)), bias=True),))
    with pytest.raises(ConfigError, match="no 'input' compartment.*basal, apical"):
        Network((x, p), (Projection("x", "p", "input", np.zeros((3, 2))),))
    with pytest.raises(ConfigError, match="duplicate projection"):
        Network((x, p), (Projection("x", "p", "basal", np.zeros((3, 2))),) * 2)
    with pytest.raises(ConfigError, match="duplicate layer names"):
        Network((x, x), ())


def test_build_projection_initial_weights():
    x, p = Layer("x", 100, "input"), Layer("p", 50, "pyramidal")
    rng = np.random.default_rng(6)
    projection = build_projection(x, p, "basal", ProjectionConfig(w_init=2.0, bias=True), rng)
    assert projection.weights.shape == (50, 101) and np.all(projection.weights[:, -1] == 0)
    assert projection.weights[:, :-1].std() == pytest.approx(2.0 / 10.0, rel=0.05)
    assert projection.plastic and projection.name == "p.basal<-x"
    excitatory = build_projection(x, p, "basal", ProjectionConfig(dale="excitatory"), rng)
    assert excitatory.weights.min() == 0.0
    fixed = build_projection(x, p, "basal", ProjectionConfig(plastic=False), rng, fixed=np.ones((50, 100)))
    assert not fixed.plastic and np.all(fixed.weights == 1.0)


def test_make_engine_and_reset_state():
    inputs, _, _ = _inputs()
    engine = make_engine("rate", _network(), DT, seed=0)
    assert isinstance(engine, RateEngine)
    engine.run(1.0, inputs, ThetaConfig())
    weights = engine.all_weights()
    engine.reset_state()
    assert np.all(engine.rate == 0) and np.all(engine.rule_state == 0) and np.all(engine.noise_state == 0)
    assert all(np.array_equal(w, weights[k]) for k, w in engine.all_weights().items())


def test_numba_cache_folder_follows_the_package_sources(tmp_path, monkeypatch):
    """Editing any source file (e.g. a learning rule) must lead to a fresh compiled-kernel cache."""
    import shutil

    import numba

    import hippo
    from hippo import _numba_cache

    assert numba.config.CACHE_DIR == str(hippo.NUMBA_CACHE)
    copy = tmp_path / "hippo"
    shutil.copytree(Path(hippo.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_numba_cache, "__file__", str(copy / "_numba_cache.py"))
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)  # restored after the test
    first = _numba_cache.configure()
    (copy / "learning" / "prediction_error.py").write_text((copy / "learning" / "prediction_error.py").read_text() + "\n# edited\n")
    second = _numba_cache.configure()
    assert first.parent == second.parent == tmp_path / "cache" / "hippo-numba"
    assert first != second


def test_numba_cache_folder_survives_numba_rereading_its_environment(monkeypatch):
    """numba re-reads every setting when a NUMBA_* variable changes (a sweep worker setting its
    thread count); the cache must stay the package's own folder."""
    import numba
    from numba.core import config

    import hippo

    monkeypatch.setenv("NUMBA_DEBUG_CACHE", "0")
    config.reload_config()
    assert numba.config.CACHE_DIR == str(hippo.NUMBA_CACHE)
