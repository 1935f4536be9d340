import numpy as np
import pytest

from hippo.analysis.decoding import (
    KNNDecoder,
    RidgeDecoder,
    TemplateDecoder,
    chance_error,
    decode_position,
    decoding_error,
    encode_position,
)
from hippo.errors import HippoError
from hippo.world.gridworld import load_environment

DECODERS = [TemplateDecoder, RidgeDecoder, KNNDecoder]


def field_centres(env, n_per_side):
    """Place-field centres on a regular grid over the world: ``(n_per_side^dim, dim)``."""
    axes = [(np.arange(n_per_side) + 0.5) * s / n_per_side for s in env.size]
    grids = np.meshgrid(*axes, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def place_activity(env, position, centres, width, noise, rng):
    """Gaussian place-cell rates ``(T, N)`` plus independent Gaussian noise."""
    d = env.displacement(position[:, None, :], centres[None, :, :])
    rates = np.exp(-(d**2).sum(axis=-1) / (2 * width**2))
    return rates + noise * rng.normal(size=rates.shape)


def uniform_positions(env, n, rng):
    return rng.uniform(0, env.size, size=(n, env.dim))


# world, place cells per side, field width (m), tolerated mean error (m) per decoder.
# A linear read-out of place cells is exact only on periodic worlds (cos/sin are smooth
# sums of periodic fields); on solid ones it is bent near the walls and sums the noise
# of every cell, hence its looser tolerance there.
WORLDS = {
    "ring-1m": (100, 0.06, {TemplateDecoder: 0.01, RidgeDecoder: 0.01, KNNDecoder: 0.01}),
    "track-2m": (50, 0.08, {TemplateDecoder: 0.02, RidgeDecoder: 0.1, KNNDecoder: 0.02}),
    "box-1m": (10, 0.1, {TemplateDecoder: 0.04, RidgeDecoder: 0.13, KNNDecoder: 0.04}),
}


SEEDS = (1, 2, 3)


@pytest.fixture(scope="module", params=[(world, seed) for world in WORLDS for seed in SEEDS], ids=str)
def dataset(request):
    world, seed = request.param
    env = load_environment(world)
    n_side, width, tolerance = WORLDS[world]
    rng = np.random.default_rng(seed)
    centres = field_centres(env, n_side)
    train = uniform_positions(env, 6000, rng)
    test = uniform_positions(env, 1000, rng)
    return dict(
        env=env,
        tolerance=tolerance,
        train=(place_activity(env, train, centres, width, 0.1, rng), train),
        test=(place_activity(env, test, centres, width, 0.1, rng), test),
    )


@pytest.mark.parametrize("decoder_class", DECODERS)
def test_decoders_recover_position(dataset, decoder_class):
    env = dataset["env"]
    decoder = decoder_class(env).fit(*dataset["train"])
    activity, true = dataset["test"]
    predicted = decoder.predict(activity)
    assert predicted.shape == true.shape
    assert np.all((predicted >= 0) & (predicted <= env.size))
    error = decoding_error(env, predicted, true)
    assert error.mean() < dataset["tolerance"][decoder_class]


@pytest.fixture(scope="module", params=(2, 3, 4))
def ring_data(request):
    env = load_environment("ring-1m")
    rng = np.random.default_rng(request.param)
    centres = field_centres(env, 100)
    train = uniform_positions(env, 6000, rng)
    near_wrap = np.mod(rng.uniform(-0.02, 0.02, size=(500, 1)), 1.0)
    return env, centres, rng, train, place_activity(env, train, centres, 0.06, 0.1, rng), near_wrap


@pytest.mark.parametrize("decoder_class", DECODERS)
def test_ring_decoding_across_the_wrap_point(ring_data, decoder_class):
    env, centres, rng, train, train_activity, true = ring_data
    decoder = decoder_class(env).fit(train_activity, train)
    predicted = decoder.predict(place_activity(env, true, centres, 0.06, 0.1, rng))
    assert np.all((predicted >= 0) & (predicted < 1.0))
    error = decoding_error(env, predicted, true)
    assert error.max() < 0.1  # no jump of a whole metre at the wrap point (noise alone stays near 0.03)
    assert error.mean() < 0.01


def test_template_decoder_ignores_population_gain(ring_data):
    env, centres, rng, train, train_activity, true = ring_data
    decoder = TemplateDecoder(env).fit(train_activity, train)
    weak = 0.3 * place_activity(env, true, centres, 0.06, 0.0, rng)
    assert decoding_error(env, decoder.predict(weak), true).max() < 0.01


def test_template_decoder_never_decodes_into_walls():
    env = load_environment("two-rooms")
    rng = np.random.default_rng(3)
    free = env.cell_centres(env.free_cells)
    train = free[rng.integers(len(free), size=4000)] + rng.uniform(-0.05, 0.05, size=(4000, 2))
    centres = free[::3]
    decoder = TemplateDecoder(env).fit(place_activity(env, train, centres, 0.15, 0.1, rng), train)
    noise = rng.normal(size=(500, len(centres)))
    assert env.is_free(decoder.predict(noise)).all()


def test_encode_decode_round_trip():
    for name in ("ring-1m", "box-1m"):
        env = load_environment(name)
        position = uniform_positions(env, 100, np.random.default_rng(4))
        np.testing.assert_allclose(decode_position(env, encode_position(env, position)), position, atol=1e-12)


def test_decoding_error_is_periodic_on_the_ring():
    ring = load_environment("ring-1m")
    np.testing.assert_allclose(decoding_error(ring, np.array([[0.99], [0.3]]), np.array([[0.01], [0.8]])), [0.02, 0.5])
    np.testing.assert_allclose(decoding_error(ring, np.array([0.99, 0.3]), np.array([0.01, 0.8])), [0.02, 0.5])
    track = load_environment("track-2m")
    np.testing.assert_allclose(decoding_error(track, np.array([[1.99]]), np.array([[0.01]])), [1.98])


def test_chance_error():
    ring, track, box = (load_environment(n) for n in ("ring-1m", "track-2m", "box-1m"))
    assert chance_error(ring) == 0.25
    assert chance_error(ring, true_positions=np.array([[0.0], [0.7]])) == 0.25
    assert chance_error(track) == pytest.approx(2 / 3, abs=1e-3)  # E|x - y| on [0, L] is L / 3
    assert chance_error(track, true_positions=np.array([[1.0]])) == pytest.approx(0.5, abs=1e-3)
    unit_square = (2 + np.sqrt(2) + 5 * np.log(1 + np.sqrt(2))) / 15  # mean distance in the unit square
    assert chance_error(box) == pytest.approx(unit_square, abs=1e-3)


def test_bad_input_is_reported():
    env = load_environment("ring-1m")
    with pytest.raises(HippoError, match="before fit"):
        RidgeDecoder(env).predict(np.zeros((3, 4)))
    with pytest.raises(HippoError, match="position must have shape"):
        TemplateDecoder(env).fit(np.zeros((10, 4)), np.zeros((9, 1)))
    decoder = KNNDecoder(env, k=2).fit(np.random.default_rng(5).normal(size=(10, 4)), np.linspace(0, 0.9, 10))
    with pytest.raises(HippoError, match="fitted on 4"):
        decoder.predict(np.zeros((3, 5)))
