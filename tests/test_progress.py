"""What several runs at once tell their user while they go: a line per finished run and a live line.

``hippo run NAME --seeds ... --workers N`` and ``hippo sweep FILE`` share one reporter
(:class:`hippo.progress.RunsProgress`); ``--quiet`` silences it.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys

from hippo.cli import main
from hippo.progress import RunsProgress

# A Bayesian-mechanics run of 3 simulated seconds (about half a second of work).
SHORT = ["duration=3.0", "switch_time=1.0", "solver.horizon=1.0", "stream.frequency_before=2.0",
         "stream.frequency_after=1.0"]


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_two_seeds_on_two_workers_print_a_line_each_before_the_summary(tmp_path):
    command = [sys.executable, "-m", "hippo", "run", "bayesian-mechanics", "--seeds", "0", "1", "--workers", "2",
               "--out", str(tmp_path / "study")]
    for override in SHORT:
        command += ["--set", override]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                          timeout=300)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    finished = [k for k, line in enumerate(lines) if re.match(r"\[[12]/2\] seed [01]: done in \d+\.\d s \(", line)]
    summary = next(k for k, line in enumerate(lines) if line.split()[:3] == ["metric", "mean", "s.e.m."])
    assert len(finished) == 2 and max(finished) < summary, done.stdout
    assert {lines[k].split()[2] for k in finished} == {"0:", "1:"}
    assert lines[finished[0]].startswith("[1/2]") and lines[finished[1]].startswith("[2/2]")
    assert "done 2, failed 0, running 0" in lines[finished[1]]


def test_quiet_seeds_print_no_progress(tmp_path, capsys):
    command = ["run", "bayesian-mechanics", "--seeds", "0", "1", "--workers", "1", "--quiet", "--out",
               str(tmp_path / "study")]
    for override in SHORT:
        command += ["--set", override]
    assert main(command) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines() == [f"study directory: {tmp_path / 'study'}"]


def test_a_sweep_prints_each_run_as_it_finishes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the sweep folder is relative to the working directory
    path = tmp_path / "sweep.toml"
    path.write_text('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "swept"\n[set]\n'
                    + "\n".join(SHORT).replace("=", " = ") + '\n[grid]\n"model.alpha" = [0.4, 0.5]\n')
    assert main(["sweep", str(path), "--workers", "1", "--no-figures"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert [line[:6] for line in lines] == ["[1/2] ", "[2/2] "]
    assert [line.split()[1].rstrip(":") for line in lines] == sorted(p.name for p in (tmp_path / "swept" / "runs")
                                                                     .iterdir())
    assert all(": done in " in line for line in lines)


def test_each_finished_run_says_which_its_status_wall_time_and_the_count():
    stream = io.StringIO()
    progress = RunsProgress(3, stream=stream)
    progress.started(2)
    progress.finished("seed 4", "done", 12.34, running=2)
    progress.finished("seed 5", "failed", None, running=1, error="DivergenceError: rates not finite at t = 3 s")
    first, second, error = stream.getvalue().splitlines()
    assert first.startswith("[1/3] seed 4: done in 12.3 s (done 1, failed 0, running 2; ")
    assert first.endswith(" s left)")
    assert second.startswith("[2/3] seed 5: failed (done 1, failed 1, running 1; ")
    assert error == "    DivergenceError: rates not finite at t = 3 s"
    assert progress.live_line().startswith("running 1, done 1 of 3, failed 1; ")


def test_the_live_line_is_printed_after_a_quiet_interval_or_rewritten_on_a_terminal():
    log = io.StringIO()
    progress = RunsProgress(2, stream=log, interval=0.0)
    progress.started(2)
    progress.tick()
    assert log.getvalue().startswith("running 2, done 0 of 2, failed 0; ") and log.getvalue().endswith(" elapsed\n")
    waiting = RunsProgress(2, stream=io.StringIO(), interval=3600.0)
    waiting.tick()  # nothing printed yet this hour
    assert waiting.stream.getvalue() == ""

    terminal = Terminal()
    with RunsProgress(2, stream=terminal, refresh=3600.0) as progress:
        progress.started(2)
        progress.tick()
        progress.tick()
        progress.finished("seed 0", "done", 1.0, running=1)
    text = terminal.getvalue()
    assert text.count("\rrunning 2, done 0 of 2") == 2  # the same line, rewritten in place
    assert "\033[K[1/2] seed 0: done in 1.0 s" in text  # the live line is wiped before a run's line
    assert text.endswith(")\n")  # nothing left of the live line once the runs end


def test_quiet_progress_prints_nothing():
    stream = Terminal()
    with RunsProgress(1, enabled=False, stream=stream, interval=0.0) as progress:
        progress.tick()
        progress.finished("seed 0", "done", 1.0, running=0)
    assert stream.getvalue() == "" and progress.done == 1
