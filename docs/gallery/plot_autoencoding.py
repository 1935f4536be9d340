"""
Learning to generate a latent stream (figures 1–2)
==================================================

Experiment A: five slow latent signals (Gaussian processes, timescale 1 s) are mixed
into 50 sensory features. HPC (50 cells) receives them on its basal dendrites; MEC
(5 cells) learns to infer them bottom-up and, on its apical dendrites, to predict its
own next state. Theta switches each soma between its basal (wake) and apical (sleep)
dendrite five times a second, and every dendrite learns to predict its soma.

The default run trains for 30 simulated minutes (``hippo run autoencoding``); here 10.
"""

import tempfile
from pathlib import Path

from _figures import show  # displays figures/<name>.png of a run
from hippo.experiments import run_experiment

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
out = Path(workspace.name) / "autoencoding"
run, metrics = run_experiment("autoencoding", ["duration=600", "test_duration=300", "show_duration=10"],
                              seed=0, out=out, quiet=True)

# %%
# The loss is the mismatch between each layer's basal and apical rates: it falls as
# the top-down (generative) weights learn to predict what the bottom-up (recognition)
# weights infer, and the other way round.
print("HPC loss", round(metrics["loss_hpc_initial"], 3), "->", round(metrics["loss_hpc_final"], 3))
print("MEC loss", round(metrics["loss_mec_initial"], 3), "->", round(metrics["loss_mec_final"], 3))
for name in ("loss", "activity"):
    show(run, name)

# %%
# With the senses cut off (θ ≡ 0) the trained network generates: MEC activity
# decorrelates on the latents' timescale, so the network has learned the statistics
# of its stream, not only its samples.
print("decorrelation time: latents", round(metrics["autocorr_time_latents_s"], 2), "s, generated",
      round(metrics["autocorr_time_generated_s"], 2), "s")
show(run, "autocorrelation")
