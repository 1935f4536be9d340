"""Speed of policy inference and of the exploring agent.

Prints milliseconds per call of ``infer_policies`` over all 125 policies of length 3
(5 actions) on the ``tem-grid`` model (64 states, 12 cue outcomes) from a uniform
belief, with validation included, for the expected-free-energy terms used by default
and with parameter information gain added; the same on ``two-rooms`` (221 states,
sparse transitions) and on ``tem-grid`` with a noisy location sense added (768 joint
outcomes); and milliseconds per step of the exploring agent (state inference,
Dirichlet learning, policy inference and action sampling). Each figure is the median
of ``--calls`` calls (the machine's timing noise is large); the goal for the first
line is under 5 ms.

    python benchmarks/bench_active_inference.py [--calls 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hippo.agents import explore_gridworld
from hippo.learning.active_inference import construct_policies, dirichlet_expectation, infer_policies
from hippo.world.gridworld_model import gridworld_model


def time_calls(call, n: int) -> float:
    """Median wall time of ``call()`` in milliseconds over ``n`` calls (after one warm-up call)."""
    call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def bench_policies(env: str, modalities: tuple[str, ...], calls: int) -> tuple[float, float]:
    A, B, C, D = gridworld_model(env, modalities)
    pA = [np.ones_like(A_m) for A_m in A]
    A = dirichlet_expectation(pA)
    policies = construct_policies(B.shape[2], 3)
    plain = time_calls(lambda: infer_policies(D, A, B, C, policies), calls)
    novelty = time_calls(lambda: infer_policies(D, A, B, C, policies, pA=pA, use_param_info_gain=True), calls)
    return plain, novelty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per timing; the median is reported")
    args = parser.parse_args()

    print("infer_policies, 125 policies of 3 steps, uniform belief (ms per call, median):")
    for env, modalities in (("tem-grid", ("cue",)), ("two-rooms", ("cue",)), ("tem-grid", ("cue", "location"))):
        plain, novelty = bench_policies(env, modalities, args.calls)
        label = f"{env} [{' + '.join(modalities)}]"
        print(f"  {label:28s} risk + ambiguity {plain:6.2f}   + parameter information gain {novelty:6.2f}")
    for env in ("tem-grid", "two-rooms"):
        n_steps = 5 * args.calls
        start = time.perf_counter()
        explore_gridworld(env, n_steps, seed=0)
        per_step = 1e3 * (time.perf_counter() - start) / n_steps
        print(f"exploring agent on {env:10s} {per_step:6.2f} ms per step ({n_steps} steps)")


if __name__ == "__main__":
    main()
