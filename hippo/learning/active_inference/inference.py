"""State inference: the exact posterior over hidden states given one observation per modality."""

from __future__ import annotations

import numpy as np

from hippo.errors import HippoError
from hippo.learning.active_inference.checks import check_distribution, check_likelihood, check_observation
from hippo.learning.active_inference.maths import log, softmax


def state_posterior(obs: np.ndarray, A: list[np.ndarray], log_prior: np.ndarray) -> np.ndarray:
    """``softmax(log_prior + Σ_m log A[m][obs[m]])``, on inputs already checked.

    Args:
        obs: ``(n_modalities,)`` observation indices.
        A: list of ``(n_obs_m, n_states)`` likelihoods.
        log_prior: ``(n_states,)`` log prior (``−inf`` allowed).

    Returns:
        ``(n_states,)`` posterior; an observation of probability 0 is an error.
    """
    log_post = log_prior.copy()
    for A_m, o in zip(A, obs):
        log_post += log(A_m[o])
    if not np.isfinite(log_post.max()):
        raise HippoError(f"obs {tuple(int(o) for o in obs)} has probability 0 under the model A and the prior")
    return softmax(log_post)


def infer_states(obs, A, prior=None) -> np.ndarray:
    """Exact posterior over states given one observation per modality.

    ``q(s) ∝ prior(s) · Π_m A[m][obs[m], s]``.

    Args:
        obs: one observation index per modality (an int for one modality).
        A: observation likelihood (see :mod:`hippo.learning.active_inference`).
        prior: ``(n_states,)`` prior over states; ``None`` is uniform.

    Returns:
        ``(n_states,)`` posterior.
    """
    A, _ = check_likelihood(A)
    n_states = A[0].shape[1]
    obs = check_observation(obs, [A_m.shape[0] for A_m in A])
    prior = np.full(n_states, 1.0 / n_states) if prior is None else check_distribution(prior, n_states, "prior")
    return state_posterior(obs, A, log(prior))
