"""Curiosity-driven exploration of gridworlds by an active-inference agent.

In each environment, an agent that knows the map's connectivity (``B``) and its start
cell, but not what it will observe where, starts with flat Dirichlet counts over its
observation model ``A`` (the cue letter under it) and plans three steps ahead with the
parameter information gain of those counts in its expected free energy
(:func:`hippo.agents.explore_gridworld`). A random walk with
the same actions (stay/N/E/S/W, uniformly) and the same start cells is the baseline.

Outputs, per environment and over ``n_seeds`` runs: the fraction of free cells visited
against steps (coverage) for agent and random walk, the number of steps each needs to
reach ``coverage_target`` (median over runs), and the divergence of the learned ``A``
from the true one against steps, measured as the mean over cells of
``KL(true A[:, s] || learned A[:, s])`` in nats. (The reverse divergence is infinite:
the true cue likelihood is one-hot and the learned one is never exactly zero.)
Figures: a trajectory over the map, learned against true ``A``, coverage, and KL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from hippo.agents.exploration import Exploration, explore_gridworld
from hippo.analysis.exploration import coverage_curves, steps_to_coverage
from hippo.config import bounds, names_file, preset_defaults
from hippo.experiments.active_exploration import figures
from hippo.io import RunDir
from hippo.progress import Progress
from hippo.world.gridworld import Gridworld, load_environment, load_environment_setting
from hippo.world.gridworld_model import gridworld_transitions


@dataclass(frozen=True)
@preset_defaults("active-exploration.toml")
class Config:
    """Exploration of gridworlds. Steps are discrete moves between cells.

    Attributes:
        environments: names (or TOML paths) of the gridworlds explored.
        n_seeds: runs per environment (agent and random walk each).
        agent_steps: steps of each agent run.
        random_walk_steps: steps of each random-walk run.
        coverage_target: fraction of free cells whose first reach is timed.
        policy_len: planning horizon of the agent (steps).
        gamma: policy precision.
        alpha: action precision.
        prior_concentration: initial Dirichlet count of every entry of the agent's ``A``.
    """

    experiment: str
    seed: int
    environments: tuple[str, ...] = field(metadata=names_file())
    n_seeds: int = field(metadata=bounds(min=1))
    agent_steps: int = field(metadata=bounds(min=1))
    random_walk_steps: int = field(metadata=bounds(min=1))
    coverage_target: float = field(metadata=bounds(gt=0.0, max=1.0))
    policy_len: int = field(metadata=bounds(min=1, max=5))
    gamma: float = field(metadata=bounds(gt=0.0))
    alpha: float = field(metadata=bounds(gt=0.0))
    prior_concentration: float = field(metadata=bounds(gt=0.0))

    def __post_init__(self):
        if not self.environments:
            raise ValueError("environments must name at least one gridworld")


# ------------------------------------------------------------------ baseline
def random_walk(next_state: np.ndarray, starts: np.ndarray, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """States ``(n_runs, n_steps + 1)`` of random walks choosing uniformly among the actions.

    ``next_state[s, a]`` is the state reached from ``s`` by action ``a``.
    """
    actions = rng.integers(next_state.shape[1], size=(n_steps, len(starts)))
    states = np.empty((len(starts), n_steps + 1), dtype=np.intp)
    states[:, 0] = starts
    for t in range(n_steps):
        states[:, t + 1] = next_state[states[:, t], actions[t]]
    return states


# ------------------------------------------------------------------ one environment
@dataclass
class EnvironmentResult:
    """Runs in one environment: agent and random-walk states ``(n_seeds, T + 1)``, KL ``(n_seeds, T + 1)``."""

    env: Gridworld
    agent_states: np.ndarray
    random_states: np.ndarray
    kl: np.ndarray
    example: Exploration
    seconds_per_step: float


def explore_environment(config: Config, env: Gridworld, rng: np.random.Generator,
                        on_step) -> EnvironmentResult:
    """All agent and random-walk runs in ``env``, from the same random start cells."""
    starts = rng.integers(env.n_free, size=config.n_seeds)
    seeds = rng.integers(2**63, size=config.n_seeds)
    runs = []
    start_time = time.perf_counter()
    for i, (start, seed) in enumerate(zip(starts, seeds)):
        runs.append(explore_gridworld(env, config.agent_steps, int(seed), start=env.free_cells[start],
                                      policy_len=config.policy_len, gamma=config.gamma, alpha=config.alpha,
                                      prior_concentration=config.prior_concentration, record_kl=True,
                                      on_step=lambda t, i=i: on_step(i * config.agent_steps + t)))
    seconds = (time.perf_counter() - start_time) / (config.n_seeds * config.agent_steps)
    next_state = gridworld_transitions(env).argmax(axis=0)
    walks = random_walk(next_state, starts, config.random_walk_steps, rng)
    return EnvironmentResult(env=env, agent_states=np.stack([r.states for r in runs]), random_states=walks,
                             kl=np.stack([r.kl for r in runs]), example=runs[0], seconds_per_step=seconds)


def environment_metrics(config: Config, result: EnvironmentResult) -> dict:
    """Median steps to the coverage target (agent, random walk), their ratio, and the KL trend."""
    n = result.env.n_free
    agent = steps_to_coverage(coverage_curves(result.agent_states, n), config.coverage_target)
    walk = steps_to_coverage(coverage_curves(result.random_states, n), config.coverage_target)
    kl_median = np.median(result.kl, axis=0)
    name = result.env.name
    agent_median, walk_median = float(np.median(agent)), float(np.median(walk))
    return {
        f"{name}.free_cells": n,
        f"{name}.agent_steps_to_target": agent_median,
        f"{name}.random_steps_to_target": walk_median,
        f"{name}.agent_reached_fraction": float(np.mean(np.isfinite(agent))),
        f"{name}.random_reached_fraction": float(np.mean(np.isfinite(walk))),
        f"{name}.speed_up": walk_median / agent_median,
        f"{name}.kl_start": float(kl_median[0]),
        f"{name}.kl_at_target": float(kl_median[int(min(agent_median, len(kl_median) - 1))]) if np.isfinite(agent_median) else float("nan"),
        f"{name}.kl_end": float(kl_median[-1]),
        f"{name}.kl_fell_fraction": float(np.mean(result.kl[:, -1] < result.kl[:, 0])),
        f"{name}.agent_ms_per_step": 1e3 * result.seconds_per_step,
    }


def _arrays(result: EnvironmentResult) -> dict[str, np.ndarray]:
    key = result.env.name.replace("-", "_")
    n = result.env.n_free
    return {
        f"{key}_coverage_agent": coverage_curves(result.agent_states, n).astype(np.float32),
        f"{key}_coverage_random": coverage_curves(result.random_states, n).astype(np.float32),
        f"{key}_kl": result.kl,
        f"{key}_agent_states": result.agent_states,
        f"{key}_true_A": result.example.A_true[0],
        f"{key}_learned_A": result.example.agent.A[0],
    }


# ------------------------------------------------------------------ run
def run(config: Config, run_dir: RunDir, progress: bool = True) -> dict:
    """Explore every environment; write arrays, figures, and return the metrics."""
    rng = np.random.default_rng(config.seed)
    environments = [load_environment(name) for name in config.environments]
    per_env = config.n_seeds * config.agent_steps
    bar = Progress(len(environments) * per_env, "active-exploration", enabled=progress)
    results, metrics, arrays = [], {}, {}
    try:
        for k, env in enumerate(environments):
            result = explore_environment(config, env, rng, lambda done, k=k: bar.update(k * per_env + done))
            results.append(result)
            metrics.update(environment_metrics(config, result))
            arrays.update(_arrays(result))
    finally:
        bar.close()
    run_dir.write_arrays("exploration", arrays)
    run_dir.figure("trajectory", lambda path: figures.trajectories(results, config.coverage_target, path))
    run_dir.figure("likelihood", lambda path: figures.likelihoods(results, path))
    run_dir.figure("coverage", lambda path: figures.coverage(results, config.coverage_target, path))
    run_dir.figure("kl", lambda path: figures.kl(results, path))
    return metrics


def validate(config: Config) -> None:
    """Refuse, before any work, an environment that does not exist or is malformed.

    Raises:
        ConfigError: keyed ``environments[i]`` without a source when there is no such
            environment; naming the environment file when it is malformed.
    """
    for i, name in enumerate(config.environments):
        load_environment_setting(name, f"environments[{i}]")
