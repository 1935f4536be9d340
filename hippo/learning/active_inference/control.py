"""Control: policies, their expected free energy, the posterior over them and the choice of an action.

The expected free energy of a policy sums, over its steps, terms of the predicted state
belief. :func:`free_energy_terms` computes what those terms need of a model once;
:func:`predict_states` rolls beliefs forward along every policy (shared prefixes once);
:func:`step_free_energy` scores each predicted belief. :func:`expected_free_energy` and
:func:`infer_policies` check their inputs and chain these steps; an agent that checked
its model once calls the steps directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array
from scipy.special import log_softmax

from hippo.errors import HippoError
from hippo.learning.active_inference.checks import (
    check_count,
    check_dirichlet,
    check_distribution,
    check_likelihood,
    check_policies,
    check_positive,
    check_preferences,
    check_transitions,
)
from hippo.learning.active_inference.maths import entropy, log, softmax

#: Largest joint observation space (outcome combinations × states) the mutual
#: information over all modalities is computed on.
MAX_JOINT_SIZE = 20_000_000
#: Transitions with at most this fraction of non-zero entries are applied as sparse matrices
#: (from :data:`SPARSE_MIN_STATES` states on).
SPARSE_DENSITY = 0.1
SPARSE_MIN_STATES = 128


def construct_policies(n_actions: int, policy_len: int) -> np.ndarray:
    """Every sequence of ``policy_len`` actions.

    Args:
        n_actions: number of actions (>= 1).
        policy_len: steps per policy (>= 1).

    Returns:
        ``(n_actions ** policy_len, policy_len)`` action indices, in lexicographic order
        (the last action varies fastest).
    """
    n_actions = check_count(n_actions, "n_actions", 1)
    policy_len = check_count(policy_len, "policy_len", 1)
    grids = np.indices((n_actions,) * policy_len)
    return grids.reshape(policy_len, -1).T.astype(np.intp)


@dataclass(frozen=True)
class FreeEnergyTerms:
    """What the expected free energy needs of a model, computed once per model.

    Attributes:
        A: ``(n_obs_m, n_states)`` likelihood per modality.
        log_C: ``log softmax(C[m])`` per modality, when expected utility is used.
        joint: ``(Π n_obs_m, n_states)`` joint likelihood, when state information gain is used.
        state_entropy: ``(n_states,)`` entropy (nats) of the joint outcome given each state.
        novelty: ``(n_obs_m, n_states)`` weights ``1/pA − 1/Σ_o pA`` per modality, when
            parameter information gain is used.
    """

    A: list[np.ndarray]
    log_C: list[np.ndarray] | None
    joint: np.ndarray | None
    state_entropy: np.ndarray | None
    novelty: list[np.ndarray] | None


def joint_likelihood(A: list[np.ndarray]) -> np.ndarray:
    """``(Π_m n_obs_m, n_states)``: probability of each combination of outcomes given each state."""
    size = int(np.prod([A_m.shape[0] for A_m in A])) * A[0].shape[1]
    if size > MAX_JOINT_SIZE:
        raise HippoError(f"the joint observation space of all modalities has {size} entries "
                         f"(allowed: at most {MAX_JOINT_SIZE}); use fewer or smaller modalities")
    joint = A[0]
    for A_m in A[1:]:
        joint = (joint[:, None, :] * A_m[None, :, :]).reshape(-1, A_m.shape[1])
    return joint


def novelty_weights(pA: list[np.ndarray]) -> list[np.ndarray]:
    """Per modality ``W[o, s] = 1/pA[o, s] − 1/Σ_o pA[o, s]`` where ``pA > 0``, else 0."""
    weights = []
    for p_m in pA:
        positive = p_m > 0
        inverse = np.divide(1.0, p_m, out=np.zeros_like(p_m), where=positive)
        total = p_m.sum(axis=0, keepdims=True)
        inverse_total = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
        weights.append(np.where(positive, inverse - inverse_total, 0.0))
    return weights


def free_energy_terms(A: list[np.ndarray], C: list[np.ndarray], pA: list[np.ndarray] | None, use_utility: bool,
                      use_states_info_gain: bool, use_param_info_gain: bool) -> FreeEnergyTerms:
    """The :class:`FreeEnergyTerms` of a checked model, for the terms switched on."""
    return FreeEnergyTerms(
        A=A,
        log_C=[log_softmax(C_m) for C_m in C] if use_utility else None,
        joint=joint_likelihood(A) if use_states_info_gain else None,
        state_entropy=sum(entropy(A_m) for A_m in A) if use_states_info_gain else None,
        novelty=novelty_weights(pA) if use_param_info_gain else None,
    )


def transition_operators(B: np.ndarray) -> list:
    """``B[:, :, a]`` for each action as an ``(n_states, n_states)`` operator for ``@``.

    Sparse transitions (at most :data:`SPARSE_DENSITY` non-zero, as in gridworlds) become
    CSR matrices, whose products cost O(n_states) instead of O(n_states²) per belief.
    """
    n, _, n_actions = B.shape
    if n < SPARSE_MIN_STATES:
        return [np.ascontiguousarray(B[:, :, a]) for a in range(n_actions)]
    target, source, action = np.nonzero(B)
    if len(target) > SPARSE_DENSITY * B.size:
        return [np.ascontiguousarray(B[:, :, a]) for a in range(n_actions)]
    values = B[target, source, action]
    operators = []
    for a in range(n_actions):
        chosen = action == a
        operators.append(csr_array((values[chosen], (target[chosen], source[chosen])), shape=(n, n)))
    return operators


def predict_states(qs: np.ndarray, operators: list, policies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted state beliefs along every policy, shared prefixes computed once.

    Args:
        qs: ``(n_states,)`` current belief.
        operators: :func:`transition_operators` of ``B``.
        policies: ``(n_policies, T)`` action indices.

    Returns:
        ``Q`` of shape ``(n_states, n_nodes)`` (one column per distinct policy prefix)
        and ``node`` of shape ``(n_policies, T)``: the column of ``Q`` holding the belief
        after step ``t`` of each policy.
    """
    n_policies, horizon = policies.shape
    n_actions = len(operators)
    parent_Q = qs[:, None]
    parent = np.zeros(n_policies, dtype=np.intp)
    blocks, node, offset = [], np.empty((n_policies, horizon), dtype=np.intp), 0
    for t in range(horizon):
        key = parent * n_actions + policies[:, t]
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        actions, parents = policies[first, t], parent[first]
        Q = np.empty((len(qs), len(first)))
        for a in np.unique(actions):
            chosen = actions == a
            Q[:, chosen] = operators[a] @ parent_Q[:, parents[chosen]]
        blocks.append(Q)
        node[:, t] = offset + inverse
        offset += len(first)
        parent_Q, parent = Q, inverse
    return np.concatenate(blocks, axis=1), node


