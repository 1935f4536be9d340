"""Engine states: get_state / set_state / copy on both engines, and states on disk."""

import numpy as np
import pytest

from hippo.circuits.engine import Engine
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Plasticity
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.circuits.state import ForeignStateWarning, load_state, save_state
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


def test_a_spiking_state_holds_synapse_state_by_target_then_source():
    network, _ = _autoencoder(0)
    engine = SpikingEngine(network, DT, seed=3, config=SpikingConfig(target="numpy"))
    state = engine.get_state()
    for name, proj in engine.projections.items():
        target, source = proj.spec.synapse_indices()
        for slot, variable in proj.rule_variables.items():
            key = f"rule:{name}:{slot}"
            state[key] = np.arange(len(target), dtype=float)  # the synapse's index in the state's order
            engine.set_state(state)
            held = proj.synapses.variables[variable].get_value()
            assert np.array_equal(target[held.astype(int)], proj.post) and np.array_equal(source[held.astype(int)], proj.pre)
            assert np.array_equal(engine.get_state()[key], state[key])


def test_a_spiking_copy_runs_independently_and_continues_as_the_original():
    network, inputs = _autoencoder(1)
    engine = SpikingEngine(network, DT, seed=4, config=SpikingConfig(target="numpy"))
    engine.run(0.5, inputs, THETA)
    engine.scale_learning_rates(0.5)
    engine.set_learning("mec.apical<-mec", False)
    twin = engine.copy()
    assert twin.get_state()["learning_rate_factor"] == 0.5 and not twin.projections["mec.apical<-mec"].enabled
    record = ("hpc", "mec.basal")
    a = engine.run(0.5, inputs, THETA, record=record)
    b = twin.run(0.5, inputs, THETA, record=record)
    for name in record:
        assert np.array_equal(a.signals[name], b.signals[name])
    twin.set_learning("mec.apical<-mec", True)
    twin.scale_learning_rates(3.0)
    twin.run(0.5, inputs, THETA)
    assert engine.projections["mec.apical<-mec"].enabled is False and engine.get_state()["learning_rate_factor"] == 0.5
    assert not np.array_equal(twin.weight("mec.apical<-mec"), engine.weight("mec.apical<-mec"))


def test_weights_have_one_shape_on_every_engine():
    network, _ = _autoencoder(2)
    rate = RateEngine(network, DT).get_state()
    spiking = SpikingEngine(network, DT, config=SpikingConfig(target="numpy")).get_state()
    weights = sorted(key for key in rate if key.startswith("weight:"))
    assert weights == sorted(key for key in spiking if key.startswith("weight:")) and weights
    for key in weights:
        assert rate[key].shape == spiking[key].shape == network.projection(key[len("weight:"):]).weights.shape
        assert np.array_equal(rate[key], spiking[key])
    assert not any(key.startswith("neuron:") and ":bias_" in key for key in spiking)  # biases are the weights' last column


def test_a_spiking_state_of_an_earlier_version_is_refused_saying_why():
    """Earlier spiking engines saved a projection's weights as one value per synapse: one clear error, nothing loaded."""
    network, _ = _autoencoder(2)
    engine = SpikingEngine(network, DT, config=SpikingConfig(target="numpy"))
    state = engine.get_state()
    key = next(k for k in state if k.startswith("weight:") and np.count_nonzero(state[k]))
    old = dict(state, **{key: state[key][np.nonzero(state[key])]})
    with pytest.raises(HippoError, match=rf"'{key}' has shape \(\d+,\).*one value per synapse.*trained again"):
        engine.set_state(old)
    assert np.array_equal(engine.get_state()[key], state[key])


def test_a_rate_trained_weight_is_bit_identical_after_a_round_trip_through_the_spiking_engine():
    """Exact from the rate engine in single precision: float32 → the spiking engine's float64 → float32 is the identity."""
    network, inputs = _autoencoder(3)
    trained = RateEngine(network, DT, seed=1, precision="float32")
    trained.run(5.0, inputs, THETA)
    state = trained.get_state()
    spiking = SpikingEngine(network, DT, config=SpikingConfig(target="numpy"))
    with pytest.warns(ForeignStateWarning, match="rate engine loaded into the spiking engine.*reset to rest: .*neuron:"):
        spiking.set_state(state)
    back = RateEngine(network, DT, seed=7, precision="float32")
    with pytest.warns(ForeignStateWarning, match="spiking engine loaded into the rate engine"):
        back.set_state(spiking.get_state())
    for name, weights in trained.all_weights().items():
        assert np.array_equal(back.weight(name), weights) and back.weight(name).dtype == np.float32, name
    assert back.step_count == trained.step_count and back.get_state()["rng"] == state["rng"]
    assert not np.any(back.get_state()["rate"])  # the rest starts at rest


def test_a_spiking_trained_weight_is_bit_identical_after_a_round_trip_through_the_rate_engine():
    """Exact through the rate engine in double precision (single precision would round the spiking weights)."""
    network, inputs = _autoencoder(4)
    trained = SpikingEngine(network, DT, seed=2, config=SpikingConfig(target="numpy"))
    trained.scale_learning_rates(2.0)
    trained.run(1.0, inputs, THETA)
    rate = RateEngine(network, DT, precision="float64")
    with pytest.warns(ForeignStateWarning):
        rate.set_state(trained.get_state())
    back = SpikingEngine(network, DT, seed=5, config=SpikingConfig(target="numpy"))
    with pytest.warns(ForeignStateWarning):
        back.set_state(rate.get_state())
    for name, weights in trained.all_weights().items():
        assert np.array_equal(back.weight(name), weights), name
    assert back.get_state()["learning_rate_factor"] == 2.0 and back.step_count == trained.step_count


def test_a_state_of_another_network_shape_is_refused_across_engines():
    network, _ = _autoencoder(5)
    other, _ = _autoencoder(5, n_mec=4)
    spiking = SpikingEngine(network, DT, config=SpikingConfig(target="numpy"))
    before = spiking.get_state()
    with pytest.raises(HippoError, match=r"'weight:hpc.apical<-mec' has shape \(12, 4\), expected \(12, 3\)"):
        spiking.set_state(RateEngine(other, DT).get_state())
    fixed = next(p for p in network.projections if not p.plastic and np.any(p.weights == 0))
    state = RateEngine(network, DT).get_state()
    state[f"weight:{fixed.name}"] = np.ones_like(state[f"weight:{fixed.name}"])
    with pytest.raises(HippoError, match=f"'weight:{fixed.name}' has nonzero weights where the spiking network has no synapse"):
        spiking.set_state(state)
    for key, value in spiking.get_state().items():
        assert np.array_equal(value, before[key], equal_nan=value.dtype.kind == "f"), key  # a rejected state changes nothing


def test_every_engine_implements_the_engine_contract():
    network, _ = _autoencoder(6)
    for engine in (RateEngine(network, DT), SpikingEngine(network, DT, config=SpikingConfig(target="numpy"))):
        assert isinstance(engine, Engine), type(engine).__name__
        assert type(engine).supports(network) == []
