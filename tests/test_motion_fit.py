"""Smooth motion fitted to a path: the fit recovers the statistics of simulated smooth motion."""

import numpy as np
import pytest

from hippo.world.gridworld import load_environment
from hippo.world.motion import MotionConfig, generate_motion
from hippo.world.motion_fit import fit_smooth_motion, heading_change_variance, turning_statistics

DT = 0.025


def test_the_fit_recovers_the_speed_and_turning_of_simulated_smooth_motion():
    # a slow, often-turning agent like a rat, on the torus (no walls to turn it); one hour of 25-ms steps
    true = MotionConfig(speed_mean=0.1, speed_std=0.1, coherence_time=0.5, rotation_std=3.0, rotation_coherence_time=0.2)
    trajectory = generate_motion(load_environment("torus-1m"), 3600.0, DT, true, np.random.default_rng(0))
    fitted = fit_smooth_motion(trajectory.velocity, DT)
    assert fitted.kind == "smooth"
    # an hour holds about 3600 s / (2·0.5 s) = 3600 independent speeds: a few per cent of error
    for key in ("speed_mean", "speed_std", "coherence_time", "rotation_std", "rotation_coherence_time"):
        assert getattr(fitted, key) == pytest.approx(getattr(true, key), rel=0.08), key


def test_heading_change_variance_of_a_steady_turn_and_of_a_straight_line():
    t = np.arange(2000) * DT
    lags = (0.05, 0.1, 0.2)
    circling = 0.2 * np.column_stack([-np.sin(2.0 * t), np.cos(2.0 * t)])  # turning at 2 rad/s: Δθ = 2τ exactly
    np.testing.assert_allclose(heading_change_variance(circling, DT, lags), -2.0 * np.log(np.cos(2.0 * np.array(lags))))
    straight = np.tile([0.3, 0.1], (2000, 1))
    np.testing.assert_allclose(heading_change_variance(straight, DT, lags), 0.0, atol=1e-12)
    assert turning_statistics(np.zeros(len(lags)), lags)[0] == 0.0
