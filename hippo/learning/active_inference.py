"""Active inference on a discrete state space with one hidden-state factor.

The generative model is a partially observed Markov decision process. Arrays follow
the conventions of pymdp's numpy API (``pymdp.legacy``), so a model moves between the
two unchanged:

* ``A`` — observation likelihood: a list with one array per modality, ``A[m]`` of shape
  ``(n_obs_m, n_states)`` with ``A[m][o, s] = p(o_m = o | s)`` (columns sum to 1). A
  single 2-D array stands for a one-modality list everywhere.
* ``B`` — transitions, shape ``(n_states, n_states, n_actions)``,
  ``B[s', s, a] = p(s' | s, a)`` (columns sum to 1).
* ``C`` — log-preferences over observations: one ``(n_obs_m,)`` array per modality.
  Only differences within a modality matter: they enter through ``log softmax(C[m])``.
* ``D`` — prior over the first state, ``(n_states,)``.
* ``qs`` — a belief over states, ``(n_states,)``.
* a policy — a sequence of action indices, ``(T,)``; ``policies`` is ``(n_policies, T)``
  (pymdp's list of ``(T, 1)`` arrays is accepted too).
* ``pA``, ``pB`` — Dirichlet concentration parameters (pseudo-counts), shaped as ``A``, ``B``.

The expected free energy ``G`` returned here is the quantity itself (lower is better;
pymdp returns its negative). Information quantities are in nats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_array
from scipy.special import log_softmax, xlogy

from hippo.errors import HippoError

#: Tolerance on probabilities summing to one.
SUM_TOLERANCE = 1e-6
#: Largest joint observation space (outcome combinations × states) the mutual
#: information over all modalities is computed on.
MAX_JOINT_SIZE = 20_000_000
#: Transitions with at most this fraction of non-zero entries are applied as sparse matrices
#: (from :data:`SPARSE_MIN_STATES` states on).
SPARSE_DENSITY = 0.1
SPARSE_MIN_STATES = 128
#: Modalities :func:`gridworld_model` can build.
GRIDWORLD_MODALITIES = ("cue", "location")
#: Outcome of the cue modality on a free cell without a cue letter.
NO_CUE = "none"


# ------------------------------------------------------------------ validation
def _modalities(A, name: str) -> tuple[list[np.ndarray], bool]:
    """``A`` as a list of float arrays, and whether it was given as one bare array."""
    single = isinstance(A, np.ndarray) and A.dtype != object
    items = [A] if single else list(A)
    if not items:
        raise HippoError(f"{name}: expected at least one modality, got an empty list")
    arrays = []
    for m, item in enumerate(items):
        try:
            array = np.asarray(item, dtype=float)
        except (TypeError, ValueError):
            raise HippoError(f"{name}[{m}]: expected an array of numbers, got {type(item).__name__}") from None
        arrays.append(array)
    return arrays, single


def _check_finite_nonnegative(array: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(array)):
        raise HippoError(f"{name}: contains NaN or infinite values")
    if np.any(array < 0):
        raise HippoError(f"{name}: contains negative values (allowed: probabilities or counts >= 0)")


def _check_columns_sum_to_one(array: np.ndarray, name: str) -> None:
    sums = array.sum(axis=0)
    bad = np.argwhere(np.abs(sums - 1.0) > SUM_TOLERANCE)
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        where = ", ".join(str(i) for i in index)
        raise HippoError(f"{name}: column [:, {where}] sums to {sums[index]:.6g} (allowed: columns summing to 1)")


def check_likelihood(A, name: str = "A") -> tuple[list[np.ndarray], bool]:
    """Validate an observation likelihood; returns the list of ``(n_obs_m, n_states)`` arrays and whether it was bare."""
    arrays, single = _modalities(A, name)
    n_states = None
    for m, A_m in enumerate(arrays):
        label = name if single else f"{name}[{m}]"
        if A_m.ndim != 2:
            raise HippoError(f"{label}: expected shape (n_obs, n_states), got shape {A_m.shape}")
        if n_states is None:
            n_states = A_m.shape[1]
        elif A_m.shape[1] != n_states:
            raise HippoError(f"{label}: has {A_m.shape[1]} states where {name}[0] has {n_states}")
        _check_finite_nonnegative(A_m, label)
        _check_columns_sum_to_one(A_m, label)
    return arrays, single


def check_transitions(B, n_states: int | None = None, name: str = "B") -> np.ndarray:
    """Validate a transition array ``(n_states, n_states, n_actions)`` and return it as floats."""
    B = np.asarray(B, dtype=float)
    if B.ndim != 3 or B.shape[0] != B.shape[1]:
        raise HippoError(f"{name}: expected shape (n_states, n_states, n_actions), got shape {B.shape}")
    if n_states is not None and B.shape[0] != n_states:
        raise HippoError(f"{name}: has {B.shape[0]} states where A has {n_states}")
    _check_finite_nonnegative(B, name)
    _check_columns_sum_to_one(B, name)
    return B


def check_distribution(q, n: int, name: str) -> np.ndarray:
    """Validate a categorical distribution of length ``n`` and return it as floats."""
    q = np.asarray(q, dtype=float)
    if q.shape != (n,):
        raise HippoError(f"{name}: expected shape ({n},), got shape {q.shape}")
    _check_finite_nonnegative(q, name)
    if abs(q.sum() - 1.0) > SUM_TOLERANCE:
        raise HippoError(f"{name}: sums to {q.sum():.6g} (allowed: a probability vector summing to 1)")
    return q


def check_observation(obs, n_obs: Sequence[int]) -> np.ndarray:
    """Validate one observation index per modality; returns an int array ``(n_modalities,)``."""
    values = np.atleast_1d(np.asarray(obs))
    if values.ndim != 1 or len(values) != len(n_obs):
        raise HippoError(f"obs: expected {len(n_obs)} observation index(es), one per modality, got {obs!r}")
    if not (np.issubdtype(values.dtype, np.integer) or np.all(values == np.round(values))):
        raise HippoError(f"obs: expected integer observation indices, got {obs!r}")
    values = values.astype(int)
    for m, (o, n) in enumerate(zip(values, n_obs)):
        if not 0 <= o < n:
            raise HippoError(f"obs[{m}]: index {o} out of range (allowed: 0 to {n - 1})")
    return values


def check_preferences(C, n_obs: Sequence[int] | None = None, name: str = "C") -> tuple[list[np.ndarray], bool]:
    """Validate log-preferences, one ``(n_obs_m,)`` array per modality (``n_obs`` from ``A`` when given)."""
    arrays, single = _modalities(C, name)
    if n_obs is not None and len(arrays) != len(n_obs):
        raise HippoError(f"{name}: expected {len(n_obs)} modality(ies) like A, got {len(arrays)}")
    for m, C_m in enumerate(arrays):
        label = name if single else f"{name}[{m}]"
        n = n_obs[m] if n_obs is not None else len(C_m)
        if C_m.shape != (n,):
            raise HippoError(f"{label}: expected shape ({n},), got shape {C_m.shape}")
        if not np.all(np.isfinite(C_m)):
            raise HippoError(f"{label}: contains NaN or infinite values")
    return arrays, single


def check_dirichlet(p, shapes: Sequence[tuple[int, ...]] | None, name: str) -> tuple[list[np.ndarray], bool]:
    """Validate Dirichlet concentration parameters (one array per modality, shapes checked when given)."""
    arrays, single = _modalities(p, name)
    if shapes is not None and len(arrays) != len(shapes):
        raise HippoError(f"{name}: expected {len(shapes)} modality(ies), got {len(arrays)}")
    for m, p_m in enumerate(arrays):
        label = name if single else f"{name}[{m}]"
        if shapes is not None and p_m.shape != tuple(shapes[m]):
            raise HippoError(f"{label}: expected shape {tuple(shapes[m])}, got shape {p_m.shape}")
        _check_finite_nonnegative(p_m, label)
    return arrays, single


def check_policies(policies, n_actions: int) -> np.ndarray:
    """Validate policies; returns an int array ``(n_policies, T)`` of action indices."""
    try:
        array = np.asarray(policies)
    except ValueError:
        raise HippoError("policies: all policies must have the same length") from None
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise HippoError(f"policies: expected shape (n_policies, T) with T >= 1, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise HippoError(f"policies: expected integer action indices, got dtype {array.dtype}")
    if array.min() < 0 or array.max() >= n_actions:
        raise HippoError(f"policies: action index out of range (allowed: 0 to {n_actions - 1})")
    return array.astype(np.intp)


def _check_number(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise HippoError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def _check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    value = _check_number(value, name)
    if value < 0 or (value == 0 and not allow_zero):
        raise HippoError(f"{name}: value {value!r} out of range (allowed: {'>= 0' if allow_zero else '> 0'})")
    return value


def _restore(arrays: list[np.ndarray], single: bool):
    return arrays[0] if single else arrays


# ------------------------------------------------------------------ small maths
def _log(x: np.ndarray) -> np.ndarray:
    """Natural log with ``log 0 = −inf`` and no warning."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def _entropy(p: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each column of ``p``."""
    return -xlogy(p, p).sum(axis=0)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def dirichlet_expectation(p):
    """Expected categorical parameters of Dirichlet counts: each column divided by its sum.

    ``p`` is one array or a list of arrays (``pA`` with columns over outcomes, or ``pB``
    with columns ``pB[:, s, a]``); the result has the same form. A column of zero counts
    stays zero.
    """
    arrays, single = _modalities(p, "p")
    out = []
    for p_m in arrays:
        total = p_m.sum(axis=0, keepdims=True)
        out.append(np.divide(p_m, total, out=np.zeros_like(p_m), where=total > 0))
    return _restore(out, single)


