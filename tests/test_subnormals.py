"""Subnormal floats: the engines flush them to zero while they run, and leave the rest of the process IEEE."""

import contextlib

import numpy as np
import pytest

import hippo.circuits.rate as rate_module
import hippo.circuits.spiking as spiking_module
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Plasticity, Projection
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.circuits.subnormals import SUPPORTED, control_word, count_subnormals, flushed_subnormals
from hippo.theta import ThetaConfig

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="no flush-to-zero mode known for this processor")

DT = 0.025


def test_the_block_flushes_and_the_previous_modes_come_back_after_an_exception():
    tiny = np.float32(2e-38)  # normal; half of it is subnormal
    before = control_word()
    with pytest.raises(RuntimeError), flushed_subnormals():
        assert tiny * np.float32(0.5) == 0.0
        assert np.float64(1e-300) * np.float64(1e-10) == 0.0
        raise RuntimeError
    assert control_word() == before
    assert tiny * np.float32(0.5) > 0.0


def test_count_subnormals_counts_only_nonzero_values_below_the_smallest_normal():
    values = np.array([0.0, 1e-39, -1e-40, 1.2e-38, 1.0], np.float32)
    assert count_subnormals(values, np.array([1e-310, 1e-300]), np.arange(3)) == 3


def _silenced_network():
    """An input that is on for 1 s and then silent, into a plastic apical projection of a linear pyramidal layer."""
    layers = (Layer("x", 3, "input"), Layer("ctx", 3, "input"), Layer("p", 3, "pyramidal"))
    projections = (Projection("x", "p", "basal", np.eye(3)),
                   Projection("ctx", "p", "apical", np.full((3, 3), 0.2), plasticity=Plasticity(eta=0.01)))
    return Network(layers, projections)


def _silenced_inputs(start, stop):
    on = (np.arange(start, stop) < round(1.0 / DT))[:, None]
    return {"x": np.where(on, [0.8, 0.5, 0.3], 0.0), "ctx": np.where(on, [0.5, 0.4, 0.6], 0.0)}


def _rate_run(precision, flush):
    """The rate engine's state after 1 s of input and 89 s of silence (the traces decay for 3560 steps)."""
    with pytest.MonkeyPatch.context() as patch:
        if not flush:
            patch.setattr(rate_module, "flushed_subnormals", contextlib.nullcontext)
        engine = RateEngine(_silenced_network(), DT, seed=0, precision=precision)
        engine.run(90.0, _silenced_inputs, ThetaConfig(), noise=False)
    return engine.get_state()


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_a_silent_trace_decays_to_zero_with_the_weights_of_ieee_arithmetic(precision):
    flushed, ieee = _rate_run(precision, flush=True), _rate_run(precision, flush=False)
    trace = "rule:p.apical<-ctx:trace"
    assert count_subnormals(ieee[trace]) > 0  # IEEE arithmetic leaves the silent traces subnormal
    assert count_subnormals(*(v for k, v in flushed.items() if k != "rng")) == 0
    assert np.all(flushed[trace] == 0.0)
    assert np.array_equal(flushed["weight:p.apical<-ctx"], ieee["weight:p.apical<-ctx"])
    assert not np.array_equal(flushed["weight:p.apical<-ctx"], np.full((3, 3), 0.2))  # it learned while the input was on


def _spiking_subnormals(flush):
    """Subnormal values in the spiking engine's state after 0.5 s of input and 2.5 s of silence (filtered spike
    trains and currents with τ_s = 2 ms decay for over 1000 time constants)."""
    with pytest.MonkeyPatch.context() as patch:
        if not flush:
            patch.setattr(spiking_module, "flushed_subnormals", contextlib.nullcontext)
        config = SpikingConfig(target="numpy", dt=0.0005, tau_syn=0.002, settle=0.0)
        engine = SpikingEngine(_silenced_network(), DT, seed=0, config=config)
        inputs = lambda start, stop: _silenced_inputs(start + 20, stop + 20)  # noqa: E731  (silent after 0.5 s)
        engine.run(3.0, inputs, ThetaConfig(), noise=False)
    return count_subnormals(*(v for k, v in engine.get_state().items() if k != "rng"))


def test_the_spiking_engine_leaves_no_subnormal_state():
    assert _spiking_subnormals(flush=False) > 0
    assert _spiking_subnormals(flush=True) == 0
