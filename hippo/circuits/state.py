"""Engine states on disk, the check that a state fits an engine, and the part every engine shares.

An engine's state (``RateEngine.get_state()``, ``SpikingEngine.get_state()``) is a
flat mapping from keys to arrays — weights, every rule's per-synapse state, rates,
noise, the step count, the time and the noise generator's state (a 0-d JSON string) —
so it round-trips through ``np.savez`` unchanged.

Its *portable* part (:func:`is_portable`) means the same on every engine:
``weight:<projection>``, the projection's full matrix ``(n_post, n_pre [+ 1 bias
column])`` with zeros where no synapse exists; the clock (:data:`CLOCK_KEYS`); and the
learning-rate factor. The rest is the engine's own (rates, rule states, neuron
variables); :func:`state_kind` tells which kind of engine saved a state.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hippo.errors import HippoError
from hippo.io import write_npz


def save_state(path: str | Path, state: Mapping[str, np.ndarray]) -> Path:
    """Write an engine state to ``path`` (``.npz``) atomically; returns the path."""
    return write_npz(path, state)


def load_state(path: str | Path) -> dict[str, np.ndarray]:
    """Read an engine state written by :func:`save_state`.

    Raises:
        HippoError: the file does not exist or is not an ``.npz`` archive.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise HippoError(f"{path}: no such engine state file") from None
    except (OSError, ValueError) as error:
        raise HippoError(f"{path}: not an engine state (.npz): {error}") from None


CLOCK_KEYS = ("step_count", "t", "rng")
"""The 0-d keys of every engine state: step count, time (s) and the noise generator's state."""


def clock_state(step_count: int, t: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The clock part of an engine state (the keys of :data:`CLOCK_KEYS`).

    Args:
        step_count: network steps run so far.
        t: simulated time, seconds.
        rng: the engine's noise generator.

    Returns:
        ``step_count`` (0-d int64), ``t`` (0-d float, seconds) and ``rng`` (0-d string:
        the generator's bit-generator state as JSON).
    """
    return {"step_count": np.array(step_count, dtype=np.int64), "t": np.array(t),
            "rng": np.array(json.dumps(rng.bit_generator.state))}


def restore_clock(state: Mapping[str, np.ndarray], rng: np.random.Generator) -> tuple[int, float]:
    """Put ``rng`` back in the state stored in ``state`` (from :func:`clock_state`).

    Args:
        state: an engine state holding the keys of :data:`CLOCK_KEYS`.
        rng: the engine's noise generator; its state is overwritten.

    Returns:
        The stored step count and time (seconds).
    """
    rng.bit_generator.state = json.loads(str(state["rng"]))
    return int(state["step_count"]), float(state["t"])


#: The 0-d keys every engine's state shares: the clock and the factor of ``scale_learning_rates``.
PORTABLE_SCALARS = CLOCK_KEYS + ("learning_rate_factor",)



class ForeignStateWarning(UserWarning):
    """A state saved by another kind of engine was loaded: its portable part only, the rest reset."""


def is_portable(key: str) -> bool:
    """Whether a state key means the same on every engine (weights, clock, learning-rate factor)."""
    return key.startswith("weight:") or key in PORTABLE_SCALARS


def state_kind(state: Mapping[str, np.ndarray]) -> str:
    """``"spiking"`` or ``"rate"``: the kind of engine that saved ``state`` (spiking states hold neuron variables)."""
    return "spiking" if any(key.startswith("neuron:") for key in state) else "rate"


def portable_part(state: Mapping[str, np.ndarray], own: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The portable part of ``state`` (saved by another kind of engine), checked against an engine's ``own`` state.

    Raises:
        HippoError: as :func:`check_state`: a weight is missing, unknown or of another
            shape (a network of another shape), or a clock key is missing.
    """
    portable = {key: value for key, value in state.items() if is_portable(key)}
    check_state(portable, {key: np.shape(value) for key, value in own.items() if is_portable(key) and key not in CLOCK_KEYS},
                scalars=CLOCK_KEYS)
    return portable


def warn_foreign_state(saved_by: str, loaded_into: str, reset: list[str]) -> None:
    """Say that a state of the ``saved_by`` engine was loaded into the ``loaded_into`` engine, ``reset`` keys at rest."""
    warnings.warn(f"engine state of the {saved_by} engine loaded into the {loaded_into} engine: its weights, clock and "
                  f"learning-rate factor; reset to rest: {', '.join(reset)}", ForeignStateWarning, stacklevel=3)


def check_state(state: Mapping[str, np.ndarray], shapes: Mapping[str, tuple], scalars: tuple[str, ...] = ()) -> None:
    """Raise one clear error unless ``state`` has exactly the keys and shapes an engine expects.

    Args:
        state: the state to check.
        shapes: key → the shape the engine expects.
        scalars: keys of 0-d values (step count, time, generator state).

    Raises:
        HippoError: naming the first missing or unknown key, or the key whose shape
            differs, with the expected and the found shape.
    """
    expected = dict(shapes) | {key: () for key in scalars}
    missing = [key for key in expected if key not in state]
    if missing:
        raise HippoError(f"engine state: key {missing[0]!r} is missing "
                         f"(a state of another network, engine or version? expected keys: {', '.join(expected)})")
    unknown = [key for key in state if key not in expected]
    if unknown:
        raise HippoError(f"engine state: unknown key {unknown[0]!r} "
                         f"(a state of another network, engine or version? expected keys: {', '.join(expected)})")
    for key, shape in expected.items():
        found = np.shape(state[key])
        if tuple(found) != tuple(shape):
            vector = key.startswith("weight:") and len(found) == 1 and len(shape) == 2
            raise HippoError(f"engine state: {key!r} has shape {tuple(found)}, expected {tuple(shape)}" +
                             (" (earlier versions of the spiking engines saved a projection's weights as one value "
                              "per synapse; every engine now saves the whole matrix, so such a run has to be trained "
                              "again)" if vector else ""))
