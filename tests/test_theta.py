"""The theta gate: square, sine and constant shapes, with the paper's convention θ = 1 wake."""

import numpy as np
import pytest

from hippo.config import from_dict
from hippo.errors import ConfigError
from hippo.theta import GENERATION, INFERENCE, ThetaConfig, theta_gate


def _fine_times(cycles=10, frequency=5.0, per_cycle=1000):
    return (np.arange(cycles * per_cycle) + 0.5) / (per_cycle * frequency)


@pytest.mark.parametrize("wake_fraction", [0.5, 0.25, 0.8])
def test_square_gate_spends_the_wake_fraction_awake(wake_fraction):
    config = ThetaConfig(shape="square", frequency=5.0, wake_fraction=wake_fraction)
    gate = theta_gate(_fine_times(), config)
    assert set(np.unique(gate)) == {0.0, 1.0}
    assert gate.mean() == pytest.approx(wake_fraction, abs=1e-3)
    # each cycle starts awake and switches to sleep after wake_fraction of the period
    per_cycle = gate.reshape(10, 1000)
    assert np.all(per_cycle[:, : int(wake_fraction * 1000) - 1] == 1.0)
    assert np.all(per_cycle[:, int(wake_fraction * 1000) + 1:] == 0.0)


def test_square_gate_at_the_engine_steps_alternates_four_and_four():
    """dt = 25 ms at 5 Hz: 8 steps a cycle, 4 wake then 4 sleep, in every cycle."""
    t = (np.arange(8000) + 1) * 0.025
    gate = theta_gate(t, ThetaConfig())
    edges = np.flatnonzero(np.diff(gate))
    assert np.all(np.diff(edges) == 4)
    assert gate.mean() == 0.5


def test_square_gate_phase_and_frequency():
    config = ThetaConfig(shape="square", frequency=8.0, phase=0.5)
    # half a cycle of phase: the first half of the period is now asleep
    assert theta_gate(np.array([0.01, 0.07]), config).tolist() == [0.0, 1.0]
    assert theta_gate(np.array([0.01 + 1 / 8.0]), config)[0] == 0.0
    assert theta_gate(np.array([0.01]), ThetaConfig(frequency=8.0))[0] == 1.0


def test_sine_gate():
    config = ThetaConfig(shape="sine", frequency=5.0)
    assert theta_gate(np.array([0.0, 0.05, 0.1, 0.15, 0.2]), config) == pytest.approx([1.0, 0.5, 0.0, 0.5, 1.0])
    gate = theta_gate(_fine_times(), config)
    assert gate.min() >= 0.0 and gate.max() <= 1.0
    assert gate.mean() == pytest.approx(0.5, abs=1e-6)
    t = _fine_times()
    assert np.allclose(gate, 0.5 * (1 + np.cos(2 * np.pi * 5.0 * t)))


def test_constant_gates():
    t = np.linspace(0, 3, 301).reshape(7, 43)
    assert np.array_equal(theta_gate(t, INFERENCE), np.ones((7, 43)))
    assert np.array_equal(theta_gate(t, GENERATION), np.zeros((7, 43)))
    half = theta_gate(t, ThetaConfig(shape="constant", value=0.3))
    assert half.shape == t.shape and np.all(half == 0.3)


def test_theta_config_is_validated():
    with pytest.raises(ConfigError, match=r"theta.wake_fraction: value 1.5 out of range \(allowed: >= 0.0 and <= 1.0\)"):
        from_dict(ThetaConfig, {"wake_fraction": 1.5}, "file.toml", prefix="theta")
    with pytest.raises(ConfigError, match="theta.shape: invalid value 'saw'.*'square', 'sine', 'constant'"):
        from_dict(ThetaConfig, {"shape": "saw"}, "file.toml", prefix="theta")
    with pytest.raises(ConfigError, match=r"frequency: value 0.0 out of range \(allowed: > 0.0\)"):
        from_dict(ThetaConfig, {"frequency": 0.0}, "file.toml")
