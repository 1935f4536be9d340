"""Telling plasticity rules apart from recordings of a circuit's plastic projection.

A small circuit, on the rate engine or a spiking engine: an input layer ``x`` of ``n_pre``
smooth random rates (Ornstein–Uhlenbeck, unit variance) drives a pyramidal layer ``p``
of ``n_post`` units through a fixed basal projection (a random teacher) and a plastic
apical projection with a bias, which learns, awake (θ ≡ 1), to predict the soma with
one rule of the learning core. The engine records, every step, the presynaptic rates,
the soma and apical rates (the apical compartment is linear, so their difference is
the local prediction error ``δ``) and the apical weights after the step's learning. On a
spiking engine the rule learns from spikes (:mod:`hippo.learning.spiking_rule`), while
the recorded covariates are the rates, as an experimenter would record them: the weight
changes then carry the spikes' noise, which the identifier has to see through.

For each synapse ``(i, j)`` and step ``t`` the local covariates are the gradient
``g = δ_i·x_j`` (``x_j = 1`` for the bias), the weight before the step ``w`` and the
previous change ``Δw_{t−1}``; the target is ``Δw_t``. Each is divided by its RMS over
the run, so that learning rates do not matter, only the form of the rule. A GRU
(:func:`hippo.inference.networks.gru_step`, then a linear read-out) is fitted to map a
synapse's sequence of covariates to its weight changes, one network per rule, on
training runs (full backpropagation through time, Adam). A held-out run is assigned to
the rule whose network predicts its weight changes with the smallest mean squared error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy.signal import lfilter

from hippo.circuits.engines import make_engine
from hippo.circuits.spec import Layer, Network, Noise, Projection
from hippo.circuits.spiking_config import SpikingConfig
from hippo.config import bounds
from hippo.inference.networks import gru_step, init_dense, init_gru
from hippo.learning.rules import Plasticity, rule_named
from hippo.protocol import InputArrays, Phase, run_phases
from hippo.theta import INFERENCE

#: The rules told apart, and the parameters each learns with (learning rates are then scaled per run).
RULE_PARAMETERS = {
    "prediction-error": {"eta": 0.01, "tau_trace": 0.1},
    "bayesian-mechanics": {"m_z": 1.0, "m_w": 1.0, "gamma": 0.1},
    "momentum": {"eta": 0.005, "tau_trace": 0.1, "beta": 0.9},
    "adam": {"eta": 0.002, "tau_trace": 0.1},
}
PROJECTION = "p.apical<-x"
N_COVARIATES = 3


@dataclass(frozen=True)
class CircuitConfig:
    """The recorded circuit and its runs.

    Attributes:
        n_pre: presynaptic input units.
        n_post: pyramidal units.
        duration: simulated seconds per run.
        dt: time step (s).
        input_tau: correlation time of the inputs (s).
        apical_noise: std of the OU noise on the apical compartment rates.
        rate_spread: each run's learning rate is the rule's times a factor drawn
            log-uniformly in ``[1/rate_spread, rate_spread]``.
        engine: ``"rate"`` or ``"spiking"`` (the Brian2 runtime, whose monitors record
            the weights every step within one run; ``spiking.target`` picks its code).
        spiking: the spiking code; the inputs have unit variance, so the baseline
            ``offset`` must code rates down to about −3.
    """

    n_pre: int = field(default=4, metadata=bounds(min=1))
    n_post: int = field(default=3, metadata=bounds(min=1))
    duration: float = field(default=25.0, metadata=bounds(gt=0.0))
    dt: float = field(default=0.025, metadata=bounds(gt=0.0))
    input_tau: float = field(default=0.5, metadata=bounds(gt=0.0))
    apical_noise: float = field(default=0.02, metadata=bounds(min=0.0))
    rate_spread: float = field(default=2.0, metadata=bounds(min=1.0))
    engine: Literal["rate", "spiking"] = "rate"
    spiking: SpikingConfig = SpikingConfig(tau_syn=0.01, rate_scale=1000.0, max_rate=20000.0, offset=4.0, settle=0.0)


@dataclass(frozen=True)
class IdentifierConfig:
    """The per-rule networks and their fit.

    Attributes:
        hidden: GRU units.
        steps: Adam steps (each over all training sequences of the rule).
        learning_rate: Adam's step.
    """

    hidden: int = field(default=16, metadata=bounds(min=1))
    steps: int = field(default=200, metadata=bounds(min=1))
    learning_rate: float = field(default=1e-2, metadata=bounds(gt=0.0))


def smooth_inputs(n_steps: int, n: int, dt: float, tau: float, rng: np.random.Generator) -> np.ndarray:
    """``(n_steps, n)`` Ornstein–Uhlenbeck rates with unit stationary variance and correlation time ``tau``."""
    decay = np.exp(-dt / tau)
    kicks = rng.standard_normal((n_steps, n)) * np.sqrt(1.0 - decay ** 2)
    start = rng.standard_normal(n)
    return lfilter([1.0], [1.0, -decay], kicks, axis=0, zi=decay * start[None, :])[0]


def record_run(rule: str, config: CircuitConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Simulate one run of the circuit learning with ``rule`` and record its plastic projection.

    Returns:
        ``pre`` ``(n_steps, n_pre + 1)`` presynaptic rates with the bias input 1, ``error``
        ``(n_steps, n_post)`` soma − apical rates, ``W`` ``(n_steps + 1, n_post, n_pre + 1)``
        the weights before the first step and after each step.
    """
    n_steps = int(round(config.duration / config.dt))
    teacher = rng.normal(size=(config.n_post, config.n_pre)) / np.sqrt(config.n_pre)
    parameters = dict(RULE_PARAMETERS[rule])
    parameters[rule_named(rule).learning_rate] *= config.rate_spread ** rng.uniform(-1.0, 1.0)
    x = Layer("x", config.n_pre, "input")
    p = Layer("p", config.n_post, "pyramidal", apical_noise=Noise(scale=config.apical_noise))
    W0 = np.zeros((config.n_post, config.n_pre + 1))
    network = Network((x, p), (Projection("x", "p", "basal", teacher),
                               Projection("x", "p", "apical", W0, bias=True,
                                          plasticity=Plasticity(rule=rule, **parameters))))
    inputs = smooth_inputs(n_steps, config.n_pre, config.dt, config.input_tau, rng)
    engine = make_engine(config.engine, network, config.dt, seed=int(rng.integers(2 ** 31)), spiking=config.spiking)
    phase = Phase("learning", n_steps * config.dt, InputArrays({"x": inputs}), INFERENCE, learn=True,
                  record=("x", "p", "p.apical"), record_weights=(PROJECTION,))
    recording = run_phases(engine, [phase])[phase.name].recording
    pre = np.concatenate([recording.signals["x"], np.ones((n_steps, 1))], axis=1)
    return {"pre": pre, "error": recording.signals["p"] - recording.signals["p.apical"],
            "W": np.concatenate([W0[None], recording.weights[PROJECTION]])}


