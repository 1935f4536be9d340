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

import matplotlib.pyplot as plt

from hippo.experiments import run_experiment

out = Path(tempfile.mkdtemp()) / "bayesian-mechanics"
run, metrics = run_experiment(
    "bayesian-mechanics",
    ["duration=12.0", "switch_time=6.0", "stream.frequency_before=1.0", "stream.frequency_after=0.5",
     "solver.horizon=6.0", "solver.dt_out=0.05"],
    out=out, quiet=True)

# %%
# The run's numbers (the final weight against its fixed point, the residual of the
# equations of motion, the attractor's change at the switch):
for key, value in sorted(metrics.items()):
    if isinstance(value, float):
        print(f"{key}: {value:.4g}")

# %%
# The figures the run drew: the trajectories in time and in phase space.
for figure in sorted((run.path / "figures").glob("*.png")):
    plt.figure(figsize=(8, 4))
    plt.imshow(plt.imread(figure))
    plt.axis("off")
