"""What a long run tells its user while it works: a text progress bar (stderr, at most 5
updates a second) and a notice before Brian2 compiles the spiking network."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

#: Wall minutes Brian2 took to compile the spiking path-integration network from an empty
#: cache on a 2-core machine (``python benchmarks/bench_spiking.py --cold``).
COMPILE_MINUTES = 6


def announce_compilation(cache: str | Path, stream=None) -> Callable[[], None]:
    """Say that the spiking network is about to be compiled, unless ``cache`` already holds this version's code.

    Brian2 compiles the network's code once and caches it; a cache that holds no
    marker of this version of the package is taken as cold.

    Args:
        cache: Brian2's compiled-code cache folder.
        stream: where the one-line notice goes (default stderr).

    Returns:
        The function to call once a simulation has run (so the code is compiled): it
        marks ``cache`` as holding this version's code.
    """
    marker = Path(cache) / f"compiled-hippo-{version('hippo')}"
    if marker.exists():
        return lambda: None
    stream = stream or sys.stderr
    stream.write(f"compiling the spiking network — once per version of the package, about {COMPILE_MINUTES} min "
                 f"on a 2-core machine (cache: {cache})\n")
    stream.flush()

    def compiled() -> None:
        if not marker.exists():
            try:
                marker.write_text("")
            except OSError:
                pass  # an unwritable cache only means the notice appears again next time

    return compiled


class Progress:
    """Progress of a run measured in simulated seconds.

    Args:
        total: total amount of work (e.g. simulated seconds).
        label: text shown before the bar.
        enabled: ``False`` prints nothing (``--quiet``).
        min_seconds: the bar appears only once the run has taken this long (wall seconds).
    """

    def __init__(self, total: float, label: str = "", enabled: bool = True, min_seconds: float = 2.0, stream=None):
        self.total = max(float(total), 1e-12)
        self.label = label
        self.enabled = enabled
        self.min_seconds = min_seconds
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: float, **values: float) -> None:
        """Report ``done`` units of work finished; ``values`` are shown beside the bar."""
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.min_seconds or now - self._last_draw < 0.2 and done < self.total:
            return
        self._last_draw = now
        fraction = min(done / self.total, 1.0)
        width = 24
        bar = "#" * int(fraction * width) + "-" * (width - int(fraction * width))
        eta = elapsed / fraction - elapsed if fraction > 0 else float("nan")
        extra = "  ".join(f"{k} {v:.3g}" for k, v in values.items())
        self.stream.write(f"\r{self.label} [{bar}] {100 * fraction:5.1f}%  {elapsed:5.1f}s elapsed, ~{eta:4.0f}s left  {extra}   ")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
