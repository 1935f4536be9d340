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

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
out = Path(workspace.name) / "loss-landscape"
run, metrics = run_experiment("loss-landscape", ["quadratic.points=801", "double_well.refined_points=100"],
                              out=out, quiet=True)

# %%
# Each closed form beside its numerical solution: the convergence rate on the
# quadratic at three discount rates, how that rate scales with 4× the curvature
# (→ 4 for gradient descent at large γ, √4 = 2 for the ballistic rule at γ = 0), and the
# shrinkage that weight decay causes.
pairs = [f"rate_gamma_{g}" for g in (0, 1, 10)] + [f"rate_ratio_gamma_{g}" for g in (0, 1, 10)]
for key in pairs + ["weight_decay_shrinkage"]:
    print(f"{key:28s} closed form {metrics[key]:.5g}   numerical {metrics[key + '_numerical']:.5g}")
print("double well: gradient descent ends at", round(metrics["descent_final_theta1"], 4),
      "- the least-action path at", round(metrics["least_action_final_theta1"], 4))

# %%
# The quadratic loss at three discount rates, the double well (gradient descent stays
# in the nearer well; the least-action path crosses the barrier) and weight decay.
for name in ("quadratic", "double_well", "weight_decay"):
    show(run, name)
