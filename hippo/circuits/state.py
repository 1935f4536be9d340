"""Engine states on disk, and the check that a state fits an engine.

An engine's state (``RateEngine.get_state()``, ``SpikingEngine.get_state()``) is a
flat mapping from keys to arrays — weights, every rule's per-synapse state, rates,
noise, the step count, the time and the noise generator's state (a 0-d JSON string) —
so it round-trips through ``np.savez`` unchanged.
"""

from __future__ import annotations

import json
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
                         f"(a state of another network or engine? expected keys: {', '.join(expected)})")
    unknown = [key for key in state if key not in expected]
    if unknown:
        raise HippoError(f"engine state: unknown key {unknown[0]!r} "
                         f"(a state of another network or engine? expected keys: {', '.join(expected)})")
    for key, shape in expected.items():
        found = np.shape(state[key])
        if tuple(found) != tuple(shape):
            raise HippoError(f"engine state: {key!r} has shape {tuple(found)}, expected {tuple(shape)}")
