"""Engine states: get_state / set_state / copy on both engines, and states on disk."""

import numpy as np
import pytest

from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Plasticity
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.circuits.state import load_state, save_state
from hippo.errors import HippoError
from hippo.theta import ThetaConfig
from test_bayesian_mechanics_circuit import student_network
from test_rate_engine import _inputs, _network
from test_spiking import _autoencoder

DT = 0.025
THETA = ThetaConfig()
RECORD = ("p", "p.basal", "p.apical")


def _trained(seed: int, precision: str = "float64") -> tuple[RateEngine, callable]:
    inputs, _, _ = _inputs(4000, seed=seed)
    engine = RateEngine(_network(noise=0.1, seed=seed), DT, seed=seed, precision=precision)
    engine.run(10.0, inputs, THETA)
    return engine, inputs


@pytest.mark.parametrize("seed, precision", [(0, "float64"), (1, "float32"), (2, "float64")])
def test_restoring_a_state_continues_exactly_as_without_interruption(seed, precision):
    engine, inputs = _trained(seed, precision)
    engine.scale_learning_rates(0.5)
    state = engine.get_state()
    fresh = RateEngine(_network(noise=0.1, seed=seed), DT, seed=seed + 100, precision=precision)
    fresh.set_state(state)
    a = engine.run(15.0, inputs, THETA, record=RECORD, record_every=3)
    b = fresh.run(15.0, inputs, THETA, record=RECORD, record_every=3)
    assert fresh.step_count == engine.step_count
    for name in RECORD:
        assert np.array_equal(a.signals[name], b.signals[name])
    for name, weights in engine.all_weights().items():
        assert np.array_equal(weights, fresh.weight(name))
    for key, value in engine.get_state().items():
        assert np.array_equal(value, fresh.get_state()[key]), key


def test_set_state_of_its_own_state_changes_nothing():
    engine, inputs = _trained(3)
    twin, _ = _trained(3)
    engine.set_state(engine.get_state())
    a = engine.run(5.0, inputs, THETA, record=RECORD)
    b = twin.run(5.0, inputs, THETA, record=RECORD)
    assert np.array_equal(a.signals["p"], b.signals["p"])


def test_state_holds_each_rules_per_synapse_state():
    network, latents = student_network(Plasticity(rule="bayesian-mechanics"), seed=0)
    engine = RateEngine(network, DT, seed=0)
    state = engine.get_state()
    assert "rule:y.apical<-x:momentum" in state and "rule:y.apical<-x:trace" not in state
    engine, _ = _trained(0)
    state = engine.get_state()
    assert "rule:p.basal<-p:trace" in state
    assert not any(k.startswith("rule:p.basal<-x") for k in state)  # a fixed projection has no rule state


def test_a_copy_runs_independently_of_the_original():
    engine, inputs = _trained(4)
    before = engine.all_weights()
    state = engine.get_state()
    twin = engine.copy()
    twin.scale_learning_rates(3.0)
    twin.set_learning("p.basal<-p", False)
    twin.run(10.0, inputs, THETA)
    assert any(not np.array_equal(twin.weight(k), w) for k, w in before.items())
    for name, weights in before.items():
        assert np.array_equal(engine.weight(name), weights)
    for key, value in state.items():
        assert np.array_equal(engine.get_state()[key], value), key
    # and the original continues as if the copy had never run
    reference, _ = _trained(4)
    a = engine.run(5.0, inputs, THETA, record=RECORD)
    b = reference.run(5.0, inputs, THETA, record=RECORD)
    assert np.array_equal(a.signals["p"], b.signals["p"])


def test_save_and_load_round_trip(tmp_path):
    engine, inputs = _trained(5)
    path = save_state(tmp_path / "state.npz", engine.get_state())
    loaded = load_state(path)
    state = engine.get_state()
    assert loaded.keys() == state.keys()
    for key in state:
        assert np.array_equal(loaded[key], state[key]) and loaded[key].dtype == state[key].dtype, key
    fresh = RateEngine(_network(noise=0.1, seed=5), DT, seed=0)
    fresh.set_state(loaded)
    assert np.array_equal(fresh.run(2.0, inputs, THETA, record=("p",)).signals["p"],
                          engine.run(2.0, inputs, THETA, record=("p",)).signals["p"])
    assert [p.name for p in tmp_path.iterdir()] == ["state.npz"]  # no temporary file left


def test_load_state_of_a_missing_or_foreign_file_is_one_clear_error(tmp_path):
    with pytest.raises(HippoError, match="no such engine state"):
        load_state(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(HippoError, match="not an engine state"):
        load_state(tmp_path / "text.npz")


def test_mismatched_states_are_one_clear_error():
    engine, _ = _trained(6)
    state = engine.get_state()
    bad = dict(state, **{"weight:p.basal<-p": np.zeros((3, 4))})
    with pytest.raises(HippoError, match=r"'weight:p.basal<-p' has shape \(3, 4\), expected \(4, 4\)"):
        engine.set_state(bad)
    with pytest.raises(HippoError, match="'rate' is missing"):
        engine.set_state({k: v for k, v in state.items() if k != "rate"})
    with pytest.raises(HippoError, match="unknown key 'weight:q.basal<-p'"):
        engine.set_state(dict(state, **{"weight:q.basal<-p": np.zeros((4, 4))}))
    frozen = RateEngine(_network(learn_apical=False), DT)
    with pytest.raises(HippoError, match="'rule:p.apical<-y:trace'"):
        frozen.set_state(state)
    assert np.array_equal(engine.get_state()["rate"], state["rate"])  # a rejected state changes nothing


def test_spiking_state_continues_exactly_as_without_interruption():
    network, inputs = _autoencoder(0)
    config = SpikingConfig(target="numpy", offset=3.0)
    engine = SpikingEngine(network, DT, seed=3, config=config)
    engine.run(0.5, inputs, THETA)
    fresh = SpikingEngine(network, DT, seed=9, config=config)
    fresh.set_state(engine.get_state())
    record = ("hpc", "mec.basal", "hpc.spikes")
    a = engine.run(0.5, inputs, THETA, record=record, spike_times=("hpc",))
    b = fresh.run(0.5, inputs, THETA, record=record, spike_times=("hpc",))
    for name in record:
        assert np.array_equal(a.signals[name], b.signals[name])
    assert np.array_equal(a.loss["hpc"], b.loss["hpc"]) and np.array_equal(a.t, b.t)
    (units_a, times_a, counts_a), (units_b, times_b, counts_b) = a.spikes["hpc"], b.spikes["hpc"]
    assert len(units_a) > 0 and np.array_equal(units_a, units_b) and np.array_equal(counts_a, counts_b)
    assert np.allclose(times_a, times_b, rtol=0, atol=1e-9)  # engine time, from a clock started later
    for name in network.projections:
        assert np.array_equal(engine.weight(name.name), fresh.weight(name.name))
    with pytest.raises(HippoError, match="theta_history"):
        fresh.set_state({k: v for k, v in engine.get_state().items() if k != "theta_history"})
