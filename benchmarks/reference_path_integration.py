"""Microseconds per step of the reference implementation on the path-integration network.

The reference is the published code of the model (George et al., NeurIPS 2023): the
module ``HH_utils.py`` of https://github.com/TomGeorge1234/HelmholtzHippocampus, run on
``ratinabox==1.6.3`` (and ``tomplotlib``, which the module imports). This script builds
the path-integration network of that repository's ``figs34.ipynb`` — place-cell
features → HPC basal (identity, fixed), HPC apical ← MEC, MEC basal ← HPC, MEC apical ←
MEC and ← conjunctive cells, two velocity cells, conjunctive cells ``[I; I]`` × MEC plus
the signed velocity cells (fixed) — with the layer sizes given on the command line, and
times the reference's ``run_simulation`` (learning on, no plots) after one simulated
second of warm-up. It needs neither hippo nor a hippo-compatible ratinabox, so it runs in
its own environment; ``benchmarks/bench_rate_engine.py --reference`` calls it:

    python -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install ratinabox==1.6.3 tomplotlib==1.2.2 tqdm
    git clone https://github.com/TomGeorge1234/HelmholtzHippocampus /tmp/HelmholtzHippocampus
    /tmp/refvenv/bin/python benchmarks/reference_path_integration.py --code /tmp/HelmholtzHippocampus

It prints one line of JSON: ``us_per_step``, ``steps``, ``ratinabox`` (the version) and
``seconds`` (wall seconds of the timed run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def build(hh, n_features: int, n_mec: int, dt: float):
    """The agent and the layers (in the reference's update order) of the path-integration network."""
    import numpy as np
    from ratinabox.Agent import Agent
    from ratinabox.Environment import Environment
    from ratinabox.Neurons import FeedForwardLayer, PlaceCells, VelocityCells

    env = Environment(params={"boundary_conditions": "periodic", "dimensionality": "1D", "scale": 1})
    agent = Agent(env, params={"dt": dt, "speed_mean": 0, "speed_std": 0.5})
    features = PlaceCells(agent, params={"description": "gaussian", "n": n_features, "name": "Features", "widths": 0.06})
    theta = {"theta_func": "square", "theta_freq": 5}
    hpc = hh.PyramidalNeurons(agent, params={"name": "HPC", "n": n_features, **theta,
                                             "dendrite_activation_params": {"activation": "linear"}})
    mec = hh.PyramidalNeurons(agent, params={"name": "EC", "n": n_mec, **theta,
                                             "dendrite_activation_params": {"activation": "retanh"}})
    velocity = VelocityCells(agent, params={"name": "VCs"})
    conjunctive = FeedForwardLayer(agent, params={"n": 2 * n_mec, "name": "CVCs",
                                                  "activation_params": {"activation": "relu", "threshold": 1.0}})
    conjunctive.add_input(velocity)
    conjunctive.add_input(mec)
    conjunctive.inputs["VCs"]["w"] = np.concatenate([np.ones((n_mec, 2)) * np.array([1, -1]),
                                                     np.ones((n_mec, 2)) * np.array([-1, 1])])
    conjunctive.inputs["EC"]["w"] = np.vstack([np.eye(n_mec), np.eye(n_mec)])
    hpc.basal_compartment.add_input(features, eta=0, w_init=1.5)
    hpc.basal_compartment.inputs["Features"]["w"] = np.identity(n_features)
    hpc.apical_compartment.add_input(mec, eta=0.01, w_init=1, bias=True)
    mec.basal_compartment.add_input(hpc, eta=0.01, w_init=1, bias=True)
    mec.apical_compartment.add_input(mec, eta=0.01, w_init=0.2, bias=False)
    mec.apical_compartment.add_input(conjunctive, eta=0.01, w_init=0.2, bias=False)
    return agent, [features, hpc, mec, conjunctive, velocity]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, required=True, help="folder holding the reference's HH_utils.py")
    parser.add_argument("--minutes", type=float, default=1.0, help="simulated minutes timed")
    parser.add_argument("--n-features", type=int, default=100, help="features (and HPC cells)")
    parser.add_argument("--n-mec", type=int, default=150, help="MEC cells (twice as many conjunctive cells)")
    parser.add_argument("--dt", type=float, default=0.025, help="time step, seconds")
    parser.add_argument("--seed", type=int, default=0, help="seed of numpy's global generator (the reference draws from it)")
    args = parser.parse_args()
    if not (args.code / "HH_utils.py").is_file():
        sys.exit(f"no HH_utils.py in {args.code}")
    import matplotlib

    matplotlib.use("Agg")
    from importlib.metadata import version

    import numpy as np

    sys.path.insert(0, str(args.code.resolve()))
    os.chdir(tempfile.mkdtemp(prefix="hippo-reference-"))  # the reference saves figures under ./figures/
    import HH_utils

    np.random.seed(args.seed)
    agent, layers = build(HH_utils, args.n_features, args.n_mec, args.dt)
    HH_utils.run_simulation(time_min=1 / 60, Agent=agent, layers=layers, train=True, no_plot=True, verbose=False)
    steps = int(60 * args.minutes / args.dt)
    start = time.perf_counter()
    HH_utils.run_simulation(time_min=args.minutes, Agent=agent, layers=layers, train=True, no_plot=True, verbose=False)
    seconds = time.perf_counter() - start
    print(json.dumps({"us_per_step": 1e6 * seconds / steps, "steps": steps, "seconds": seconds,
                      "ratinabox": version("ratinabox")}))


if __name__ == "__main__":
    main()
