"""Streams: lazily generated, chunk-size invariant, continuous across blocks, with remapping and moves."""

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.world.gridworld import load_environment
from hippo.world.motion import MotionConfig
from hippo.world.senses import SensesConfig
from hippo.world.senses import latent_filter
from hippo.world.stream import BLOCK_STEPS, Stream

DT = 0.025

KINDS = {
    "ring": ("ring-1m", SensesConfig(n=30), MotionConfig()),
    "plane": ("box-1m", SensesConfig(n=30), MotionConfig(speed_mean=0.2, speed_std=0.1)),
    "random-walk": ("tem-grid", SensesConfig(n=30), MotionConfig(kind="random-walk", step_interval=0.1)),
    "cue": ("tem-grid", SensesConfig(kind="cue", width=0.1), MotionConfig(speed_mean=0.2, speed_std=0.1)),
}


def _stream(kind, seed=0):
    if kind == "latent":
        return Stream.build(None, DT, SensesConfig(kind="latent", n=20, n_latents=3), None, seed)
    name, senses, motion = KINDS[kind]
    return Stream.build(load_environment(name), DT, senses, motion, seed, velocity_scale=0.5)


def _read_in_chunks(stream, stop, rng):
    parts, start = [], 0
    while start < stop:
        end = min(stop, start + int(rng.integers(1, 3 * BLOCK_STEPS)))
        parts.append(stream.inputs(start, end))
        start = end
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


@pytest.mark.parametrize("kind", [*KINDS, "latent"])
def test_the_same_seed_gives_the_same_stream_whatever_chunks_are_read(kind):
    n = 3 * BLOCK_STEPS + 123
    whole = _stream(kind).inputs(0, n)
    for chunk_seed in (1, 2):
        chunked = _read_in_chunks(_stream(kind), n, np.random.default_rng(chunk_seed))
        assert whole.keys() == chunked.keys()
        for name in whole:
            assert np.array_equal(whole[name], chunked[name]), name
    # read backwards: a late range first, then the start
    backwards = _stream(kind)
    late = backwards.inputs(n - 500, n)
    assert np.array_equal(late["features"], whole["features"][n - 500:])
    assert np.array_equal(backwards.inputs(0, 100)["features"], whole["features"][:100])
    other = _stream(kind, seed=1).inputs(0, n)
    assert not np.allclose(other["features"], whole["features"])


@pytest.mark.parametrize("kind", ["ring", "plane", "random-walk"])
def test_positions_follow_the_velocity_across_block_boundaries(kind):
    """Every step moves by velocity·dt (the shortest way round on periodic worlds), at block edges too."""
    stream = _stream(kind, seed=3)
    n = 4 * BLOCK_STEPS
    position, velocity = stream.position(0, n), stream.velocity(0, n)
    step = stream.env.displacement(position[1:], position[:-1])
    assert np.allclose(step, velocity[:-1] * DT, atol=1e-9)
    assert np.all(stream.env.is_free(position))


def test_track_velocity_has_the_configured_ou_statistics():
    """Mean, standard deviation and lag-τ autocorrelation (e^-1) of the velocity, within 4 standard errors
    of a record of about 7000 correlation times."""
    config = MotionConfig(speed_mean=0.1, speed_std=0.4, coherence_time=0.7)
    stream = Stream.build(load_environment("ring-1m"), DT, SensesConfig(n=10), config, 5)
    v = stream.velocity(0, 200_000)[:, 0]
    n_independent = len(v) * DT / (2 * config.coherence_time)
    assert abs(v.mean() - 0.1) < 4 * 0.4 / np.sqrt(n_independent)
    assert abs(v.std() - 0.4) < 4 * 0.4 / np.sqrt(2 * n_independent)
    lag = int(round(config.coherence_time / DT))
    x = v - v.mean()
    rho = np.mean(x[lag:] * x[:-lag]) / np.mean(x * x)
    assert rho == pytest.approx(np.exp(-1), abs=4 / np.sqrt(n_independent))


