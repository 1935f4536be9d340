"""Malformed input, as a new user might give it, through the command line.

Each probe must exit with code 2 and print exactly one line on stderr, ``error: ...``,
naming the culprit (file or ``--set``/``--seed``/``--out``, and the key), with no
traceback, before any work: the experiments' ``run`` is replaced by a function that
fails the test, and no run directory (nor any other file) may be left behind.
"""

import subprocess
import sys
from pathlib import Path

import pytest

import hippo.experiments.active_exploration
import hippo.experiments.autoencoding
import hippo.experiments.bayesian_mechanics
import hippo.experiments.path_integration
from hippo.cli import main

EXPERIMENT_MODULES = (hippo.experiments.active_exploration, hippo.experiments.autoencoding,
                      hippo.experiments.bayesian_mechanics, hippo.experiments.path_integration)


def _env(map_text: str = "..........", cell_size: str = "0.1", boundary: str = '"periodic"') -> str:
    return f'cell_size = {cell_size}\nboundary = {boundary}\nmap = """\n{map_text}\n"""\n'


def _study(body: str, experiment: str = "path-integration") -> str:
    return f'experiment = "{experiment}"\n{body}\n'


# id, files written into the inputs folder {d} (text, bytes, or None for a folder), argv, what stderr must name
PROBES = [
    # ---------------------------------------------------------------- keys
    ("set-unknown-key", {}, ["run", "autoencoding", "--set", "durtion=60"], ["--set: durtion: unknown key", "duration"]),
    ("set-unknown-nested-key", {}, ["run", "autoencoding", "--set", "senses.timescal=2"],
     ["--set: senses.timescal: unknown key", "timescale"]),
    ("set-without-value", {}, ["run", "autoencoding", "--set", "duration"], ["--set: duration: expected key=value"]),
    ("set-into-a-number", {}, ["run", "autoencoding", "--set", "n_mec.x=1"], ["--set: n_mec: is not a table"]),
    ("file-unknown-key", {"study.toml": _study("colour = 1")}, ["run", "{d}/study.toml"],
     ["study.toml: colour: unknown key"]),
    ("file-unknown-nested-key", {"study.toml": _study("[hpc]\nfoo = 1")}, ["run", "{d}/study.toml"],
     ["study.toml: hpc.foo: unknown key"]),
    ("file-without-experiment", {"study.toml": "duration = 5\n"}, ["run", "{d}/study.toml"],
     ["study.toml: experiment: missing key"]),
    ("file-unknown-experiment", {"study.toml": _study("", "teleportation")}, ["run", "{d}/study.toml"],
     ["study.toml: experiment: unknown experiment 'teleportation'"]),
    ("unknown-preset", {}, ["run", "no-such-preset"], ["no-such-preset: unknown experiment"]),
    # -------------------------------------------------------------- values
    ("duration-nan", {}, ["run", "autoencoding", "--set", "duration=nan"], ["--set: duration: invalid value nan"]),
    ("duration-inf", {}, ["run", "path-integration", "--set", "duration=inf"], ["--set: duration: invalid value inf"]),
    ("dt-minus-inf", {}, ["run", "path-integration", "--set", "dt=-inf"], ["--set: dt: invalid value -inf"]),
    ("file-duration-nan", {"study.toml": _study("duration = nan")}, ["run", "{d}/study.toml"],
     ["study.toml: duration: invalid value nan"]),
    ("nested-nan", {}, ["run", "path-integration", "--set", "hpc.basal_noise.scale=nan"],
     ["--set: hpc.basal_noise.scale: invalid value nan"]),
    ("list-item-nan", {}, ["run", "path-integration", "--set", "test.report_times=[1, nan]"],
     ["--set: test.report_times[1]: invalid value nan"]),
    ("negative-dt", {}, ["run", "autoencoding", "--set", "dt=-1"], ["--set: dt: value -1.0 out of range"]),
    ("fractional-count", {}, ["run", "autoencoding", "--set", "n_mec=2.5"], ["--set: n_mec: expected an integer"]),
    ("word-for-number", {}, ["run", "autoencoding", "--set", "duration=abc"], ["--set: duration: expected a number"]),
    ("unknown-choice", {}, ["run", "autoencoding", "--set", "theta.shape=triangle"],
     ["--set: theta.shape: invalid value 'triangle'"]),
    ("fraction-above-one", {}, ["run", "autoencoding", "--set", "theta.wake_fraction=1.5"],
     ["--set: theta.wake_fraction: value 1.5 out of range"]),
    ("number-for-table", {}, ["run", "path-integration", "--set", "schedule=5"], ["--set: schedule: expected a table"]),
    ("too-short-to-record", {}, ["run", "path-integration", "--set", "duration=0.01"],
     ["--set: duration, record_every:", "record"]),
    ("records-too-rare", {}, ["run", "autoencoding", "--set", "record_every=100000"],
     ["--set: duration, record_every:", "record"]),
    ("too-many-cells", {}, ["run", "path-integration", "--set", "n_mec=10000000"], ["--set: n_mec:", "GiB"]),
    ("too-fine-a-step", {}, ["run", "autoencoding", "--set", "dt=1e-9"], ["--set: ", "dt:", "GiB"]),
    ("report-time-never-measured", {}, ["run", "path-integration", "--set", "test.report_times=[1000]"],
     ["--set: test.report_times, test.generative: 1000 s"]),
    ("decoder-window-beyond-training", {}, ["run", "path-integration", "--set", "duration=300"],
     ["--set: test.decoder_window, duration:"]),
    ("spiking-step-not-dividing", {}, ["run", "autoencoding-spiking", "--set", "spiking.dt=0.003"],
     ["--set: spiking.dt:", "does not divide"]),
    ("spiking-tau-too-short", {}, ["run", "path-integration-spiking", "--set", "spiking.tau_syn=0.001"],
     ["--set: spiking.tau_syn:"]),
    ("start-off-the-track", {}, ["run", "path-integration", "--set", "motion.start=[5.0]"],
     ["--set: motion.start:", "not a free position"]),
    ("start-with-two-coordinates-on-a-track", {}, ["run", "path-integration", "--set", "motion.start=[0.5, 0.5]"],
     ["--set: motion.start:"]),
    ("switch-after-the-end", {}, ["run", "bayesian-mechanics", "--set", "switch_time=100"],
     ["bayesian-mechanics (preset) with --set:", "switch_time"]),
    # --------------------------------------------------------------- files
    ("target-is-a-folder", {"dir.toml": None}, ["run", "{d}/dir.toml"], ["dir.toml: is a folder"]),
    ("target-missing", {}, ["run", "{d}/absent.toml"], ["absent.toml: file not found"]),
    ("target-not-utf8", {"latin.toml": 'experiment = "autoencoding"\n# caf\xe9\n'.encode("latin-1")},
     ["run", "{d}/latin.toml"], ["latin.toml: not UTF-8", "line 2"]),
    ("target-bad-toml", {"broken.toml": "a = 1\nb = = 2\n"}, ["run", "{d}/broken.toml"],
     ["broken.toml: invalid TOML", "line 2"]),
    ("target-empty", {"empty.toml": ""}, ["run", "{d}/empty.toml"], ["empty.toml: experiment: missing key"]),
    ("byte-order-mark-then-bad-key", {"bom.toml": b"\xef\xbb\xbf" + _study("durtion = 1").encode()},
     ["run", "{d}/bom.toml"], ["bom.toml: durtion: unknown key"]),
    # ---------------------------------------------------------------- maps
    ("map-cell-size-nan", {"env.toml": _env(cell_size="nan"), "study.toml": _study('environment = "env.toml"')},
     ["run", "{d}/study.toml"], ["env.toml: cell_size: invalid value nan"]),
    ("map-cell-size-inf", {"env.toml": _env(cell_size="inf"), "study.toml": _study('environment = "env.toml"')},
     ["run", "{d}/study.toml"], ["env.toml: cell_size: invalid value inf"]),
    ("map-not-utf8", {"env.toml": _env().encode() + "# \xe9\n".encode("latin-1"),
                      "study.toml": _study('environment = "env.toml"')},
     ["run", "{d}/study.toml"], ["env.toml: not UTF-8"]),
    ("map-ragged", {"env.toml": _env("....\n..."), "study.toml": _study('environment = "env.toml"')},
     ["run", "{d}/study.toml"], ["env.toml: map, line", "ragged row"]),
    ("map-unknown-character", {"env.toml": _env("..*.."), "study.toml": _study('environment = "env.toml"')},
     ["run", "{d}/study.toml"], ["env.toml: map, line", "unknown character '*'"]),
    ("map-without-boundary", {"env.toml": 'cell_size = 0.1\nmap = "..."\n', "study.toml": _study('environment = "env.toml"')},
     ["run", "{d}/study.toml"], ["env.toml: boundary: missing key"]),
    ("map-all-walls", {"env.toml": _env("#####"), "study.toml": _study('environment = "env.toml"')},
     ["run", "{d}/study.toml"], ["env.toml: map: no free cell"]),
    ("map-is-a-folder", {"envdir.toml": None, "study.toml": _study('environment = "envdir.toml"')},
     ["run", "{d}/study.toml"], ["envdir.toml: is a folder"]),
    ("unknown-environment", {"study.toml": _study('environment = "no-such-world"')}, ["run", "{d}/study.toml"],
     ["study.toml: environment: unknown environment 'no-such-world'"]),
    ("environment-file-missing", {"study.toml": _study('environment = "missing.toml"')}, ["run", "{d}/study.toml"],
     ["study.toml: environment: no file", "missing.toml"]),
    ("environment-set-missing", {}, ["run", "path-integration", "--set", "environment=nowhere/env.toml"],
     ["--set: environment: no file", "env.toml"]),
    ("exploration-environment-missing", {"study.toml": _study('environments = ["two-rooms", "gone.toml"]',
                                                              "active-exploration")},
     ["run", "{d}/study.toml"], ["study.toml: environments[1]: no file", "gone.toml"]),
    ("start-in-a-wall", {"env.toml": _env("..#..", boundary='"solid"'),
                         "study.toml": _study('environment = "env.toml"\n[motion]\nstart = [0.25]')},
     ["run", "{d}/study.toml"], ["study.toml: motion.start:", "not a free position"]),
    # --------------------------------------------------------------- paths
    ("out-is-a-file", {"results.txt": "mine"}, ["run", "autoencoding", "--out", "{d}/results.txt"],
     ["--out:", "results.txt is a file"]),
    ("out-inside-a-file", {"results.txt": "mine"}, ["run", "autoencoding", "--out", "{d}/results.txt/run"],
     ["--out:", "results.txt is a file"]),
    ("out-not-writable", {}, ["run", "autoencoding", "--out", "/proc/self/hippo-run"], ["--out:", "/proc/self"]),
    # --------------------------------------------------------------- seeds
    ("negative-seed", {}, ["run", "autoencoding", "--seed", "-1"], ["--seed: seed: value -1 out of range"]),
    ("set-negative-seed", {}, ["run", "autoencoding", "--set", "seed=-2"], ["--set: seed: value -2 out of range"]),
    ("file-negative-seed", {"study.toml": _study("seed = -3", "autoencoding")}, ["run", "{d}/study.toml"],
     ["study.toml: seed: value -3 out of range"]),
    ("fractional-seed", {}, ["run", "autoencoding", "--set", "seed=1.5"], ["--set: seed: expected an integer"]),
    ("negative-seed-among-seeds", {}, ["run", "autoencoding", "--seeds", "0", "-1"], ["--seed", "-1"]),
]