def step_free_energy(Q: np.ndarray, terms: FreeEnergyTerms) -> np.ndarray:
    """Expected free energy contributed by one step at each predicted belief ``Q[:, k]``: ``(n_nodes,)`` nats."""
    G = np.zeros(Q.shape[1])
    predicted = [A_m @ Q for A_m in terms.A]
    if terms.log_C is not None:
        for qo, log_C in zip(predicted, terms.log_C):
            G -= log_C @ qo
    if terms.novelty is not None:
        for qo, W in zip(predicted, terms.novelty):
            G -= np.einsum("ok,ok->k", qo, W @ Q)
    if terms.joint is not None:
        joint = predicted[0] if len(predicted) == 1 else terms.joint @ Q
        G -= entropy(joint) - terms.state_entropy @ Q
    return G


def policy_free_energy(qs: np.ndarray, operators: list, policies: np.ndarray, terms: FreeEnergyTerms) -> np.ndarray:
    """Expected free energy ``G`` ``(n_policies,)`` of every policy from belief ``qs``, on checked inputs."""
    Q, node = predict_states(qs, operators, policies)
    return step_free_energy(Q, terms)[node].sum(axis=1)


def _checked_model(qs, A, B, C, pA, use_param_info_gain: bool):
    A, _ = check_likelihood(A)
    n_states = A[0].shape[1]
    n_obs = [A_m.shape[0] for A_m in A]
    B = check_transitions(B, n_states)
    C, _ = check_preferences(C, n_obs)
    qs = check_distribution(qs, n_states, "qs")
    if use_param_info_gain and pA is None:
        raise HippoError("use_param_info_gain=True needs the Dirichlet parameters pA")
    pA = check_dirichlet(pA, [A_m.shape for A_m in A], "pA")[0] if pA is not None else None
    return qs, A, B, C, pA


