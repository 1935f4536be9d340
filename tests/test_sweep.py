"""Parameter sweeps: grid files, resume, faults on local Dask workers, results table, plots.

The runs are a Bayesian-mechanics study shortened to 3 simulated seconds (about half a
second each); a stimulus noise of 1e300 makes the least-action solver fail at once,
which gives a run that raises.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from hippo.cli import main
from hippo.errors import ConfigError
from hippo.io import is_complete
from hippo.sweep import collect, load_sweep, plan, run_sweep
from hippo.sweep.backends import WORKER_ENV, WorkerSetup, batch_cluster
from hippo.sweep.plot import summary
from hippo.sweep.spec import MAX_ID_LENGTH, make_run_id

SHORT = {"duration": 3.0, "switch_time": 1.0, "stream.frequency_before": 2.0, "stream.frequency_after": 1.0,
         "solver.horizon": 1.0}


def sweep_file(tmp_path: Path, grid: dict, seeds=(0, 1, 2), fixed: dict | None = None, extra: str = "",
               name: str = "sweep") -> Path:
    """Write a sweep file over the short Bayesian-mechanics study; its sweep folder is ``tmp_path/name``."""
    fixed = {**SHORT, **(fixed or {})}
    lines = ["[sweep]", 'experiment = "bayesian-mechanics"', f"seeds = {list(seeds)}",
             f"out = {json.dumps(str(tmp_path / name))}", "[set]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in fixed.items()]
    lines += ["[grid]"] + [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in grid.items()]
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


GRID = {"model.alpha": [0.4, 0.5], "model.gamma": [0.1, 0.2]}


# ---------------------------------------------------------------- grid files


def test_plan_is_the_cartesian_product_times_seeds_with_distinct_ids(tmp_path):
    runs = plan(load_sweep(sweep_file(tmp_path, GRID)))
    assert len(runs) == 2 * 2 * 3
    assert len({run.run_id for run in runs}) == 12
    assert {(run.swept["model.alpha"], run.swept["model.gamma"], run.seed) for run in runs} == {
        (a, g, s) for a in (0.4, 0.5) for g in (0.1, 0.2) for s in (0, 1, 2)}
    first = runs[0]
    assert first.run_id.startswith("bayesian-mechanics_model.alpha=0.4_model.gamma=0.1_seed0_")
    assert "model.alpha=0.4" in first.overrides and "duration=3.0" in first.overrides


def test_a_run_id_too_long_for_a_file_name_is_shortened_and_stays_unique():
    swept = {f"projections.some_long_projection_name_{k}.plasticity.eta": 0.001 * k for k in range(8)}
    ids = {make_run_id("path-integration", swept, seed, f"{seed:08x}") for seed in range(3)}
    assert len(ids) == 3 and all(len(i) <= MAX_ID_LENGTH for i in ids)
    assert make_run_id("x", {"a.b": 0.5}, 2, "abcd1234") == "x_a.b=0.5_seed2_abcd1234"


def test_run_id_changes_with_any_fixed_key(tmp_path):
    one = plan(load_sweep(sweep_file(tmp_path, GRID, name="a")))
    other = plan(load_sweep(sweep_file(tmp_path, GRID, fixed={"model.kappa": 2.0}, name="b")))
    assert {r.digest for r in one}.isdisjoint({r.digest for r in other})


@pytest.mark.parametrize("grid, key, allowed", [
    ({"model.alhpa": [0.4]}, "model.alhpa", "alpha"),
    ({"modle.alpha": [0.4]}, "modle", "model"),
])
def test_an_unknown_key_is_refused_before_anything_runs_and_lists_the_valid_ones(tmp_path, grid, key, allowed):
    spec = load_sweep(sweep_file(tmp_path, grid))
    with pytest.raises(ConfigError) as error:
        run_sweep(spec, workers=1, quiet=True)
    assert error.value.key == key and allowed in error.value.allowed
    assert "sweep.toml" in str(error.value)
    assert not (tmp_path / "sweep").exists()


def test_an_invalid_value_at_one_grid_point_names_the_point(tmp_path):
    spec = load_sweep(sweep_file(tmp_path, {"model.alpha": [0.4, "high"]}))
    with pytest.raises(ConfigError, match="model.alpha='high'"):
        plan(spec)


@pytest.mark.parametrize("text, key", [
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\n', "sweep.out"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0, 0]\nout = "x"\n', "sweep.seeds"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [-1]\nout = "x"\n', "sweep.seeds"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "x"\nworkers = 2\n', "sweep.workers"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "x"\n[grid]\nduration = 3\n', "grid.duration"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "x"\n[set]\nseed = 3\n', "set.seed"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "x"\n[cluster]\nkind = "lsf"\ncores = 1\n'
     'memory = "1GB"\nwalltime = "01:00:00"\n', "cluster.kind"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "x"\n[cluster]\nkind = "slurm"\ncores = 1\n'
     'memory = "1GB"\nwalltime = "1h"\n', "cluster.walltime"),
    ('[sweeps]\n', "sweeps"),
    ('[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "x"\n[grid]\n"model.alpha" = [0.1, 0.1]\n',
     "grid.model.alpha"),
    ('set = 3\n[sweep]\nexperiment = "bayesian-mechanics"\nseeds = [0]\nout = "x"\n', "set"),
])
def test_a_malformed_sweep_file_names_the_key(tmp_path, text, key):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_sweep(path)
    assert error.value.key == key and error.value.source == str(path)


def test_dry_run_lists_every_run_and_runs_nothing(tmp_path, capsys):
    path = sweep_file(tmp_path, GRID)
    assert main(["sweep", str(path), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 12 and all(line.startswith("pending") for line in lines)
    assert not (tmp_path / "sweep").exists()


# ---------------------------------------------------------------- running


def test_a_sweep_on_two_workers_finishes_every_run_and_a_second_invocation_runs_nothing(tmp_path, capsys):
    path = sweep_file(tmp_path, GRID)
    environ = dict(os.environ)
    assert main(["sweep", str(path), "--workers", "2", "--no-figures"]) == 0
    assert {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")} == {
        k: environ.get(k) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS")}  # workers' settings stay theirs
    sweep_dir = tmp_path / "sweep"
    runs = sorted(p for p in (sweep_dir / "runs").iterdir())
    assert len(runs) == 12 and all((p / "metrics.json").is_file() for p in runs)
    assert not list(sweep_dir.glob("runs/*/figures/*.png"))
    table = pd.read_parquet(sweep_dir / "results.parquet")
    assert len(table) == 12 and set(table["status"]) == {"done"}
    assert {"run_id", "seed", "model.alpha", "model.gamma", "run_wall_seconds", "version", "attractor_distance"} \
        <= set(table.columns)
    assert sorted(table["seed"]) == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert len(pd.read_csv(sweep_dir / "results.csv")) == 12
    workers = {json.loads(p.read_text())["worker"] for p in (sweep_dir / "records").glob("*.json")}
    assert len(workers) >= 2
    stamps = {p.name: (p / "metrics.json").stat().st_mtime_ns for p in runs}
    capsys.readouterr()

    assert main(["sweep", str(path), "--workers", "2", "--no-figures"]) == 0
    assert "0 to run" in capsys.readouterr().err
    assert {p.name: (p / "metrics.json").stat().st_mtime_ns for p in runs} == stamps


def test_rate_engine_runs_compile_and_run_on_workers_limited_to_one_numba_thread(tmp_path):
    path = tmp_path / "pi.toml"
    path.write_text(f"""[sweep]
