"""Velocity codings of the path integrator: conjunctive rates on hand-computed inputs; their settings and
the gain probes' settings."""

import numpy as np
import pytest

from hippo.analysis.path_integration import GainProbeConfig
from hippo.circuits.wiring import PathIntegratorProjections, PyramidalConfig, path_integrator_network
from hippo.errors import ConfigError
from hippo.experiments.path_integration import Config, validate, velocity_scale
from hippo.world.motion import MotionConfig
from hippo.world.senses import VelocityCells

MEC = np.array([0.2, 0.6, 0.9])  # MEC rates of three cells


def conjunctive_rates(config: Config, velocity: float) -> dict[str, np.ndarray]:
    """Rates of the ``+x`` and ``−x`` conjunctive blocks for MEC rates ``MEC`` at ``velocity`` m/s."""
    cells = VelocityCells(1, velocity_scale(config))
    network = path_integrator_network(4, len(MEC), cells.n, PyramidalConfig(), PyramidalConfig(),
                                      config.conjunctive_threshold, PathIntegratorProjections(),
                                      np.random.default_rng(0))
    weights = {p.source: p.weights for p in network.projections if p.target == "conjunctive"}
    layer = next(layer for layer in network.layers if layer.name == "conjunctive")
    drive = weights["velocity"] @ cells.rates_at(np.array([[velocity]]))[0] + weights["mec"] @ MEC
    rates = layer.activation(drive)
    return {"+x": rates[:len(MEC)], "-x": rates[len(MEC):]}


def test_paper_cells_are_silent_at_rest_and_cross_threshold_with_speed():
    # relu(v/s + m − 1) with s = |mean| + std = 0.5 m/s
    config = Config(velocity_coding="paper", conjunctive_threshold=1.0, motion=MotionConfig(speed_std=0.5))
    at_rest = conjunctive_rates(config, 0.0)
    assert np.allclose(at_rest["+x"], 0) and np.allclose(at_rest["-x"], 0)
    moving = conjunctive_rates(config, 0.3)  # +x: relu(0.6 + m − 1); −x: relu(−0.6 + m − 1)
    assert np.allclose(moving["+x"], [0.0, 0.2, 0.5]) and np.allclose(moving["-x"], 0)
    # above v = s every +x cell fires: the block's output no longer grows in its spatial structure
    fast = conjunctive_rates(config, 1.0)
    assert np.allclose(fast["+x"], MEC + 1.0) and np.allclose(fast["-x"], 0)
    # the paper's scale follows the motion statistics: the same speed drives less when they are wider
    wide = conjunctive_rates(Config(velocity_coding="paper", conjunctive_threshold=1.0,
                                    motion=MotionConfig(speed_std=1.0)), 0.3)
    assert np.allclose(wide["+x"], [0.0, 0.0, 0.2])


def test_push_pull_cells_fire_in_the_bump_at_rest_and_shift_linearly_with_velocity():
    # relu(m − θ ± k·v) with θ = 0.5, k = 0.4 per m/s
    config = Config(velocity_coding="push-pull", conjunctive_threshold=0.5, velocity_slope=0.4)
    at_rest = conjunctive_rates(config, 0.0)
    assert np.allclose(at_rest["+x"], [0.0, 0.1, 0.4]) and np.allclose(at_rest["-x"], at_rest["+x"])
    moving = conjunctive_rates(config, 0.5)  # k·v = 0.2
    assert np.allclose(moving["+x"], [0.0, 0.3, 0.6]) and np.allclose(moving["-x"], [0.0, 0.0, 0.2])
    backwards = conjunctive_rates(config, -0.5)
    assert np.allclose(backwards["+x"], moving["-x"]) and np.allclose(backwards["-x"], moving["+x"])
    # k is in physical units: it does not change with the motion statistics
    wide = Config(velocity_coding="push-pull", conjunctive_threshold=0.5, velocity_slope=0.4,
                  motion=MotionConfig(speed_std=1.0))
    assert np.allclose(conjunctive_rates(wide, 0.5)["+x"], moving["+x"])
    # within k·|v| ≤ θ, cells in the bump fire in both blocks: their difference is odd and linear in v
    for velocity in (0.25, 0.5, 1.0):
        rates = conjunctive_rates(config, velocity)
        assert np.allclose((rates["+x"] - rates["-x"])[1:], [min(0.1 + 0.4 * velocity, 0.8 * velocity), 0.8 * velocity])


@pytest.mark.parametrize("overrides, key", [
    ({"velocity_coding": "push-pull", "conjunctive_threshold": 1.0}, "conjunctive_threshold"),
    ({"velocity_coding": "push-pull", "conjunctive_threshold": 0.0}, "conjunctive_threshold"),
    ({"velocity_coding": "push-pull", "velocity_gain": 0.2}, "velocity_gain"),
    ({"velocity_coding": "paper", "conjunctive_threshold": 1.0, "velocity_slope": 0.2}, "velocity_slope"),
    ({"motion": MotionConfig(speed_std=0.0)}, "motion.speed_std"),
])
def test_settings_of_the_other_coding_or_a_threshold_outside_the_bump_are_refused(overrides, key):
    with pytest.raises(ConfigError, match=key):
        validate(Config(**overrides))


def test_gain_probes_that_miss_zero_or_fit_nothing_are_refused():
    with pytest.raises(ConfigError, match="max_velocity, step"):
        GainProbeConfig(max_velocity=1.5, step=0.4)
    with pytest.raises(ConfigError, match="transient, duration"):
        GainProbeConfig(duration=1.0, transient=1.0)
    assert GainProbeConfig(max_velocity=1.2, step=0.4).max_velocity == 1.2