def expected_free_energy(qs, A, B, C, policy, pA=None, use_utility: bool = True,
                         use_states_info_gain: bool = True, use_param_info_gain: bool = False) -> float:
    """Expected free energy ``G`` (nats) of one policy, summed over its steps; lower is better.

    For each step ``t`` with predicted state belief ``q_t = B[:, :, a_t] … B[:, :, a_1] qs``
    and predicted outcomes ``q_t(o_m) = A[m] q_t``::

        G_t = − Σ_m E_{q_t(o_m)}[log softmax(C[m])]        (expected utility; use_utility)
              − I_{q_t}(s; o_1, …, o_M)                       (state information gain; use_states_info_gain)
              − Σ_m Σ_o q_t(o_m = o) Σ_s W_m[o, s] q_t(s)      (parameter information gain; use_param_info_gain)

    where ``I`` is the mutual information between the state and the joint outcome of all
    modalities (for one modality, the first two terms are risk + ambiguity up to a constant)
    and ``W_m = 1/pA[m] − 1/Σ_o pA[m]`` (the novelty of the Dirichlet counts, zero where
    ``pA[m] = 0``). pymdp's ``G`` is ``−G``.

    Args:
        qs: ``(n_states,)`` current belief over states.
        A, B, C: the model (see :mod:`hippo.learning.active_inference`).
        policy: ``(T,)`` action indices.
        pA: Dirichlet counts over ``A``; required when ``use_param_info_gain``.
        use_utility, use_states_info_gain, use_param_info_gain: the terms included.

    Returns:
        ``G`` as a float.
    """
    qs, A, B, C, pA = _checked_model(qs, A, B, C, pA, use_param_info_gain)
    policies = check_policies(np.atleast_1d(np.asarray(policy))[None, :], B.shape[2])
    terms = free_energy_terms(A, C, pA, use_utility, use_states_info_gain, use_param_info_gain)
    return float(policy_free_energy(qs, transition_operators(B), policies, terms)[0])


def policy_posterior(G: np.ndarray, gamma: float, log_E: np.ndarray) -> np.ndarray:
    """``softmax(−gamma·G + log E)`` over policies."""
    return softmax(-gamma * G + log_E)


def log_habits(E, n_policies: int) -> np.ndarray:
    """``log E`` of a prior over policies after checking it; ``None`` is the uniform prior."""
    if E is None:
        return np.full(n_policies, -np.log(n_policies))
    E = check_distribution(E, n_policies, "E")
    if not np.any(E > 0):
        raise HippoError("E: every policy has prior probability 0")
    return log(E)


def infer_policies(qs, A, B, C, policies, gamma: float = 16.0, E=None, pA=None, use_utility: bool = True,
                   use_states_info_gain: bool = True, use_param_info_gain: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Posterior over policies from their expected free energies.

    Args:
        qs: ``(n_states,)`` current belief over states.
        A, B, C: the model (see :mod:`hippo.learning.active_inference`).
        policies: ``(n_policies, T)`` action indices.
        gamma: policy precision (> 0).
        E: ``(n_policies,)`` prior over policies (habits); ``None`` is uniform.
        pA, use_utility, use_states_info_gain, use_param_info_gain: as in
            :func:`expected_free_energy`.

    Returns:
        ``q_pi`` ``(n_policies,)`` = ``softmax(−gamma·G + log E)`` and ``G`` ``(n_policies,)``.
    """
    qs, A, B, C, pA = _checked_model(qs, A, B, C, pA, use_param_info_gain)
    policies = check_policies(policies, B.shape[2])
    gamma = check_positive(gamma, "gamma")
    log_E = log_habits(E, len(policies))
    terms = free_energy_terms(A, C, pA, use_utility, use_states_info_gain, use_param_info_gain)
    G = policy_free_energy(qs, transition_operators(B), policies, terms)
    return policy_posterior(G, gamma, log_E), G


def sample_action(q_pi: np.ndarray, policies: np.ndarray, n_actions: int, alpha: float,
                  rng: np.random.Generator) -> int:
    """Draw the next action from ``softmax(alpha · log p(a))``.

    Args:
        q_pi: ``(n_policies,)`` posterior over policies.
        policies: ``(n_policies, T)`` action indices.
        n_actions: number of actions.
        alpha: action precision.
        rng: the random generator drawn from (one draw).

    Returns:
        The action index; ``p(a)`` is the posterior probability of the policies whose
        first action is ``a``.
    """
    marginal = np.bincount(policies[:, 0], weights=q_pi, minlength=n_actions)
    p = softmax(alpha * log(marginal))
    return int(rng.choice(len(p), p=p))