experiment = "path-integration"
seeds = [0, 1]
out = {json.dumps(str(tmp_path / "pi"))}
[set]
duration = 20
"test.n_trials" = 1
"test.warmup" = 1
"test.generative" = 1
"test.decoder_window" = 10
"test.report_times" = [1]
"ring.drift_duration" = 1
n_mec = 10
"senses.n" = 20
""")
    outcome = run_sweep(load_sweep(path), workers=2, figures=False, quiet=True)
    table = collect(outcome.sweep_dir)
    assert outcome.succeeded, table["error"].tolist()
    assert set(table["engine"]) == {"rate"} and table["ring.bump_score"].notna().all()


def test_a_run_that_raises_gives_a_failed_row_the_others_complete_and_the_exit_status_says_so(tmp_path, capsys):
    path = sweep_file(tmp_path, {"stream.noise_std": [0.05, 1e300]}, seeds=(0, 1))
    assert main(["sweep", str(path), "--workers", "2", "--no-figures", "--quiet"]) == 1
    table = collect(tmp_path / "sweep")
    failed = table[table["status"] == "failed"]
    assert len(table) == 4 and len(failed) == 2
    assert (failed["stream.noise_std"] == 1e300).all()
    assert failed["error"].str.contains("LeastActionError").all()
    record = json.loads(next((tmp_path / "sweep" / "records").glob(f"{failed['run_id'].iloc[0]}.json")).read_text())
    assert "Traceback" in record["traceback"]

    capsys.readouterr()
    assert main(["sweep", str(path), "--workers", "1", "--no-figures"]) == 1
    assert "0 to run" in capsys.readouterr().err
    assert main(["sweep", str(path), "--workers", "1", "--no-figures", "--rerun-failed"]) == 1
    assert "2 to run" in capsys.readouterr().err


def test_a_half_written_run_directory_is_redone_on_the_next_invocation(tmp_path):
    spec = load_sweep(sweep_file(tmp_path, {"model.alpha": [0.4, 0.5]}, seeds=(0,)))
    first = run_sweep(spec, workers=1, figures=False, quiet=True)
    assert first.succeeded and first.ran == 2
    broken, other = sorted((first.sweep_dir / "runs").iterdir())
    (broken / "metrics.json").unlink()
    (broken / "arrays.npz").write_bytes(b"half")
    staging = other.with_name(f".{other.name}.partial-999999-x")  # what a killed run leaves beside its target
    shutil.move(other, staging)
    (staging / "metrics.json").unlink()
    table = collect(first.sweep_dir).set_index("run_id")
    assert len(table) == 2 and set(table["status"]) == {"pending"}
    second = run_sweep(spec, workers=1, figures=False, quiet=True)
    assert second.ran == 2 and second.succeeded
    assert is_complete(broken) and is_complete(other) and not (broken / "arrays.npz").exists()


def _command_line(process: psutil.Process) -> str:
    """The process's command line, or "" for one that ended (or became a zombie) while it was read."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _worker_processes() -> list[psutil.Process]:
    """Dask worker processes started by this process (multiprocessing children, not its resource tracker)."""
    return [p for p in psutil.Process().children(recursive=True)
            if "spawn_main" in _command_line(p) and "resource_tracker" not in _command_line(p)]


