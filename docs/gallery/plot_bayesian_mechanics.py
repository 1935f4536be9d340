"""
Bayesian mechanics of learning
==============================

Kim's Bayesian mechanics treats learning as second-order dynamics of a weight and its
conjugate momentum (the prediction error), solved as a least-action problem on a
rolling horizon. A sensory stream switches its amplitude and frequency halfway; the
experiment compares Hebbian learning with decay against Oja's rule and checks the
solution against its equations and the analytical fixed point.

The default run simulates 60 s (``hippo run bayesian-mechanics``); here 12 s.
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
out = Path(workspace.name) / "bayesian-mechanics"
run, metrics = run_experiment(
    "bayesian-mechanics",
    ["duration=12.0", "switch_time=6.0", "stream.frequency_before=1.0", "stream.frequency_after=0.5",
     "solver.horizon=6.0", "solver.dt_out=0.05"],
    out=out, quiet=True)

# %%
# For each rule: the mean weight over the last two driving periods before and after
# the switch, against the analytical fixed point of the learning equations in the same
# window, and the largest residual of the equations of motion along the path.
for rule in ("hebb_decay", "oja"):
    for window in ("before", "after"):
        print(f"{rule:10s} {window:6s} weight {metrics[f'mean_weight_{window}_{rule}']:.3f}",
              f"fixed point {metrics[f'fixed_point_weight_{window}_{rule}']:.3f}")
    print(f"{rule:10s} largest residual {metrics[f'max_residual_{rule}']:.1e}")

# %%
# The path in phase space settles on one periodic orbit before the switch and on
# another after it; the weight and its momentum follow their fixed points; Hebb + decay
# against Oja.
for name in ("phase_space", "learning", "hebb_vs_oja"):
    show(run, name)
