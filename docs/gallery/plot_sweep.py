"""
A sweep and its plot
====================

A study is a grid of runs: seeds × parameters, declared once in a sweep file. Here the
path-integration network is trained for 30 simulated minutes with two sizes of MEC on
two seeds; ``workers=1`` runs the four runs one after another in this process
(``hippo sweep FILE`` uses every core, an existing Dask scheduler or SLURM/PBS). The
runs land in one folder with one results table, and ``plot_sweep`` draws a metric
against a swept key, mean ± s.e.m. over seeds.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from hippo.sweep import load_sweep, plot_sweep, read_table, run_sweep

workspace = tempfile.TemporaryDirectory()  # removed when the script ends
folder = Path(workspace.name)
sweep_file = folder / "mec-size.toml"
sweep_file.write_text(f"""
[sweep]
experiment = "path-integration"
seeds = [0, 1]
out = "{folder / 'mec-size'}"
[set]
duration = 1800
"test.n_trials" = 3
"test.generative" = 5
"test.report_times" = [1, 2, 5]
"test.decoder_window" = 60
"gain_probes.step" = 1.5
"topology.n_points" = 40
[grid]
n_mec = [40, 150]
""")
run_sweep(load_sweep(sweep_file), workers=1, figures=False, quiet=True)

# %%
# The results table: one row per run, one column per swept key and per metric.
table = read_table(folder / "mec-size")
print(table[["n_mec", "seed", "status", "pi_error_m.1", "pi_error_m.5"]].to_string(index=False))

# %%
# The 1 s error against the number of MEC cells, mean ± s.e.m. over the two seeds. Two
# seeds of a short training make a noisy point; a real study runs more seeds
# (``seeds = [0, 1, 2, 3, 4]``) and the full training.
figure = plot_sweep(folder / "mec-size", x="n_mec", y="pi_error_m.1")
plt.figure(figsize=(6, 4))
plt.imshow(plt.imread(figure))
plt.axis("off")
