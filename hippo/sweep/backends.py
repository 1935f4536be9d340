"""Where runs execute: in this process, on local Dask workers, an existing Dask scheduler or batch jobs.

Every backend takes one function and a list of argument tuples and yields each task's
result as it finishes, in completion order. The Dask backends give each worker process
one thread, ``NUMBA_NUM_THREADS=1`` and a Brian2 cache folder of its own (Brian2's
shared-cache file locks stall and crash parallel processes), seeded from the shared
cache so compiled code is reused. numba reads ``NUMBA_NUM_THREADS`` once, when it is
imported: local workers and batch jobs get it in their environment from the start;
workers you start yourself need it set when they start (``NUMBA_NUM_THREADS=1 dask
worker ...``). A task whose worker dies is moved to another worker
by the scheduler; a task that keeps killing workers comes back as an error.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from hippo.errors import ConfigError
from hippo.sweep.cluster import ClusterSpec

#: Environment of every worker process: one thread for numba and the BLAS libraries.
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@dataclass
class Finished:
    """A task that finished.

    Attributes:
        index: its position in the task list.
        result: what the function returned (``None`` on error).
        error: the exception that ended it (e.g. ``KilledWorker``), else ``None``.
        running: how many tasks are executing now.
    """

    index: int
    result: Any
    error: BaseException | None
    running: int = 0


class WorkerSetup(WorkerPlugin):
    """Prepares each Dask worker process for simulations: one thread per library, its own Brian2 cache.

    Args:
        brian2_cache: the shared Brian2 cache folder to copy into the worker's own folder,
            or ``None`` when the runs do not use Brian2.
    """

    name = "hippo-worker-setup"

    def __init__(self, brian2_cache: str | None = None):
        self.brian2_cache = brian2_cache
        self.folder: str | None = None

    def setup(self, worker) -> None:
        from numba.core import config

        environ = dict(WORKER_ENV)
        if config.NUMBA_NUM_THREADS != int(environ["NUMBA_NUM_THREADS"]):
            # numba fixed its thread count when it was imported and re-reads the variable before
            # every compilation: a different value now would stop it compiling
            del environ["NUMBA_NUM_THREADS"]
        os.environ.update(environ)
        self.folder = tempfile.mkdtemp(prefix="hippo-worker-")
        if self.brian2_cache:
            from hippo.circuits.spiking_standalone import program_root

            # compiled spiking programs are built once under a lock and safe to share: every worker uses the launcher's
            os.environ.setdefault("HIPPO_PROGRAMS", str(program_root()))
        os.environ["HIPPO_CACHE"] = self.folder
        if self.brian2_cache and Path(self.brian2_cache).is_dir():
            from hippo.circuits.spiking import cache_directory

            shutil.copytree(self.brian2_cache, cache_directory(), dirs_exist_ok=True)

    def teardown(self, worker) -> None:
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _lifetime(spec: ClusterSpec) -> str:
    """The worker lifetime: the spec's, else 10 minutes (at most a fifth) less than the walltime."""
    if spec.lifetime:
        return spec.lifetime
    hours, minutes, seconds = (int(part) for part in spec.walltime.split(":"))
    total = 3600 * hours + 60 * minutes + seconds
    return f"{int(total - min(600, total // 5))}s"


#: Seconds a scheduler has to answer before the sweep is refused.
CONNECT_SECONDS = 5.0

#: The command that submits jobs, for each batch system.
SUBMIT_COMMANDS = {"slurm": "sbatch", "pbs": "qsub"}