def construct_policies(n_actions: int, policy_len: int) -> np.ndarray:
    """Every sequence of ``policy_len`` actions: ``(n_actions ** policy_len, policy_len)`` ints.

    Rows are in lexicographic order (the last action varies fastest).
    """
    if isinstance(n_actions, bool) or not isinstance(n_actions, (int, np.integer)) or n_actions < 1:
        raise HippoError(f"n_actions: expected an integer >= 1, got {n_actions!r}")
    if isinstance(policy_len, bool) or not isinstance(policy_len, (int, np.integer)) or policy_len < 1:
        raise HippoError(f"policy_len: expected an integer >= 1, got {policy_len!r}")
    grids = np.indices((n_actions,) * policy_len)
    return grids.reshape(policy_len, -1).T.astype(np.intp)


# ------------------------------------------------------------------ inference
def _posterior(obs: np.ndarray, A: list[np.ndarray], log_prior: np.ndarray) -> np.ndarray:
    log_post = log_prior.copy()
    for A_m, o in zip(A, obs):
        log_post += _log(A_m[o])
    if not np.isfinite(log_post.max()):
        raise HippoError(f"obs {tuple(int(o) for o in obs)} has probability 0 under the model A and the prior")
    return _softmax(log_post)


def infer_states(obs, A, prior=None) -> np.ndarray:
    """Exact posterior over states given one observation per modality.

    ``q(s) ∝ prior(s) · Π_m A[m][obs[m], s]``.

    Args:
        obs: one observation index per modality (an int for one modality).
        A: observation likelihood (see the module notes).
        prior: ``(n_states,)`` prior over states; ``None`` is uniform.

    Returns:
        ``(n_states,)`` posterior.
    """
    A, _ = check_likelihood(A)
    n_states = A[0].shape[1]
    obs = check_observation(obs, [A_m.shape[0] for A_m in A])
    prior = np.full(n_states, 1.0 / n_states) if prior is None else check_distribution(prior, n_states, "prior")
    return _posterior(obs, A, _log(prior))


