"""
Learning rules as policies on a loss landscape
==============================================

A learner that pays ``(1/2η)|θ̇ − f|²`` to move its parameters and ``k·L`` for the loss,
discounted at rate γ, follows a policy set by its horizon: a short horizon (large γ)
gives gradient descent, a long one (γ → 0) a "ballistic" rule whose rate grows only as
the square root of the curvature. The experiment computes the published toy results in
closed form and checks each numerically.

Same as the default run (``hippo run loss-landscape``), on coarser grids.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from hippo.experiments import run_experiment

out = Path(tempfile.mkdtemp()) / "loss-landscape"
run, metrics = run_experiment("loss-landscape", ["quadratic.points=801", "double_well.refined_points=100"],
                              out=out, quiet=True)

# %%
# The closed forms and their numerical checks:
for key, value in sorted(metrics.items()):
    if isinstance(value, float):
        print(f"{key}: {value:.4g}")

# %%
# The quadratic loss at three discount rates, the double well (gradient descent stays
# in the nearer well; the least-action path crosses the barrier) and weight decay.
for figure in sorted((run.path / "figures").glob("*.png")):
    plt.figure(figsize=(8, 4))
    plt.imshow(plt.imread(figure))
    plt.axis("off")
