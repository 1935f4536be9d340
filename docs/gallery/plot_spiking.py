"""
The same network on the spiking engine
======================================

Every circuit experiment also runs on a spiking engine (Brian2): each unit is a pool of
neurons emitting Poisson spikes, and plasticity is dendritic prediction of somatic
spiking. A state saved by one engine loads into the other, so a network trained on
the fast rate engine can be tested with spikes without retraining (``--from RUN
--set engine=spiking --set duration=0`` on the command line).

Here a path-integration network is trained for 30 simulated minutes on the rate engine
and tested on both engines, one trial each. Brian2's ``numpy`` target
needs no compiler; the spiking presets use compiled code (``spiking.target = "cython"``
or ``"cpp_standalone"``), which is much faster once built. The warning below says which
parts of the saved state the spiking engine could not take (rates and traces start at
rest).
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
folder = Path(workspace.name)
TEST = ["test.n_trials=1", "test.warmup=1", "test.generative=3", "test.report_times=[1, 2, 3]",
        "gain_probes.max_velocity=1.0", "gain_probes.step=1.0", "gain_probes.warmup=0.5",
        "gain_probes.duration=1.5", "topology.n_points=40", "topology.n_shuffles=1", "ring.drift_duration=1"]
rate_run, rate = run_experiment("path-integration", ["duration=1800"] + TEST, seed=0,
                                out=folder / "rate", quiet=True)
spiking_run, spiking = run_experiment(
    "path-integration", ["engine=spiking", "spiking.target=numpy", "duration=0", "spike_map_duration=2"],
    out=folder / "spiking", quiet=True, start_from=rate_run.path)

# %%
# The decoded error after the switch on each engine, same weights, same test stream:
print("rate   :", {t: round(e, 3) for t, e in rate["pi_error_m"].items()})
print("spiking:", {t: round(e, 3) for t, e in spiking["pi_error_m"].items()})

# %%
# A spike raster (one neuron per pool): HPC follows the senses until the switch, then
# the MEC bump — now a travelling packet of spikes — carries the position.
show(spiking_run, "spike_raster")
