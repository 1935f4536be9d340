"""The layer-kind registry: a new kind is one module; both engines build it from its declaration."""

import importlib
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest

from hippo.circuits import layer_kinds
from hippo.circuits.activations import Activation
from hippo.circuits.engines import engine_support
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Projection
from hippo.errors import ConfigError
from hippo.theta import INFERENCE

#: A whole new kind — divisive normalisation, ``r = φ(V_input) / (1 + φ_g(V_gain))`` — in one module.
DIVISIVE_MODULE = '''
"""The ``divisive`` layer kind: a drive divided by a pooled inhibition, ``r = φ(V_input) / (1 + φ_g(V_gain))``."""

from numba import njit

from hippo.circuits.layer_kinds import LayerKind, register


@njit(inline="always")
def divisive_soma(theta, act, threshold, gain, one, r_input, r_gain):
    return r_input / (one + r_gain)


register(LayerKind("divisive", compartments={"input": "activation", "gain": "modulation"}, soma=divisive_soma,
                   soma_code=lambda layer: "r_input/(1 + r_gain)"))
'''

DT, STEPS = 0.025, 40


@pytest.fixture
def divisive(tmp_path):
    """The divisive kind, registered by importing its one module from a temporary package; unregistered afterwards."""
    package = tmp_path / "extra_kinds"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "divisive.py").write_text(textwrap.dedent(DIVISIVE_MODULE))
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("extra_kinds.divisive")
    finally:
        sys.path.remove(str(tmp_path))
        layer_kinds.KINDS.pop("divisive", None)
        for name in ("extra_kinds.divisive", "extra_kinds"):
            sys.modules.pop(name, None)


def _normalised(seed):
    """Inputs ``a`` (3 units) and ``g`` (2 units) → a divisive layer ``d`` (4 units) → a feed-forward readout ``o``."""
    rng = np.random.default_rng(seed)
    layers = (Layer("a", 3, "input"), Layer("g", 2, "input"),
              Layer("d", 4, "divisive", Activation("relu"), modulation=Activation("relu")), Layer("o", 2, "feedforward"))
    weights = {"a": rng.uniform(0.2, 0.8, (4, 3)), "g": rng.uniform(0.2, 0.8, (4, 2)), "d": rng.normal(size=(2, 4))}
    projections = (Projection("a", "d", "input", weights["a"]), Projection("g", "d", "gain", weights["g"]),
                   Projection("d", "o", "input", weights["d"]))
    rates = {"a": rng.uniform(0.5, 1.5, 3), "g": rng.uniform(0.5, 1.5, 2)}
    return Network(layers, projections), weights, rates


def _constant(rates):
    return lambda start, stop: {name: np.tile(r, (stop - start, 1)) for name, r in rates.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_kind_added_in_one_module_runs_in_the_rate_engine(divisive, seed):
    network, weights, rates = _normalised(seed)
    engine = RateEngine(network, DT, seed)
    recording = engine.run(STEPS * DT, _constant(rates), INFERENCE, noise=False, record=["d", "d.input", "d.gain", "o"])
    drive, inhibition = np.maximum(weights["a"] @ rates["a"], 0.0), np.maximum(weights["g"] @ rates["g"], 0.0)
    expected = drive / (1.0 + inhibition)
    assert np.allclose(recording.signals["d"], expected, rtol=1e-12)
    assert np.allclose(recording.signals["d.input"], drive) and np.allclose(recording.signals["d.gain"], inhibition)
    assert np.allclose(recording.signals["o"], weights["d"] @ expected)  # read in the same step, as for any kind
    assert recording.loss == {}  # the kind declares no mismatch, so reports no loss
    assert engine.kind_names == ["feedforward", "divisive"]  # registry order: the built-in kinds first


def test_a_new_kind_declares_its_compartments(divisive):
    layer = Layer("d", 4, "divisive", Activation("relu"), modulation=Activation("sigmoid"))
    assert layer.compartment_activation("gain") == Activation("sigmoid") and layer.compartment_noise("gain") is None
    with pytest.raises(ConfigError, match="a divisive layer has no 'basal' compartment"):
        Network((Layer("a", 3, "input"), layer), (Projection("a", "d", "basal", np.ones((4, 3))),))
    with pytest.raises(ConfigError, match=r"unknown layer kind 'lateral' \(allowed: feedforward, input, multiplicative, "
                                          r"pyramidal, divisive\)"):
        Layer("l", 2, "lateral")


def test_a_kind_without_a_brian2_soma_is_refused_by_the_spiking_engines_only(divisive):
    network, _, _ = _normalised(0)
    layer_kinds.register(replace(layer_kinds.KINDS["divisive"], soma_code=None))
    assert engine_support("rate", network) == []
    assert engine_support("spiking", network) == [
        "layer 'd': no spiking form of the 'divisive' layer kind (kinds it builds: feedforward, input, "
        "multiplicative, pyramidal)"]


@pytest.mark.slow
def test_a_kind_added_in_one_module_runs_in_the_spiking_engine(divisive):
    """With a very high rate scale the filtered spike trains are the rates (variance ``r/(2·τ_s·ν_s)``,
    about 1e-5 here), so the spiking layer's mean rate matches the rate engine's to well within 1 %."""
    from hippo.circuits.spiking import SpikingConfig, SpikingEngine

    network, _, rates = _normalised(0)
    spiking = SpikingEngine(network, DT, 0, SpikingConfig(target="numpy", rate_scale=1e5, max_rate=1e9, settle=0.0))
    recording = spiking.run(1.0, _constant(rates), INFERENCE, noise=False, record=["d"])
    rate = RateEngine(network, DT, 0).run(1.0, _constant(rates), INFERENCE, noise=False, record=["d"])
    settled = slice(len(recording.signals["d"]) // 2, None)
    assert np.allclose(recording.signals["d"][settled].mean(axis=0), rate.signals["d"][-1], rtol=0.01)


def test_registering_checks_the_declaration():
    feedforward = layer_kinds.KINDS["feedforward"]
    with pytest.raises(TypeError, match="a soma needs compartments"):
        layer_kinds.register(replace(feedforward, name="other", compartments={}))
    with pytest.raises(TypeError, match="noise on compartments it does not have: gain"):
        layer_kinds.register(replace(feedforward, name="other", noise={"gain": "apical_noise"}))
    with pytest.raises(TypeError, match="needs the mismatch's Brian2 expression"):
        layer_kinds.register(replace(feedforward, name="other", mismatch=layer_kinds.KINDS["pyramidal"].mismatch))
    assert set(layer_kinds.KINDS) == {"input", "feedforward", "multiplicative", "pyramidal"}
