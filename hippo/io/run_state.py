"""A run's ``state.npz``: the engine at the end of training and what its test needs, to start a new run from.

Keys: ``engine:<key>`` — the engine's state (``engine.get_state()``); ``network_digest`` —
a digest of the network's shape (layer sizes, projection shapes); ``run:<name>`` or
``run:<name>:<key>`` — what the experiment needs to repeat its test (for example the
fitted decoder's parameters). ``hippo run NAME --from RUN_DIR`` starts from it, with the
saved run's configuration; :func:`check_unchanged` refuses overrides that contradict it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hippo.circuits.state import load_state
from hippo.config import flatten_tables, to_dict
from hippo.errors import ConfigError, HippoError
from hippo.io import RunDir

STATE_FILE = "state.npz"


def check_unchanged(saved: Mapping, config, settings: Mapping[str, str]) -> None:
    """Refuse a run started from a saved state whose configuration changes a setting that state depends on.

    Args:
        saved: the saved run's configuration (its ``config.toml``, as read).
        config: this run's configuration (the saved one with the ``--set`` overrides).
        settings: dotted key (a value, or a table and everything in it) → what of the saved
            state depends on it, for the message.

    Raises:
        ConfigError: keyed by the first changed setting, naming ``--set``, the saved value and why.
    """
    old, new = flatten_tables(saved), flatten_tables(to_dict(config))
    for prefix, why in settings.items():
        for key in sorted(set(old) | set(new)):
            if (key == prefix or key.startswith(prefix + ".")) and old.get(key) != new.get(key):
                raise ConfigError("--seed" if key == "seed" else "--set", key, f"{new.get(key, 'none')!r} contradicts the saved run, "
                                  f"where it is {old.get(key, 'none')!r}: {why}",
                                  f"{old.get(key, 'none')!r} with --from, or a new run")


def network_digest(network) -> str:
    """Digest of a network's shape: every layer's name, kind and size and every projection's weight shape."""
    parts = [f"{layer.name}:{layer.kind}:{layer.n}" for layer in network.layers]
    parts += [f"{p.name}:{p.weights.shape}:{p.plastic}" for p in network.projections]
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]


def save_run_state(run_dir: RunDir, engine_state: dict, network, extra: dict) -> Path:
    """Write ``state.npz`` into ``run_dir`` atomically.

    Args:
        run_dir: the run directory.
        engine_state: ``engine.get_state()`` at the end of training.
        network: the engine's network description (for its digest).
        extra: name → array, or name → mapping of arrays (stored as ``run:<name>:<key>``).
    """
    arrays = {f"engine:{key}": value for key, value in engine_state.items()}
    arrays["network_digest"] = np.array(network_digest(network))
    for name, value in extra.items():
        if isinstance(value, dict):
            arrays.update({f"run:{name}:{key}": np.asarray(item) for key, item in value.items()})
        else:
            arrays[f"run:{name}"] = np.asarray(value)
    return run_dir.write_arrays(Path(STATE_FILE).stem, arrays)


def load_run_state(run_path: str | Path, engine) -> dict:
    """Put ``engine`` in the state saved in ``run_path/state.npz``; return the saved ``run:`` entries.

    Returns:
        name → array, or name → dict of arrays for entries saved as mappings.

    Raises:
        HippoError: the file is missing or unreadable, or its network has another shape than
            the engine's; the message names the file and the first projection (or layer) that differs.
    """
    path = Path(run_path) / STATE_FILE
    arrays = load_state(path)
    for projection in engine.network.projections:
        key = f"engine:weight:{projection.name}"
        if key not in arrays:
            raise HippoError(f"{path}: the saved network has no projection {projection.name!r}; "
                             "start from a run of the same network")
        if arrays[key].shape != projection.weights.shape:
            raise HippoError(f"{path}: projection {projection.name!r} has weights of shape {arrays[key].shape} "
                             f"in the saved run, {projection.weights.shape} in this configuration")
        if not projection.plastic and not np.array_equal(arrays[key], projection.weights.astype(arrays[key].dtype)):
            raise HippoError(f"{path}: fixed projection {projection.name!r} differs from this configuration's "
                             "(a run of another control or wiring); start from a run of the same network")
    if str(arrays.get("network_digest", "")) != network_digest(engine.network):
        raise HippoError(f"{path}: the saved network's layers differ from this configuration's "
                         f"(digest {arrays.get('network_digest', 'missing')}, expected {network_digest(engine.network)})")
    try:
        engine.set_state({key[len("engine:"):]: value for key, value in arrays.items() if key.startswith("engine:")})
    except HippoError as error:
        raise HippoError(f"{path}: {error}") from None
    extra = {}
    for key, value in arrays.items():
        if key.startswith("run:"):
            name, _, item = key[len("run:"):].partition(":")
            if item:
                extra.setdefault(name, {})[item] = value
            else:
                extra[name] = value
    return extra