def test_a_worker_killed_mid_sweep_does_not_lose_any_run(tmp_path):
    spec = load_sweep(sweep_file(tmp_path, {"model.alpha": [0.3, 0.4, 0.5, 0.6]}, seeds=(0, 1)))
    outcome = {}
    sweeping = threading.Thread(target=lambda: outcome.update(result=run_sweep(spec, workers=2, figures=False,
                                                                                 quiet=True)))
    sweeping.start()
    killed = None
    deadline = time.monotonic() + 120
    while sweeping.is_alive() and killed is None and time.monotonic() < deadline:
        workers = {p.pid for p in _worker_processes()}
        running = {int(p.name.split(".partial-")[1].split("-")[0])
                   for p in (tmp_path / "sweep" / "runs").glob(".*.partial-*")} if len(workers) == 2 else set()
        if workers & running:  # a worker's run is half-written
            killed = min(workers & running)
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.02)
    sweeping.join(timeout=180)
    assert killed is not None, "the sweep ended before a worker could be killed"
    result = outcome["result"]
    assert result.succeeded and result.done == 8
    assert all((p / "metrics.json").is_file() for p in (tmp_path / "sweep" / "runs").iterdir())


def test_a_worker_gets_a_copy_of_the_shared_brian2_cache_in_a_folder_of_its_own(tmp_path, monkeypatch):
    from hippo.circuits.spiking import cache_directory

    for key in (*WORKER_ENV, "HIPPO_CACHE", "HIPPO_PROGRAMS"):  # each restored after the test, or removed if it was not set
        monkeypatch.setenv(key, os.environ.get(key, "unset"))
        if os.environ[key] == "unset":
            monkeypatch.delenv(key)
    monkeypatch.setenv("HIPPO_CACHE", str(tmp_path / "launcher"))
    from hippo.circuits.spiking_standalone import program_root

    programs = program_root()
    shared = tmp_path / "shared"
    (shared / "cython_abc").mkdir(parents=True)
    (shared / "cython_abc" / "module.so").write_bytes(b"compiled")
    plugin = WorkerSetup(str(shared))
    plugin.setup(worker=None)
    own = cache_directory()
    assert Path(os.environ["HIPPO_CACHE"]) in own.parents and shared not in own.parents
    assert (own / "cython_abc" / "module.so").read_bytes() == b"compiled"
    assert program_root() == programs  # compiled spiking programs stay shared
    plugin.teardown(worker=None)
    assert not Path(plugin.folder).exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_sweep_runs_through_an_existing_scheduler_and_its_workers(tmp_path):
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for name in ("w0", "w1"):
            processes.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--name", name,
                                               "--no-dashboard", "--host", "127.0.0.1"],
                                              env={**os.environ, "NUMBA_NUM_THREADS": "1"},
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            worker_pids = set(client.run(os.getpid).values())
        path = sweep_file(tmp_path, {"model.alpha": [0.4, 0.5]}, seeds=(0, 1))
        assert main(["sweep", str(path), "--scheduler", address, "--no-figures", "--quiet"]) == 0
        records = [json.loads(p.read_text()) for p in (tmp_path / "sweep" / "records").glob("*.json")]
        assert len(records) == 4 and {r["status"] for r in records} == {"done"}
        ran_in = {int(r["worker"].rsplit(":", 1)[1]) for r in records}
        assert ran_in & worker_pids and ran_in <= worker_pids | {os.getpid()}  # this process: numba's cache was cold
        def numba_threads() -> int:  # local, so that it is sent to the workers by value
            """numba's thread count, after re-reading the environment as numba does before it compiles."""
            import numba
            from numba.core import config

            config.reload_config()
            return numba.get_num_threads()

        with Client(address, timeout=60) as client:
            caches = client.run(lambda: os.environ.get("HIPPO_CACHE"))
            threads = client.run(numba_threads)
        assert len(set(caches.values())) == 2 and all(Path(c).is_dir() for c in caches.values())
        assert set(threads.values()) == {1}
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait(timeout=30)


