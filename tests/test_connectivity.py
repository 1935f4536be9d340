"""Declared connectivity (one-to-one, blocks, sparse): the same network as the dense matrix it replaces, on both engines."""

import numpy as np
import pytest

from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Plasticity, Projection
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.errors import ConfigError
from hippo.theta import ThetaConfig

DT = 0.025
N = 4
PLASTIC = "p.apical<-c"


def _network(features: str = "dense", conjunctive: str = "dense", sparse: np.ndarray | None = None) -> Network:
    """x → p.basal (identity), c ← p (``[I; I]``), p.apical ← c (plastic): the fixed maps declared as given."""
    x, p, c = Layer("x", N, "input"), Layer("p", N, "pyramidal"), Layer("c", 2 * N, "feedforward")
    conjunctive_weights = np.vstack([np.eye(N)] * 2)
    return Network((x, p, c), (
        Projection("x", "p", "basal", np.eye(N), connectivity=features),
        Projection("c", "p", "apical", 0.3 * np.random.default_rng(1).normal(size=(N, 2 * N)), plasticity=Plasticity()),
        Projection("p", "c", "input", conjunctive_weights, connectivity=conjunctive, synapses=sparse),
    ))


def _inputs(n_steps=2000):
    x = np.abs(np.random.default_rng(2).normal(size=(n_steps, N)))
    return lambda start, stop: {"x": x[start:stop]}


def _run(engine, seconds):
    recording = engine.run(seconds, _inputs(), ThetaConfig(), record=("p", "c"))
    return recording, engine.all_weights()


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("declared", [
    dict(features="one_to_one", conjunctive="blocks"),
    dict(conjunctive="sparse", sparse=np.column_stack([np.arange(2 * N), np.arange(2 * N) % N])[::-1]),
])
def test_a_structured_projection_gives_the_rates_and_learning_of_its_dense_matrix_on_the_rate_engine(precision, declared):
    dense, dense_weights = _run(RateEngine(_network(), DT, seed=3, precision=precision), 40.0)
    structured, weights = _run(RateEngine(_network(**declared), DT, seed=3, precision=precision), 40.0)
    for name in ("p", "c"):
        assert np.array_equal(dense.signals[name], structured.signals[name])
    assert set(weights) == set(dense_weights)
    for name, W in dense_weights.items():
        assert W.shape == weights[name].shape and np.array_equal(W, weights[name])
    assert not np.array_equal(weights[PLASTIC], _network().projection(PLASTIC).weights)  # it learned


def test_the_rate_engine_stores_only_the_declared_synapses_and_restores_them_from_a_state():
    dense, structured = RateEngine(_network(), DT), RateEngine(_network("one_to_one", "blocks"), DT)
    assert dense.weights.size - structured.weights.size == (N * N - N) + (2 * N * N - 2 * N)
    structured.run(2.0, _inputs(), ThetaConfig())
    state = structured.get_state()
    twin = RateEngine(_network("one_to_one", "blocks"), DT)
    twin.set_state(state)
    assert np.array_equal(twin.weights, structured.weights)


def test_a_one_to_one_projection_gives_the_spikes_and_learning_of_the_dense_identity_on_the_spiking_engine():
    config = SpikingConfig(target="numpy")
    dense, dense_weights = _run(SpikingEngine(_network(), DT, seed=4, config=config), 2.0)
    structured, weights = _run(SpikingEngine(_network("one_to_one", "blocks"), DT, seed=4, config=config), 2.0)
    for name in ("p", "c"):
        assert np.array_equal(dense.signals[name], structured.signals[name])
    for name, W in dense_weights.items():
        assert W.shape == weights[name].shape and np.array_equal(W, weights[name])
    assert not np.array_equal(weights[PLASTIC], _network().projection(PLASTIC).weights)


@pytest.mark.parametrize("change, message", [
    (dict(connectivity="one_to_one", weights=np.eye(N, 2 * N)), "as many target as source units"),
    (dict(connectivity="one_to_one", plasticity=Plasticity()), "fixed projection without bias"),
    (dict(connectivity="one_to_one", weights=np.ones((N, N))), "nonzero weights outside"),
    (dict(connectivity="sparse", synapses=np.array([[0, N]])), "synapse index outside"),
    (dict(connectivity="sparse", synapses=np.array([[0, 0], [0, 0]])), "listed twice"),
    (dict(connectivity="dense", synapses=np.array([[0, 0]])), "with connectivity 'sparse' only"),
    (dict(connectivity="diagonal"), "dense, one_to_one, blocks or sparse"),
])
def test_a_declaration_that_does_not_fit_is_refused_by_name(change, message):
    x, p = Layer("x", N, "input"), Layer("p", N, "pyramidal")
    y = Layer("y", 2 * N, "input")
    settings = dict(weights=np.eye(N)) | change
    source = "y" if settings["weights"].shape[1] == 2 * N else "x"
    with pytest.raises(ConfigError, match=message) as error:
        Network((x, y, p), (Projection(source, "p", "basal", **settings),))
    assert "p.basal<-" in str(error.value)
