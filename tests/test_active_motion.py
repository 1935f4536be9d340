"""`motion.kind = "active-inference"`: a curious agent's path drives a circuit experiment's senses."""

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.world.gridworld import load_environment
from hippo.world.motion import MotionConfig, generate_motion


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_active_inference_motion_stays_in_free_space_and_is_seeded(seed):
    env = load_environment("two-rooms")
    config = MotionConfig(kind="active-inference", speed_mean=0.2)
    first = generate_motion(env, 60.0, 0.025, config, np.random.default_rng(seed))
    again = generate_motion(env, 60.0, 0.025, config, np.random.default_rng(seed))
    assert first.position.shape == (2400, 2)
    assert np.array_equal(first.position, again.position)
    assert env.is_free(first.position).all()
    speed = np.linalg.norm(first.velocity, axis=1)
    assert 0.05 < speed.mean() <= 0.2 * 1.05  # pauses ("stay") lower the mean below the running speed
    assert len(np.unique(env.cell_of(first.position), axis=0)) > 20  # it explores


def test_active_inference_motion_needs_a_running_speed():
    with pytest.raises(ConfigError, match="speed_mean"):
        generate_motion(load_environment("tem-grid"), 10.0, 0.025, MotionConfig(kind="active-inference"), np.random.default_rng(0))
