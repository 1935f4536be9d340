"""Run directories and atomic result files.

A run directory holds everything one experiment run produced::

    config.toml     the resolved configuration (defaults + file + --set + --seed)
    metrics.json    scalar results, the figures not drawn (``warnings``) and the list of
                    the run's files (``files``): its presence marks a finished run
    arrays.npz      recorded time series (decimated)
    weights.npz     trained weights
    figures/*.png   figures

A run directory belongs to one run. The run writes into a fresh hidden folder beside
its target, ``.<name>.partial-<pid>-<random>``, and renames it into place when it has
ended: arrays first, then ``metrics.json``, then the figures (drawn only once the
numbers are saved; a figure that cannot be drawn becomes a warning), then the final
``metrics.json``. A target that is already a run is replaced only on request, and only
once the new run is complete. A folder under its real name is therefore always one
whole run; a killed run leaves only a hidden partial folder, removed by the next run
into the same folder once its process is gone.

Every file is written to a temporary name and renamed, and files and folders get the
permissions the umask allows (``0o666 & ~umask``, folders ``0o777 & ~umask``), so
collaborators can read results as they read any other file.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from hippo.errors import ConfigError, HippoError

#: Hidden folders a run is written into (``partial``) or an old run is moved to while
#: it is replaced (``replaced``): ``.<name>.<kind>-<pid>-<random>``.
STAGING = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|replaced)-(?P<pid>\d+)-[^.]+$")

#: Inside a staging folder: the name of the machine whose process owns it.
OWNER_FILE = ".owner"

#: Files and folders a run directory may hold.
RUN_FILES = re.compile(r"^(config\.toml|metrics\.json|[\w.-]+\.npz|figures)$")

#: How long a staging folder without an owner file is left alone (seconds).
UNOWNED_GRACE = 3600.0

#: Errors of a file system that cannot take more data (full, over quota, read-only).
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


class OutputError(HippoError):
    """The results of a run could not be written (a full disk, a folder that vanished).

    Attributes:
        metrics: the metrics the run computed, or ``None`` when it failed before computing any.
    """

    def __init__(self, message: str, metrics: Mapping | None = None):
        super().__init__(message)
        self.metrics = metrics


def _umask() -> int:
    """The process's umask, read without changing it where Linux reports it (other threads keep theirs)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_readable(path: str | Path) -> None:
    """Give ``path`` the permissions the umask allows (files ``0o666``, folders ``0o777``)."""
    path = Path(path)
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~_umask())


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(handle)
    try:
        yield Path(tmp)
        make_readable(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist())
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def json_text(data: Mapping) -> str:
    """``data`` as indented JSON text (numpy scalars and arrays converted, NaN → null)."""
    return json.dumps(_json_ready(data), indent=2) + "\n"


