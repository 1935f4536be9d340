"""
Curious exploration by active inference
=======================================

An active-inference agent holds a discrete generative model of a gridworld (``A``:
which cue each place shows, ``B``: where each action leads) and chooses its moves by
expected free energy, which rewards visiting what it does not know yet. It learns
``A`` by counting. Compared with a random walk, it covers the world in far fewer steps.

The default run explores ``two-rooms`` and ``tem-grid`` 20 times each
(``hippo run active-exploration``); here ``tem-grid`` three times.
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
out = Path(workspace.name) / "active-exploration"
run, metrics = run_experiment(
    "active-exploration",
    ["environments=['tem-grid']", "n_seeds=3", "agent_steps=150", "random_walk_steps=3000"],
    out=out, quiet=True)

# %%
# Steps to cover 90 % of the free cells, and how far the learned likelihood ``A`` is
# from the true one (KL divergence) before and after exploring:
print("steps to coverage: agent", metrics["tem-grid.agent_steps_to_target"],
      "random walk", metrics["tem-grid.random_steps_to_target"])
print("KL(true A || learned A):", round(metrics["tem-grid.kl_start"], 3), "->", round(metrics["tem-grid.kl_end"], 3))

# %%
# The agent's path, its learned likelihood, coverage against steps (agent and random
# walk) and the KL divergence falling as it explores.
for name in ("trajectory", "likelihood", "coverage", "kl"):
    show(run, name)
