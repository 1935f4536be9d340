"""Command-line interface: ``hippo run | envs | list | show | sweep | collect | plot-sweep``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from importlib.metadata import version
from pathlib import Path

from hippo.errors import HippoError
from hippo.io import OutputError, json_text, remove_own_staging


def _metric_lines(metrics: dict, prefix: str = "") -> list[str]:
    """One line per numeric or text metric (dotted keys); lists and the run's identity are left out."""
    lines = []
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            lines += _metric_lines(value, f"{name}.")
        elif isinstance(value, str) and key != "experiment":
            lines.append(f"  {name:36s} {value}")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and key != "seed":
            lines.append(f"  {name:36s} {value:.4g}")
    return lines


def _cmd_run(args) -> int:
    from hippo.runner import run_experiment, run_seeds

    if args.seeds and args.start_from:
        raise HippoError("hippo run: --from starts one run from a saved one; use --seed, not --seeds")
    if args.seeds:
        root, summary = run_seeds(args.target, args.seeds, args.set or [], args.out, args.quiet, args.overwrite,
                                  args.workers)
        if not args.quiet:
            print(f"  {'metric':36s} {'mean':>10s} {'s.e.m.':>10s}   per seed")
            for key, row in summary.items():
                values = " ".join(f"{v:.4g}" for v in row["per_seed"].values())
                print(f"  {key:36s} {row['mean']:10.4g} {row['sem']:10.3g}   {values}")
        print(f"study directory: {root}")
        return 0
    run_dir, metrics = run_experiment(args.target, args.set or [], args.seed, args.out, args.quiet, args.overwrite,
                                      start_from=args.start_from)
    if not args.quiet:
        print("\n".join(_metric_lines(metrics)))
    for warning in metrics["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"run directory: {run_dir.path}")
    return 0


def _cmd_envs(args) -> int:
    from hippo.world.gridworld import list_environments, load_environment

    if args.action is None:
        for name in list_environments():
            env = load_environment(name)
            size = " x ".join(f"{s:g}" for s in env.size)
            print(f"{name:12s} {env.dim}-D  {size} m  {env.boundary:8s}  {env.description}")
        return 0
    if args.action == "show":
        if not args.name:
            raise HippoError("hippo envs show: give an environment name or a path to a .toml file")
        from hippo.plotting import figure_path, plot_environment

        env = load_environment(args.name)
        out = figure_path(args.out, f"{env.name}.png", "--out", args.format)
        plot_environment(env, out)
        print(out)
        return 0
    raise HippoError(f"hippo envs: unknown action {args.action!r} (allowed: show)")


def _cmd_list(args) -> int:
    from hippo.describe import list_lines

    print("\n".join(list_lines()))
    return 0


def _cmd_show(args) -> int:
    from hippo.describe import show_lines

    print("\n".join(show_lines(args.target)))
    return 0


def _cmd_sweep(args) -> int:
    from hippo.sweep import describe, load_sweep, run_sweep

    spec = load_sweep(args.file)
    if args.dry_run:
        for line in describe(spec):
            print(line)
        return 0
    outcome = run_sweep(spec, args.workers, args.scheduler, args.rerun_failed, not args.no_figures, args.quiet)
    print(f"{outcome.done}/{outcome.planned} runs done, {outcome.failed} failed; results: {outcome.table}")
    return 0 if outcome.succeeded else 1


def _cmd_collect(args) -> int:
    from hippo.sweep import collect, write_table

    table = collect(args.dir)
    parquet, csv = write_table(args.dir, table)
    counts = ", ".join(f"{n} {status}" for status, n in table["status"].value_counts().items())
    print(f"{len(table)} runs ({counts}): {parquet}, {csv}")
    return 0


def _cmd_plot_sweep(args) -> int:
    from hippo.sweep import plot_sweep

    print(plot_sweep(args.dir, args.x, args.y, args.hue, args.out, args.format))
    return 0


def _add_sweep_commands(sub) -> None:
    sweep = sub.add_parser("sweep", help="run a grid of runs in parallel (see docs/guide/sweeps.md)")
    sweep.add_argument("file", help="sweep file (TOML with [sweep], [set], [grid] and optionally [cluster])")
    sweep.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (default: one per core; 1 runs in this process without Dask)")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="use a running Dask scheduler")
    sweep.add_argument("--dry-run", action="store_true", help="list the runs and their status, run nothing")
    sweep.add_argument("--rerun-failed", action="store_true", help="run the failed runs again")
    sweep.add_argument("--no-figures", action="store_true", help="do not draw each run's figures")
    sweep.add_argument("--quiet", action="store_true", help="no progress lines")
    sweep.set_defaults(func=_cmd_sweep)

    collect = sub.add_parser("collect", help="rebuild a sweep's results.parquet and .csv from its run directories")
    collect.add_argument("dir", help="sweep folder")
    collect.set_defaults(func=_cmd_collect)

    plot = sub.add_parser("plot-sweep", help="draw a metric against a swept key, mean ± s.e.m. over runs")
    plot.add_argument("dir", help="sweep folder")
    plot.add_argument("--x", required=True, help="column on the x axis (a swept key)")
    plot.add_argument("--y", required=True, help="metric column")
    plot.add_argument("--hue", help="column with one line per value")
    plot.add_argument("--out", help="figure file, in the format its suffix names: .png, .pdf, .svg, ... "
                                    "(default: DIR/figures/<y>_vs_<x>.png)")
    plot.add_argument("--format", help="figure format (pdf, svg, ...) of the default file or of an --out "
                                       "without a suffix")
    plot.set_defaults(func=_cmd_plot_sweep)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hippo", description="Hippocampal formation as a generative model.")
    parser.add_argument("--version", action="version", version=f"hippo {version('hippo')}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an experiment by preset name or TOML file")
    run.add_argument("target", help="preset name (see `hippo list`) or path to a TOML file")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config key (repeatable)")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="random seed (default: the config's)")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="N",
                       help="run once per seed into <out>/seed<N>/ and summarise (mean, s.e.m.) in <out>/summary.json")
    run.add_argument("--out", help="run directory (default: runs/<experiment>-<time>-seed<N>); "
                                   "it must be new or empty unless --overwrite")
    run.add_argument("--overwrite", action="store_true",
                     help="replace a run already at --out, once the new run is complete")
    run.add_argument("--workers", type=int, metavar="N",
                     help="with --seeds: worker processes (default: one per seed, at most one per core; "
                          "1 runs the seeds one after another)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or metrics listing")
    run.add_argument("--from", dest="start_from", metavar="RUN_DIR",
                     help="start from that run's saved state (state.npz) and configuration (config.toml: TARGET "
                          "must be its experiment, --set changes keys); with --set duration=0 it repeats that run's test")
    run.set_defaults(func=_cmd_run)

    envs = sub.add_parser("envs", help="list environments, or draw one: `hippo envs show NAME`")
    envs.add_argument("action", nargs="?", choices=["show"])
    envs.add_argument("name", nargs="?")
    envs.add_argument("--out", help="figure file, in the format its suffix names: .png, .pdf, .svg, ... "
                                    "(default: NAME.png)")
    envs.add_argument("--format", help="figure format (pdf, svg, ...) of the default file or of an --out "
                                       "without a suffix")
    envs.set_defaults(func=_cmd_envs)

    lst = sub.add_parser("list", help="list the experiments, each with its presets, and what they do")
    lst.set_defaults(func=_cmd_list)

    show = sub.add_parser("show", help="print an experiment's keys: value, unit, allowed values, description")
    show.add_argument("target", help="preset name (see `hippo list`) or path to a TOML file")
    show.set_defaults(func=_cmd_show)
    _add_sweep_commands(sub)
    return parser


def _terminated(signum, frame):
    """SIGTERM: stop as Ctrl-C does; a second SIGTERM is ignored while the run tidies up.

    The signal can land while Python runs a finalizer (an LLVM module freed by the garbage
    collector), where the KeyboardInterrupt raised here would be swallowed and the run would go
    on; :func:`_deliver_swallowed_interruption` then raises it again in the main thread.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.unraisablehook = _deliver_swallowed_interruption
    raise KeyboardInterrupt


#: Seconds after a finalizer swallowed the interruption before it is delivered again.
REDELIVERY_DELAY_S = 0.01


def _deliver_swallowed_interruption(unraisable) -> None:
    """Once interrupted (``sys.unraisablehook``): an interruption a finalizer swallowed is delivered
    again, as a SIGINT to the main thread a moment later (a signal handled now would land in the same
    finalizer), and again if that one is swallowed too; other errors in finalizers are not reported,
    so that ``interrupted`` stays the one line the user reads."""
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        signal.signal(signal.SIGINT, _terminated)
        threading.Timer(REDELIVERY_DELAY_S, signal.pthread_kill,
                        (threading.main_thread().ident, signal.SIGINT)).start()


def _end_interrupted() -> None:
    """End an interrupted process at once, with status 130, running no finalizer.

    An interruption can stop a compilation midway (numba's LLVM modules), and the half-built
    objects it leaves may raise in their finalizers or crash the process (a segmentation fault
    in llvmlite's ``_dispose``) when the interrupted frames are freed or Python exits; so
    nothing is freed: the streams are flushed and the process exits without finalization.
    Everything a run must tidy (its staging folder, worker processes) is done before this.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away, a closed stream: nothing more to say
            pass
    os._exit(130)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv``; returns the exit status.

    0 on success; 2 for bad input (one line on stderr); 1 when the results could not be
    written (the metrics go to stdout as JSON, one line to stderr); when interrupted (Ctrl-C or
    SIGTERM) it removes the unfinished run, says ``interrupted`` and ends the process with
    status 130 (:func:`_end_interrupted`); 141 (as for a process ended
    by SIGPIPE), silently, when the reader of the output went away (``hippo show NAME | head``).
    """
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a reader that went away is found here, not when Python exits
        return status
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 141
    except OutputError as error:
        if error.metrics is not None:
            sys.stdout.write(json_text(error.metrics))
        print(f"error: {error}" + ("; the metrics are printed above" if error.metrics is not None else ""),
              file=sys.stderr)
        return 1
    except HippoError as error:
        kept = getattr(error, "kept", None)
        print(f"error: {error}" + (f" (what was computed before is in {kept})" if kept else ""), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        remove_own_staging()  # also a staging folder made just before the signal, not yet owned by a run
        print("interrupted", file=sys.stderr)
        _end_interrupted()  # the interrupted frames stay alive: no half-built object is finalized
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
