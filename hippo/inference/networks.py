"""Learning rules as neural networks: DNNGLM and RNNGLM (JAX).

A fitted rule maps what an animal experienced on a trial to its weight change,

    ΔW_t = c ⊙ f(u_t),   u_t = (w_t, b_t, s_t, 2y_t − 1, r_t),

where ``W_t = (w_t, b_t)`` are the GLM weights before trial ``t``, ``s_t`` the stimulus,
``y_t`` the choice and ``r_t`` the reward, and ``c`` a learned per-weight scale (started
at ``1e-3`` so that the untrained rule barely moves the weights). The scale is fitted as
its logarithm, so that an optimiser's steps change it by a fraction of itself however
small it is. The constant input of
the original formulation is the first layer's bias here.

* **DNNGLM**: ``f`` is a multilayer perceptron (tanh hidden layers): the update depends
  on the current trial only.
* **RNNGLM**: a GRU reads ``u_t`` and carries a hidden state ``h_t`` from trial to trial;
  ``f`` is a perceptron of ``(h_t, u_t)``, so the update may depend on the history
  (momentum, moment estimates).

Parameters are pytrees of JAX arrays; :class:`RuleNetwork` (hashable, a static argument
of compiled functions) holds the architecture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import jax
import jax.numpy as jnp

from hippo.config import bounds
from hippo.inference import glm

#: Number of covariates in ``u_t``.
N_COVARIATES = 5
INITIAL_SCALE = 1e-3


def covariates(W, s, y, r):
    """``u_t = (w, b, s, 2y − 1, r)``, shape ``(..., 5)``."""
    return jnp.concatenate([W, jnp.stack([s, 2.0 * y - 1.0, r], axis=-1)], axis=-1)


def init_dense(key, n_in: int, n_out: int) -> dict:
    """A dense layer with weights ``N(0, 1/n_in)`` and zero bias."""
    return {"w": jax.random.normal(key, (n_in, n_out)) / jnp.sqrt(n_in), "b": jnp.zeros(n_out)}


def init_mlp(key, sizes: list[int]) -> list[dict]:
    """Layers of a perceptron with the given layer sizes (input first)."""
    keys = jax.random.split(key, len(sizes) - 1)
    return [init_dense(k, a, b) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def mlp(layers: list[dict], x):
    """tanh hidden layers, linear output."""
    for layer in layers[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"])
    return x @ layers[-1]["w"] + layers[-1]["b"]


def init_gru(key, n_in: int, n_hidden: int) -> dict:
    """GRU parameters: input and recurrent weights of the update, reset and candidate gates."""
    k_in, k_rec = jax.random.split(key)
    return {"w_in": jax.random.normal(k_in, (n_in, 3 * n_hidden)) / jnp.sqrt(n_in),
            "w_rec": jax.random.normal(k_rec, (n_hidden, 3 * n_hidden)) / jnp.sqrt(n_hidden),
            "b": jnp.zeros(3 * n_hidden)}


def gru_step(p: dict, h, x):
    """One GRU step: ``z, q = σ(·)``, ``ĥ = tanh(W x + U(q ⊙ h))``, ``h' = (1 − z) ⊙ h + z ⊙ ĥ``."""
    n = h.shape[-1]
    gates_in = x @ p["w_in"] + p["b"]
    gates_rec = h @ p["w_rec"][:, : 2 * n]
    z = jax.nn.sigmoid(gates_in[..., :n] + gates_rec[..., :n])
    q = jax.nn.sigmoid(gates_in[..., n: 2 * n] + gates_rec[..., n:])
    candidate = jnp.tanh(gates_in[..., 2 * n:] + (q * h) @ p["w_rec"][:, 2 * n:])
    return (1.0 - z) * h + z * candidate


@dataclass(frozen=True)
class RuleNetwork:
    """Architecture of a fitted learning rule.

    Attributes:
        kind: ``"dnn"`` (DNNGLM) or ``"rnn"`` (RNNGLM).
        hidden: units per hidden layer of the perceptron.
        layers: hidden layers of the perceptron.
        recurrent: GRU units (``"rnn"`` only).
    """

    kind: Literal["dnn", "rnn"] = "dnn"
    hidden: int = field(default=64, metadata=bounds(min=1))
    layers: int = field(default=2, metadata=bounds(min=1))
    recurrent: int = field(default=32, metadata=bounds(min=1))

    @property
    def label(self) -> str:
        return "DNNGLM" if self.kind == "dnn" else "RNNGLM"

    def init(self, key) -> dict:
        """Fresh parameters: perceptron, ``log c`` with ``c = 1e-3``, and (RNNGLM) the GRU."""
        k_mlp, k_gru = jax.random.split(key)
        n_in = N_COVARIATES + (self.recurrent if self.kind == "rnn" else 0)
        params = {"mlp": init_mlp(k_mlp, [n_in] + [self.hidden] * self.layers + [glm.N_WEIGHTS]),
                  "log_scale": jnp.full(glm.N_WEIGHTS, jnp.log(INITIAL_SCALE))}
        if self.kind == "rnn":
            params["gru"] = init_gru(k_gru, N_COVARIATES, self.recurrent)
        return params

    def initial_carry(self, n_animals: int):
        """The recurrent state before the first trial, ``(n_animals, recurrent)`` (zeros; width 0 for DNNGLM)."""
        return jnp.zeros((n_animals, self.recurrent if self.kind == "rnn" else 0))

    def update(self, params: dict, carry, W, s, y, r):
        """The carry after a trial and the weight change ``ΔW`` ``(..., 2)``."""
        u = covariates(W, s, y, r)
        if self.kind == "rnn":
            carry = gru_step(params["gru"], carry, u)
            u = jnp.concatenate([carry, u], axis=-1)
        return carry, jnp.exp(params["log_scale"]) * mlp(params["mlp"], u)


def rollout(net: RuleNetwork, params: dict, W0, carry0, s, y, r):
    """Run a fitted rule over trials from weights ``W0``.

    Args:
        net: the architecture.
        params: its parameters.
        W0: ``(n_animals, 2)`` weights before the first trial.
        carry0: recurrent state before the first trial.
        s, y, r: ``(n_trials, n_animals)`` stimuli, choices and rewards (time first).

    Returns:
        ``(logits, W, dW, W_end, carry_end)``: ``(n_trials, n_animals)`` logits of choosing
        right, ``(n_trials, n_animals, 2)`` weights before and changes after each trial,
        and the weights and carry after the last trial.
    """

    def trial(state, inputs):
        W, carry = state
        s_t, y_t, r_t = inputs
        carry, dW = net.update(params, carry, W, s_t, y_t, r_t)
        return (W + dW, carry), (glm.logit(W, s_t), W, dW)

    (W_end, carry_end), (logits, W, dW) = jax.lax.scan(trial, (W0, carry0), (s, y, r))
    return logits, W, dW, W_end, carry_end
