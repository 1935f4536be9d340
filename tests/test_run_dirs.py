"""Run directories belong to one run: reruns, failures, interrupts, full disks, permissions, seeds."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

import hippo.io
from hippo.cli import main
from hippo.experiments import path_integration, run_experiment, run_seeds
from hippo.io import is_complete, json_text, read_metrics

# A path-integration run of a few wall seconds: 20 s of training, 2 short test trials.
TINY = ["duration=20", "test.n_trials=2", "test.warmup=1", "test.generative=1", "test.decoder_window=10",
        "test.report_times=[1]", "ring.drift_duration=1", "n_mec=10", "senses.n=20"]


def _cli(*args: str) -> list[str]:
    command = ["run", "path-integration", "--quiet", *args]
    for override in TINY:
        command += ["--set", override]
    return command


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def finished(tmp_path):
    """A complete tiny run at ``tmp_path/run`` (seed 0)."""
    run_dir, metrics = run_experiment("path-integration", TINY, seed=0, out=tmp_path / "run", quiet=True)
    return run_dir.path


# ---------------------------------------------------------------- finding 1: reruns
def test_a_rerun_into_a_complete_run_is_refused_and_leaves_it_untouched(finished, capsys):
    before = _snapshot(finished)
    assert main(_cli("--seed", "1", "--out", str(finished))) == 2
    err = _one_line_error(capsys)
    assert str(finished) in err and "--overwrite" in err
    assert _snapshot(finished) == before
    assert _hidden(finished.parent) == []


def test_overwrite_replaces_the_whole_folder_only_when_the_new_run_completes(finished, capsys):
    stale = finished / "figures" / "a_figure_the_new_run_does_not_draw.png"
    stale.write_bytes(b"old")
    assert main(_cli("--seed", "1", "--out", str(finished), "--overwrite")) == 0
    assert read_metrics(finished)["seed"] == 1
    assert not stale.exists()
    assert is_complete(finished)
    assert _hidden(finished.parent) == []


@pytest.mark.parametrize("failure", [RuntimeError("the simulation failed"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_overwrite_keeps_the_old_run_whole(finished, monkeypatch, failure):
    before = _snapshot(finished)

    def failing(config, run_dir, progress=True):
        run_dir.write_arrays("arrays", {"x": [1.0]})
        raise failure

    monkeypatch.setattr(path_integration, "run", failing)
    with pytest.raises(type(failure)):
        run_experiment("path-integration", TINY, seed=1, out=finished, quiet=True, overwrite=True)
    assert _snapshot(finished) == before
    assert _hidden(finished.parent) == []


# ------------------------------------------------------------- finding 11: leftovers
@pytest.mark.parametrize("failure", [RuntimeError("the simulation failed"), KeyboardInterrupt()])
def test_a_failed_run_leaves_no_folder(tmp_path, monkeypatch, failure):
    def failing(config, run_dir, progress=True):
        raise failure

    monkeypatch.setattr(path_integration, "run", failing)
    for out in (tmp_path / "run", tmp_path / "new" / "folders" / "run"):
        with pytest.raises(type(failure)):
            run_experiment("path-integration", TINY, out=out, quiet=True)
        assert list(tmp_path.iterdir()) == []


def test_a_run_that_diverged_keeps_what_it_saved_beside_the_target_never_as_a_run(tmp_path, monkeypatch, capsys):
    from hippo.errors import DivergenceError

    def diverging(config, run_dir, progress=True):
        run_dir.write_arrays("partial", {"x": [1.0]})
        raise DivergenceError("the simulation diverged at t = 3 s")

    monkeypatch.setattr(path_integration, "run", diverging)
    assert main(_cli("--out", str(tmp_path / "run"))) == 2
    err = _one_line_error(capsys)
    kept = tmp_path / "run.failed"
    assert "diverged" in err and str(kept) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.failed"]
    assert (kept / "partial.npz").exists() and not is_complete(kept)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_partial_folders_of_dead_runs_are_cleaned_and_never_look_complete(tmp_path):
    stale = tmp_path / f".run.partial-{_dead_pid()}-abcd"
    live = tmp_path / f".other.partial-{os.getpid()}-efgh"
    for folder in (stale, live):
        folder.mkdir()
        (folder / hippo.io.OWNER_FILE).write_text(socket.gethostname() + "\n")  # as a run writes it
        (folder / "metrics.json").write_text("{}")
        (folder / "config.toml").write_text('experiment = "path-integration"\n')
        assert not is_complete(folder)
    run_experiment("path-integration", TINY, out=tmp_path / "run", quiet=True)
    assert not stale.exists()
    assert live.exists()  # its owner still runs
    assert is_complete(tmp_path / "run")


def test_is_complete_checks_every_file_the_run_wrote(finished, tmp_path):
    assert is_complete(finished)
    assert not is_complete(tmp_path / "absent")
    copy = tmp_path / "copy"
    copy.mkdir()
    for name, data in _snapshot(finished).items():
        (copy / name).parent.mkdir(exist_ok=True)
        (copy / name).write_bytes(data)
    assert is_complete(copy)
    (copy / "weights.npz").write_bytes((copy / "weights.npz").read_bytes()[:100])  # truncated
    assert not is_complete(copy)
    (copy / "weights.npz").unlink()  # listed in metrics.json's files
    assert not is_complete(copy)


# ------------------------------------------------------------ the input file is safe
def test_a_run_never_writes_over_its_own_input(tmp_path, monkeypatch, capsys):
    study = tmp_path / "study.toml"
    text = '# my study, with comments\nexperiment = "path-integration"\ncontrol = "untrained"\n'
    study.write_text(text)
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--overwrite"]):
        assert main(["run", "study.toml", "--out", ".", "--quiet", *extra]) == 2
        assert "--out" in _one_line_error(capsys)
        assert study.read_text() == text
        assert sorted(p.name for p in tmp_path.iterdir()) == ["study.toml"]


def test_overwrite_refuses_a_run_folder_holding_the_input(finished, capsys):
    before = _snapshot(finished)
    assert main(["run", str(finished / "config.toml"), "--out", str(finished), "--overwrite", "--quiet"]) == 2
    assert "config.toml" in _one_line_error(capsys)
    assert _snapshot(finished) == before


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    target = tmp_path / "results.txt"
    target.write_text("mine")
    monkeypatch.setattr(path_integration, "run", lambda *a, **k: pytest.fail("the run started"))
    assert main(_cli("--out", str(target), "--overwrite")) == 2
    assert "--out" in _one_line_error(capsys)
    assert target.read_text() == "mine"


# ---------------------------------------------------- finding 5: results never lost
def test_a_figure_that_cannot_be_drawn_is_a_warning_not_a_lost_run(tmp_path, monkeypatch):
    from hippo.experiments.path_integration import figures as figures_path_integration

    def broken(*args, **kwargs):
        raise ValueError("cannot draw this")

    monkeypatch.setattr(figures_path_integration, "error_curve", broken)
    run_dir, metrics = run_experiment("path-integration", TINY, out=tmp_path / "run", quiet=True)
    assert is_complete(run_dir.path)
    saved = read_metrics(run_dir.path)
    assert saved == json.loads(json_text(metrics))  # as written: NaN (an unmeasured width) is null
    assert len(saved["warnings"]) == 1 and "error" in saved["warnings"][0] and "cannot draw this" in saved["warnings"][0]
    assert saved["pi_error_m"]["1"] is not None
    figures = {p.name for p in (run_dir.path / "figures").iterdir()}
    assert "decoding.png" in figures and "error.png" not in figures


def test_active_exploration_on_a_track_keeps_its_results(tmp_path):
    """A 1-D world gives a single-column trajectory; whatever its figures do, the metrics are saved."""
    run_dir, metrics = run_experiment("active-exploration", ["environments=['ring-1m']", "n_seeds=2", "agent_steps=20",
                                                             "random_walk_steps=100"], out=tmp_path / "run", quiet=True)
    assert is_complete(run_dir.path)
    assert read_metrics(run_dir.path) == json.loads(json_text(metrics))
    assert (run_dir.path / "exploration.npz").exists()


def test_a_full_disk_prints_the_metrics_and_exits_non_zero_with_one_line(tmp_path, monkeypatch, capsys):
    writable = hippo.io.atomic_path

    @contextmanager
    def full_after_the_config(path):
        if Path(path).name != "config.toml":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        with writable(path) as tmp:
            yield tmp

    monkeypatch.setattr(hippo.io, "atomic_path", full_after_the_config)
    code = main(_cli("--out", str(tmp_path / "run")))
    captured = capsys.readouterr()
    assert code != 0
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "No space left on device" in captured.err
    metrics = json.loads(captured.out)
    assert metrics["experiment"] == "path-integration" and metrics["pi_error_m"]["1"] > 0
    assert list(tmp_path.iterdir()) == []


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def test_a_real_full_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_tmpfs(disk, "16k"):  # room for the config, not for the arrays
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        command = [sys.executable, "-m", "hippo", *_cli("--out", str(disk / "run"))]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        assert "No space left on device" in result.stderr
        assert json.loads(result.stdout)["experiment"] == "path-integration"
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


# ------------------------------------------------------- finding 9: readable files
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_result_files_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        run_dir, _ = run_experiment("path-integration", TINY, out=tmp_path / "run", quiet=True)
        summary_root, _ = run_seeds("path-integration", [0], TINY, out=tmp_path / "study", quiet=True)
    finally:
        os.umask(old)
    paths = [run_dir.path, *run_dir.path.rglob("*"), summary_root / "summary.json"]
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert mode == expected, f"{path}: {oct(mode)} != {oct(expected)}"


# ------------------------------------------------------------- finding 7: --seeds
def test_every_seed_is_checked_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(path_integration, "run", lambda *a, **k: pytest.fail("a seed ran"))
    assert main(_cli("--seeds", "0", "-1", "--out", str(tmp_path / "study"))) == 2
    err = _one_line_error(capsys)
    assert "--seeds" in err and "-1" in err
    assert main(_cli("--seeds", "1", "1", "2", "--out", str(tmp_path / "study"))) == 2
    err = _one_line_error(capsys)
    assert "--seeds" in err and "1" in err and "twice" in err
    assert list(tmp_path.iterdir()) == []


def test_seeds_whose_folders_hold_complete_runs_are_refused_before_any_work(tmp_path, monkeypatch, capsys):
    run_experiment("path-integration", TINY, seed=1, out=tmp_path / "study" / "seed1", quiet=True)
    monkeypatch.setattr(path_integration, "run", lambda *a, **k: pytest.fail("a seed ran"))
    assert main(_cli("--seeds", "0", "1", "--out", str(tmp_path / "study"))) == 2
    assert "seed1" in _one_line_error(capsys)
    assert sorted(p.name for p in (tmp_path / "study").iterdir()) == ["seed1"]


def test_the_summary_counts_the_seeds_it_summarises(tmp_path):
    root, summary = run_seeds("path-integration", [0, 2], TINY, out=tmp_path / "study", quiet=True)
    saved = json.loads((root / "summary.json").read_text())
    assert saved["seeds"] == [0, 2]
    assert summary["pi_error_m.1"]["n"] == 2 and saved["metrics"]["pi_error_m.1"]["n"] == 2
    assert set(summary["pi_error_m.1"]["per_seed"]) == {"0", "2"}
