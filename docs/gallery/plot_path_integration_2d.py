"""
Path integration in 2-D and on a rat's path
===========================================

The same circuit and the same local rule in a 1 m × 1 m box: place-like features tile
the box, the conjunctive velocity cells come in four blocks (±x, ±y), and the agent
turns and reflects off the walls. After training, the senses are cut off and position
is decoded from HPC. Then the same network learns on the path of a real rat instead:
the trajectory of Sargolini et al. (2006), 600 s in a 1 m box, shipped by the
``ratinabox`` package (``pip install 'hippo[data]'``); its first 420 s are played
forward and backward for training and the test plays the last 179 s, which the training
never saw.

The default runs (``hippo run path-integration-2d``, ``hippo run path-integration-rat``,
2–3 minutes each) train for 240 simulated minutes; here for 20, with a short test and a
reduced set of analyses, so the error grows sooner than on the
:doc:`Results page </results/path-integration-2d>`.
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

SHORT = ["duration=1200", "test.decoder_window=120", "test.n_trials=5",
         "test.generative=10", "test.report_times=[1.0, 2.0, 5.0, 10.0]", "maps.duration=60",
         "gain_probes.speeds=[0.2]", "gain_probes.n_directions=4", "topology.n_points=60", "topology.max_dim=1"]
workspace = tempfile.TemporaryDirectory()  # removed when the script ends
folder = Path(workspace.name)
box, box_metrics = run_experiment("path-integration-2d", SHORT, seed=0, out=folder / "box", quiet=True)
rat, rat_metrics = run_experiment("path-integration-rat", SHORT, seed=0, out=folder / "rat", quiet=True)

# %%
# The decoded error after the switch, against an estimate that stays where the agent
# was at the switch (``stationary_error_m``). The rat runs slowly (median 0.10 m/s), so
# staying put errs little at first: its path is the harder test.
for name, metrics in (("box", box_metrics), ("rat", rat_metrics)):
    print(name, "error (m):", {t: round(e, 3) for t, e in metrics["pi_error_m"].items()})
    print(name, "staying put (m):", {t: round(e, 3) for t, e in metrics["stationary_error_m"].items()})

# %%
# Decoded (coloured) and true (grey) paths after the switch in the box, and the
# error in time.
for name in ("paths", "error"):
    show(box, name)

# %%
# MEC rate maps from a session in theta mode, and the learned recurrent weights
# against distance: the cells become place cells, one field each — local excitation
# with inhibition that reaches across the whole box leaves room for one field per cell.
for name in ("rate_maps", "weight_profile"):
    show(box, name)

# %%
# On the rat's held-out stretch: decoded and true paths.
show(rat, "paths")
