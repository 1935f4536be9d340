"""Malformed sweeps, as a new user might write them, through the command line.

The conventions of ``tests/test_probes.py``: each probe exits with code 2 and prints
exactly one line on stderr, ``error: ...``, naming the culprit (the sweep file and key,
or the option), with no traceback, before any run starts (a run fails the test) and
without leaving any file behind. A sweep folder belongs to one sweep; ``experiment``
is what a configuration is, not a setting to override.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hippo.experiments.bayesian_mechanics
import hippo.experiments.transfer
import hippo.sweep.runner
from hippo.cli import main

# A Bayesian-mechanics study of 3 simulated seconds (about half a second a run).
SHORT = ('duration = 3.0\nswitch_time = 1.0\nsolver.horizon = 1.0\n'
         'stream.frequency_before = 2.0\nstream.frequency_after = 1.0\n')


def _sweep(out: str = "sweep-out", fixed: str = "", grid: str = '"model.alpha" = [0.4, 0.5]', extra: str = "") -> str:
    return (f'[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = {json.dumps(out)}\n'
            f"[set]\n{SHORT}{fixed}\n[grid]\n{grid}\n{extra}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# id, files written into the inputs folder {d} (text, or None for a folder), argv, what stderr must name
PROBES = [
    ("out-is-the-current-folder", {"sweep.toml": _sweep(".")}, ["sweep", "{d}/sweep.toml"],
     ["sweep.toml: sweep.out:", "current folder"]),
    ("out-holds-the-current-folder", {"sweep.toml": _sweep("..")}, ["sweep", "{d}/sweep.toml"],
     ["sweep.toml: sweep.out:", "current folder"]),
    ("out-is-a-run-directory", {"run": None, "run/config.toml": 'experiment = "bayesian-mechanics"\n',
                                "run/metrics.json": "{}", "sweep.toml": _sweep("{d}/run")},
     ["sweep", "{d}/sweep.toml"], ["sweep.toml: sweep.out:", "run is not a sweep folder", "config.toml"]),
    ("out-is-a-folder-of-other-files", {"notes": None, "notes/todo.txt": "mine", "sweep.toml": _sweep("{d}/notes")},
     ["sweep", "{d}/sweep.toml"], ["sweep.toml: sweep.out:", "not a sweep folder"]),
    ("out-under-a-file", {"results.txt": "mine", "sweep.toml": _sweep("{d}/results.txt/sweep")},
     ["sweep", "{d}/sweep.toml"], ["sweep.toml: sweep.out:", "results.txt is a file"]),
    ("out-is-a-file", {"results.txt": "mine", "sweep.toml": _sweep("{d}/results.txt")},
     ["sweep", "{d}/sweep.toml"], ["sweep.toml: sweep.out:", "results.txt is a file"]),
    ("dry-run-into-a-run-directory", {"run": None, "run/config.toml": "", "sweep.toml": _sweep("{d}/run")},
     ["sweep", "{d}/sweep.toml", "--dry-run"], ["sweep.toml: sweep.out:", "not a sweep folder"]),
    ("key-in-set-and-grid", {"sweep.toml": _sweep(fixed='"model.alpha" = 0.3')}, ["sweep", "{d}/sweep.toml"],
     ["sweep.toml: grid.model.alpha: also fixed in [set]"]),
    ("table-in-set-key-in-grid", {"sweep.toml": _sweep(fixed="model = { alpha = 0.3 }")},
     ["sweep", "{d}/sweep.toml"], ["sweep.toml: grid.model.alpha: also fixed in [set]"]),
    ("experiment-in-set", {"sweep.toml": _sweep(fixed='experiment = "autoencoding"')}, ["sweep", "{d}/sweep.toml"],
     ["sweep.toml: set.experiment:", "sweep.experiment"]),
    ("experiment-in-grid", {"sweep.toml": _sweep(grid='experiment = ["autoencoding", "path-integration"]')},
     ["sweep", "{d}/sweep.toml"], ["sweep.toml: grid.experiment:", "sweep.experiment"]),
    ("scheduler-not-an-address", {"sweep.toml": _sweep()}, ["sweep", "{d}/sweep.toml", "--scheduler", "tcp://nohost"],
     ["--scheduler:", "tcp://nohost", "tcp://HOST:PORT"]),
    ("scheduler-nobody-listens", {"sweep.toml": _sweep()},
     ["sweep", "{d}/sweep.toml", "--scheduler", "tcp://127.0.0.1:{port}"], ["--scheduler: cannot reach tcp://127.0.0.1:"]),
    ("run-sets-the-experiment", {}, ["run", "bayesian-mechanics", "--set", "experiment=autoencoding"],
     ["--set: experiment:", "not a setting"]),
    ("run-sets-a-nested-experiment", {}, ["run", "transfer", "--set", "network.experiment=autoencoding"],
     ["--set: network.experiment:", "not a setting"]),
]


def _write_inputs(folder: Path, files: dict) -> None:
    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content.replace("{d}", str(folder)))


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def no_work(monkeypatch):
    """A run of the sweep, or the experiment's ``run``, fails the test: probes are refused before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("a run started on malformed input")

    monkeypatch.setattr(hippo.sweep.runner, "execute", refuse)
    monkeypatch.setattr(hippo.experiments.bayesian_mechanics, "run", refuse)
    monkeypatch.setattr(hippo.experiments.transfer, "run", refuse)



