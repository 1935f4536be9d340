"""Parameter sweeps: a grid of runs executed in parallel on Dask, and one tidy results table.

A sweep file (see :mod:`hippo.sweep.spec`) names an experiment, seeds, fixed overrides
and a grid of swept keys. :func:`run_sweep` runs every unfinished run of it — in this
process, on local worker processes, on an existing Dask scheduler or in SLURM/PBS jobs —
each into its own run directory, and writes ``results.parquet`` / ``results.csv``
(see :mod:`hippo.sweep.table`), which :func:`collect` rebuilds from the run directories
and :func:`plot_sweep` draws.
"""

from hippo._exports import lazy_exports

# Imported on first use: the runner brings in Dask, which ``hippo collect`` does not need.
_EXPORTS = {
    "plot_sweep": "hippo.sweep.plot",
    **dict.fromkeys(["SweepOutcome", "describe", "run_sweep"], "hippo.sweep.runner"),
    "ClusterSpec": "hippo.sweep.cluster",
    **dict.fromkeys(["PlannedRun", "SweepSpec", "load_sweep", "plan"], "hippo.sweep.spec"),
    **dict.fromkeys(["collect", "read_table", "write_table"], "hippo.sweep.table"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
