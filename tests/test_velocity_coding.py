"""Velocity codings of the path integrator: conjunctive rates on hand-computed inputs; their settings and
the gain probes' settings."""

from dataclasses import replace

import numpy as np
import pytest

from hippo.probes import GainProbeConfig
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Projection
from hippo.circuits.wiring import PathIntegratorProjections, PyramidalConfig, path_integrator_network, preferred_directions
from hippo.errors import ConfigError
from hippo.experiments.path_integration import Config, validate, velocity_scale
from hippo.theta import INFERENCE
from hippo.world.motion import MotionConfig
from hippo.world.senses import VelocityCells

MEC = np.array([0.2, 0.6, 0.9])  # MEC rates of three cells


def conjunctive_network(config: Config) -> Network:
    """The path integrator's network for ``config``'s velocity coding (4 features, ``len(MEC)`` MEC cells)."""
    return path_integrator_network(4, len(MEC), 2, PyramidalConfig(), PyramidalConfig(), config.conjunctive_threshold,
                                   PathIntegratorProjections(), np.random.default_rng(0),
                                   modulation="multiplicative" if config.velocity_coding == "multiplicative"
                                   else "additive")


def conjunctive_rates(config: Config, velocity: float) -> dict[str, np.ndarray]:
    """Rates of the ``+x`` and ``−x`` conjunctive blocks for MEC rates ``MEC`` at ``velocity`` m/s, from the
    layer's description (activations of the summed inputs; a multiplicative layer's two compartments multiplied)."""
    cells = VelocityCells(1, velocity_scale(config))
    network = conjunctive_network(config)
    into = {p.source: (p.compartment, p.weights) for p in network.projections if p.target == "conjunctive"}
    layer = network.layer("conjunctive")
    velocity_drive = into["velocity"][1] @ cells.rates_at(np.array([[velocity]]))[0]
    mec_drive = into["mec"][1] @ MEC
    if layer.kind == "multiplicative":
        assert into["mec"][0] == "input" and into["velocity"][0] == "gain"
        rates = layer.activation(mec_drive) * layer.modulation(velocity_drive)
    else:
        rates = layer.activation(velocity_drive + mec_drive)
    return {"+x": rates[:len(MEC)], "-x": rates[len(MEC):]}


def engine_conjunctive_rates(config: Config, velocities: np.ndarray) -> np.ndarray:
    """Conjunctive rates the rate engine computes, one row per velocity (m/s), with the MEC rates
    ``MEC`` given as an input layer and the path integrator's fixed projections into the conjunctive cells."""
    cells = VelocityCells(1, velocity_scale(config))
    network = conjunctive_network(config)
    projections = tuple(p for p in network.projections if p.target == "conjunctive")
    mini = Network((Layer("mec", len(MEC), "input"), Layer("velocity", 2, "input"), network.layer("conjunctive")),
                   projections)
    rates = {"mec": np.tile(MEC, (len(velocities), 1)), "velocity": cells.rates_at(velocities[:, None])}
    engine = RateEngine(mini, 0.025)
    recording = engine.run(0.025 * len(velocities), lambda a, b: {k: v[a:b] for k, v in rates.items()}, INFERENCE,
                           learn=False, record=("conjunctive",))
    return recording.signals["conjunctive"]


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