@pytest.mark.parametrize("timescale", [0.5, 1.0])
def test_latents_are_unit_variance_gaussian_processes_with_the_configured_timescale(timescale):
    """The squared-exponential kernel falls to 1/e at √2·τ; checked on the latents over 5 seeds."""
    from hippo.analysis.statistics import autocorrelation, decorrelation_time

    times = []
    for seed in range(5):
        stream = Stream.build(None, DT, SensesConfig(kind="latent", n=10, n_latents=4, timescale=timescale), None, seed)
        latents = stream.latents(0, 40_000)
        assert np.allclose(latents.std(axis=0), 1.0, atol=0.15)
        lags, acorr = autocorrelation(latents, DT, 5.0)
        times.append(decorrelation_time(lags, acorr))
    assert np.mean(times) == pytest.approx(np.sqrt(2) * timescale, rel=0.05)
    h = latent_filter(DT, timescale)
    assert np.sum(h * h) == pytest.approx(1.0) and np.array_equal(h, h[::-1])


def test_remap_keeps_the_trajectory_and_cursor_and_draws_a_new_code():
    stream = _stream("ring", seed=2)
    stream.cursor = 777
    remapped = stream.remap(11)
    assert remapped.cursor == 777
    assert np.array_equal(remapped.position(0, 5000), stream.position(0, 5000))
    assert not np.allclose(remapped.features(0, 5000), stream.features(0, 5000))
    # global remapping of tiled fields: the same centres, shuffled across cells
    assert np.allclose(np.sort(remapped.encoder.centres[:, 0]), np.sort(stream.encoder.centres[:, 0]))
    assert np.array_equal(remapped.inputs(0, 100)["velocity"], stream.inputs(0, 100)["velocity"])
    assert np.array_equal(stream.remap(11).features(0, 100), remapped.features(0, 100))
    latent = _stream("latent")
    assert not np.allclose(latent.remap(4).features(0, 100), latent.features(0, 100))


def test_fresh_trajectory_keeps_the_code():
    stream = _stream("ring", seed=2)
    stream.cursor = 50
    fresh = stream.fresh_trajectory([2, 9])
    assert fresh.cursor == 0 and fresh.encoder is stream.encoder
    assert not np.allclose(fresh.position(0, 1000), stream.position(0, 1000))
    at = fresh.position(0, 1000)
    assert np.allclose(fresh.features(0, 1000), stream.encoder.rates_at(at))


def test_moved_to_starts_where_the_stream_is(write_env):
    stream = _stream("ring", seed=4)
    stream.cursor = 3000
    here = stream.position(3000, 3001)[0]
    moved = stream.moved_to(load_environment("ring-1m"), seed=5)
    assert np.allclose(moved.position(0, 1)[0], here) and moved.cursor == 0
    assert moved.velocity_cells.scale == stream.velocity_cells.scale
    assert moved.motion_config.start == (here[0],)
    with pytest.raises(ConfigError, match="2-D world"):
        stream.moved_to(load_environment("box-1m"), seed=5)
    cells = "".join("#" if abs((k + 0.5) * 0.1 - here[0]) < 0.2 else "." for k in range(10))
    with pytest.raises(ConfigError, match="not a free position"):
        stream.moved_to(load_environment(write_env(cells, name="walled")), seed=5)


def test_streams_refuse_what_they_cannot_give():
    with pytest.raises(ConfigError, match="need an environment"):
        Stream.build(None, DT, SensesConfig(kind="place"), None, 0)
    latent = _stream("latent")
    assert set(latent.inputs(0, 10)) == {"features"}
    with pytest.raises(ValueError, match="no trajectory"):
        latent.position(0, 10)
    with pytest.raises(ValueError, match="local steps"):
        _stream("ring").inputs(5, 2)


def test_active_inference_motion_comes_in_episodes_whatever_chunks_are_read(monkeypatch):
    """A curious agent's path, drawn in exploration episodes (shortened here to 30 s)."""
    import hippo.world.motion as motion_module

    monkeypatch.setattr(motion_module, "ACTIVE_INFERENCE_EPISODE", 30.0)
    env = load_environment("tem-grid")
    motion = MotionConfig(kind="active-inference", speed_mean=0.2)

    def build():
        return Stream.build(env, DT, SensesConfig(n=20), motion, 7, velocity_scale=0.3)

    n = 2 * BLOCK_STEPS + 10  # more than three episodes of 1200 steps
    whole = build().inputs(0, n)
    chunked = _read_in_chunks(build(), n, np.random.default_rng(3))
    assert all(np.array_equal(whole[name], chunked[name]) for name in whole)
    position = build().position(0, n)
    assert np.all(env.is_free(position)) and len(np.unique(env.cell_of(position), axis=0)) > 5
