"""Learning: Dirichlet count updates of the likelihood and transitions, and preferences learned from reward.

The ``update_*`` functions check their inputs and return new arrays in the form given;
``add_observation_counts``, ``add_transition_counts`` and ``move_preferences`` are the
same updates on inputs already checked (lists of float arrays), for an agent's loop.
"""

from __future__ import annotations

import numpy as np

from hippo.learning.active_inference.checks import (
    check_dirichlet,
    check_distribution,
    check_likelihood,
    check_number,
    check_observation,
    check_policies,
    check_positive,
    check_preferences,
    check_transitions,
    in_given_form,
)


def add_observation_counts(pA: list[np.ndarray], A: list[np.ndarray], obs: np.ndarray, qs: np.ndarray,
                           lr: float) -> list[np.ndarray]:
    """``pA[m] + lr · onehot(obs[m]) ⊗ qs`` where ``A[m] > 0``, on checked inputs; ``pA`` is not modified."""
    updated = []
    for p_m, A_m, o in zip(pA, A, obs):
        p_m = p_m.copy()
        p_m[o] += lr * qs * (A_m[o] > 0)
        updated.append(p_m)
    return updated


def update_dirichlet_A(pA, A, obs, qs, lr: float = 1.0):
    """Dirichlet count update of the observation likelihood.

    ``pA[m] + lr · onehot(obs[m]) ⊗ qs``, only where ``A[m] > 0``.

    Args:
        pA: Dirichlet counts shaped as ``A``.
        A: current observation likelihood (its zeros are kept).
        obs: one observation index per modality.
        qs: ``(n_states,)`` posterior over states at the time of ``obs``.
        lr: learning rate (pseudo-counts per observation, >= 0).

    Returns:
        New counts, in the same form as ``pA`` (one array or a list).
    """
    A, _ = check_likelihood(A)
    pA, single = check_dirichlet(pA, [A_m.shape for A_m in A], "pA")
    obs = check_observation(obs, [A_m.shape[0] for A_m in A])
    qs = check_distribution(qs, A[0].shape[1], "qs")
    lr = check_positive(lr, "lr", allow_zero=True)
    return in_given_form(add_observation_counts(pA, A, obs, qs, lr), single)


def add_transition_counts(pB: np.ndarray, B: np.ndarray, qs: np.ndarray, qs_prev: np.ndarray, action: int,
                          lr: float) -> np.ndarray:
    """``pB[:, :, action] + lr · qs ⊗ qs_prev`` where ``B[:, :, action] > 0``, on checked inputs; ``pB`` is not modified."""
    pB = pB.copy()
    pB[:, :, action] += lr * np.outer(qs, qs_prev) * (B[:, :, action] > 0)
    return pB


def update_dirichlet_B(pB, B, qs, qs_prev, action: int, lr: float = 1.0) -> np.ndarray:
    """Dirichlet count update of the transitions.

    ``pB[:, :, action] + lr · qs ⊗ qs_prev``, only where ``B[:, :, action] > 0``.

    Args:
        pB: ``(n_states, n_states, n_actions)`` Dirichlet counts.
        B: current transitions (their zeros are kept).
        qs: ``(n_states,)`` posterior after the action.
        qs_prev: ``(n_states,)`` posterior before the action.
        action: index of the action taken.
        lr: learning rate (>= 0).

    Returns:
        New counts ``(n_states, n_states, n_actions)``.
    """
    B = check_transitions(B)
    n_states, _, n_actions = B.shape
    pB = check_dirichlet(np.asarray(pB, dtype=float), [B.shape], "pB")[0][0]
    qs = check_distribution(qs, n_states, "qs")
    qs_prev = check_distribution(qs_prev, n_states, "qs_prev")
    action = int(check_policies([[action]], n_actions)[0, 0])
    lr = check_positive(lr, "lr", allow_zero=True)
    return add_transition_counts(pB, B, qs, qs_prev, action, lr)


def move_preferences(C: list[np.ndarray], obs: np.ndarray, reward: float, lr: float) -> list[np.ndarray]:
    """``C[m][obs[m]] += lr · (reward − C[m][obs[m]])`` on checked inputs, in new arrays."""
    updated = []
    for C_m, o in zip(C, obs):
        C_m = C_m.copy()
        C_m[o] += lr * (reward - C_m[o])
        updated.append(C_m)
    return updated


def update_preferences(C, obs, reward: float, lr: float):
    """Learn log-preferences from reward by a delta rule on the observed outcomes.

    For each modality ``m``: ``C[m][obs[m]] += lr · (reward − C[m][obs[m]])``; outcomes
    that were not observed keep their preference.

    Args:
        C: log-preferences, one ``(n_obs_m,)`` array per modality (or one array).
        obs: one observation index per modality.
        reward: scalar reward received with ``obs``.
        lr: learning rate (>= 0; 1 sets the preference to the reward).

    Returns:
        New log-preferences in the same form as ``C``.
    """
    C, single = check_preferences(C)
    obs = check_observation(obs, [len(C_m) for C_m in C])
    reward = check_number(reward, "reward")
    lr = check_positive(lr, "lr", allow_zero=True)
    return in_given_form(move_preferences(C, obs, reward, lr), single)