def test_multiplicative_cells_scale_the_bump_by_one_plus_or_minus_k_v():
    # relu(m − θ)·[1 ± k·v]₊ with θ = 0, k = 0.5 per m/s
    config = Config(velocity_coding="multiplicative", conjunctive_threshold=0.0, velocity_slope=0.5)
    at_rest = conjunctive_rates(config, 0.0)
    assert np.allclose(at_rest["+x"], MEC) and np.allclose(at_rest["-x"], MEC)
    moving = conjunctive_rates(config, 0.8)  # k·v = 0.4
    assert np.allclose(moving["+x"], 1.4 * MEC) and np.allclose(moving["-x"], 0.6 * MEC)
    backwards = conjunctive_rates(config, -0.8)
    assert np.allclose(backwards["+x"], moving["-x"]) and np.allclose(backwards["-x"], moving["+x"])
    # beyond k·|v| = 1 the slower block is silent, not negative
    fast = conjunctive_rates(config, 3.0)  # k·v = 1.5
    assert np.allclose(fast["+x"], 2.5 * MEC) and np.allclose(fast["-x"], 0.0)
    # the difference of the blocks is the bump's profile times 2·k·v, the sum does not change, at every speed below 1/k
    for velocity in (0.1, 0.5, 1.0, 1.9):
        rates = conjunctive_rates(config, velocity)
        assert np.allclose(rates["+x"] - rates["-x"], 2 * 0.5 * velocity * MEC)
        assert np.allclose(rates["+x"] + rates["-x"], 2 * MEC)
    # a threshold cuts the profile, not the velocity factor: relu(m − 0.5)·[1 ± k·v]₊
    cut = conjunctive_rates(replace(config, conjunctive_threshold=0.5), 0.8)
    assert np.allclose(cut["+x"], [0.0, 0.14, 0.56]) and np.allclose(cut["-x"], [0.0, 0.06, 0.24])


@pytest.mark.parametrize("coding, threshold", [("multiplicative", 0.0), ("multiplicative", 0.5), ("push-pull", 0.5),
                                               ("paper", 1.0)])
def test_the_rate_engine_computes_each_codings_conjunctive_rates(coding, threshold):
    config = Config(velocity_coding=coding, conjunctive_threshold=threshold)
    velocities = np.array([0.0, 0.3, -0.7, 1.2, -2.0, 4.0])
    expected = np.array([np.concatenate(list(conjunctive_rates(config, v).values())) for v in velocities])
    assert np.allclose(engine_conjunctive_rates(config, velocities), expected, atol=1e-6)


def test_only_a_multiplicative_layer_has_a_gain_compartment():
    source, additive = Layer("v", 2, "input"), Layer("c", 2, "feedforward")
    with pytest.raises(ConfigError, match=r"c.gain<-v.*no 'gain' compartment"):
        Network((source, additive), (Projection("v", "c", "gain", np.eye(2)),))
    gated = Layer("c", 2, "multiplicative")
    assert Network((source, gated), (Projection("v", "c", "gain", np.eye(2)),)).projection("c.gain<-v").compartment == "gain"