def synapse_sequences(run: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-synapse covariates and targets of a run, each divided by its RMS over the run.

    Returns:
        ``covariates`` ``(n_synapses, n_steps, 3)``: ``(g_t, w_{t−1}, Δw_{t−1})``, and
        ``targets`` ``(n_synapses, n_steps)``: ``Δw_t``.
    """
    gradient = run["error"][:, :, None] * run["pre"][:, None, :]
    dW = np.diff(run["W"], axis=0)
    before = run["W"][:-1]
    previous = np.concatenate([np.zeros_like(dW[:1]), dW[:-1]])

    def unit(a):
        return a / max(float(np.sqrt(np.mean(a ** 2))), 1e-300)

    flat = lambda a: a.reshape(a.shape[0], -1).T  # noqa: E731
    covariates = np.stack([flat(unit(gradient)), flat(unit(before)), flat(unit(previous))], axis=-1)
    return covariates, flat(unit(dW))


def init_identifier(key, hidden: int) -> dict:
    """GRU over the covariates and a linear read-out of ``Δw``."""
    k_gru, k_out = jax.random.split(key)
    return {"gru": init_gru(k_gru, N_COVARIATES, hidden), "out": init_dense(k_out, hidden + N_COVARIATES, 1)}


def predict(params: dict, covariates):
    """Predicted ``Δw`` ``(n_sequences, n_steps)`` from covariates ``(n_sequences, n_steps, 3)``."""

    def step(h, u):
        h = gru_step(params["gru"], h, u)
        features = jnp.concatenate([h, u], axis=-1)
        return h, (features @ params["out"]["w"] + params["out"]["b"])[..., 0]

    h0 = jnp.zeros((covariates.shape[0], params["gru"]["w_rec"].shape[0]))
    _, out = jax.lax.scan(step, h0, jnp.swapaxes(covariates, 0, 1))
    return out.T


def prediction_error(params: dict, covariates, targets) -> jnp.ndarray:
    """Mean squared error of the predicted normalised ``Δw``."""
    return jnp.mean((predict(params, covariates) - targets) ** 2)


@partial(jax.jit, static_argnames=("steps", "hidden"))
def _fit(key, covariates, targets, steps: int, hidden: int, learning_rate: float):
    optimizer = optax.adam(learning_rate)
    params = init_identifier(key, hidden)

    def step(state, _):
        params, opt_state = state
        value, grads = jax.value_and_grad(prediction_error)(params, covariates, targets)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), value

    (params, _), losses = jax.lax.scan(step, (params, optimizer.init(params)), None, length=steps)
    return params, losses


def fit_identifier(covariates: np.ndarray, targets: np.ndarray, config: IdentifierConfig, seed: int) -> tuple[dict, np.ndarray]:
    """Fit one rule's network to its training sequences; returns the parameters and the loss per step."""
    params, losses = _fit(jax.random.PRNGKey(seed), jnp.asarray(covariates, jnp.float32),
                          jnp.asarray(targets, jnp.float32), config.steps, config.hidden, config.learning_rate)
    return params, np.asarray(losses, float)


_score = jax.jit(prediction_error)


def classify(models: dict[str, dict], covariates: np.ndarray, targets: np.ndarray) -> tuple[str, dict[str, float]]:
    """The rule whose network predicts one run's weight changes best, and every rule's error."""
    errors = {rule: float(_score(params, jnp.asarray(covariates, jnp.float32), jnp.asarray(targets, jnp.float32)))
              for rule, params in models.items()}
    return min(errors, key=errors.get), errors
