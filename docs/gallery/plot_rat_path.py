"""
Path integration on a rat's recorded path
=========================================

Instead of simulated motion, the agent follows the path of a real rat: the trajectory
of Sargolini et al. (2006), 600 s in a 1 m box, shipped by the ``ratinabox`` package
(``pip install 'hippo[data]'``). The first 420 s are played forward and backward for
training; the test plays the last 179 s, which the training never saw.

The default run (``hippo run path-integration-rat``, about 3 minutes) trains 200 MEC
cells for 240 simulated minutes; here for 20 minutes.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from hippo.experiments import run_experiment

SHORT = ["duration=1200", "test.decoder_window=120", "test.n_trials=5",
         "test.generative=10", "test.report_times=[1.0, 2.0, 5.0, 10.0]", "maps.duration=60",
         "gain_probes.speeds=[0.2]", "gain_probes.n_directions=4", "topology.n_points=60", "topology.max_dim=1"]
out = Path(tempfile.mkdtemp()) / "path-integration-rat"
run, metrics = run_experiment("path-integration-rat", SHORT, seed=0, out=out, quiet=True)

# %%
# The rat runs slowly (median 0.10 m/s), so an estimate that stays put errs little at
# first; the network's error is to be read against it:
print("error (m):", {t: round(e, 3) for t, e in metrics["pi_error_m"].items()})
print("staying put (m):", {t: round(e, 3) for t, e in metrics["stationary_error_m"].items()})

# %%
# Decoded and true paths on the held-out stretch, and the MEC rate maps along the
# rat's path.
for name in ("paths", "rate_maps"):
    plt.figure(figsize=(8, 4))
    plt.imshow(plt.imread(run.path / "figures" / f"{name}.png"))
    plt.axis("off")