@pytest.mark.parametrize("overrides, key", [
    ({"velocity_coding": "push-pull", "conjunctive_threshold": 1.0}, "conjunctive_threshold"),
    ({"velocity_coding": "push-pull", "conjunctive_threshold": 0.0}, "conjunctive_threshold"),
    ({"velocity_coding": "push-pull", "conjunctive_threshold": 0.5, "velocity_gain": 0.2}, "velocity_gain"),
    ({"velocity_coding": "paper", "conjunctive_threshold": 1.0, "velocity_slope": 0.2}, "velocity_slope"),
    ({"velocity_coding": "multiplicative", "conjunctive_threshold": -0.1}, "conjunctive_threshold"),
    ({"velocity_coding": "multiplicative", "conjunctive_threshold": 1.0}, "conjunctive_threshold"),
    ({"velocity_coding": "multiplicative", "velocity_gain": 0.2}, "velocity_gain"),
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


def planar_conjunctive_rates(n_directions: int, velocity: np.ndarray, slope: float, engine: bool) -> np.ndarray:
    """Rates ``(blocks, len(MEC))`` of the 2-D multiplicative conjunctive cells (threshold 0) for MEC rates ``MEC``
    at ``velocity`` (m/s, a 2-vector): from the layer's description, or computed by the rate engine."""
    cells = VelocityCells(2, 1.0 / slope)
    network = path_integrator_network(4, len(MEC), 4, PyramidalConfig(), PyramidalConfig(), 0.0,
                                      PathIntegratorProjections(), np.random.default_rng(0),
                                      modulation="multiplicative", n_directions=n_directions)
    layer = network.layer("conjunctive")
    into = {p.source: p for p in network.projections if p.target == "conjunctive"}
    velocity_rates = cells.rates_at(np.asarray(velocity, dtype=float)[None])
    if engine:
        mini = Network((Layer("mec", len(MEC), "input"), Layer("velocity", 4, "input"), layer), tuple(into.values()))
        recording = RateEngine(mini, 0.025).run(0.025, lambda a, b: {"mec": MEC[None], "velocity": velocity_rates},
                                                INFERENCE, learn=False, record=("conjunctive",))
        rates = recording.signals["conjunctive"][0]
    else:
        rates = layer.activation(into["mec"].weights @ MEC) * layer.modulation(into["velocity"].weights @ velocity_rates[0])
    return rates.reshape(-1, len(MEC))


@pytest.mark.parametrize("engine", [False, True])
def test_planar_multiplicative_cells_scale_the_bump_by_the_velocity_along_their_direction(engine):
    # relu(m)·[1 + k·v·e_d]₊ with k = 0.5 s/m, v = (0.6, 0.8) m/s: v·e_d is 0.6, −0.6, 0.8, −0.8 on the axes
    # (+x, −x, +y, −y) and 0.6, −0.6, 0.3 + 0.4·√3, −(0.3 + 0.4·√3), −0.3 + 0.4·√3, 0.3 − 0.4·√3 at 0°, 180°, 60°,
    # 240°, 120°, 300°
    velocity = np.array([0.6, 0.8])
    axes = planar_conjunctive_rates(0, velocity, 0.5, engine)
    assert np.allclose(axes, np.outer([1.3, 0.7, 1.4, 0.6], MEC), atol=1e-6)
    assert np.allclose(planar_conjunctive_rates(4, velocity, 0.5, engine), axes, atol=1e-6)
    along = np.array([0.6, -0.6, 0.3 + 0.4 * np.sqrt(3), -0.3 - 0.4 * np.sqrt(3), -0.3 + 0.4 * np.sqrt(3),
                      0.3 - 0.4 * np.sqrt(3)])
    hexagon = planar_conjunctive_rates(6, velocity, 0.5, engine)
    assert np.allclose(hexagon, np.outer(1.0 + 0.5 * along, MEC), atol=1e-6)
    # beyond k·|v·e_d| = 1 a block is silent, not negative: 3 m/s along +x
    fast = planar_conjunctive_rates(6, np.array([3.0, 0.0]), 0.5, engine)
    assert np.allclose(fast[1], 0.0) and np.allclose(fast[0], 2.5 * MEC, atol=1e-6)


@pytest.mark.parametrize("n_directions", [0, 6, 8])
def test_planar_blocks_weighted_by_their_directions_push_the_bump_along_the_velocity_in_every_heading(n_directions):
    # Σ_d e_d·rate_d = k·(Σ_d e_d e_dᵀ)·v·m = k·(D/2)·v·m for directions in opposite pairs spread evenly, at every
    # heading, while k·|v| ≤ 1: a readout learned per block can move the bump in any direction at any speed below 1/k
    directions = preferred_directions(2, n_directions)
    for heading in np.radians([0.0, 17.0, 45.0, 100.0, 230.0]):
        velocity = 1.5 * np.array([np.cos(heading), np.sin(heading)])  # k·|v| = 0.75
        push = directions.T @ planar_conjunctive_rates(n_directions, velocity, 0.5, engine=False)
        assert np.allclose(push, 0.5 * len(directions) / 2 * np.outer(velocity, MEC))
        assert np.allclose(planar_conjunctive_rates(n_directions, velocity, 0.5, engine=False).sum(axis=0),
                           len(directions) * MEC)


def test_preferred_directions_that_do_not_come_in_evenly_spread_pairs_are_refused():
    from hippo.experiments.path_integration_2d import Config as Config2D, validate as validate_2d

    assert np.allclose(preferred_directions(2, 4), preferred_directions(2))
    for n_directions, environment in ((5, "box-1m"), (2, "box-1m"), (4, "ring-1m")):
        with pytest.raises(ConfigError, match="velocity_directions"):
            (validate if environment == "ring-1m" else validate_2d)(
                (Config if environment == "ring-1m" else Config2D)(velocity_directions=n_directions,
                                                                   environment=environment))