def write_json(path: str | Path, data: Mapping) -> Path:
    """Write ``data`` as indented JSON atomically (see :func:`json_text`)."""
    return write_text(path, json_text(data))


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write arrays to a compressed ``.npz`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **{k: np.asarray(v) for k, v in arrays.items()})
    return Path(path)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, Mapping) for v in value):
            return "[" + ", ".join("{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in item.items()) + " }" for item in value) + "]"
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def to_toml(data: Mapping, _prefix: str = "") -> str:
    """Serialise nested mappings of scalars, strings and lists to TOML text."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, Mapping)]
    for k, v in data.items():
        if isinstance(v, Mapping):
            name = f"{_prefix}.{k}" if _prefix else k
            lines.append(f"\n[{name}]")
            lines.append(to_toml(v, name))
    return "\n".join(line for line in lines if line) + "\n"


def _readable_whole(path: Path) -> bool:
    """Whether a file a run wrote reads back whole (archives checked member by member)."""
    try:
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as archive:
                return archive.testzip() is None
        if path.suffix == ".png":
            with path.open("rb") as handle:
                return handle.read(8) == b"\x89PNG\r\n\x1a\n"
        if path.suffix == ".toml":
            tomllib.loads(path.read_text())
        elif path.suffix == ".json":
            json.loads(path.read_text())
        return path.is_file()
    except (OSError, ValueError, zipfile.BadZipFile):
        return False


def is_complete(path: str | Path) -> bool:
    """Whether ``path`` is one whole, finished run directory.

    It is when it is not a staging folder, its ``metrics.json`` reads back and lists the
    run's files (``files``), and every one of them reads back whole.
    """
    path = Path(path)
    if STAGING.match(path.name) or not path.is_dir():
        return False
    try:
        metrics = json.loads((path / "metrics.json").read_text())
    except (OSError, ValueError):
        return False
    files = metrics.get("files") if isinstance(metrics, dict) else None
    if not isinstance(files, list) or "config.toml" not in files:
        return False
    return all(isinstance(name, str) and ".." not in Path(name).parts and _readable_whole(path / name)
               for name in files)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: The folders this process may have made staging folders in, each with the folders it
#: created to hold them, innermost first (see :func:`remove_own_staging`).
_STAGING_PARENTS: dict[Path, list[Path]] = {}


def _stale(entry: Path, kind: str, pid: int) -> bool:
    """Whether staging folder ``entry`` belongs to a process that has ended."""
    try:
        owner = (entry / OWNER_FILE).read_text().strip()
    except OSError:
        owner = None
    if owner is not None:
        return owner == socket.gethostname() and not _alive(pid)
    if kind == "replaced":
        return not _alive(pid)
    try:
        return time.time() - entry.stat().st_mtime > UNOWNED_GRACE
    except OSError:
        return False


def clean_stale(parent: str | Path, own: bool = False) -> list[Path]:
    """Tidy the staging folders in ``parent`` left by runs that were killed.

    A partial folder whose process (on this machine) has ended is removed; an old run
    that was being replaced when its replacing process died is put back under its name
    when nothing took that name, else removed.

    Args:
        parent: the folder to tidy.
        own: tidy this process's own staging folders instead (an interrupted run).

    Returns:
        The staging folders removed or put back.
    """
    parent = Path(parent)
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    tidied = []
    for entry in entries:
        match = STAGING.match(entry.name)
        if match is None or not entry.is_dir():
            continue
        pid = int(match["pid"])
        if (pid != os.getpid()) if own else not _stale(entry, match["kind"], pid):
            continue
        original = parent / match["name"]
        if match["kind"] == "replaced" and not original.exists():
            os.rename(entry, original)
        else:
            shutil.rmtree(entry, ignore_errors=True)
        tidied.append(entry)
    return tidied


def remove_own_staging() -> list[Path]:
    """Remove the staging folders this process made, after an interrupt.

    A signal can arrive at any instruction, also between the creation of a staging
    folder and the code that owns its removal; the folders are therefore found by the
    process id in their names, in every folder this process created one in, and tidied
    as :func:`clean_stale` tidies those of a dead process. The folders made to hold the
    run (``--out a/b/c`` with ``a`` new) are removed when left empty.

    Returns:
        The staging folders removed or put back.
    """
    tidied = []
    for parent, created in _STAGING_PARENTS.items():
        tidied += clean_stale(parent, own=True)
        for folder in created:
            try:
                folder.rmdir()
            except OSError:
                break
    return tidied


def _is_run_folder(entries: Iterable[Path]) -> bool:
    return all(RUN_FILES.match(entry.name) or (entry.name.startswith(".") and ".tmp" in entry.name)
               for entry in entries)


def check_target(target: str | Path, overwrite: bool = False, inputs: Iterable[str | Path] = ()) -> None:
    """Check that a new run can be put at ``target`` once it ends.

    ``target`` may be absent or an empty folder; a folder holding a run (complete or
    not) is replaced only with ``overwrite``, and never when it holds one of ``inputs``
    (the run's own input files); anything else is refused.

    Raises:
        ConfigError: naming ``--out``, the folder and what is allowed.
    """
    target = Path(target)
    shown = str(target)
    if target.exists():
        if not target.is_dir():
            raise ConfigError("--out", "", f"{shown} is a file", "a new folder, or a run directory with --overwrite")
        resolved, here = target.resolve(), Path.cwd().resolve()
        if resolved == here or resolved in here.parents:
            raise ConfigError("--out", "", f"{shown} is the current folder or holds it", "a new folder")
        entries = list(target.iterdir())
        if entries and not _is_run_folder(entries):
            other = next(e.name for e in entries if not _is_run_folder([e]))
            raise ConfigError("--out", "", f"{shown} is not a run directory (it holds {other})",
                              "a new or empty folder, or a run directory with --overwrite")
        if entries and not overwrite:
            raise ConfigError("--out", "", f"{shown} already holds a run",
                              "another folder, or --overwrite to replace it")
        for source in inputs:
            if resolved in Path(source).resolve().parents:
                raise ConfigError("--out", "", f"{shown} holds the run's own input {source}", "another folder")
    check_output(target, "--out", folder=True)


def check_output(path: str | Path, option: str, folder: bool = False) -> Path:
    """Check, before any work, that a command can write ``path``: a file, or with ``folder`` a folder.

    Every path a command writes (``--out`` of every command, a sweep's ``out``) is
    checked here: nothing on the way to it may be a file, a folder may not stand where a
    file is to be written (nor a file where a folder is), and the nearest existing
    folder must be writable. The missing folders are created when the output is written
    (:func:`atomic_path`, :class:`RunDir`).

    Args:
        path: the file or folder to write.
        option: what named it, for the message (``--out``, ``sweep.toml: sweep.out``).
        folder: whether ``path`` is a folder.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ConfigError: naming ``option``, the path in the way and what is allowed.
    """
    path = Path(path)
    absolute = path.absolute()
    if path.exists() and path.is_dir() != folder:
        raise ConfigError(option, "", f"{path} is a {'file' if folder else 'folder'}",
                          "a folder path" if folder else "a file path, e.g. figure.png")
    existing = next(p for p in (absolute, *absolute.parents) if p.exists())
    if existing != absolute and not existing.is_dir():
        raise ConfigError(option, "", f"{existing} is a file", "a path whose folders are folders")
    writable = existing if existing.is_dir() else existing.parent
    if not os.access(writable, os.W_OK | os.X_OK):
        raise ConfigError(option, "", f"cannot write in {writable} (permission denied)", "a folder you can write in")
    return path


def default_run_path(experiment: str, seed: int, root: str | Path = "runs") -> Path:
    """A free path ``root/<experiment>-<YYYYmmdd-HHMMSS>-seed<seed>`` (suffixed ``-2``, ``-3``... if taken)."""
    base = Path(root) / f"{experiment}-{time.strftime('%Y%m%d-%H%M%S')}-seed{seed}"
    return free_path(base) if base.exists() else base


def free_path(path: Path) -> Path:
    """``path`` suffixed ``-2``, ``-3``... to the first name not taken."""
    n = 2
    while path.with_name(f"{path.name}-{n}").exists():
        n += 1
    return path.with_name(f"{path.name}-{n}")


def _one_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())


class RunDir:
    """The folder one run writes into, and the run directory it becomes.

    Created beside its target as a hidden staging folder (after :func:`check_target`
    and :func:`clean_stale`); :meth:`finish` saves the metrics, draws the figures and
    renames it into place; :meth:`discard` removes it when the run fails.

    Args:
        target: the run directory to produce.
        overwrite: replace a run already at ``target`` (once this one is complete).
        inputs: the run's input files, which ``target`` must not hold.

    Attributes:
        target: the run directory's path.
        path: where the run's files are: the staging folder while the run goes on,
            ``target`` once :meth:`finish` has put them in place.
        warnings: problems that did not cost the run its results (figures not drawn), one line each.
    """

    def __init__(self, target: str | Path, overwrite: bool = False, inputs: Iterable[str | Path] = ()):
        self.target = Path(target)
        self.overwrite = overwrite
        self.warnings: list[str] = []
        self._figures: list[tuple[str, Callable[[Path], object]]] = []
        self._write_error: OSError | None = None
        self._created = [p for p in (self.target.parent, *self.target.parent.parents) if not p.exists()]
        check_target(self.target, overwrite, inputs)
        parent = self.target.parent
        _STAGING_PARENTS.setdefault(parent.absolute(), [p.absolute() for p in self._created])
        try:
            parent.mkdir(parents=True, exist_ok=True)
            clean_stale(parent)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.partial-{os.getpid()}-", dir=parent))
            (self.path / OWNER_FILE).write_text(socket.gethostname() + "\n")
            make_readable(self.path)
        except OSError as error:
            raise OutputError(f"cannot create the run directory {self.target}: {error.strerror}") from None

    @property
    def figures(self) -> Path:
        """The folder of the run's figures."""
        return self.path / "figures"

    def figure(self, name: str, draw: Callable[[Path], object]) -> None:
        """Have ``draw(path)`` write figure ``figures/<name>.png`` once the results are saved.

        A figure that cannot be drawn (any exception) becomes a line in ``warnings``.
        """
        self._figures.append((name, draw))

    def warn(self, message: str) -> None:
        """Record a problem that does not invalidate the run (listed in ``metrics.json``)."""
        self.warnings.append(message)

    def write_config(self, config: Mapping) -> Path:
        """Write the resolved configuration, ``config.toml``."""
        try:
            return write_text(self.path / "config.toml", to_toml(config))
        except OSError as error:
            raise OutputError(f"cannot write the run directory {self.target}: {error.strerror}") from None

    def write_arrays(self, name: str, arrays: Mapping[str, np.ndarray]) -> Path:
        """Write ``<name>.npz``; a failure to write is reported by :meth:`finish`, after the metrics exist."""
        try:
            return write_npz(self.path / f"{name}.npz", arrays)
        except OSError as error:
            self._write_error = self._write_error or error
            return self.path / f"{name}.npz"

    def finish(self, metrics: Mapping) -> dict:
        """Save ``metrics``, draw the figures, save the final metrics and put the run in place.

        Returns:
            The metrics as saved: ``metrics`` plus ``warnings`` and ``files`` (the run's
            files, relative to its folder).

        Raises:
            OutputError: a file could not be written; its ``metrics`` hold ``metrics``.
        """
        try:
            if self._write_error is not None:
                raise self._write_error
            self._save_metrics(metrics)
            self._draw_figures()
            final = self._save_metrics(metrics)
            self._put_in_place()
        except OSError as error:
            raise OutputError(f"cannot write the run directory {self.target}: {error.strerror or error}",
                              dict(metrics)) from None
        return final

    def discard(self, keep: bool = False) -> Path | None:
        """Remove the staging folder of a failed run.

        Args:
            keep: keep what the run saved before failing (e.g. a diverged simulation's
                recording) as ``<target>.failed`` when it saved anything besides its config.

        Returns:
            The folder kept, or ``None``.
        """
        if self.path == self.target:
            return None
        saved = [name for name in self._files() if name != "config.toml"]
        if keep and saved:
            failed = self.target.with_name(self.target.name + ".failed")
            if failed.is_dir() and _is_run_folder(failed.iterdir()):
                shutil.rmtree(failed)
            if not failed.exists():
                (self.path / OWNER_FILE).unlink(missing_ok=True)
                os.rename(self.path, failed)
                self.path = failed
                return failed
        shutil.rmtree(self.path, ignore_errors=True)
        for folder in self._created:  # the folders made for this run, innermost first, if still empty
            try:
                folder.rmdir()
            except OSError:
                break
        return None

    def _files(self) -> list[str]:
        return sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*")
                      if p.is_file() and not p.name.startswith(".") and p.name != "metrics.json")

    def _save_metrics(self, metrics: Mapping) -> dict:
        saved = {**metrics, "warnings": list(self.warnings), "files": self._files()}
        write_json(self.path / "metrics.json", saved)
        return saved

    def _draw_figures(self) -> None:
        for name, draw in self._figures:
            try:
                self.figures.mkdir(exist_ok=True)
                draw(self.figures / f"{name}.png")
            except Exception as error:  # noqa: BLE001 - a figure never costs the run its results
                self.warn(f"figure {name} not drawn: {_one_line(error)}")
                pyplot = sys.modules.get("matplotlib.pyplot")
                if pyplot is not None:
                    pyplot.close("all")
        self._figures = []
        if self.figures.is_dir() and not any(self.figures.iterdir()):
            self.figures.rmdir()

    def _put_in_place(self) -> None:
        (self.path / OWNER_FILE).unlink()
        target, replaced = self.target, None
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        elif target.exists() and self.overwrite:
            replaced = Path(tempfile.mkdtemp(prefix=f".{target.name}.replaced-{os.getpid()}-", dir=target.parent))
            os.rename(target, replaced)
        elif target.exists():  # another run finished there first: this one takes a free name beside it
            target = free_path(target)
        os.rename(self.path, target)
        self.path = self.target = target
        if replaced is not None:
            shutil.rmtree(replaced, ignore_errors=True)


def read_metrics(run_dir: str | Path) -> dict:
    """Read ``metrics.json`` of a finished run."""
    return json.loads((Path(run_dir) / "metrics.json").read_text())
