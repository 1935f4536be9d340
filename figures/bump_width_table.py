"""The bump's width and its spike-noise bound, measured again on saved path-integration runs.

    python figures/bump_width_table.py RUN_DIR [RUN_DIR ...]

Prints one Markdown table row per run directory of a 1-D path-integration run. The
width is measured on the test trials the run saved (``arrays.npz``: ``test.mec``, the
first two trials, and ``rate_maps``, which give the cells' preferred positions), in
generation:

- **tuning FWHM**: :func:`hippo.analysis.bump.tuning_width`, the median width of the MEC
  cells' tuning to the bump's population-vector position (what ``bump.fwhm_generative_m``
  measures since the bump's width was re-defined);
- **arc FWHM**: the median, over samples, of :func:`hippo.analysis.bump.fwhm` of the raw
  rates: the arc from the most active cell to its first neighbour below half height (the
  width runs reported before), which ends at the first silent or weak cell;
- **silent**: MEC cells with a preferred position that stay below 5 % of the most active
  cell's peak through generation.

On a spiking run the bound is then computed again from the run's own spike rate ``R``,
synaptic time constant ``τ``, diffusion ``D`` and Fano factor ``F``
(``metrics.json``, ``bump_noise.spiking``): ``D_min = σ²/(τ²R)`` with ``σ`` the tuning
FWHM over 2√(2 ln 2) (:func:`hippo.analysis.spike_diffusion.diffusion_bound`), ``D/D_min``
and ``D/(F·D_min)``, the bound of counts as variable as the measured ones. ``F`` is the run's
own: a run made before the width was re-defined counted the units within half the arc FWHM
of the bump's centre, a later run those within half the tuning FWHM. On a rate run ``D`` is
the error decomposition's.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

import numpy as np

from hippo.analysis.bump import fwhm, preferred_positions, tuning_width
from hippo.analysis.spike_diffusion import FWHM_PER_SIGMA, diffusion_bound
from hippo.world import load_environment

#: Fraction of the most active cell's peak below which a cell counts as silent in generation.
SILENT = 0.05


def remeasured(run_dir: Path) -> dict:
    """The bump's widths (m), silent cells, and on spiking runs the bound, of one saved run (see the module docstring)."""
    arrays = np.load(run_dir / "arrays.npz")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    t, mec = arrays["test.t"], arrays["test.mec"]
    config = tomllib.loads((run_dir / "config.toml").read_text())
    length = float(load_environment(config["environment"]).size[0])
    preferred = preferred_positions(arrays["rate_maps"], length)
    tuned = np.isfinite(preferred)
    rates = mec[:, t > 0][:, :, tuned].reshape(-1, int(tuned.sum()))
    peaks = rates.max(axis=0)
    row = {"run": run_dir.name, "tuning_fwhm": tuning_width(rates, preferred[tuned], length),
           "arc_fwhm": float(np.nanmedian(fwhm(rates, preferred[tuned], length))),
           "silent": int((peaks < SILENT * peaks.max()).sum()), "cells": int(tuned.sum())}
    noise = metrics.get("bump_noise", {}).get("spiking")
    if noise is None:
        row["d"] = metrics["error_decomposition"]["diffusion_m2_per_s"]
        return row
    d_min = diffusion_bound(row["tuning_fwhm"] / FWHM_PER_SIGMA, noise["tau_s"], noise["spike_rate_hz"])
    row.update(d=noise["diffusion_m2_per_s"], rate_hz=noise["spike_rate_hz"], tau=noise["tau_s"],
               fano=noise["fano_unit"], d_min=d_min, d_over_d_min=noise["diffusion_m2_per_s"] / d_min,
               d_over_d_min_counts=noise["diffusion_m2_per_s"] / (noise["fano_unit"] * d_min))
    return row


def _cell(row: dict, key: str, form: str) -> str:
    return format(row[key], form) if key in row else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="path-integration run directories")
    args = parser.parse_args()
    print("| run | tuning FWHM (m) | arc FWHM (m) | silent cells | D (m²/s) | R (Hz) | F | D_min (m²/s) | D/D_min | D/(F·D_min) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run_dir in args.runs:
        row = remeasured(run_dir)
        print(f"| {row['run']} | {row['tuning_fwhm']:.3f} | {row['arc_fwhm']:.4f} | {row['silent']} / {row['cells']} | "
              f"{row['d']:.2e} | {_cell(row, 'rate_hz', '.0f')} | {_cell(row, 'fano', '.2f')} | "
              f"{_cell(row, 'd_min', '.2e')} | {_cell(row, 'd_over_d_min', '.2f')} | "
              f"{_cell(row, 'd_over_d_min_counts', '.2f')} |")


if __name__ == "__main__":
    main()
