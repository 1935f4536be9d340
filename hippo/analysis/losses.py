"""Initial and final training losses, measured over windows that never overlap.

The losses of a run are averaged over its first and over its last ``LOSS_WINDOW_S``
seconds of training, or over its first and last tenth when training is shorter than
ten such windows, so that "initial" and "final" are always separate stretches of
training. The window used is reported with the losses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from hippo.errors import ConfigError

LOSS_WINDOW_S = 60.0
WINDOW_FRACTION = 0.1


def loss_window_records(duration: float, record_dt: float) -> int:
    """Records in each loss window of a training run.

    Args:
        duration: seconds of training.
        record_dt: seconds between records.

    Returns:
        ``min(LOSS_WINDOW_S, WINDOW_FRACTION·duration) / record_dt``, rounded down.
    """
    return int(math.floor(min(LOSS_WINDOW_S, WINDOW_FRACTION * duration) / record_dt + 1e-9))


def check_recordable(duration: float, dt: float, record_every: int) -> None:
    """Refuse a training run too short for one record in each loss window (none is needed
    when there is no training, ``duration`` 0).

    Args:
        duration: seconds of training.
        dt: time step in seconds.
        record_every: steps between records.

    Raises:
        ConfigError: keyed ``duration, record_every``, without a source.
    """
    record_dt = dt * record_every
    if duration > 0 and loss_window_records(duration, record_dt) < 1:
        raise ConfigError("", "duration, record_every",
                          f"{duration:g} s of training recorded every {record_dt:g} s leave no record in the "
                          f"first and last tenth of training, where the losses are measured",
                          f"duration >= {record_dt / WINDOW_FRACTION:g} s, or a smaller record_every")


def loss_summary(loss: Mapping[str, np.ndarray], duration: float, record_dt: float) -> dict[str, float]:
    """Mean loss of each layer over the first and the last window of training.

    Args:
        loss: layer name → ``(n_records,)`` loss per record of training.
        duration: seconds of training.
        record_dt: seconds between records.

    Returns:
        ``loss_<layer>_initial`` and ``loss_<layer>_final`` for each layer, and
        ``loss_window_s``, the window length in seconds.
    """
    n = loss_window_records(duration, record_dt)
    summary = {}
    for layer, values in loss.items():
        summary[f"loss_{layer}_initial"] = float(np.mean(values[:n]))
        summary[f"loss_{layer}_final"] = float(np.mean(values[-n:]))
    summary["loss_window_s"] = n * record_dt
    return summary
