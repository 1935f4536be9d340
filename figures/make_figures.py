"""Render the paper's figures: run each experiment on its defaults and collect its figures.

    python figures/make_figures.py [--out figures/output] [--seed 0] [--only NAME ...]

Each experiment writes a full run directory under ``<out>/runs/``; its figures are
copied to ``<out>/<experiment>/``. Figures 1–2 of the paper come from ``autoencoding``,
figure 3 from ``path-integration``; the Bayesian-mechanics and active-exploration
experiments add the figures of the learning cores. The spiking versions
(``--only autoencoding-spiking path-integration-spiking``) add spike rasters and
spike-count rate maps; they take about 25 minutes on one core.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from hippo.runner import list_presets, run_experiment

EXPERIMENTS = ("autoencoding", "path-integration", "bayesian-mechanics", "active-exploration")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "output"), help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="experiments to render (default: all available)")
    args = parser.parse_args()
    out = Path(args.out)
    names = [name for name in (args.only or EXPERIMENTS) if name in list_presets()]
    for name in names:
        print(f"{name} ...", flush=True)
        run_dir, _ = run_experiment(name, seed=args.seed, out=out / "runs" / name, quiet=True, overwrite=True)
        target = out / name
        target.mkdir(parents=True, exist_ok=True)
        for figure in sorted(run_dir.figures.glob("*.png")):
            shutil.copy2(figure, target / figure.name)
            print(f"  {target / figure.name}")


if __name__ == "__main__":
    main()
