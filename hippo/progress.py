"""A small text progress bar for long simulations (stderr, at most 5 updates a second)."""

from __future__ import annotations

import sys
import time


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
