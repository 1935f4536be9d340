"""The animal's decision policy: a Bernoulli GLM over the stimulus and a bias.

On trial ``t`` the animal sees a signed stimulus ``s_t`` and chooses right (``y_t = 1``)
with probability

    p(right) = σ(w_t·s_t + b_t) = σ(W_t·x_t),   x_t = (s_t, 1),

where ``W_t = (w_t, b_t)`` are its weights before the trial (stimulus weight and bias).
The functions here hold the two equations of the policy, the logit and the Bernoulli
log-likelihood of a choice; they are written with array operators only, so the same
function serves NumPy (simulated animals) and JAX (fitted models).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

#: Index of the stimulus weight and of the bias in a weight vector ``W = (w, b)``.
STIMULUS, BIAS = 0, 1
N_WEIGHTS = 2


def logit(W, s):
    """The decision variable ``w·s + b``.

    Args:
        W: weights ``(..., 2)``: stimulus weight and bias.
        s: stimuli ``(...)`` (signed contrast, a.u.).

    Returns:
        ``(...)`` logits of choosing right.
    """
    return W[..., STIMULUS] * s + W[..., BIAS]


def features(s):
    """The GLM's input ``x = (s, 1)``, shape ``(..., 2)`` (NumPy)."""
    s = np.asarray(s, float)
    return np.stack([s, np.ones_like(s)], axis=-1)


def right_probability(W, s):
    """``p(right) = σ(w·s + b)`` (NumPy, float64)."""
    return 1.0 / (1.0 + np.exp(-logit(np.asarray(W, float), np.asarray(s, float))))


def choice_log_likelihood(z, y):
    """Log-probability of the choices ``y`` (1 right, 0 left) under logits ``z`` (JAX).

    ``log p(y) = y·log σ(z) + (1 − y)·log σ(−z)``, written as ``−softplus(−(2y − 1)·z)``,
    which is exact for large ``|z|``.

    Args:
        z: logits ``(...)``.
        y: choices ``(...)``, 0 or 1.

    Returns:
        ``(...)`` log-likelihoods (nats).
    """
    return -jnp.logaddexp(0.0, -(2.0 * y - 1.0) * z)
