"""Does the rate engine of another source tree give bit-identical numbers to this one?

Runs the same simulations with this tree's code and with the tree at ``PATH`` (each in
its own process, that tree first on ``PYTHONPATH``) and compares every weight and every
recorded signal exactly. The simulations, 60 s each in single and double precision,
with compartment noise, square theta and learning:

* ``path-integration``: the experiment-B network from the wiring builder, fed fixed
  random inputs, learning with the prediction-error rule (one projection with L2, one
  with L1 and Dale's law), the learning rates halved for the last 20 s;
* ``bayesian-mechanics``: the same network with every plastic projection learning with
  the Bayesian-mechanics rule (with a Hebbian term);
* ``student``: a teacher–student compartment as in ``tests/test_bayesian_mechanics_circuit.py``
  (Bayesian mechanics, with a bias).

Each tree runs twice from an empty numba cache of its own: once with kernels compiled in
the process, once with kernels loaded from the cache; the two are compared separately
(a freshly compiled kernel and a cached one may round differently).

    python benchmarks/compare_engine_trees.py PATH [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

N_FEATURES, N_MEC, N_VELOCITY = 40, 30, 4


def _path_integration(rule: str, rng: np.random.Generator):
    """The network of ``path-integration.toml`` (100 MEC cells there, fewer here), with the given rule."""
    from hippo.circuits.activations import Activation
    from hippo.circuits.spec import Noise, Plasticity, ProjectionConfig
    from hippo.circuits.wiring import PathIntegratorProjections, PyramidalConfig, path_integrator_network
    from hippo.theta import ThetaConfig

    noise = Noise(0.03, 0.3)
    hpc = PyramidalConfig(basal_noise=noise, apical_noise=noise)
    mec = PyramidalConfig(basal=Activation("retanh"), apical=Activation("retanh"), basal_noise=noise, apical_noise=noise)
    if rule == "prediction-error":
        learn = Plasticity(eta=0.01, tau_trace=0.1)
        projections = PathIntegratorProjections(
            ProjectionConfig(w_init=1.0, bias=True, plasticity=Plasticity(eta=0.01, tau_trace=0.1, l2=0.003)),
            ProjectionConfig(w_init=1.0, bias=True, plasticity=learn),
            ProjectionConfig(w_init=0.2, plasticity=learn),
            ProjectionConfig(w_init=0.2, dale="excitatory", plasticity=Plasticity(eta=0.01, tau_trace=0.1, l1=1e-4)))
    else:
        learn = Plasticity(rule="bayesian-mechanics", m_w=200.0, alpha=0.001)
        projections = PathIntegratorProjections(
            ProjectionConfig(w_init=1.0, bias=True, plasticity=learn), ProjectionConfig(w_init=1.0, bias=True, plasticity=learn),
            ProjectionConfig(w_init=0.2, plasticity=learn), ProjectionConfig(w_init=0.2, plasticity=learn))
    network = path_integrator_network(N_FEATURES, N_MEC, N_VELOCITY, hpc, mec, 1.0, projections, rng)
    return network, 0.025, ThetaConfig(shape="square", frequency=5.0, wake_fraction=0.5)


def _student(rng: np.random.Generator):
    from hippo.circuits.spec import Layer, Network, Noise, Plasticity, ProjectionConfig, build_projection
    from hippo.theta import ThetaConfig

    x = Layer("features", N_FEATURES, "input")
    y = Layer("hpc", N_MEC, "pyramidal", basal_noise=Noise(0.01, 0.3), apical_noise=Noise(0.01, 0.3))
    teacher = rng.normal(0.0, 1.0 / np.sqrt(N_FEATURES), (N_MEC, N_FEATURES))
    learned = ProjectionConfig(w_init=0.1, bias=True, plasticity=Plasticity(rule="bayesian-mechanics", m_w=100.0))
    network = Network((x, y), (build_projection(x, y, "basal", ProjectionConfig(plastic=False), rng, fixed=teacher),
                               build_projection(x, y, "apical", learned, rng)))
    return network, 0.025, ThetaConfig()


def simulate(out: Path, seconds: float) -> None:
    """Run every case in this process's ``hippo`` and write weights and recordings to ``out``."""
    from hippo.circuits.rate import RateEngine

    arrays = {}
    for case in ("path-integration", "bayesian-mechanics", "student"):
        for precision in ("float32", "float64"):
            rng = np.random.default_rng(1)
            if case == "student":
                network, dt, theta = _student(rng)
            else:
                network, dt, theta = _path_integration("prediction-error" if case == "path-integration" else case, rng)
            n_steps = int(round(seconds / dt))
            inputs_rng = np.random.default_rng(2)
            features = inputs_rng.uniform(0.0, 1.0, (n_steps, N_FEATURES))
            velocity = np.abs(inputs_rng.normal(0.0, 0.5, (n_steps, N_VELOCITY)))

            def inputs(start, stop):
                return {"features": features[start:stop], "velocity": velocity[start:stop]}

            names = [layer.name for layer in network.layers if layer.kind != "input"]
            record = tuple(names) + tuple(f"{layer.name}.{c}" for layer in network.layers if layer.kind == "pyramidal"
                                          for c in ("basal", "apical"))
            engine = RateEngine(network, dt, seed=3, precision=precision)
            first = engine.run(seconds * 2 / 3, inputs, theta, record=record, record_every=4)
            engine.scale_learning_rates(0.5 if case == "path-integration" else 1.0)
            second = engine.run(seconds - engine.t, inputs, theta, record=record, record_every=4)
            prefix = f"{case}/{precision}/"
            for part, recording in (("first", first), ("second", second)):
                arrays.update(recording.arrays(f"{prefix}{part}/"))
            arrays.update({f"{prefix}weight/{k}": v for k, v in engine.all_weights().items()})
    np.savez(out, **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", help="root of the other source tree (holding hippo/)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        simulate(Path(args.worker), args.seconds)
        return
    if not args.tree:
        parser.error("give the other tree's root")
    here = Path(__file__).resolve().parents[1]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, tree in (("this", here), ("other", Path(args.tree).resolve())):
            # each tree compiles into its own empty numba cache, then runs again from that cache:
            # a kernel compiled in the running process and one loaded from the cache can round differently
            env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(Path(folder) / f"numba-{label}"))
            for when in ("compiled", "cached"):
                out = Path(folder) / f"{label}-{when}.npz"
                subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(out),
                                "--seconds", str(args.seconds)], env=env, cwd=folder, check=True)
                with np.load(out) as archive:
                    results[label, when] = {k: archive[k] for k in archive.files}
    failed = False
    for when in ("compiled", "cached"):
        this, other = results["this", when], results["other", when]
        differing = sorted(k for k in this.keys() | other.keys()
                           if k not in this or k not in other or not np.array_equal(this[k], other[k], equal_nan=True))
        print(f"kernels {when}: {len(this)} arrays compared ({sum(v.size for v in this.values())} numbers)")
        for key in differing:
            if key in this and key in other and this[key].shape == other[key].shape:
                print(f"  differs: {key}: max |Δ| = {np.nanmax(np.abs(this[key] - other[key])):.3g}")
            else:
                print(f"  differs: {key}: present or shaped differently")
        print("  bit-identical" if not differing else f"  {len(differing)} arrays differ")
        failed = failed or bool(differing)
    for label in ("this", "other"):
        compiled, cached = results[label, "compiled"], results[label, "cached"]
        same = [k for k in compiled if np.array_equal(compiled[k], cached.get(k), equal_nan=True)]
        print(f"{label} tree, freshly compiled vs cached kernels: {len(compiled) - len(same)} of {len(compiled)} arrays differ")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