@pytest.mark.parametrize("name, files, argv, culprit", PROBES, ids=[probe[0] for probe in PROBES])
def test_probe(name, files, argv, culprit, tmp_path, monkeypatch, capsys, no_work, assert_refused):
    inputs, cwd = tmp_path / "inputs", tmp_path / "cwd" / "here"
    _write_inputs(inputs, files)
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    port = _free_port()
    argv = [arg.replace("{d}", str(inputs)).replace("{port}", str(port)) for arg in argv]
    if argv[0] == "run":
        argv += ["--out", str(cwd / "run")]
    before = _snapshot(tmp_path)
    capsys.readouterr()

    start = time.perf_counter()
    code = main(argv)

    captured = capsys.readouterr()
    assert_refused(code, captured.err, culprit)
    assert time.perf_counter() - start < 15  # refused at once, not after a connection timeout
    assert _snapshot(tmp_path) == before  # nothing written anywhere


def _done_sweep(tmp_path: Path, name: str, out: Path, grid: str = '"model.alpha" = [0.4]') -> Path:
    """A sweep file ``name`` into ``out``, run to the end on one worker."""
    path = tmp_path / name
    path.write_text(_sweep(str(out), grid=grid))
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--no-figures"]) == 0
    return path


def test_a_sweep_folder_belongs_to_its_sweep_alone(tmp_path, capsys, assert_refused):
    """Another sweep file, a changed set of swept keys or a folder inside the sweep's are refused;
    the sweep itself runs again into its own folder."""
    out = tmp_path / "shared"
    first = _done_sweep(tmp_path, "first.toml", out)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    second = tmp_path / "second.toml"
    second.write_text(_sweep(str(out)))
    inside = tmp_path / "inside.toml"
    inside.write_text(_sweep(str(out / "runs" / "more")))
    for path, culprit in ((second, ["second.toml: sweep.out:", "belongs to the sweep", "first.toml"]),
                          (inside, ["inside.toml: sweep.out:", "inside the folder of another sweep"])):
        code = main(["sweep", str(path), "--workers", "1"])
        assert_refused(code, capsys.readouterr().err, culprit)
    first.write_text(_sweep(str(out), grid='"model.gamma" = [0.1]'))
    code = main(["sweep", str(first), "--workers", "1"])
    assert_refused(code, capsys.readouterr().err, ["first.toml: sweep.out:", "swept keys", "model.alpha"])
    assert _snapshot(tmp_path) - before == {"second.toml", "inside.toml"}
    first.write_text(_sweep(str(out), grid='"model.alpha" = [0.4]'))
    assert main(["sweep", str(first), "--workers", "1", "--quiet"]) == 0  # its own folder: nothing to run
    assert "1/1 runs done" in capsys.readouterr().out