def check_scheduler(address: str, timeout: float = CONNECT_SECONDS) -> None:
    """Refuse a scheduler address that is malformed or where nothing answers within ``timeout`` seconds.

    Raises:
        ConfigError: naming ``--scheduler``, the address and why it cannot be used.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    allowed = "the address tcp://HOST:PORT of a running Dask scheduler"
    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as error:
        raise ConfigError("--scheduler", "", f"{address!r} is not an address ({error})", allowed) from None
    if scheme not in ("tcp", "tls"):
        raise ConfigError("--scheduler", "", f"{address!r}: protocol {scheme!r} is not supported", allowed)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or f"no answer within {timeout:g} s"
        raise ConfigError("--scheduler", "", f"cannot reach {address} ({reason})", allowed) from None


def check_submitter(spec: ClusterSpec, source: str) -> None:
    """Refuse batch jobs when this machine lacks dask-jobqueue or the batch system's submit command.

    Raises:
        ConfigError: naming the sweep file, ``cluster.kind`` and the missing command.
    """
    command = SUBMIT_COMMANDS[spec.kind]
    if shutil.which(command) is None:
        raise ConfigError(source, "cluster.kind", f"{spec.kind!r} jobs are submitted with {command}, which is not "
                          "on this machine's PATH", f"run the sweep where {command} is (the cluster's login node), "
                          "or leave out [cluster] to run on local workers")
    if importlib.util.find_spec("dask_jobqueue") is None:
        raise ConfigError(source, "cluster", "batch jobs need the package dask-jobqueue",
                          "pip install 'hippo[cluster]'")


def batch_cluster(spec: ClusterSpec):
    """A dask-jobqueue cluster (SLURM or PBS) for ``spec``; no job is submitted until it is scaled.

    Each job runs ``spec.cores`` single-threaded worker processes, which retire before
    the walltime (``--lifetime``) so that their job is replaced rather than killed mid-run.
    """
    import dask_jobqueue  # checked by check_submitter before a sweep starts
    cls = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}[spec.kind]
    prologue = [f"export {key}={value}" for key, value in WORKER_ENV.items()] + list(spec.prologue)
    return cls(cores=spec.cores, processes=spec.cores, memory=spec.memory, walltime=spec.walltime,
               account=spec.account, queue=spec.queue, python=sys.executable,
               job_script_prologue=prologue, job_extra_directives=list(spec.job_directives),
               worker_extra_args=["--lifetime", _lifetime(spec), "--lifetime-stagger", "60s"],
               silence_logs="error")


@contextmanager
def dask_client(workers: int, scheduler: str | None = None, cluster: ClusterSpec | None = None):
    """A Dask client: of an existing scheduler, of batch jobs, or of ``workers`` local processes."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_SECONDS}s")
        except (OSError, TimeoutError) as error:
            raise ConfigError("--scheduler", "", f"no Dask scheduler answers at {scheduler} ({error})",
                              "the address tcp://HOST:PORT of a running Dask scheduler") from None
        with client:
            yield client
        return
    if cluster:
        with batch_cluster(cluster) as batch:
            batch.adapt(minimum_jobs=cluster.jobs, maximum_jobs=cluster.jobs)
            with Client(batch) as client:
                yield client
        return
    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **WORKER_ENV}
    # the nannies put these variables into this process's environment to pass them on at spawn
    ours = {key: os.environ.get(key) for key in [*environ, "PYTHONHASHSEED"]}
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):  # before the workers import numba
            local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address=None, silence_logs=logging.ERROR)
        with local, Client(local) as client:
            yield client
    finally:
        for key, value in ours.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def numba_cache_is_warm() -> bool:
    """Whether numba's cache for this version of the package already holds compiled kernels."""
    import hippo

    return any(Path(hippo.NUMBA_CACHE).rglob("*.nbi"))


def run_tasks(function: Callable, tasks: list[tuple], workers: int, scheduler: str | None = None,
              cluster: ClusterSpec | None = None, brian2_cache: str | None = None,
              started: Callable[[int], None] | None = None) -> Iterator[Finished]:
    """Run ``function(*args)`` for every tuple of ``tasks``; yields each as it finishes.

    With one worker and neither ``scheduler`` nor ``cluster`` the tasks run in this
    process, one after another. Otherwise they run on Dask: when numba's cache is cold
    the first task runs in this process before the others fan out, so that workers
    never compile the same kernels at once.

    Args:
        function: a module-level function (it is sent to the workers by reference).
        tasks: its argument tuples.
        workers: local worker processes (at most one per task is started).
        scheduler: address ``tcp://HOST:PORT`` of a running Dask scheduler.
        cluster: batch jobs to start the workers in.
        brian2_cache: shared Brian2 cache folder each worker copies (see :class:`WorkerSetup`).
        started: called with the number of tasks executing whenever a task or a batch of
            tasks starts (a progress reporter's count of running tasks).
    """
    if workers == 1 and not scheduler and cluster is None:
        yield from in_process(function, tasks, started)
        return
    first = 1 if tasks and not numba_cache_is_warm() else 0
    yield from in_process(function, tasks[:first], started)
    if len(tasks) > first:
        with dask_client(min(workers, len(tasks) - first), scheduler, cluster) as client:
            for finished in on_dask(client, function, tasks[first:], brian2_cache, started):
                finished.index += first
                yield finished


def in_process(function: Callable, tasks: list[tuple], started: Callable[[int], None] | None = None
               ) -> Iterator[Finished]:
    """Run the tasks one after another in this process (no Dask; for debugging); ``started(1)`` before each."""
    for index, args in enumerate(tasks):
        if started is not None:
            started(1)
        try:
            result = function(*args)
        except Exception as error:  # noqa: BLE001 - reported like a task that failed on a worker
            yield Finished(index, None, error, int(index + 1 < len(tasks)))
        else:
            yield Finished(index, result, None, int(index + 1 < len(tasks)))


def on_dask(client, function: Callable, tasks: list[tuple], brian2_cache: str | None = None,
            started: Callable[[int], None] | None = None) -> Iterator[Finished]:
    """Run the tasks on the client's workers; yields them as they finish.

    ``started`` is called once the tasks are submitted, with how many of them the
    workers' threads can execute at once.
    """
    from distributed import as_completed

    client.register_plugin(WorkerSetup(brian2_cache))
    futures = {client.submit(function, *args, pure=False): index for index, args in enumerate(tasks)}
    if started is not None:
        started(min(len(tasks), sum(client.nthreads().values())))
    for future in as_completed(futures):
        index = futures[future]
        running = min(sum(map(len, client.processing().values())), sum(client.nthreads().values()))
        if future.status == "finished":
            yield Finished(index, future.result(), None, running)
        else:
            yield Finished(index, None, future.exception(), running)
        future.release()
