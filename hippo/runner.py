"""The experiment runner: the registry of experiments and presets, config resolution, runs and multi-seed statistics.

An experiment is a package ``hippo.experiments.<name>`` (hyphens in the name become
underscores) that defines

* ``Config`` — a frozen dataclass with at least the fields ``experiment`` and ``seed``;
* ``run(config, run_dir, progress) -> dict`` — runs the study, writes its arrays with
  ``run_dir.write_arrays``, hands each figure to ``run_dir.figure`` (drawn only once the
  results are saved) and returns the metrics. An experiment with a circuit also saves
  its engine's state (:mod:`hippo.io.run_state`) and takes ``start_from`` (a run
  directory) to start from another run's saved state (``hippo run NAME --from RUN_DIR``);
  its ``check_start(config, saved)`` refuses a configuration that contradicts that state.

Its defaults live in ``<name>.toml`` in its package. Any other TOML file there is a
*preset*: it names its ``experiment`` and overrides some defaults (for example
``path_integration/path-integration-no-theta.toml``). A user's own TOML file works the
same way.
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from hippo.config import anchor_paths, apply_overrides, flatten_tables, from_dict, merge_tables, parse_override, read_toml, to_dict
from hippo.errors import ConfigError, DivergenceError
from hippo.io import DISK_ERRORS, OutputError, RunDir, check_target, default_run_path, write_json

#: The folder of the experiment packages, each holding its defaults and presets.
EXPERIMENTS_DIR = Path(__file__).resolve().parent / "experiments"


def _preset_files() -> dict[str, Path]:
    """Preset name → its TOML file, over every experiment package."""
    return {p.stem: p for p in sorted(EXPERIMENTS_DIR.glob("*/*.toml"))}


def list_presets() -> list[str]:
    """Names runnable with ``hippo run NAME``."""
    return sorted(_preset_files())


def preset_path(name: str) -> Path | None:
    """The TOML file of preset ``name`` (an experiment's defaults or a preset), or ``None`` when there is none."""
    return _preset_files().get(name)


def experiment_package(experiment: str) -> Path:
    """The folder of experiment ``experiment``'s package (its module, figures and presets)."""
    return EXPERIMENTS_DIR / experiment.replace("-", "_")


def load_module(experiment: str, source: str) -> ModuleType:
    """Import the module of experiment ``experiment`` (named in file ``source``)."""
    known = sorted({read_toml(p).get("experiment", p.stem) for p in _preset_files().values()})
    if experiment not in known:
        raise ConfigError(source, "experiment", f"unknown experiment {experiment!r}", ", ".join(known))
    return importlib.import_module(f"hippo.experiments.{experiment.replace('-', '_')}")


@dataclass
class Resolved:
    """An experiment ready to run: its module, its validated config and where it came from."""

    module: ModuleType
    config: Any
    source: str


def resolve(name_or_file: str, overrides: list[str] = (), seed: int | None = None) -> Resolved:
    """Build and check the config of a preset name or a TOML file, with overrides and seed.

    Everything a run needs is checked here, before any work: keys, types, ranges and
    finite numbers, then the experiment module's optional ``validate(config)`` hook
    (files it names, values that leave nothing to record or measure, memory), then, for an
    experiment with a circuit (its ``circuit(config)`` hook: the engine's config key, the
    engine kind and the network), the engine's ``supports``. Relative
    paths in a TOML file are read against that file's folder and those given with
    ``--set`` against the current folder; the config holds them absolute, so its
    written ``config.toml`` runs from anywhere.

    Raises:
        ConfigError: naming the file (or ``--set``, ``--seed``), the key and what is allowed.
    """
    path = Path(name_or_file)
    if path.suffix == ".toml" or path.exists():
        source = str(path)
        user = read_toml(path)
        folder = path.absolute().parent
    elif (preset := preset_path(name_or_file)) is not None:
        source = f"{name_or_file} (preset)"
        user = read_toml(preset)
        folder = preset.parent
    else:
        raise ConfigError(str(name_or_file), "", "unknown experiment", ", ".join(list_presets()) + " or a path to a .toml file")
    if "experiment" not in user:
        raise ConfigError(source, "experiment", "missing key", ", ".join(list_presets()))
    experiment = user["experiment"]
    module = load_module(experiment, source)
    defaults = read_toml(experiment_package(experiment) / f"{experiment}.toml")
    data = merge_tables(anchor_paths(module.Config, defaults, experiment_package(experiment)),
                        anchor_paths(module.Config, user, folder))
    config = from_dict(module.Config, data, source)
    data = apply_overrides(module.Config, to_dict(config), list(overrides))
    data = anchor_paths(module.Config, data, Path.cwd())
    if seed is not None:
        data["seed"] = seed
    origin = _origins(source, [parse_override(text)[0] for text in overrides], seed is not None)
    try:
        config = from_dict(module.Config, data, "")
        if config.seed < 0:
            raise ConfigError("", "seed", f"value {config.seed} out of range", ">= 0")
        if hasattr(module, "validate"):
            module.validate(config)
        if hasattr(module, "circuit"):
            _check_engine(*module.circuit(config))
    except ConfigError as error:
        raise (error if error.source else error.located(origin(error.key))) from None
    return Resolved(module, config, source)


def _check_engine(key: str, kind: str, network) -> None:
    """Refuse a network the engine ``kind`` (the value of config key ``key``) cannot run, naming what it lacks."""
    from hippo.circuits.engines import engine_support

    missing = engine_support(kind, network)
    if missing:
        raise ConfigError("", key, f"the {kind} engine cannot run this network: {'; '.join(missing)}",
                          "an engine that runs every layer and rule of the network")


def _origins(source: str, override_keys: list[str], seed_given: bool):
    """Function naming where the value of a dotted key came from: ``--seed``, ``--set`` or the file.

    A problem found in a table (``test``) is blamed on ``--set`` when a key inside it was
    overridden; one found across the whole config, on the file and ``--set`` together.
    """

    def origin(key: str) -> str:
        if key == "seed" and seed_given:
            return "--seed"
        if not key:
            return f"{source} with --set" if override_keys else source
        related = [o for o in override_keys for k in key.split(", ")
                   if o == k or o.startswith(k + ".") or k.startswith((o + ".", o + "["))]
        return "--set" if related else source

    return origin


def _inputs(name_or_file: str) -> list[Path]:
    """The user's input file among ``name_or_file`` (none for a preset name)."""
    path = Path(name_or_file)
    return [path] if path.is_file() else []


def _start_from(name_or_file: str, start_from: str | Path) -> tuple[Path, Path]:
    """The run directory to start from, checked, and the configuration to run: its ``config.toml``.

    With ``--from`` the saved run's configuration holds; the positional name must be its
    experiment (as ``config.toml`` names it) and ``--set`` changes keys of that configuration.
    """
    path = Path(start_from)
    if not (path / "state.npz").is_file():
        raise ConfigError("--from", "", f"{path} holds no state.npz", "the directory of a run of an experiment with a circuit")
    saved = path / "config.toml"
    experiment = read_toml(saved).get("experiment")
    if name_or_file != experiment:
        raise ConfigError("--from", "", f"{path} is a run of {experiment!r}, whose configuration --from restores, "
                          f"not of {name_or_file!r}", f"hippo run {experiment} --from {path}, changing keys with --set")
    return path, saved


def run_experiment(name_or_file: str, overrides: list[str] = (), seed: int | None = None,
                   out: str | Path | None = None, quiet: bool = False, overwrite: bool = False,
                   start_from: str | Path | None = None) -> tuple[RunDir, dict]:
    """Resolve, run and save one experiment.

    The config and the target folder are checked before any work; the run writes into
    a staging folder that becomes ``out`` only when it has ended (see :mod:`hippo.io`).
    A failed or interrupted run leaves nothing, except that a diverged simulation keeps
    what it saved in ``<out>.failed``.

    Args:
        name_or_file: preset name or path to a TOML file.
        overrides: ``key=value`` overrides (``--set``).
        seed: the seed, or ``None`` for the config's.
        out: the run directory (default: ``runs/<experiment>-<time>-seed<N>``).
        quiet: no progress bars.
        overwrite: replace a run already at ``out`` (only once this one is complete).
        start_from: a run directory whose ``state.npz`` the engine starts from (``--from``). Its
            ``config.toml`` is the configuration (``name_or_file`` must name its experiment);
            ``overrides`` and ``seed`` change it, except the settings the saved state depends
            on (the experiment's ``check_start``).

    Returns:
        The run directory, in place, and the metrics as saved in ``metrics.json``; in
        every experiment ``wall_seconds`` is the wall time of the whole run (training,
        test and analyses; not saving it or drawing its figures).

    Raises:
        ConfigError: bad input (before any work).
        OutputError: the results could not be written; its ``metrics`` hold what was computed.
    """
    if start_from is not None:
        start_from, name_or_file = _start_from(name_or_file, start_from)
    resolved = resolve(name_or_file, overrides, seed)
    config = resolved.config
    starts = {} if start_from is None else {"start_from": start_from}
    if starts and "start_from" not in inspect.signature(resolved.module.run).parameters:
        raise ConfigError("--from", "", f"experiment {config.experiment!r} has no circuit to start from",
                          "an experiment that saves state.npz (autoencoding, path-integration)")
    if starts:
        resolved.module.check_start(config, read_toml(name_or_file))
    run_dir = RunDir(out if out else default_run_path(config.experiment, config.seed), overwrite,
                     _inputs(name_or_file))
    try:
        run_dir.write_config(to_dict(config))
        start = time.perf_counter()
        metrics = resolved.module.run(config, run_dir, progress=not quiet, **starts)
        metrics = {"experiment": config.experiment, "seed": config.seed, **metrics}
        metrics["wall_seconds"] = time.perf_counter() - start  # the same in every experiment: the whole run
        return run_dir, run_dir.finish(metrics)
    except OSError as error:
        run_dir.discard()
        if error.errno not in DISK_ERRORS:
            raise
        raise OutputError(f"cannot write the run directory {run_dir.target}: {error.strerror}") from None
    except BaseException as error:
        kept = run_dir.discard(keep=isinstance(error, DivergenceError))
        if kept is not None:
            error.kept = kept
        raise


def flatten_metrics(metrics: dict) -> dict[str, float]:
    """Numeric metrics as a flat mapping with dotted keys (``pi_error_m.1``, ``ring.bump_score``)."""
    return {name: float(value) for name, value in flatten_tables(metrics).items()
            if isinstance(value, (int, float)) and not isinstance(value, bool) and name.rsplit(".", 1)[-1] != "seed"}


def summarise(per_seed: dict[int, dict]) -> dict:
    """Mean, standard error of the mean, number of finite values and per-seed values of every numeric metric.

    Args:
        per_seed: seed → metrics of that seed's run.

    Returns:
        Metric (dotted key) → ``{"mean", "sem", "n", "per_seed"}``; ``mean`` and ``sem``
        are over the ``n`` finite values (NaN when there are none, ``sem`` when ``n < 2``).
    """
    flats = {seed: flatten_metrics(metrics) for seed, metrics in per_seed.items()}
    keys = [k for k in next(iter(flats.values()))]
    summary = {}
    for key in keys:
        values = [flats[seed].get(key, math.nan) for seed in flats]
        finite = [v for v in values if math.isfinite(v)]
        mean = sum(finite) / len(finite) if finite else math.nan
        spread = (sum((v - mean) ** 2 for v in finite) / (len(finite) - 1)) ** 0.5 if len(finite) > 1 else math.nan
        summary[key] = {"mean": mean, "sem": spread / len(finite) ** 0.5 if len(finite) > 1 else math.nan,
                        "n": len(finite), "per_seed": dict(zip([str(seed) for seed in flats], values))}
    return summary


def seed_metrics(name_or_file: str, overrides: list[str], seed: int, out: str, quiet: bool, overwrite: bool) -> dict:
    """:func:`run_experiment` of one seed, returning only its metrics (a task for parallel workers)."""
    return run_experiment(name_or_file, overrides, seed, out, quiet, overwrite)[1]


def run_seeds(name_or_file: str, seeds: list[int], overrides: list[str] = (), out: str | Path | None = None,
              quiet: bool = False, overwrite: bool = False, workers: int | None = None) -> tuple[Path, dict]:
    """Run one experiment for several seeds; writes ``seed<N>/`` run directories and ``summary.json``.

    Every seed, its config and its folder are checked before the first run starts. The
    seeds run in parallel on local worker processes (see :mod:`hippo.sweep.backends`);
    a seed that fails does not stop the others, and its error is raised once they end.

    Args:
        name_or_file: preset name or path to a TOML file.
        seeds: the seeds, each ``>= 0`` and given once.
        overrides: ``key=value`` overrides (``--set``).
        out: the study folder (default: ``runs/<experiment>-<time>-seeds``).
        quiet: no progress: no progress bars, no line per finished seed and no live line
            (see :class:`hippo.progress.RunsProgress`).
        overwrite: replace runs (and a summary) already in the study folder.
        workers: worker processes (default: one per seed, at most one per core); 1 runs
            the seeds one after another in this process.

    Returns:
        The study folder and the summary (see :func:`summarise`).

    Raises:
        ConfigError: a negative or repeated seed, bad input, or a folder that cannot take a run.
    """
    if workers is not None and workers < 1:
        raise ConfigError("--workers", "", f"invalid value {workers}", "an integer >= 1")
    for k, seed in enumerate(seeds):
        if seed < 0:
            raise ConfigError("--seeds", "", f"seed {seed} out of range", "integers >= 0")
        if seed in seeds[:k]:
            raise ConfigError("--seeds", "", f"seed {seed} given twice", "each seed once")
    experiment = {resolve(name_or_file, overrides, seed).config.experiment for seed in seeds}.pop()
    root = Path(out) if out else Path("runs") / f"{experiment}-{time.strftime('%Y%m%d-%H%M%S')}-seeds"
    for seed in seeds:
        check_target(root / f"seed{seed}", overwrite, _inputs(name_or_file))
    if (root / "summary.json").exists() and not overwrite:
        raise ConfigError("--out", "", f"{root} already holds a summary.json", "another folder, or --overwrite")
    from hippo.progress import RunsProgress
    from hippo.sweep.backends import run_tasks

    workers = workers or min(len(seeds), os.cpu_count() or 1)
    tasks = [(name_or_file, list(overrides), seed, str((root / f"seed{seed}").resolve()), quiet or workers > 1,
              overwrite) for seed in seeds]
    finished = {}
    # one after another in this process, each run draws its own progress bar: no live line beside it
    with RunsProgress(len(seeds), enabled=not quiet, live=workers > 1) as progress:
        for task in run_tasks(seed_metrics, tasks, workers, started=progress.started):
            finished[seeds[task.index]] = task
            failed = task.error is not None
            progress.finished(f"seed {seeds[task.index]}", "failed" if failed else "done",
                              None if failed else task.result.get("wall_seconds"), task.running,
                              f"{type(task.error).__name__}: {task.error}" if failed else None)
    errors = [task.error for task in finished.values() if task.error is not None]
    if errors:
        raise errors[0]
    per_seed = {seed: finished[seed].result for seed in seeds}
    summary = summarise(per_seed)
    write_json(root / "summary.json", {"experiment": experiment, "seeds": list(seeds), "metrics": summary})
    return root, summary
