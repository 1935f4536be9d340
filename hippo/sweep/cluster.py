"""The batch jobs of a sweep's ``[cluster]`` table, shared by the sweep file and the Dask back ends."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from hippo.config import bounds
from hippo.errors import ConfigError


@dataclass(frozen=True)
class ClusterSpec:
    """Batch jobs that host the sweep's Dask workers.

    Attributes:
        kind: ``"slurm"`` or ``"pbs"``.
        cores: cores per job; each job runs this many single-threaded worker processes.
        memory: memory per job, e.g. ``"16GB"``.
        walltime: wall-clock limit per job, ``HH:MM:SS``; give it well above one run.
        jobs: number of jobs kept running.
        account: account charged (``-A``), if the site needs one.
        queue: partition or queue, if not the site's default.
        lifetime: workers retire this long after they start (``"3h50m"``), before the
            walltime kills them, and their job is replaced; default: 10 minutes less
            than the walltime.
        job_directives: further lines for the job header, e.g. ``["--gres=gpu:0"]``.
        prologue: shell lines run before the workers start, e.g. ``["module load python"]``.
    """

    kind: Literal["slurm", "pbs"]
    cores: int = field(metadata=bounds(min=1))
    memory: str
    walltime: str
    jobs: int = field(default=1, metadata=bounds(min=1))
    account: str | None = None
    queue: str | None = None
    lifetime: str | None = None
    job_directives: tuple[str, ...] = ()
    prologue: tuple[str, ...] = ()

    def __post_init__(self):
        if not re.fullmatch(r"\d+:\d\d:\d\d", self.walltime):
            raise ConfigError("", "walltime", f"invalid value {self.walltime!r}", "HH:MM:SS")