@dataclass(frozen=True)
class _Terms:
    """What the expected free energy needs of a model, computed once per model."""

    A: list[np.ndarray]            # (n_obs_m, n_states) per modality
    log_C: list[np.ndarray] | None  # log softmax(C[m]) per modality, when utility is used
    joint: np.ndarray | None       # (Π n_obs_m, n_states) joint likelihood, when state info gain is used
    state_entropy: np.ndarray | None  # (n_states,) entropy of the joint outcome given each state
    novelty: list[np.ndarray] | None  # (n_obs_m, n_states) weights 1/pA − 1/Σ_o pA, when parameter info gain is used


def _joint_likelihood(A: list[np.ndarray]) -> np.ndarray:
    """``(Π_m n_obs_m, n_states)``: probability of each combination of outcomes given each state."""
    size = int(np.prod([A_m.shape[0] for A_m in A])) * A[0].shape[1]
    if size > MAX_JOINT_SIZE:
        raise HippoError(f"the joint observation space of all modalities has {size} entries "
                         f"(allowed: at most {MAX_JOINT_SIZE}); use fewer or smaller modalities")
    joint = A[0]
    for A_m in A[1:]:
        joint = (joint[:, None, :] * A_m[None, :, :]).reshape(-1, A_m.shape[1])
    return joint


