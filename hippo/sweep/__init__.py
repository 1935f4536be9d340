"""Parameter sweeps: a grid of runs executed in parallel on Dask, and one tidy results table.

A sweep file (see :mod:`hippo.sweep.spec`) names an experiment, seeds, fixed overrides
and a grid of swept keys. :func:`run_sweep` runs every unfinished run of it — in this
process, on local worker processes, on an existing Dask scheduler or in SLURM/PBS jobs —
each into its own run directory, and writes ``results.parquet`` / ``results.csv``
(see :mod:`hippo.sweep.table`), which :func:`collect` rebuilds from the run directories
and :func:`plot_sweep` draws.
"""

from hippo.sweep.plot import plot_sweep
from hippo.sweep.runner import SweepOutcome, describe, run_sweep
from hippo.sweep.spec import ClusterSpec, PlannedRun, SweepSpec, load_sweep, plan
from hippo.sweep.table import collect, read_table, write_table

__all__ = ["ClusterSpec", "PlannedRun", "SweepOutcome", "SweepSpec", "collect", "describe", "load_sweep", "plan",
           "plot_sweep", "read_table", "run_sweep", "write_table"]
