"""
Environment transfer: reusing the attractor (figure 4)
======================================================

Train the path-integration network in environment A, then move it to B (the same ring
with its place fields shuffled: a global remapping) and relearn. In the ``transfer``
arm the MEC recurrent and conjunctive weights — the ring attractor — are frozen and
only HPC ↔ MEC relearns; ``scratch`` learns B from nothing; ``random-attractor`` keeps
an untrained attractor frozen. Path integration is measured at checkpoints on a copy
of each arm, so measuring never changes what is learned.

The default run relearns for 10 minutes in five arms (``hippo run transfer``, about a
minute); here a shorter training in A and 4 minutes of relearning in three arms.
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
out = Path(workspace.name) / "transfer"
run, metrics = run_experiment(
    "transfer",
    ["network.duration=2400", "network.test.n_trials=5", "network.test.decoder_window=60",
     "relearn.duration=240", "relearn.checkpoints=[0.0, 60.0, 120.0, 240.0]",
     "relearn.arms=['transfer', 'scratch', 'random-attractor']"],
    seed=0, out=out, quiet=True)

# %%
# The 1 s path-integration error (m) in each arm at each checkpoint of relearning in B.
# After this short training in A the arms are not yet well separated; with the full
# protocol (``hippo run transfer-60min --seeds 0 1 2 3 4``) the transfer arm reaches the
# criterion on every seed, at least three times sooner than learning from scratch on
# most, while an untrained attractor stays at chance (:doc:`/results/transfer`).
for arm, values in metrics["arms"].items():
    print(arm, {t: round(errors["1s"], 3) for t, errors in values["pi_error_m"].items()})

# %%
# Figure 4: the error before the move, right after it and along relearning, and the
# MEC rate maps in B with the cells ordered as in A — reusing the attractor, MEC
# remaps by one coherent shift of the ring.
for name in ("figure4", "mec_rate_maps"):
    show(run, name)