def _novelty_weights(pA: list[np.ndarray]) -> list[np.ndarray]:
    """Per modality ``W[o, s] = 1/pA[o, s] − 1/Σ_o pA[o, s]`` where ``pA > 0``, else 0."""
    weights = []
    for p_m in pA:
        positive = p_m > 0
        inverse = np.divide(1.0, p_m, out=np.zeros_like(p_m), where=positive)
        total = p_m.sum(axis=0, keepdims=True)
        inverse_total = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
        weights.append(np.where(positive, inverse - inverse_total, 0.0))
    return weights


def _terms(A, C, pA, use_utility: bool, use_states_info_gain: bool, use_param_info_gain: bool) -> _Terms:
    joint = _joint_likelihood(A) if use_states_info_gain else None
    return _Terms(
        A=A,
        log_C=[log_softmax(C_m) for C_m in C] if use_utility else None,
        joint=joint,
        state_entropy=sum(_entropy(A_m) for A_m in A) if use_states_info_gain else None,
        novelty=_novelty_weights(pA) if use_param_info_gain else None,
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


def _predict_states(qs: np.ndarray, operators: list[np.ndarray], policies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted state beliefs along every policy, shared prefixes computed once.

    Returns ``Q`` of shape ``(n_states, n_nodes)`` (one column per distinct policy prefix)
    and ``node`` of shape ``(n_policies, T)``: the column of ``Q`` holding the belief after
    step ``t`` of each policy.
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


def _node_free_energy(Q: np.ndarray, terms: _Terms) -> np.ndarray:
    """Expected free energy contributed by one step at each predicted belief ``Q[:, k]``: ``(n_nodes,)``."""
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
        G -= _entropy(joint) - terms.state_entropy @ Q
    return G


def _policy_free_energy(qs: np.ndarray, operators: list[np.ndarray], policies: np.ndarray, terms: _Terms) -> np.ndarray:
    Q, node = _predict_states(qs, operators, policies)
    return _node_free_energy(Q, terms)[node].sum(axis=1)


def _validated_model(qs, A, B, C, pA, use_param_info_gain: bool):
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
        A, B, C: the model (see the module notes).
        policy: ``(T,)`` action indices.
        pA: Dirichlet counts over ``A``; required when ``use_param_info_gain``.

    Returns:
        ``G`` as a float.
    """
    qs, A, B, C, pA = _validated_model(qs, A, B, C, pA, use_param_info_gain)
    policies = check_policies(np.atleast_1d(np.asarray(policy))[None, :], B.shape[2])
    terms = _terms(A, C, pA, use_utility, use_states_info_gain, use_param_info_gain)
    return float(_policy_free_energy(qs, transition_operators(B), policies, terms)[0])


def policy_posterior(G: np.ndarray, gamma: float, log_E: np.ndarray) -> np.ndarray:
    """``softmax(−gamma·G + log E)`` over policies."""
    return _softmax(-gamma * G + log_E)


def _log_habits(E, n_policies: int) -> np.ndarray:
    if E is None:
        return np.full(n_policies, -np.log(n_policies))
    E = check_distribution(E, n_policies, "E")
    if not np.any(E > 0):
        raise HippoError("E: every policy has prior probability 0")
    return _log(E)


def infer_policies(qs, A, B, C, policies, gamma: float = 16.0, E=None, pA=None, use_utility: bool = True,
                   use_states_info_gain: bool = True, use_param_info_gain: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Posterior over policies from their expected free energies.

    Args:
        qs: ``(n_states,)`` current belief over states.
        A, B, C: the model (see the module notes).
        policies: ``(n_policies, T)`` action indices.
        gamma: policy precision (> 0).
        E: ``(n_policies,)`` prior over policies (habits); ``None`` is uniform.
        pA, use_*: as in :func:`expected_free_energy`.

    Returns:
        ``q_pi`` ``(n_policies,)`` = ``softmax(−gamma·G + log E)`` and ``G`` ``(n_policies,)``.
    """
    qs, A, B, C, pA = _validated_model(qs, A, B, C, pA, use_param_info_gain)
    policies = check_policies(policies, B.shape[2])
    gamma = _check_positive(gamma, "gamma")
    log_E = _log_habits(E, len(policies))
    terms = _terms(A, C, pA, use_utility, use_states_info_gain, use_param_info_gain)
    G = _policy_free_energy(qs, transition_operators(B), policies, terms)
    return policy_posterior(G, gamma, log_E), G


# ------------------------------------------------------------------ learning
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
    lr = _check_positive(lr, "lr", allow_zero=True)
    return _restore(_add_observation_counts(pA, A, obs, qs, lr), single)


def _add_observation_counts(pA, A, obs, qs, lr: float) -> list[np.ndarray]:
    updated = []
    for p_m, A_m, o in zip(pA, A, obs):
        p_m = p_m.copy()
        p_m[o] += lr * qs * (A_m[o] > 0)
        updated.append(p_m)
    return updated


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
    lr = _check_positive(lr, "lr", allow_zero=True)
    return _add_transition_counts(pB, B, qs, qs_prev, action, lr)


def _add_transition_counts(pB, B, qs, qs_prev, action: int, lr: float) -> np.ndarray:
    pB = pB.copy()
    pB[:, :, action] += lr * np.outer(qs, qs_prev) * (B[:, :, action] > 0)
    return pB


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
    reward = _check_number(reward, "reward")
    lr = _check_positive(lr, "lr", allow_zero=True)
    return _restore(_move_preferences(C, obs, reward, lr), single)


def _move_preferences(C, obs, reward: float, lr: float) -> list[np.ndarray]:
    updated = []
    for C_m, o in zip(C, obs):
        C_m = C_m.copy()
        C_m[o] += lr * (reward - C_m[o])
        updated.append(C_m)
    return updated


def kl_likelihood(P, Q) -> np.ndarray:
    """``KL(P[:, s] || Q[:, s])`` summed over modalities, for each state: ``(n_states,)`` nats.

    ``P`` and ``Q`` are observation likelihoods of the same shapes; the divergence is
    infinite where ``Q`` is zero and ``P`` is not.
    """
    P, _ = check_likelihood(P, "P")
    Q, _ = check_likelihood(Q, "Q")
    if [p.shape for p in P] != [q.shape for q in Q]:
        raise HippoError(f"P and Q: shapes differ ({[p.shape for p in P]} vs {[q.shape for q in Q]})")
    total = np.zeros(P[0].shape[1])
    for P_m, Q_m in zip(P, Q):
        with np.errstate(divide="ignore"):
            total += (xlogy(P_m, P_m) - xlogy(P_m, Q_m)).sum(axis=0)
    return total


# ------------------------------------------------------------------ gridworlds
def _environment(env):
    from hippo.world.gridworld import Gridworld, load_environment

    if isinstance(env, Gridworld):
        return env
    if isinstance(env, (str, Path)):
        return load_environment(env)
    raise HippoError(f"env: expected a Gridworld or an environment name, got {type(env).__name__}")


def gridworld_transitions(env) -> np.ndarray:
    """``B`` of a gridworld: ``(n_free, n_free, 5)`` for the actions stay/N/E/S/W.

    States are the free cells in :attr:`~hippo.world.gridworld.Gridworld.free_cells`
    order; a move into a wall or off a solid edge stays in place; periodic worlds wrap.
    """
    from hippo.world.gridworld import ACTIONS

    env = _environment(env)
    cells = env.free_cells
    n, n_actions = len(cells), len(ACTIONS)
    targets = env.step_cell(np.repeat(cells[:, None, :], n_actions, axis=1), np.arange(n_actions)[None, :])
    next_state = env.state_index()[targets[..., 0], targets[..., 1]]
    B = np.zeros((n, n, n_actions))
    B[next_state, np.arange(n)[:, None], np.arange(n_actions)[None, :]] = 1.0
    return B


def cue_outcomes(env) -> list[str]:
    """Labels of the cue modality's outcomes: ``"none"`` (if some free cell has no cue), then the cue letters."""
    env = _environment(env)
    letters = env.cue_letters
    has_blank = np.any(~np.char.isalpha(env.grid[env.free].astype(str)))
    return ([NO_CUE] if has_blank else []) + letters


def _cue_likelihood(env) -> np.ndarray:
    outcomes = cue_outcomes(env)
    under = env.cue_at(env.free_cells).astype(str)
    index = np.array([outcomes.index(c if c.isalpha() else NO_CUE) for c in under])
    A = np.zeros((len(outcomes), len(under)))
    A[index, np.arange(len(under))] = 1.0
    return A


def _location_likelihood(B: np.ndarray, noise: float) -> np.ndarray:
    """Reports the true cell with probability ``1 − noise``, else one of its neighbours uniformly."""
    n = B.shape[0]
    neighbours = (B.sum(axis=2) > 0) & ~np.eye(n, dtype=bool)
    counts = neighbours.sum(axis=0)
    spread = np.divide(neighbours, counts, out=np.zeros((n, n)), where=counts > 0)
    keep = np.where(counts > 0, 1.0 - noise, 1.0)
    return np.eye(n) * keep + spread * noise


def gridworld_model(env, modalities: Sequence[str] = ("cue",), start=None, location_noise: float = 0.1):
    """The true generative model of a gridworld.

    States are the free cells (in ``env.free_cells`` order); actions are stay/N/E/S/W.

    Args:
        env: a :class:`~hippo.world.gridworld.Gridworld` or an environment name.
        modalities: any of ``"cue"`` (the cue letter under the agent, outcomes
            :func:`cue_outcomes`) and ``"location"`` (the cell index, reported wrongly —
            as a uniformly chosen neighbouring cell — with probability ``location_noise``).
        start: ``(row, col)`` of the first cell, known to the agent (``D`` one-hot);
            ``None`` makes ``D`` uniform over free cells.
        location_noise: probability in [0, 1) that the location channel reports a neighbour.

    Returns:
        ``(A, B, C, D)``: ``A`` a list with one ``(n_obs_m, n_free)`` array per modality,
        ``B`` ``(n_free, n_free, 5)``, ``C`` a list of zero log-preferences, ``D`` ``(n_free,)``.
    """
    env = _environment(env)
    modalities = tuple(modalities) if not isinstance(modalities, str) else (modalities,)
    if not modalities or len(set(modalities)) != len(modalities) or any(m not in GRIDWORLD_MODALITIES for m in modalities):
        raise HippoError(f"modalities: invalid value {modalities!r} (allowed: distinct names among {', '.join(GRIDWORLD_MODALITIES)})")
    if not 0 <= location_noise < 1:
        raise HippoError(f"location_noise: value {location_noise!r} out of range (allowed: >= 0 and < 1)")
    B = gridworld_transitions(env)
    builders = {"cue": lambda: _cue_likelihood(env), "location": lambda: _location_likelihood(B, location_noise)}
    A = [builders[m]() for m in modalities]
    C = [np.zeros(A_m.shape[0]) for A_m in A]
    D = _start_prior(env, start)
    return A, B, C, D


def _start_prior(env, start) -> np.ndarray:
    n = env.n_free
    if start is None:
        return np.full(n, 1.0 / n)
    cell = np.asarray(start)
    rows, cols = env.shape
    if cell.shape != (2,) or not np.issubdtype(cell.dtype, np.integer):
        raise HippoError(f"start: expected (row, col) integers, got {start!r}")
    if not (0 <= cell[0] < rows and 0 <= cell[1] < cols) or not env.free[cell[0], cell[1]]:
        raise HippoError(f"start: cell {tuple(int(c) for c in cell)} is not a free cell of {env.name}")
    D = np.zeros(n)
    D[env.state_index()[cell[0], cell[1]]] = 1.0
    return D
