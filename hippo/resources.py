"""Memory a run will need, checked against the memory available before anything is allocated."""

from __future__ import annotations

import os
from dataclasses import dataclass

from hippo.errors import ConfigError

GIB = 2.0**30
FLOAT_BYTES = 8


@dataclass(frozen=True)
class ArrayEstimate:
    """One of a run's largest arrays.

    Attributes:
        what: what the array holds, for the message.
        n_bytes: its size in bytes.
        keys: comma-separated config keys that set its size (named in the error).
    """

    what: str
    n_bytes: float
    keys: str


def available_memory_bytes() -> int | None:
    """Physical memory available to a new allocation, in bytes (``None`` if unknown).

    Reads ``MemAvailable`` from ``/proc/meminfo`` (Linux), else the free physical pages.
    """
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(arrays: list[ArrayEstimate]) -> None:
    """Refuse a run whose largest arrays together need more memory than is available.

    Args:
        arrays: estimates of the run's largest arrays.

    Raises:
        ConfigError: without a source (the caller names the file), keyed by the settings
            of the largest array, with the estimate and the available memory in GiB.
    """
    available = available_memory_bytes()
    total = sum(a.n_bytes for a in arrays)
    if available is None or total <= available:
        return
    largest = max(arrays, key=lambda a: a.n_bytes)
    raise ConfigError("", largest.keys,
                      f"the run needs about {total / GIB:.3g} GiB for its largest arrays "
                      f"({largest.what}: {largest.n_bytes / GIB:.3g} GiB) and {available / GIB:.3g} GiB is available",
                      "settings whose arrays fit in memory")