def test_batch_jobs_without_the_submit_command_are_refused_at_once(tmp_path, assert_refused):
    """``[cluster]`` on a machine without ``sbatch``: one line, in a fresh process, instead of waiting for jobs."""
    cluster = '[cluster]\nkind = "slurm"\ncores = 1\nmemory = "1GB"\nwalltime = "00:10:00"\n'
    (tmp_path / "sweep.toml").write_text(_sweep(str(tmp_path / "out"), extra=cluster))
    empty = tmp_path / "bin"
    empty.mkdir()
    before = _snapshot(tmp_path)
    done = subprocess.run([sys.executable, "-m", "hippo", "sweep", str(tmp_path / "sweep.toml")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PATH": str(empty)})
    assert_refused(done.returncode, done.stderr, ["sweep.toml: cluster.kind:", "sbatch", "PATH"])
    assert _snapshot(tmp_path) == before


def _sweep_folder_with_runs(sweep_dir: Path, experiment: str = "bayesian-mechanics", key: str = "model.alpha",
                            metric: str = "loss") -> None:
    """A sweep folder of four finished runs (two values of ``key``, two seeds each) and its results table."""
    sweep_dir.mkdir()
    (sweep_dir / "sweep.json").write_text(json.dumps({"experiment": experiment, "swept": [key], "runs": []}))
    table, _, name = key.rpartition(".")
    for k, (seed, value) in enumerate([(0, 0.1), (1, 0.1), (0, 0.2), (1, 0.2)]):
        run_dir = sweep_dir / "runs" / f"r{k}"
        run_dir.mkdir(parents=True)
        header = f"[{table}]\n" if table else ""
        (run_dir / "config.toml").write_text(f'experiment = "{experiment}"\nseed = {seed}\n{header}{name} = {value}\n')
        (run_dir / "metrics.json").write_text(json.dumps({"experiment": experiment, "seed": seed,
                                                          metric: value + 0.01 * seed, "files": ["config.toml"]}))
    assert main(["collect", str(sweep_dir)]) == 0


def test_plot_sweep_refuses_a_text_column_on_the_y_axis(tmp_path, capsys, assert_refused):
    sweep_dir = tmp_path / "sweep"
    _sweep_folder_with_runs(sweep_dir)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = main(["plot-sweep", str(sweep_dir), "--x", "model.alpha", "--y", "engine"])
    assert_refused(code, capsys.readouterr().err, ["--y 'engine'", "text", "loss"])
    assert _snapshot(tmp_path) == before


def test_plot_sweep_names_units_and_error_bars_and_writes_the_format_asked(tmp_path, capsys, monkeypatch, assert_refused):
    sweep_dir = tmp_path / "sweep"
    _sweep_folder_with_runs(sweep_dir, experiment="path-integration", key="dt", metric="pi_error_m")
    import hippo.plotting

    drawn = []
    real_save = hippo.plotting.save

    def save(fig, path):
        ax = fig.axes[0]
        drawn.append((ax.get_xlabel(), ax.get_ylabel(), ax.get_title()))
        return real_save(fig, path)

    monkeypatch.setattr(hippo.plotting, "save", save)
    assert main(["plot-sweep", str(sweep_dir), "--x", "dt", "--y", "pi_error_m", "--out", str(tmp_path / "f.pdf")]) == 0
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    assert drawn == [("dt (s)", "pi_error_m (m)", "mean ± s.e.m. over runs, n = 2 runs per point")]
    assert main(["plot-sweep", str(sweep_dir), "--x", "dt", "--y", "pi_error_m", "--format", "svg"]) == 0
    assert (sweep_dir / "figures" / "pi_error_m_vs_dt.svg").is_file()
    before = _snapshot(tmp_path)
    capsys.readouterr()
    code = main(["plot-sweep", str(sweep_dir), "--x", "dt", "--y", "pi_error_m",
                 "--out", str(sweep_dir / "results.csv" / "f.png")])
    assert_refused(code, capsys.readouterr().err, ["--out:", "results.csv is a file"])
    assert _snapshot(tmp_path) == before