# ---------------------------------------------------------------- batch clusters


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")  # the dashboard then takes another port
def test_the_slurm_job_script_of_a_cluster_table(tmp_path):
    pytest.importorskip("dask_jobqueue")
    extra = ('[cluster]\nkind = "slurm"\ncores = 8\nmemory = "16GB"\nwalltime = "04:00:00"\njobs = 3\n'
             'account = "lab42"\nqueue = "short"\nprologue = ["module load python"]\n')
    spec = load_sweep(sweep_file(tmp_path, GRID, extra=extra))
    assert spec.cluster.jobs == 3
    with batch_cluster(spec.cluster) as cluster:
        script = cluster.job_script()
    assert "#SBATCH -A lab42" in script
    assert "#SBATCH -p short" in script
    assert "#SBATCH -t 04:00:00" in script
    assert "#SBATCH --cpus-per-task=8" in script
    assert "export NUMBA_NUM_THREADS=1" in script and "module load python" in script
    assert "--nworkers 8" in script and "--nthreads 1" in script
    assert "--lifetime 13800s" in script  # 10 minutes before the walltime
    assert sys.executable in script


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_the_pbs_job_script_of_a_short_walltime(tmp_path):
    pytest.importorskip("dask_jobqueue")
    extra = '[cluster]\nkind = "pbs"\ncores = 4\nmemory = "8GB"\nwalltime = "00:30:00"\naccount = "lab42"\n'
    with batch_cluster(load_sweep(sweep_file(tmp_path, GRID, extra=extra)).cluster) as cluster:
        script = cluster.job_script()
    assert "#PBS -A lab42" in script and "#PBS -l walltime=00:30:00" in script and "ncpus=4" in script
    assert "--nworkers 4" in script and "--lifetime 1440s" in script  # a fifth of a short walltime


# ---------------------------------------------------------------- results table and plots


