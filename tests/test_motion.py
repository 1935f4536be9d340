"""Motion: OU velocity statistics, walls, periodic wrap, and the discrete random walk."""

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.world.gridworld import load_environment, parse_environment
from hippo.world.motion import MotionConfig, generate_motion, ornstein_uhlenbeck

DT = 0.025


def _segments_free(env, position, n_points=9):
    """Whether the straight path between consecutive samples stays in free cells (solid worlds)."""
    ok = np.ones(len(position) - 1, dtype=bool)
    for f in np.linspace(0.0, 1.0, n_points):
        ok &= env.is_free(position[:-1] + f * (position[1:] - position[:-1]))
    return ok


def _sampling_error_of_mean(std, tau, duration):
    """Standard error of the time average of an OU process (integrated autocorrelation 2τ)."""
    return std * np.sqrt(2.0 * tau / duration)


def _relative_sampling_error_of_std(tau, duration):
    """Relative standard error of the sample standard deviation of an OU process: ``√(τ / 2T)``.

    The sample variance has variance ``2σ⁴·Σ_k ρ_k² / N`` (Bartlett) with ``Σ_k ρ_k² ≈ τ/dt``;
    the standard deviation's relative error is half the variance's.
    """
    return np.sqrt(tau / (2.0 * duration))


def _sampling_error_of_autocorrelation_at_tau(tau, duration):
    """Standard error of the sample autocorrelation of an OU process at lag τ (Bartlett): ``√((1 − 3e⁻²)·τ / T)``."""
    return np.sqrt((1.0 - 3.0 * np.exp(-2.0)) * tau / duration)


def test_ou_process_is_stationary_with_the_given_std_and_time_constant():
    x = ornstein_uhlenbeck(200_000, DT, 1.0, 0.5, 0.7, np.random.default_rng(0))
    assert abs(x.mean() - 1.0) < 4 * _sampling_error_of_mean(0.5, 0.7, 200_000 * DT)
    assert x.std() == pytest.approx(0.5, rel=4 * _relative_sampling_error_of_std(0.7, 200_000 * DT))
    lag = int(round(0.7 / DT))
    centred = x - x.mean()
    rho = np.mean(centred[:-lag] * centred[lag:]) / centred.var()
    assert rho == pytest.approx(np.exp(-1.0), abs=4 * _sampling_error_of_autocorrelation_at_tau(0.7, 200_000 * DT))


@pytest.mark.parametrize("mean, std", [(0.0, 0.5), (0.2, 0.3)])
def test_1d_velocity_mean_and_std_match_the_config(mean, std):
    ring = load_environment("ring-1m")
    duration, tau = 3000.0, 0.7
    config = MotionConfig(speed_mean=mean, speed_std=std, coherence_time=tau)
    trajectory = generate_motion(ring, duration, DT, config, np.random.default_rng(1))
    v = trajectory.velocity[:, 0]
    assert len(trajectory) == int(round(duration / DT))
    assert abs(v.mean() - mean) < 4 * _sampling_error_of_mean(std, tau, duration)
    assert v.std() == pytest.approx(std, rel=4 * _relative_sampling_error_of_std(tau, duration))


def test_periodic_wrap_on_the_ring():
    ring = load_environment("ring-1m")
    trajectory = generate_motion(ring, 600.0, DT, MotionConfig(), np.random.default_rng(2))
    x, v = trajectory.position[:, 0], trajectory.velocity[:, 0]
    assert np.all((x >= 0.0) & (x < 1.0))
    step = np.diff(x)
    wrapped = np.abs(step) > 0.5  # crossing 1 m -> 0 m or back
    assert wrapped.sum() >= 5
    # the motion is continuous round the ring: every step is v·dt the short way round
    assert np.allclose(step - np.round(step), v[:-1] * DT, atol=1e-9)
    assert np.all(np.abs(step[wrapped]) > 0.9)


def test_solid_track_reflects_at_its_ends():
    track = load_environment("track-2m")
    trajectory = generate_motion(track, 1200.0, DT, MotionConfig(), np.random.default_rng(3))
    x, v = trajectory.position[:, 0], trajectory.velocity[:, 0]
    assert np.all((x >= 0.0) & (x <= 2.0))
    assert x.min() < 0.05 and x.max() > 1.95  # both ends reached
    step = np.diff(x)
    assert np.all(np.abs(step) <= np.abs(v[:-1]) * DT + 1e-12)  # no jumps, no wrap
    # away from the ends the recorded velocity is the signed velocity of the motion
    inner = (x[:-1] > 0.1) & (x[:-1] < 1.9)
    assert np.allclose(step[inner], v[:-1][inner] * DT)