def test_there_are_at_least_forty_probes():
    assert len(PROBES) >= 40
    assert len({probe[0] for probe in PROBES}) == len(PROBES)


def _write_inputs(folder: Path, files: dict) -> None:
    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def no_work(monkeypatch):
    """Every experiment's ``run`` fails the test: probes must be refused before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("the experiment started working on malformed input")

    for module in EXPERIMENT_MODULES:
        monkeypatch.setattr(module, "run", refuse)


@pytest.mark.parametrize("name, files, argv, culprit", PROBES, ids=[probe[0] for probe in PROBES])
def test_probe(name, files, argv, culprit, tmp_path, monkeypatch, capsys, no_work):
    inputs, out_parent, cwd = tmp_path / "inputs", tmp_path / "out", tmp_path / "cwd"
    _write_inputs(inputs, files)
    out_parent.mkdir()
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    argv = [arg.replace("{d}", str(inputs)) for arg in argv]
    if "--out" not in argv:
        argv += ["--out", str(out_parent / "run")]
    before = _snapshot(inputs)
    capsys.readouterr()

    code = main(argv)

    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    for part in culprit:
        assert part in lines[0], (part, lines[0])
    assert list(out_parent.iterdir()) == [] and list(cwd.iterdir()) == []  # no run directory anywhere
    assert _snapshot(inputs) == before


@pytest.mark.parametrize("name", ["duration-nan", "map-cell-size-nan", "out-is-a-file"])
def test_probe_in_a_fresh_process(name, tmp_path):
    """The same through ``python -m hippo``: exit status 2, one line, no traceback, nothing written."""
    _, files, argv, culprit = next(probe for probe in PROBES if probe[0] == name)
    inputs, out_parent = tmp_path / "inputs", tmp_path / "out"
    _write_inputs(inputs, files)
    out_parent.mkdir()
    argv = [arg.replace("{d}", str(inputs)) for arg in argv]
    if "--out" not in argv:
        argv += ["--out", str(out_parent / "run")]
    before = _snapshot(inputs)
    done = subprocess.run([sys.executable, "-m", "hippo", *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert all(part in done.stderr for part in culprit)
    assert list(out_parent.iterdir()) == [] and _snapshot(inputs) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "out"]