def _fake_run(sweep_dir: Path, run_id: str, seed: int, alpha: float, metrics: dict) -> None:
    run_dir = sweep_dir / "runs" / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "config.toml").write_text(f'experiment = "x"\nseed = {seed}\n[model]\nalpha = {alpha}\n')
    (run_dir / "metrics.json").write_text(json.dumps({"experiment": "x", "seed": seed, **metrics,
                                                      "files": ["config.toml"]}))


def test_collect_rebuilds_the_table_from_run_directories_with_nested_metrics_flattened(tmp_path):
    sweep_dir = tmp_path / "sweep"
    (sweep_dir).mkdir()
    (sweep_dir / "sweep.json").write_text(json.dumps({"swept": ["model.alpha"], "runs": []}))
    _fake_run(sweep_dir, "a", 0, 0.1, {"pi_error_m": {"1": 0.2, "5": 0.3}, "ring": {"local_excitation": 0.5}})
    _fake_run(sweep_dir, "b", 1, 0.2, {"pi_error_m": {"1": 0.4, "5": 0.6}, "ring": {"local_excitation": 0.7}})
    (sweep_dir / "runs" / ".b.partial-1").mkdir()
    assert main(["collect", str(sweep_dir)]) == 0
    table = pd.read_parquet(sweep_dir / "results.parquet").set_index("run_id")
    assert list(table.index) == ["a", "b"]
    assert table.loc["b", "model.alpha"] == 0.2 and table.loc["b", "seed"] == 1
    assert table.loc["a", "pi_error_m.5"] == 0.3 and table.loc["b", "ring.local_excitation"] == 0.7
    assert set(table["status"]) == {"done"}


def test_summary_is_the_mean_and_standard_error_over_runs():
    table = pd.DataFrame({"x": [1, 1, 1, 2, 2], "hue": ["a"] * 5, "status": ["done"] * 4 + ["failed"],
                          "y": [1.0, 2.0, 4.0, 3.0, np.nan]})
    stats = summary(table, "x", "y", "hue").set_index("x")
    assert stats.loc[1, "mean"] == pytest.approx(7 / 3)
    assert stats.loc[1, "sem"] == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1) / np.sqrt(3))
    assert stats.loc[2, "n"] == 1 and np.isnan(stats.loc[2, "sem"])


def test_plot_sweep_draws_a_metric_against_a_swept_key_and_refuses_unknown_columns(tmp_path, capsys):
    sweep_dir = tmp_path / "sweep"
    sweep_dir.mkdir()
    (sweep_dir / "sweep.json").write_text(json.dumps({"swept": ["model.alpha"], "runs": []}))
    for k, (seed, alpha) in enumerate([(0, 0.1), (1, 0.1), (0, 0.2), (1, 0.2)]):
        _fake_run(sweep_dir, f"r{k}", seed, alpha, {"loss": alpha + 0.01 * seed})
    assert main(["plot-sweep", str(sweep_dir), "--x", "model.alpha", "--y", "loss"]) == 0
    assert (sweep_dir / "figures" / "loss_vs_model.alpha.png").stat().st_size > 1000
    assert main(["plot-sweep", str(sweep_dir), "--x", "model.alpah", "--y", "loss"]) == 2
    assert "model.alpha" in capsys.readouterr().err


# ---------------------------------------------------------------- hippo run --seeds


def test_seeds_on_two_workers_give_the_numbers_of_seeds_run_one_after_another(tmp_path, capsys):
    command = ["run", "bayesian-mechanics", "--seeds", "0", "1", "--quiet"]
    for key, value in SHORT.items():
        command += ["--set", f"{key}={value}"]
    assert main([*command, "--workers", "2", "--out", str(tmp_path / "parallel")]) == 0
    assert main([*command, "--workers", "1", "--out", str(tmp_path / "serial")]) == 0
    summaries = [json.loads((tmp_path / name / "summary.json").read_text()) for name in ("parallel", "serial")]
    assert summaries[0]["seeds"] == summaries[1]["seeds"] == [0, 1]
    metrics = [{k: v for k, v in s["metrics"].items() if k != "wall_seconds"} for s in summaries]
    assert metrics[0] == metrics[1]
    assert main([*command, "--workers", "0", "--out", str(tmp_path / "none")]) == 2
    assert "--workers" in capsys.readouterr().err
