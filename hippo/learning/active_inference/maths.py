"""Small numerical helpers of active inference: logs, entropies, softmax, Dirichlet expectations."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from hippo.errors import HippoError
from hippo.learning.active_inference.checks import as_modalities, check_likelihood, in_given_form


def log(x: np.ndarray) -> np.ndarray:
    """Natural log with ``log 0 = −inf`` and no warning."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def entropy(p: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each column of ``p`` (of ``p`` itself when it is one distribution)."""
    return -xlogy(p, p).sum(axis=0)


def softmax(x: np.ndarray) -> np.ndarray:
    """``exp(x) / Σ exp(x)`` of a vector, computed stably."""
    e = np.exp(x - np.max(x))
    return e / e.sum()


def dirichlet_expectation(p):
    """Expected categorical parameters of Dirichlet counts: each column divided by its sum.

    Args:
        p: one array or a list of arrays (``pA`` with columns over outcomes, or ``pB``
            with columns ``pB[:, s, a]``).

    Returns:
        The same form as ``p``; a column of zero counts stays zero.
    """
    arrays, single = as_modalities(p, "p")
    out = []
    for p_m in arrays:
        total = p_m.sum(axis=0, keepdims=True)
        out.append(np.divide(p_m, total, out=np.zeros_like(p_m), where=total > 0))
    return in_given_form(out, single)


def kl_likelihood(P, Q) -> np.ndarray:
    """``KL(P[:, s] || Q[:, s])`` summed over modalities, for each state.

    Args:
        P, Q: observation likelihoods of the same shapes.

    Returns:
        ``(n_states,)`` divergences in nats; infinite where ``Q`` is zero and ``P`` is not.
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
