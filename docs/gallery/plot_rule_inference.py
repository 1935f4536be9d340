"""
Inferring a learning rule from choices
======================================

Simulated animals learn a two-alternative forced-choice task with a known rule
(REINFORCE, or the learning core's momentum rule). Rule networks — a feed-forward
DNNGLM and a recurrent RNNGLM — are fitted to their choices by maximum likelihood, and
scored on held-out animals: how well they predict the choices, and how close their
weight updates come to the true rule's.

The default run fits 60 + 60 animals of 500 trials (``hippo run rule-inference``,
a few minutes, with both models for both learners); here 8 + 8 animals of 100 trials,
two epochs and the DNNGLM only, which shows the pipeline, not a recovered rule.
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
out = Path(workspace.name) / "rule-inference"
run, metrics = run_experiment(
    "rule-inference",
    ["trials=100", "train_animals=8", "test_animals=8", "grid_weights=11", "fit.window=50", "fit.epochs=2",
     "fit.initial_epochs=2", "dnn.hidden=8", "reinforce_models=['dnn']", "core_models=['dnn']"],
    out=out, quiet=True)

# %%
# Per learner and model: the held-out log-likelihood's gap to the generating model and
# the error of the fitted weight change in units of the learning rate α.
for learner in ("reinforce", "core"):
    scores = metrics[learner]["DNNGLM"]
    print(metrics[learner]["rule"], "DNNGLM: log-likelihood gap", round(scores["log_likelihood_gap"], 4),
          "ΔW RMSE / α", round(scores["trajectory_dW_rmse_over_alpha"], 3))

# %%
# The fits, and the weight updates each fitted network makes beside those of the rule
# that generated the choices.
for name in ("fits", "update_functions"):
    show(run, name)
