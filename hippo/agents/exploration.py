"""A curious active-inference agent exploring a gridworld, and the continuous motion it makes.

:func:`explore_gridworld` lets an :class:`~hippo.agents.active_inference.ActiveInferenceAgent`
explore a gridworld whose cues it must learn; :func:`active_inference_trajectory` turns
that exploration into continuous motion that can drive the sensory streams of a circuit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from hippo.agents.active_inference import ActiveInferenceAgent
from hippo.learning.active_inference.checks import check_count, check_positive
from hippo.learning.active_inference.maths import kl_likelihood
from hippo.world.gridworld_model import as_gridworld, gridworld_model, sample_observation
from hippo.world.trajectory import Trajectory, sample_times, through_cells


@dataclass(frozen=True)
class Exploration:
    """An agent's exploration of a gridworld.

    Attributes:
        states: ``(n_steps + 1,)`` index of the occupied free cell (``env.free_cells``
            order) before each step and after the last.
        actions: ``(n_steps,)`` action indices (stay/N/E/S/W).
        kl: ``(n_steps + 1,)`` mean over states of ``KL(true A || learned A)`` (nats,
            summed over modalities) before learning and after each step; empty unless
            recorded.
        A_true: the true observation likelihood.
        agent: the agent at the end (its ``A``, ``pA`` and ``history``).
    """

    states: np.ndarray
    actions: np.ndarray
    kl: np.ndarray
    A_true: list
    agent: ActiveInferenceAgent


def explore_gridworld(env, n_steps: int, seed: int, start=None, modalities: Sequence[str] = ("cue",),
                      policy_len: int = 3, gamma: float = 16.0, alpha: float = 16.0,
                      prior_concentration: float = 0.1, lr: float = 1.0, location_noise: float = 0.1,
                      record_kl: bool = False, on_step: Callable[[int], None] | None = None) -> Exploration:
    """Let a curious agent explore a gridworld and learn what it observes where.

    The agent knows the transitions ``B`` and its start cell (so it always knows where it
    is) and starts with flat Dirichlet counts ``prior_concentration`` over its observation
    model ``A``. It plans with the parameter information gain of those counts switched
    on, so it seeks the cells whose observations it knows least about.

    Args:
        env: a :class:`~hippo.world.gridworld.Gridworld` or an environment name.
        n_steps: number of steps (observe, learn, act).
        seed: seeds the start cell, the observation noise and the agent's choices.
        start: ``(row, col)`` of the first cell; ``None`` draws a free cell.
        modalities, location_noise: the senses (see :func:`~hippo.world.gridworld_model.gridworld_model`).
        policy_len, gamma, alpha: the agent's planning (see :class:`~hippo.agents.active_inference.ActiveInferenceAgent`).
        prior_concentration: initial Dirichlet count of every entry of ``A`` (> 0).
        lr: pseudo-counts added per observation.
        record_kl: also record the divergence of the learned ``A`` from the true one.
        on_step: called with the number of steps done, after each step.

    Returns:
        The :class:`Exploration`.
    """
    env = as_gridworld(env)
    n_steps = check_count(n_steps, "n_steps", 0)
    concentration = check_positive(prior_concentration, "prior_concentration")
    world_rng, agent_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    if start is None:
        start = env.free_cells[world_rng.integers(env.n_free)]
    A_true, B, C, D = gridworld_model(env, modalities, start, location_noise)
    pA = [np.full(A_m.shape, concentration) for A_m in A_true]
    agent = ActiveInferenceAgent(None, B, C, D, pA=pA, policy_len=policy_len, gamma=gamma, alpha=alpha,
                                 seed=int(agent_rng.integers(2**63)), lr_A=lr, use_param_info_gain=True)
    next_state = B.argmax(axis=0)
    states = np.empty(n_steps + 1, dtype=int)
    actions = np.empty(n_steps, dtype=int)
    kl = np.empty(n_steps + 1 if record_kl else 0)
    states[0] = int(np.argmax(D))
    if record_kl:
        kl[0] = kl_likelihood(A_true, agent.A).mean()
    for t in range(n_steps):
        actions[t] = agent.step(sample_observation(A_true, states[t], world_rng))
        states[t + 1] = next_state[states[t], actions[t]]
        if record_kl:
            kl[t + 1] = kl_likelihood(A_true, agent.A).mean()
        if on_step is not None:
            on_step(t + 1)
    return Exploration(states=states, actions=actions, kl=kl, A_true=A_true, agent=agent)


def active_inference_trajectory(env, duration: float, dt: float, speed: float, seed: int, smoothing: float = 0.25,
                                modalities: Sequence[str] | None = None, policy_len: int = 3, gamma: float = 16.0,
                                alpha: float = 16.0, prior_concentration: float = 0.1) -> Trajectory:
    """Continuous motion of a curious active-inference agent exploring a gridworld.

    The agent of :func:`explore_gridworld` chooses one move (stay/N/E/S/W) per cell;
    each move takes ``cell_size / speed`` seconds, travelled in a straight line between
    cell centres at ``speed`` (a "stay" is a pause of the same length), with corners
    rounded (see :func:`~hippo.world.trajectory.through_cells`).

    Args:
        env: a :class:`~hippo.world.gridworld.Gridworld` or an environment name.
        duration: length of the trajectory in seconds (> 0).
        dt: sampling step in seconds (> 0).
        speed: running speed between cell centres in m/s (> 0).
        seed: seeds the start cell and every choice of the agent.
        smoothing: width (standard deviation) of the corner-rounding filter, in units of
            one move's duration (>= 0; 0 keeps the straight segments).
        modalities: the agent's senses (see :func:`~hippo.world.gridworld_model.gridworld_model`);
            ``None`` is ``("cue",)`` on maps with cue letters and ``("location",)`` on
            maps without (where the cue sense would leave nothing to learn and the agent
            would walk at random).
        policy_len, gamma, alpha, prior_concentration: the agent (see :func:`explore_gridworld`).

    Returns:
        A :class:`~hippo.world.trajectory.Trajectory` with ``round(duration / dt)`` samples:
        ``t`` in s, ``position`` in m (wrapped on periodic worlds), ``velocity`` in m/s.
    """
    env = as_gridworld(env)
    duration = check_positive(duration, "duration")
    dt = check_positive(dt, "dt")
    speed = check_positive(speed, "speed")
    smoothing = check_positive(smoothing, "smoothing", allow_zero=True)
    t = sample_times(duration, dt)
    step_time = env.cell_size / speed
    n_moves = math.ceil(t[-1] / step_time) + 1
    if modalities is None:
        modalities = ("cue",) if env.cue_letters else ("location",)
    exploration = explore_gridworld(env, n_moves, seed, modalities=modalities, policy_len=policy_len,
                                    gamma=gamma, alpha=alpha, prior_concentration=prior_concentration)
    return through_cells(env, env.free_cells[exploration.states], step_time, t, smoothing)