@pytest.mark.parametrize("name", ["two-rooms", "box-1m", "tem-grid"])
def test_walls_are_never_crossed_in_2d(name):
    env = load_environment(name)
    config = MotionConfig(speed_mean=0.3, speed_std=0.3)
    trajectory = generate_motion(env, 2000.0, DT, config, np.random.default_rng(4))
    p = trajectory.position
    assert p.shape == (80_000, 2)
    assert env.is_free(p).all()
    # nor cut through the corner of a wall cell between two samples
    assert _segments_free(env, p).all()
    # positions integrate the recorded velocities
    assert np.allclose(np.diff(p, axis=0), trajectory.velocity[:-1] * DT)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_two_rooms_are_joined_only_through_the_doorway(seed):
    env = load_environment("two-rooms")
    trajectory = generate_motion(env, 3000.0, DT, MotionConfig(speed_mean=0.3, speed_std=0.3), np.random.default_rng(seed))
    x, y = trajectory.position.T
    in_wall_column = (x >= 1.0) & (x < 1.1)
    assert in_wall_column.any()  # it does go through
    assert np.all((y[in_wall_column] >= 0.5) & (y[in_wall_column] < 0.6))  # row 5, the doorway
    side = np.where(x < 1.0, -1, np.where(x >= 1.1, 1, 0))
    sides = side[side != 0]
    assert np.sum(sides[1:] != sides[:-1]) >= 2  # the agent visits both rooms


def test_2d_speed_statistics_when_the_mean_is_well_above_zero():
    box = load_environment("box-1m")
    config = MotionConfig(speed_mean=0.3, speed_std=0.05)
    trajectory = generate_motion(box, 1500.0, DT, config, np.random.default_rng(6))
    speed = np.linalg.norm(trajectory.velocity, axis=1)
    assert speed.mean() == pytest.approx(0.3, abs=4 * _sampling_error_of_mean(0.05, 0.7, 1500.0) + 0.005)
    assert speed.std() == pytest.approx(0.05, rel=4 * _relative_sampling_error_of_std(0.7, 1500.0))
    # heading turns: both signs of both components occur
    assert np.all(np.abs(trajectory.velocity).max(axis=0) > 0.2)


def test_2d_periodic_world_wraps(write_env):
    torus = parse_environment(write_env("""
        ..........
        ..........
        ..........
        ..........
    """, boundary="periodic"))
    trajectory = generate_motion(torus, 600.0, DT, MotionConfig(speed_mean=0.3, speed_std=0.1),
                                 np.random.default_rng(7))
    p = trajectory.position
    assert np.all((p >= 0) & (p < torus.size))
    step = np.diff(p, axis=0)
    assert np.any(np.abs(step) > 0.5 * torus.size)  # wrapped at least once
    assert np.allclose(torus.displacement(p[1:], p[:-1]), trajectory.velocity[:-1] * DT)


def test_same_seed_same_trajectory_and_given_start():
    env = load_environment("two-rooms")
    config = MotionConfig(start=(0.35, 0.85))
    a = generate_motion(env, 30.0, DT, config, np.random.default_rng(8))
    b = generate_motion(env, 30.0, DT, config, np.random.default_rng(8))
    c = generate_motion(env, 30.0, DT, config, np.random.default_rng(9))
    assert np.array_equal(a.position, b.position) and np.array_equal(a.velocity, b.velocity)
    assert not np.array_equal(a.position, c.position)
    assert np.allclose(a.position[0], [0.35, 0.85])


def test_start_in_a_wall_is_refused():
    env = load_environment("two-rooms")
    with pytest.raises(ConfigError, match="start.*not a free position"):
        generate_motion(env, 1.0, DT, MotionConfig(start=(1.05, 0.15)), np.random.default_rng(0))


@pytest.mark.parametrize("name", ["two-rooms", "ring-1m", "track-2m", "tem-grid"])
def test_random_walk_moves_only_between_neighbouring_free_cells(name):
    env = load_environment(name)
    config = MotionConfig(kind="random-walk", step_interval=0.1)
    trajectory = generate_motion(env, 500.0, DT, config, np.random.default_rng(10))
    cells = env.cell_of(trajectory.position)
    assert env.free[cells[:, 0], cells[:, 1]].all()
    # the agent sits at cell centres
    assert np.allclose(env.cell_centres(cells), trajectory.position)
    step = np.abs(np.diff(cells, axis=0))
    if env.periodic:
        step = np.minimum(step, np.array(env.shape) - step)
    moved = step.sum(axis=1)
    assert set(np.unique(moved)) == {0, 1}  # stays, or one step N/E/S/W
    # one move every step_interval (4 steps), never between
    assert np.all(moved[np.arange(len(moved)) % 4 != 3] == 0)
    assert moved.sum() >= 0.9 * len(moved) / 4
    assert np.allclose(env.displacement(trajectory.position[1:], trajectory.position[:-1]),
                       trajectory.velocity[:-1] * DT)


def test_random_walk_on_the_ring_wraps_round():
    ring = load_environment("ring-1m")
    trajectory = generate_motion(ring, 2000.0, DT, MotionConfig(kind="random-walk", step_interval=DT),
                                 np.random.default_rng(11))
    column = ring.cell_of(trajectory.position)[:, 1]
    jumps = np.diff(column)
    assert set(np.unique(jumps)) == {-99, -1, 1, 99}
