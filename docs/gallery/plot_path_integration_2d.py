"""
Path integration in a 2-D box
=============================

The same circuit and the same local rule in a 1 m × 1 m box: place-like features tile
the box, the conjunctive velocity cells come in four blocks (±x, ±y), and the agent
turns and reflects off the walls. After training, the senses are cut off and position
is decoded from HPC.

The default run (``hippo run path-integration-2d``, 2–3 minutes) trains 200 MEC cells
for 240 simulated minutes; here for 20 minutes, with a short test and a reduced
set of analyses, so the error grows sooner than on the
:doc:`Results page </results/path-integration-2d>`.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from hippo.experiments import run_experiment

SHORT = ["duration=1200", "test.decoder_window=120", "test.n_trials=5",
         "test.generative=10", "test.report_times=[1.0, 2.0, 5.0, 10.0]", "maps.duration=60",
         "gain_probes.speeds=[0.3]", "gain_probes.n_directions=4", "topology.n_points=60", "topology.max_dim=1"]
out = Path(tempfile.mkdtemp()) / "path-integration-2d"
run, metrics = run_experiment("path-integration-2d", SHORT, seed=0, out=out, quiet=True)

# %%
# The decoded error after the switch against chance and against an estimate that
# stays where the agent was at the switch (``stationary_error_m``):
print("error (m):", {t: round(e, 3) for t, e in metrics["pi_error_m"].items()})
print("staying put (m):", {t: round(e, 3) for t, e in metrics["stationary_error_m"].items()},
      "chance", round(metrics["chance_error_m"], 3))

# %%
# Decoded (coloured) and true (grey) paths after the switch, and the error in time.
for name in ("paths", "error"):
    plt.figure(figsize=(8, 4))
    plt.imshow(plt.imread(run.path / "figures" / f"{name}.png"))
    plt.axis("off")

# %%
# MEC rate maps from a session in theta mode: the cells become place cells, one field
# each — the learned recurrent weights are local excitation with inhibition that
# reaches across the whole box, which leaves room for a single field per cell.
for name in ("rate_maps", "weight_profile"):
    plt.figure(figsize=(8, 4))
    plt.imshow(plt.imread(run.path / "figures" / f"{name}.png"))
    plt.axis("off")
