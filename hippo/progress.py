"""What a long run tells its user while it works: a text progress bar (stderr, at most 5
updates a second), a notice before Brian2 compiles the spiking network, and, for several
runs at once (``hippo run --seeds``, ``hippo sweep``), a line per finished run and a live
line while runs go."""

from __future__ import annotations

import sys
import threading
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


class RunsProgress:
    """Progress of several runs executing at once (the seeds of ``hippo run --seeds``, a sweep's runs).

    Each finished run gets one line: which run, its status, its wall time and how many of
    the runs are finished, e.g. ``[2/3] seed 1: done in 12.4 s (done 2, failed 0, running
    1; 31 s elapsed, ~15 s left)``; a failed run's error follows on the next line. While
    runs go, a live line says how many are running, done and failed and the elapsed
    time: on a terminal it is rewritten in place every ``refresh`` seconds, elsewhere (a
    log file, a pipe) it is printed once ``interval`` seconds have passed without a line.

    Use it as a context manager: the live line runs between ``__enter__`` and ``__exit__``.

    Args:
        total: runs to execute.
        enabled: ``False`` prints nothing (``--quiet``).
        live: ``False`` prints no live line (each run draws its own progress bar).
        stream: where the lines go (default: stderr).
        interval: wall seconds without a line after which a stream that is not a terminal
            gets the live line.
        refresh: wall seconds between rewrites of the live line on a terminal.
    """

    def __init__(self, total: int, enabled: bool = True, live: bool = True, stream=None, interval: float = 10.0,
                 refresh: float = 1.0):
        self.total, self.enabled, self.live = total, enabled, live
        self.stream = stream or sys.stderr
        self.interval, self.refresh = interval, refresh
        self.done = self.failed = self.running = 0
        self.start = self._last_line = time.perf_counter()
        self._terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn = False  # a live line is on the terminal's current line
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RunsProgress:
        if self.enabled and self.live and self.total:
            self._thread = threading.Thread(target=self._follow, name="hippo-runs-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._clear()

    def started(self, running: int) -> None:
        """Say how many runs are executing now."""
        self.running = running

    def finished(self, name: str, status: str, seconds: float | None, running: int, error: str | None = None) -> None:
        """Count a finished run and print its line.

        Args:
            name: which run (``seed 1``, a sweep's run id).
            status: ``"done"``, or anything else for a run that failed.
            seconds: the run's wall time (seconds), ``None`` when unknown.
            running: runs executing now.
            error: what ended a failed run (one line).
        """
        if status == "done":
            self.done += 1
        else:
            self.failed += 1
        self.running = running
        if not self.enabled:
            return
        finished = self.done + self.failed
        elapsed = time.perf_counter() - self.start
        took = f" in {seconds:.1f} s" if seconds is not None else ""
        left = f", ~{elapsed / finished * (self.total - finished):.0f} s left" if finished < self.total else ""
        text = (f"[{finished}/{self.total}] {name}: {status}{took} (done {self.done}, failed {self.failed}, "
                f"running {running}; {elapsed:.0f} s elapsed{left})\n")
        if error:
            text += f"    {error}\n"
        self._write(text)

    def live_line(self) -> str:
        """What runs now: running, done and failed of the total, and the elapsed wall time."""
        elapsed = time.perf_counter() - self.start
        return (f"running {self.running}, done {self.done} of {self.total}, failed {self.failed}; "
                f"{elapsed:.0f} s elapsed")

    def tick(self) -> None:
        """Show the live line: rewritten in place on a terminal, else printed when ``interval`` passed without a line."""
        if not self.enabled:
            return
        with self._lock:
            if self._terminal:
                self.stream.write(f"\r{self.live_line()}\033[K")
                self._drawn = True
            elif time.perf_counter() - self._last_line >= self.interval:
                self.stream.write(self.live_line() + "\n")
                self._last_line = time.perf_counter()
            self.stream.flush()

    def _follow(self) -> None:
        while not self._stop.wait(self.refresh if self._terminal else min(self.interval, 1.0)):
            self.tick()

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False

    def _write(self, text: str) -> None:
        with self._lock:
            self._clear()
            self.stream.write(text)
            self.stream.flush()
            self._last_line = time.perf_counter()
