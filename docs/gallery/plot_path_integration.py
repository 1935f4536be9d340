"""
Path integration on a ring (figure 3)
=====================================

Train the HPC ↔ MEC network on an agent running around a 1 m ring, then cut the
senses off (θ ≡ 0, pure generation) and decode position from HPC: a network that
path-integrates keeps tracking the agent from its velocity input alone.

The default run trains for 240 simulated minutes and tests 50 trials of 60 s
(``hippo run path-integration``, about a minute); here the training is 30 minutes and
the test 10 trials of 20 s, so the bump is held for a shorter time than on the
:doc:`Results page </results/path-integration>`.
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
out = Path(workspace.name) / "path-integration"
run, metrics = run_experiment(
    "path-integration",
    ["duration=1800", "test.n_trials=10", "test.generative=20", "test.report_times=[1, 2, 5, 10, 20]",
     "gain_probes.step=0.5", "topology.n_points=100", "topology.n_shuffles=2"],
    seed=0, out=out, quiet=True)

# %%
# The decoded error after the switch, in metres (chance is ``chance_error_m``):
print({t: round(e, 3) for t, e in metrics["pi_error_m"].items()}, "chance", round(metrics["chance_error_m"], 3))
print("horizon at 0.10 m:", metrics["pi_horizon_s"], "s")

# %%
# Decoded and true position in one trial: the senses are cut off at the dashed line,
# and from then on the position is the network's own estimate, carried by the MEC
# bump that the velocity cells push around the ring.
for name in ("decoding", "error"):
    show(run, name)

# %%
# The learned ring attractor: with MEC cells ordered by where they fire, the recurrent
# weights are local excitation with surround inhibition, and the two conjunctive
# blocks (+v and −v) are shifted in opposite directions — the push that moves the bump.
show(run, "ring_weights")
