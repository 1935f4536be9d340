"""The spiking bump's speed, diffusion and error against the synaptic time constant and the rate scale.

    python figures/spiking_convergence.py RUN_DIR [RUN_DIR ...] --out spiking_convergence.png

Each RUN_DIR is a spiking path-integration run on a ring (``metrics.json`` with
``bump_noise`` and ``gain_curve``, ``config.toml``, and ``arrays.npz`` with the test's MEC
rates and rate maps, from which the bump's width is measured; run from the repository root,
the script imports ``figures/bump_width_table.py`` beside it). Left: the bump's gain (its velocity
over the true velocity, mean over the constant-velocity probes) against the effective
synaptic time constant τ into MEC's apical compartment, with ``c/τ`` fitted through the
origin in log space; centre: the measured diffusion D of the bump and its bound
D_min = σ²/(τ²R) against the rate scale (σ from the width of the cells' tuning to the
bump's position on the run's saved test trials, ``bump_width_table.remeasured``), with the
rate engine's D for the same weights;
right: the decoded error 10 s after the switch against τ, with the rate engine's. Marker
colour: rate scale.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

import matplotlib
import matplotlib.ticker
import numpy as np
from bump_width_table import remeasured

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _point(run_dir: Path) -> dict:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    spiking = tomllib.loads((run_dir / "config.toml").read_text())["spiking"]
    noise = metrics["bump_noise"]
    gains = [g for g in metrics["gain_curve"]["gains"] if g is not None]
    return {"rate_scale": spiking["rate_scale"], "tau": noise["spiking"]["tau_s"], "gain": float(np.mean(gains)),
            "d": noise["spiking"]["diffusion_m2_per_s"], "d_sem": noise["spiking"]["diffusion_sem"],
            "d_min": remeasured(run_dir)["d_min"], "d_rate": noise["rate"]["diffusion_m2_per_s"],
            "error": metrics["pi_error_m"]["10"], "error_rate": noise["rate"]["pi_error_m"]["10"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("spiking_convergence.png"))
    args = parser.parse_args()
    points = [_point(run) for run in args.runs]
    scales = sorted({p["rate_scale"] for p in points})
    colour = {s: f"C{i}" for i, s in enumerate(scales)}
    fig, (speed, diffusion, error) = plt.subplots(1, 3, figsize=(12, 3.6))
    taus = np.array([p["tau"] for p in points])
    c = float(np.exp(np.mean(np.log([p["gain"] * p["tau"] for p in points]))))
    grid = np.linspace(taus.min() * 0.8, taus.max() * 1.2, 50)
    speed.plot(grid, c / grid, "k:", lw=1, label=f"{c * 1e3:.1f} ms / τ")
    speed.axhline(1.0, color="k", lw=1, label="rate engine (gain 1)")
    for p in points:
        speed.plot(p["tau"], p["gain"], "o", color=colour[p["rate_scale"]])
        error.plot(p["tau"], p["error"], "o", color=colour[p["rate_scale"]])
        diffusion.errorbar(p["rate_scale"], p["d"], yerr=p["d_sem"], fmt="o", color=colour[p["rate_scale"]])
        diffusion.plot(p["rate_scale"], p["d_min"], "v", color=colour[p["rate_scale"]], mfc="none")
    for s in scales:
        speed.plot([], [], "o", color=colour[s], label=f"{s:g} Hz per unit rate")
    diffusion.plot([], [], "ko", label="spiking D")
    diffusion.plot([], [], "kv", mfc="none", label="D_min = σ²/(τ²R)")
    diffusion.axhline(np.mean([p["d_rate"] for p in points]), color="k", lw=1, label="rate engine, same weights")
    error.axhline(np.mean([p["error_rate"] for p in points]), color="k", lw=1, label="rate engine, same weights")
    speed.set(xlabel="effective synaptic τ (s)", ylabel="bump gain (probe mean)", xscale="log", yscale="log")
    diffusion.set(xlabel="rate scale (Hz per unit rate)", ylabel="diffusion D (m²/s)", xscale="log", yscale="log")
    error.set(xlabel="effective synaptic τ (s)", ylabel="error 10 s after the switch (m)", xscale="log")
    for axis in (speed, diffusion, error):
        axis.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)


if __name__ == "__main__":
    main()
