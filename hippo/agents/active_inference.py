"""An active-inference agent built on the public functions of :mod:`hippo.learning.active_inference`.

:class:`ActiveInferenceAgent` perceives (exact state inference), plans (posterior over
policies from their expected free energy) and acts (samples an action), and learns the
Dirichlet counts of its observation and transition models when it is given them. Its
model is checked once, when it is built; each step then calls the unchecked functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from hippo.errors import HippoError
from hippo.learning.active_inference.checks import (
    check_count,
    check_dirichlet,
    check_distribution,
    check_likelihood,
    check_number,
    check_observation,
    check_positive,
    check_preferences,
    check_transitions,
)
from hippo.learning.active_inference.control import (
    construct_policies,
    free_energy_terms,
    log_habits,
    policy_free_energy,
    policy_posterior,
    sample_action,
    transition_operators,
)
from hippo.learning.active_inference.inference import state_posterior
from hippo.learning.active_inference.learning import add_observation_counts, add_transition_counts, move_preferences
from hippo.learning.active_inference.maths import dirichlet_expectation, entropy, log


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

    Attributes:
        qs: ``(n_states,)`` posterior over states after the last :meth:`step`.
        q_pi: ``(n_policies,)`` posterior over policies.
        G: ``(n_policies,)`` expected free energies (nats).
        action: the last action taken (``None`` before the first step).
        A, B, C, D, pA, pB: the current model.
        policies: ``(n_policies, policy_len)`` the policies evaluated.
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
        self.gamma = check_positive(gamma, "gamma")
        self.alpha = check_positive(alpha, "alpha")
        self.log_E = log_habits(E, len(self.policies))
        self.lr_A = check_positive(lr_A, "lr_A", allow_zero=True)
        self.lr_B = check_positive(lr_B, "lr_B", allow_zero=True)
        self.lr_C = check_positive(lr_C, "lr_C", allow_zero=True)
        if use_param_info_gain and self.pA is None:
            raise HippoError("use_param_info_gain=True needs the Dirichlet parameters pA")
        self.flags = (bool(use_utility), bool(use_states_info_gain), bool(use_param_info_gain))
        self.stability_window = check_count(stability_window, "stability_window", 2)
        self.rng = np.random.default_rng(seed)
        self._operators = transition_operators(self.B)
        self._terms = free_energy_terms(self.A, self.C, self.pA, *self.flags)
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

        Args:
            obs: one observation index per modality (an int for one modality).
            reward: optional reward received with ``obs``; drives preference learning
                at rate ``lr_C``.

        Returns:
            The index of the action chosen.
        """
        obs = check_observation(obs, self._n_obs)
        qs_prev = self.qs
        prior = self.D if self.action is None else self._operators[self.action] @ self.qs
        self.qs = state_posterior(obs, self.A, log(prior))
        dA = self._learn_A(obs)
        dB = self._learn_B(qs_prev)
        dC = self._learn_C(obs, reward)
        if dA or dC:
            self._terms = free_energy_terms(self.A, self.C, self.pA, *self.flags)
        self.G = policy_free_energy(self.qs, self._operators, self.policies, self._terms)
        self.q_pi = policy_posterior(self.G, self.gamma, self.log_E)
        self.action = sample_action(self.q_pi, self.policies, self.B.shape[2], self.alpha, self.rng)
        self._record(dA, dB, dC)
        return self.action

    def _learn_A(self, obs: np.ndarray) -> float:
        if self.pA is None or self.lr_A == 0:
            return 0.0
        self.pA = add_observation_counts(self.pA, self.A, obs, self.qs, self.lr_A)
        A = dirichlet_expectation(self.pA)
        change, self.A = _change(A, self.A), A
        return change

    def _learn_B(self, qs_prev: np.ndarray) -> float:
        if self.pB is None or self.lr_B == 0 or self.action is None:
            return 0.0
        self.pB = add_transition_counts(self.pB, self.B, self.qs, qs_prev, self.action, self.lr_B)
        B = dirichlet_expectation(self.pB)
        change, self.B = _change([B], [self.B]), B
        self._operators = transition_operators(self.B)
        return change

    def _learn_C(self, obs: np.ndarray, reward: float | None) -> float:
        if reward is None or self.lr_C == 0:
            return 0.0
        C = move_preferences(self.C, obs, check_number(reward, "reward"), self.lr_C)
        change, self.C = _change(C, self.C), C
        return change

    def _record(self, dA: float, dB: float, dC: float) -> None:
        history = self._history
        history["action"].append(self.action)
        history["belief_entropy"].append(float(entropy(self.qs)))
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
