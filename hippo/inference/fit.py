"""Fitting a learning rule to choices: maximum likelihood by truncated backpropagation through time.

The parameters are the rule network's and every training animal's starting weights
``W_0``. The loss is the mean negative Bernoulli log-likelihood of the choices
(:func:`hippo.inference.glm.choice_log_likelihood`) along the weight trajectory the rule
generates. Each epoch runs through the trials in windows of ``window`` trials: the
gradient of a window's loss flows back to the window's start only (truncated BPTT), the
parameters take one Adam step (optax) per window, and the weights and recurrent state
reached at the window's end, computed with the parameters before the step, start the
next window. One epoch is one compiled call (``jax.jit`` over a ``lax.scan`` of
windows, each a ``lax.scan`` of trials), vectorised over animals.

Every window also passes its gradient at its starting weights ``W_k`` on to ``W_0``
through the sensitivity ``J_k = ∂W_k/∂W_0`` (``(2, 2)`` per animal), carried from window
to window by forward-mode differentiation of each window's end weights (the recurrent
state's dependence on ``W_0`` is left out): the starting weights are then fitted to all
of an animal's choices, so that the rule cannot absorb a poorly fitted start as a drift. Held-out animals keep the fitted rule and
refit only their starting weights in the same way (:func:`fit_initial_weights`).
Starting weights are first guessed by a static logistic regression of the first window
(:func:`static_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hippo.config import bounds
from hippo.errors import ConfigError
from hippo.inference import glm
from hippo.inference.networks import RuleNetwork, rollout


@dataclass(frozen=True)
class FitConfig:
    """How a rule network is fitted.

    Attributes:
        window: trials per truncated-BPTT window; divides the number of trials.
        epochs: passes through the trials.
        learning_rate: Adam step of the rule network's parameters at the start; it decays
            along a cosine to ``final_fraction`` of itself by the last window of the last epoch.
        final_fraction: the learning rates' final fraction of their starting values.
        scale_learning_rate: Adam step of the logarithm of the rule's output scale ``c``.
        initial_learning_rate: Adam step of the animals' starting weights.
        initial_epochs: passes through a held-out animal's trials fitting its starting weights.
        clip: largest global gradient norm (gradients are rescaled above it).
        ridge: L2 penalty of the static logistic regression guessing ``W_0``.
    """

    window: int = field(default=100, metadata=bounds(min=1))
    epochs: int = field(default=100, metadata=bounds(min=1))
    learning_rate: float = field(default=3e-3, metadata=bounds(gt=0.0))
    final_fraction: float = field(default=0.05, metadata=bounds(min=0.0, max=1.0))
    scale_learning_rate: float = field(default=0.05, metadata=bounds(gt=0.0))
    initial_learning_rate: float = field(default=3e-2, metadata=bounds(gt=0.0))
    initial_epochs: int = field(default=20, metadata=bounds(min=0))
    clip: float = field(default=1.0, metadata=bounds(gt=0.0))
    ridge: float = field(default=1.0, metadata=bounds(gt=0.0))

    def check_trials(self, n_trials: int, key: str = "fit.window") -> None:
        """ConfigError unless ``window`` divides ``n_trials``."""
        if n_trials % self.window:
            raise ConfigError("", key, f"window {self.window} does not divide the {n_trials} trials",
                              "a divisor of the number of trials")


@dataclass(frozen=True)
class Fit:
    """A fitted rule.

    Attributes:
        net: the architecture.
        params: the rule network's parameters.
        initial: ``(n_animals, 2)`` fitted starting weights of the training animals.
        losses: ``(epochs,)`` mean negative log-likelihood per trial in each epoch (nats).
    """

    net: RuleNetwork
    params: dict
    initial: np.ndarray
    losses: np.ndarray


def time_major(*arrays: np.ndarray) -> tuple[jnp.ndarray, ...]:
    """``(n_animals, n_trials)`` arrays as float32 JAX arrays ``(n_trials, n_animals)``."""
    return tuple(jnp.asarray(np.asarray(a, np.float32).T) for a in arrays)


def static_weights(s: np.ndarray, y: np.ndarray, ridge: float, iterations: int = 25) -> np.ndarray:
    """Per-animal ridge logistic regression of choices on ``(s, 1)`` (Newton's method).

    Args:
        s, y: ``(n_animals, n_trials)`` stimuli and choices.
        ridge: L2 penalty on both weights.
        iterations: Newton steps.

    Returns:
        ``(n_animals, 2)`` weights maximising the penalised likelihood.
    """
    X = glm.features(np.asarray(s, float))
    W = np.zeros((s.shape[0], glm.N_WEIGHTS))
    eye = np.eye(glm.N_WEIGHTS)
    for _ in range(iterations):
        p = glm.right_probability(W[:, None, :], s)
        gradient = np.einsum("atk,at->ak", X, y - p) - ridge * W
        hessian = np.einsum("atk,at,atl->akl", X, p * (1 - p), X) + ridge * eye
        W = W + np.linalg.solve(hessian, gradient[..., None])[..., 0]
    return W


def _window_loss(net, rule_params, W, carry, s, y, r):
    logits, _, _, W_end, carry_end = rollout(net, rule_params, W, carry, s, y, r)
    return -jnp.mean(glm.choice_log_likelihood(logits, y)), (W_end, carry_end)


def _optimizer(config: FitConfig, n_steps: int, rule: bool = True) -> optax.GradientTransformation:
    """Adam on the rule and its scale (unless ``rule`` is false: both are then frozen) and on the starting weights."""
    def labels(params):
        rule_labels = {name: jax.tree.map(lambda _: "rule", value) for name, value in params["rule"].items()}
        return {"rule": {**rule_labels, "log_scale": "scale"}, "initial": "initial"}

    schedule = lambda rate: optax.cosine_decay_schedule(rate, n_steps, config.final_fraction)  # noqa: E731
    frozen = optax.set_to_zero()
    transforms = {"rule": optax.adam(schedule(config.learning_rate)) if rule else frozen,
                  "scale": optax.adam(schedule(config.scale_learning_rate)) if rule else frozen,
                  "initial": optax.adam(schedule(config.initial_learning_rate))}
    return optax.chain(optax.clip_by_global_norm(config.clip), optax.multi_transform(transforms, labels))


def _window_jacobian(net, rule_params, W, carry, s, y, r):
    """``∂W_end/∂W_start`` ``(n_animals, 2, 2)`` of each animal over one window (the carry held fixed at the start)."""
    end = lambda W: rollout(net, rule_params, W, carry, s, y, r)[3]  # noqa: E731
    tangents = jnp.broadcast_to(jnp.eye(glm.N_WEIGHTS, dtype=W.dtype)[:, None, :], (glm.N_WEIGHTS,) + W.shape)
    columns = jax.vmap(lambda tangent: jax.jvp(end, (W,), (tangent,))[1])(tangents)
    return jnp.moveaxis(columns, 0, -1)


@partial(jax.jit, static_argnames=("net", "optimizer"))
def _epoch(net, optimizer, params, opt_state, s, y, r):
    """One pass over windows ``s, y, r`` ``(n_windows, window, n_animals)``; returns params, state, mean loss."""

    def loss(params, W, J, carry, s_w, y_w, r_w):
        start = params["initial"]
        W = W + jnp.einsum("nij,nj->ni", J, start - jax.lax.stop_gradient(start))  # gradient J^T·∂L/∂W to W_0
        return _window_loss(net, params["rule"], W, carry, s_w, y_w, r_w)

    def window(state, inputs):
        params, opt_state, W, J, carry = state
        (value, (W_end, carry_end)), grads = jax.value_and_grad(loss, has_aux=True)(params, W, J, carry, *inputs)
        J = jnp.einsum("nij,njk->nik", _window_jacobian(net, params["rule"], W, carry, *inputs), J)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        return (params, opt_state, jax.lax.stop_gradient(W_end), jax.lax.stop_gradient(J),
                jax.lax.stop_gradient(carry_end)), value

    identity = jnp.broadcast_to(jnp.eye(glm.N_WEIGHTS, dtype=s.dtype), (s.shape[2], glm.N_WEIGHTS, glm.N_WEIGHTS))
    state = (params, opt_state, params["initial"], identity, net.initial_carry(s.shape[2]))
    (params, opt_state, _, _, _), values = jax.lax.scan(window, state, (s, y, r))
    return params, opt_state, values.mean()


def windows(array: jnp.ndarray, window: int) -> jnp.ndarray:
    """``(n_trials, n_animals)`` → ``(n_trials // window, window, n_animals)``."""
    return array.reshape(array.shape[0] // window, window, array.shape[1])


def fit_rule(net: RuleNetwork, s: np.ndarray, y: np.ndarray, r: np.ndarray, config: FitConfig, seed: int,
             progress=None) -> Fit:
    """Fit rule network ``net`` and the starting weights to the choices of training animals.

    Args:
        net: the architecture.
        s, y, r: ``(n_animals, n_trials)`` stimuli, choices and rewards.
        config: the fit's settings (``window`` must divide ``n_trials``).
        seed: seeds the network's initial parameters.
        progress: optional ``progress(epoch, loss)`` called after each epoch.

    Returns:
        The fit.
    """
    config.check_trials(s.shape[1])
    params, losses = _train(net, net.init(jax.random.PRNGKey(seed)), s, y, r, config, config.epochs, True, progress)
    return Fit(net, params["rule"], np.asarray(params["initial"], float), losses)


def _train(net, rule_params, s, y, r, config: FitConfig, epochs: int, rule: bool, progress=None):
    """Epochs of truncated BPTT from the static guess of ``W_0``; the rule is frozen unless ``rule``."""
    optimizer = _optimizer(config, epochs * (s.shape[1] // config.window), rule)
    initial = static_weights(s[:, : config.window], y[:, : config.window], config.ridge)
    params = {"rule": rule_params, "initial": jnp.asarray(initial, jnp.float32)}
    opt_state = optimizer.init(params)
    data = [windows(a, config.window) for a in time_major(s, y, r)]
    losses = []
    for epoch in range(epochs):
        params, opt_state, value = _epoch(net, optimizer, params, opt_state, *data)
        losses.append(float(value))
        if progress is not None:
            progress(epoch + 1, losses[-1])
    return params, np.asarray(losses)


def fit_initial_weights(fit: Fit, s: np.ndarray, y: np.ndarray, r: np.ndarray, config: FitConfig) -> np.ndarray:
    """Starting weights ``(n_animals, 2)`` of held-out animals under the fitted (frozen) rule."""
    config.check_trials(s.shape[1])
    params, _ = _train(fit.net, fit.params, s, y, r, config, config.initial_epochs, rule=False)
    return np.asarray(params["initial"], float)


@partial(jax.jit, static_argnames=("net",))
def _replay(net, rule_params, W0, s, y, r):
    logits, W, dW, _, _ = rollout(net, rule_params, W0, net.initial_carry(s.shape[1]), s, y, r)
    return glm.choice_log_likelihood(logits, y), W, dW


def replay(fit: Fit, initial: np.ndarray, s: np.ndarray, y: np.ndarray, r: np.ndarray) -> dict[str, np.ndarray]:
    """Run the fitted rule over animals' trials from starting weights ``initial``.

    Returns:
        ``log_likelihood`` ``(n_animals, n_trials)`` of each choice (nats), ``W`` and ``dW``
        ``(n_animals, n_trials, 2)``: the weights before and the changes after each trial.
    """
    ll, W, dW = _replay(fit.net, fit.params, jnp.asarray(initial, jnp.float32), *time_major(s, y, r))
    return {"log_likelihood": np.asarray(ll, float).T, "W": np.asarray(W, float).transpose(1, 0, 2),
            "dW": np.asarray(dW, float).transpose(1, 0, 2)}


@partial(jax.jit, static_argnames=("net",))
def memoryless_update(net: RuleNetwork, rule_params, W, s, y, r):
    """ΔW of a DNNGLM at arbitrary covariates ``W`` ``(..., 2)``, ``s, y, r`` ``(...)`` (no history)."""
    return net.update(rule_params, jnp.zeros(W.shape[:-1] + (0,)), W, s, y, r)[1]
