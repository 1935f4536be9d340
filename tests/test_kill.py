"""A run killed (SIGKILL) at any moment never leaves a folder that looks complete and is not."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hippo.io import STAGING, is_complete, read_metrics

# A path-integration run of ten test trials that takes a few wall seconds.
SHORT = ["duration=20", "test.n_trials=10", "test.warmup=1", "test.generative=1", "test.decoder_window=10",
         "test.report_times=[1]", "ring.drift_duration=1", "n_mec=10", "senses.n=20"]
KILLS = 5


def _command(out: Path, seed: int) -> list[str]:
    command = [sys.executable, "-m", "hippo", "run", "path-integration", "--quiet", "--seed", str(seed),
               "--out", str(out), "--overwrite"]
    for override in SHORT:
        command += ["--set", override]
    return command


def _assert_nothing_looks_complete_that_is_not(folder: Path) -> None:
    for entry in folder.iterdir():
        if STAGING.match(entry.name):
            assert not is_complete(entry)
        else:  # a folder under a real name is a whole run
            assert is_complete(entry), sorted(p.name for p in entry.rglob("*"))


def test_sigkill_at_random_moments_never_leaves_a_run_that_looks_complete(tmp_path):
    out = tmp_path / "run"
    started = time.perf_counter()
    subprocess.run(_command(out, 0), check=True, capture_output=True, timeout=120)
    length = time.perf_counter() - started  # start-up, simulation, figures and renaming
    assert is_complete(out)
    moments = np.random.default_rng(20).uniform(0.0, length, size=KILLS)
    for seed, moment in enumerate(moments, start=1):
        process = subprocess.Popen(_command(out, seed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment)
        process.kill()
        process.wait()
        _assert_nothing_looks_complete_that_is_not(tmp_path)
        if out.exists():  # (absent only if killed between moving the old run aside and renaming the new one)
            assert read_metrics(out)["seed"] in range(seed + 1)  # the old run, or this one if it had finished
    result = subprocess.run(_command(out, 99), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert is_complete(out) and read_metrics(out)["seed"] == 99
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # the killed runs' staging folders are gone


def test_sigterm_during_a_run_removes_its_staging_folder(tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen(_command(out, 0), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(STAGING.match(p.name) for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.terminate()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and err == "interrupted\n"
    assert list(tmp_path.iterdir()) == []


# A signal lands at the next instruction after the one named: right after the staging
# folder exists (inside RunDir's constructor), or right after the constructor returns,
# before the run's code that removes the folder on failure has started.
SIGNAL_MOMENTS = {
    "after-mkdtemp": "import tempfile\n"
                     "made = tempfile.mkdtemp\n"
                     "def mkdtemp(*args, **kwargs):\n"
                     "    path = made(*args, **kwargs)\n"
                     "    if '.partial-' in path: os.kill(os.getpid(), signal.SIGTERM)\n"
                     "    return path\n"
                     "hippo.io.tempfile.mkdtemp = mkdtemp\n",
    "after-constructor": "init = hippo.io.RunDir.__init__\n"
                         "def constructed(self, *args, **kwargs):\n"
                         "    init(self, *args, **kwargs)\n"
                         "    os.kill(os.getpid(), signal.SIGTERM)\n"
                         "hippo.io.RunDir.__init__ = constructed\n",
}


@pytest.mark.parametrize("moment", sorted(SIGNAL_MOMENTS))
def test_sigterm_in_the_moment_a_staging_folder_is_made_leaves_nothing(tmp_path, moment):
    out = tmp_path / "new" / "run"
    script = ("import os, signal, sys\nimport hippo.io\n" + SIGNAL_MOMENTS[moment]
              + "from hippo.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    result = subprocess.run([sys.executable, "-c", script, *_command(out, 0)[3:]], capture_output=True, text=True,
                            timeout=120)
    assert (result.returncode, result.stderr) == (130, "interrupted\n")
    assert list(tmp_path.iterdir()) == []  # the staging folder and the folder made to hold the run


# Objects an interruption can leave half-built (a numba compilation stopped midway): finalizers that
# raise or crash the process (llvmlite's ``_dispose`` on a half-built module ends in a segmentation
# fault), held where the interruption's frames free them or where only Python's exit would.
HALF_BUILT = {
    "raises-at-exit": "sys.modules['__main__'].kept = HalfBuilt()",
    "crashes-when-the-frames-are-freed": "half_built = HalfBuilt()",
}


@pytest.mark.parametrize("where", sorted(HALF_BUILT))
def test_an_interrupted_run_says_only_interrupted_whatever_its_half_built_objects_do(where):
    """The user reads the one line ``interrupted`` and the status 130, whether an object the interruption
    left half-built raises in its finalizer or crashes the process there."""
    crash = "raise AttributeError('_ptr')" if where == "raises-at-exit" else "ctypes.string_at(0)"
    script = textwrap.dedent(f"""
        import ctypes
        import sys
        import hippo.cli

        class HalfBuilt:
            def __del__(self):
                {crash}

        def interrupted_command(args):
            {HALF_BUILT[where]}
            raise KeyboardInterrupt

        hippo.cli._cmd_show = interrupted_command
        sys.exit(hippo.cli.main(["show", "path-integration"]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 130 and result.stderr == "interrupted\n", (result.returncode, result.stderr)


def test_a_sigterm_that_lands_in_a_finalizer_still_interrupts_the_run():
    """Python swallows an exception raised in a finalizer; a SIGTERM handled while one runs (the garbage
    collector freeing an LLVM module) must still stop the run, not let it go on to finish."""
    script = textwrap.dedent("""
        import os
        import signal
        import sys
        import time
        import hippo.cli

        class Freed:
            def __del__(self):
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(100_000):  # the handler runs here, inside the finalizer
                    pass

        def command(args):
            Freed()
            time.sleep(5)  # the rest of the run
            print("finished")
            return 0

        hippo.cli._cmd_show = command
        sys.exit(hippo.cli.main(["show", "path-integration"]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (130, "", "interrupted\n")
