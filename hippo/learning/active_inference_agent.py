"""An active-inference agent, gridworld exploration with it, and its trajectories.

:class:`ActiveInferenceAgent` perceives (exact state inference), plans (posterior over
policies from their expected free energy) and acts (samples an action), and learns
the Dirichlet counts of its observation and transition models when it is given them.
:func:`explore_gridworld` lets it explore a gridworld whose map it must learn, and
:func:`active_inference_trajectory` turns that exploration into continuous motion
that can drive the sensory streams of a circuit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from hippo.errors import HippoError
from hippo.learning.active_inference import (
    _add_observation_counts,
    _add_transition_counts,
    _check_number,
    _check_positive,
    _environment,
    _log,
    _log_habits,
    _move_preferences,
    _node_free_energy,
    _posterior,
    _predict_states,
    _softmax,
    _terms,
    check_dirichlet,
    check_distribution,
    check_likelihood,
    check_observation,
    check_preferences,
    check_transitions,
    construct_policies,
    dirichlet_expectation,
    gridworld_model,
    kl_likelihood,
    policy_posterior,
    transition_operators,
)
from hippo.world.motion import Trajectory


def _change(new: Sequence[np.ndarray], old: Sequence[np.ndarray]) -> float:
    """Frobenius norm of the change of a list of arrays."""
    return math.sqrt(sum(float(np.sum((n - o) ** 2)) for n, o in zip(new, old)))


class ActiveInferenceAgent:
    """An agent that infers states, plans by expected free energy, acts and learns.

    Args:
        A: observation likelihood (list of ``(n_obs_m, n_states)``); may be ``None``
            when ``pA`` is given (it is then the expectation of ``pA``).
        B: transitions ``(n_states, n_states, n_actions)``; may be ``None`` when ``pB``
            is given.
        C: log-preferences, one ``(n_obs_m,)`` array per modality.
        D: ``(n_states,)`` prior over the first state.
        pA: Dirichlet counts over ``A``; when given, ``A`` is learned (and must equal
            the counts' expectation if also given).
        pB: Dirichlet counts over ``B``; when given, ``B`` is learned likewise.
        policy_len: planning horizon in steps; the agent evaluates all
            ``n_actions ** policy_len`` action sequences.
        gamma: policy precision.
        alpha: action precision: actions are drawn from ``softmax(alpha · log p(a))``,
            with ``p(a)`` the posterior probability of policies starting with ``a``.
        seed: seed of the agent's random generator (action sampling).
        E: ``(n_policies,)`` prior over policies; ``None`` is uniform.
        lr_A, lr_B: pseudo-counts added per observation / transition.
        lr_C: learning rate of the preferences from rewards passed to :meth:`step`.
        use_utility, use_states_info_gain, use_param_info_gain: terms of the expected
            free energy (see :func:`~hippo.learning.active_inference.expected_free_energy`);
            parameter information gain needs ``pA``.
        stability_window: number of recent steps the stability index is computed over.

    After each :meth:`step`, ``qs`` holds the posterior over states, ``q_pi`` and ``G``
    those over policies, and :attr:`history` the per-step diagnostics.
    """

    def __init__(self, A, B, C, D, pA=None, pB=None, policy_len: int = 3, gamma: float = 16.0,
                 alpha: float = 16.0, seed: int = 0, E=None, lr_A: float = 1.0, lr_B: float = 1.0,
                 lr_C: float = 0.0, use_utility: bool = True, use_states_info_gain: bool = True,
                 use_param_info_gain: bool = False, stability_window: int = 10):
        self.pA = self._dirichlet_A(pA, A)
        self.A = dirichlet_expectation(self.pA) if self.pA is not None else check_likelihood(A)[0]
        n_states = self.A[0].shape[1]
        self._n_obs = [A_m.shape[0] for A_m in self.A]
        self.pB = self._dirichlet_B(pB, B, n_states)
        self.B = dirichlet_expectation(self.pB) if self.pB is not None else check_transitions(B, n_states)
        self.C = check_preferences(C, self._n_obs)[0]
        self.D = check_distribution(D, n_states, "D")
        self.policies = construct_policies(self.B.shape[2], policy_len)
        self.gamma = _check_positive(gamma, "gamma")
        self.alpha = _check_positive(alpha, "alpha")
        self.log_E = _log_habits(E, len(self.policies))
        self.lr_A = _check_positive(lr_A, "lr_A", allow_zero=True)
        self.lr_B = _check_positive(lr_B, "lr_B", allow_zero=True)
        self.lr_C = _check_positive(lr_C, "lr_C", allow_zero=True)
        if use_param_info_gain and self.pA is None:
            raise HippoError("use_param_info_gain=True needs the Dirichlet parameters pA")
        self.flags = (bool(use_utility), bool(use_states_info_gain), bool(use_param_info_gain))
        if isinstance(stability_window, bool) or not isinstance(stability_window, int) or stability_window < 2:
            raise HippoError(f"stability_window: expected an integer >= 2, got {stability_window!r}")
        self.stability_window = stability_window
        self.rng = np.random.default_rng(seed)
        self._operators = transition_operators(self.B)
        self._terms = _terms(self.A, self.C, self.pA, *self.flags)
        self.qs = self.D
        self.q_pi = np.exp(self.log_E)
        self.G = np.zeros(len(self.policies))
        self.action: int | None = None
        self._history: dict[str, list[float]] = {k: [] for k in ("action", "belief_entropy", "dA", "dB", "dC", "stability")}

    # ----------------------------------------------------------------- set-up
    @staticmethod
    def _dirichlet_A(pA, A):
        if pA is None:
            return None
        pA = check_dirichlet(pA, None, "pA")[0]
        check_likelihood(dirichlet_expectation(pA), "pA normalised")
        if A is not None:
            A = check_likelihood(A)[0]
            if [a.shape for a in A] != [p.shape for p in pA] or not all(
                    np.allclose(a, e, atol=1e-9) for a, e in zip(A, dirichlet_expectation(pA))):
                raise HippoError("A: must equal the expectation of pA (pA normalised over outcomes), or be None")
        return pA

    @staticmethod
    def _dirichlet_B(pB, B, n_states: int):
        if pB is None:
            return None
        pB = check_dirichlet(np.asarray(pB, dtype=float), None, "pB")[0][0]
        check_transitions(dirichlet_expectation(pB), n_states, "pB normalised")
        if B is not None and not np.allclose(check_transitions(B, n_states), dirichlet_expectation(pB), atol=1e-9):
            raise HippoError("B: must equal the expectation of pB (pB normalised over next states), or be None")
        return pB

    # ------------------------------------------------------------- one step
    def step(self, obs, reward: float | None = None) -> int:
        """Perceive ``obs`` (one index per modality), learn, plan, and return the next action index.

        ``reward`` (optional) drives preference learning at rate ``lr_C``.
        """
        obs = check_observation(obs, self._n_obs)
        qs_prev = self.qs
        prior = self.D if self.action is None else self._operators[self.action] @ self.qs
        self.qs = _posterior(obs, self.A, _log(prior))
        dA = self._learn_A(obs)
        dB = self._learn_B(qs_prev)
        dC = self._learn_C(obs, reward)
        if dA or dC:
            self._terms = _terms(self.A, self.C, self.pA, *self.flags)
        Q, node = _predict_states(self.qs, self._operators, self.policies)
        self.G = _node_free_energy(Q, self._terms)[node].sum(axis=1)
        self.q_pi = policy_posterior(self.G, self.gamma, self.log_E)
        self.action = self._sample_action()
        self._record(dA, dB, dC)
        return self.action

    def _learn_A(self, obs: np.ndarray) -> float:
        if self.pA is None or self.lr_A == 0:
            return 0.0
        self.pA = _add_observation_counts(self.pA, self.A, obs, self.qs, self.lr_A)
        A = dirichlet_expectation(self.pA)
        change, self.A = _change(A, self.A), A
        return change

    def _learn_B(self, qs_prev: np.ndarray) -> float:
        if self.pB is None or self.lr_B == 0 or self.action is None:
            return 0.0
        self.pB = _add_transition_counts(self.pB, self.B, self.qs, qs_prev, self.action, self.lr_B)
        B = dirichlet_expectation(self.pB)
        change, self.B = _change([B], [self.B]), B
        self._operators = transition_operators(self.B)
        return change

    def _learn_C(self, obs: np.ndarray, reward: float | None) -> float:
        if reward is None or self.lr_C == 0:
            return 0.0
        C = _move_preferences(self.C, obs, _check_number(reward, "reward"), self.lr_C)
        change, self.C = _change(C, self.C), C
        return change

    def _sample_action(self) -> int:
        marginal = np.bincount(self.policies[:, 0], weights=self.q_pi, minlength=self.B.shape[2])
        p = _softmax(self.alpha * _log(marginal))
        return int(self.rng.choice(len(p), p=p))

    def _record(self, dA: float, dB: float, dC: float) -> None:
        history = self._history
        history["action"].append(self.action)
        history["belief_entropy"].append(float(-np.sum(self.qs[self.qs > 0] * np.log(self.qs[self.qs > 0]))))
        history["dA"].append(dA)
        history["dB"].append(dB)
        history["dC"].append(dC)
        recent = np.sqrt(np.square(history["dA"][-self.stability_window:]) + np.square(history["dB"][-self.stability_window:])
                         + np.square(history["dC"][-self.stability_window:]))
        history["stability"].append(1.0 / (1.0 + float(np.std(recent))) if len(recent) >= 2 else float("nan"))

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Per-step diagnostics, each ``(n_steps,)``.

        ``action``: action taken; ``belief_entropy``: entropy of ``qs`` (nats);
        ``dA``, ``dB``, ``dC``: Frobenius norm of the change of ``A``, ``B`` and ``C``
        at that step (zero when not learned); ``stability``: ``1 / (1 + std)`` of the
        total parameter change over the last ``stability_window`` steps (1 when learning
        has settled to a steady rate; NaN on the first step).
        """
        return {k: np.asarray(v, dtype=int if k == "action" else float) for k, v in self._history.items()}


# ------------------------------------------------------------------- gridworld exploration
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


def _sample_outcomes(A: list[np.ndarray], state: int, rng: np.random.Generator) -> list[int]:
    """One outcome per modality drawn from ``A[m][:, state]``."""
    draws = rng.random(len(A))
    return [min(int(np.searchsorted(np.cumsum(A_m[:, state]), u, side="right")), A_m.shape[0] - 1)
            for A_m, u in zip(A, draws)]


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
        modalities, location_noise: the senses (see :func:`gridworld_model`).
        policy_len, gamma, alpha: the agent's planning (see :class:`ActiveInferenceAgent`).
        prior_concentration: initial Dirichlet count of every entry of ``A`` (> 0).
        lr: pseudo-counts added per observation.
        record_kl: also record the divergence of the learned ``A`` from the true one.
        on_step: called with the number of steps done, after each step.
    """
    env = _environment(env)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise HippoError(f"n_steps: expected an integer >= 0, got {n_steps!r}")
    concentration = _check_positive(prior_concentration, "prior_concentration")
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
        actions[t] = agent.step(_sample_outcomes(A_true, states[t], world_rng))
        states[t + 1] = next_state[states[t], actions[t]]
        if record_kl:
            kl[t + 1] = kl_likelihood(A_true, agent.A).mean()
        if on_step is not None:
            on_step(t + 1)
    return Exploration(states=states, actions=actions, kl=kl, A_true=A_true, agent=agent)


# ------------------------------------------------------------------- trajectories
def _smooth_path(env, cells: np.ndarray, step_time: float, t: np.ndarray, smoothing: float) -> np.ndarray:
    """Positions ``(len(t), dim)`` (unwrapped metres) moving between cell centres at one cell per ``step_time``."""
    centres = env.cell_centres(cells)
    path = np.concatenate([centres[:1], centres[0] + np.cumsum(env.displacement(centres[1:], centres[:-1]), axis=0)])
    knots = np.arange(len(cells)) * step_time
    position = np.stack([np.interp(t, knots, path[:, d]) for d in range(path.shape[1])], axis=-1)
    sigma = smoothing * step_time / (t[1] - t[0]) if len(t) > 1 else 0.0
    return gaussian_filter1d(position, sigma, axis=0, mode="nearest") if sigma > 0 else position


def active_inference_trajectory(env, duration: float, dt: float, speed: float, seed: int, smoothing: float = 0.25,
                                modalities: Sequence[str] | None = None, policy_len: int = 3, gamma: float = 16.0,
                                alpha: float = 16.0, prior_concentration: float = 0.1) -> Trajectory:
    """Continuous motion of a curious active-inference agent exploring a gridworld.

    The agent of :func:`explore_gridworld` chooses one move (stay/N/E/S/W) per cell;
    each move takes ``cell_size / speed`` seconds, travelled in a straight line between
    cell centres at ``speed`` (a "stay" is a pause of the same length). Corners are
    rounded by a Gaussian filter of width ``smoothing`` moves, so the velocity changes
    smoothly.

    Args:
        env: a :class:`~hippo.world.gridworld.Gridworld` or an environment name.
        duration: length of the trajectory in seconds (> 0).
        dt: sampling step in seconds (> 0).
        speed: running speed between cell centres in m/s (> 0).
        seed: seeds the start cell and every choice of the agent.
        smoothing: width (standard deviation) of the corner-rounding filter, in units of
            one move's duration (>= 0; 0 keeps the straight segments).
        modalities: the agent's senses (see :func:`gridworld_model`); ``None`` is
            ``("cue",)`` on maps with cue letters and ``("location",)`` on maps without
            (where the cue sense would leave nothing to learn and the agent would walk
            at random).
        policy_len, gamma, alpha, prior_concentration: the agent (see
            :func:`explore_gridworld`).

    Returns:
        A :class:`~hippo.world.motion.Trajectory` with ``round(duration / dt)`` samples:
        ``t`` in s, ``position`` in m (wrapped on periodic worlds), ``velocity`` in m/s.
    """
    env = _environment(env)
    duration = _check_positive(duration, "duration")
    dt = _check_positive(dt, "dt")
    speed = _check_positive(speed, "speed")
    smoothing = _check_positive(smoothing, "smoothing", allow_zero=True)
    n_samples = max(1, round(duration / dt))
    t = np.arange(n_samples) * dt
    step_time = env.cell_size / speed
    n_moves = math.ceil(t[-1] / step_time) + 1
    if modalities is None:
        modalities = ("cue",) if env.cue_letters else ("location",)
    exploration = explore_gridworld(env, n_moves, seed, modalities=modalities, policy_len=policy_len,
                                    gamma=gamma, alpha=alpha, prior_concentration=prior_concentration)
    cells = env.free_cells[exploration.states]
    position = _smooth_path(env, cells, step_time, t, smoothing)
    velocity = np.gradient(position, dt, axis=0) if n_samples > 1 else np.zeros_like(position)
    return Trajectory(t=t, position=_wrap(env, position), velocity=velocity)


def _wrap(env, position: np.ndarray) -> np.ndarray:
    """Positions folded into ``[0, size)`` on periodic worlds (``np.mod`` of a tiny negative gives ``size``)."""
    wrapped = env.wrap(position)
    return np.where(wrapped >= env.size, 0.0, wrapped) if env.periodic else wrapped
