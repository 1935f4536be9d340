"""The plasticity interface between circuits and learning cores: a registry of rules.

A rule is one module of the learning core that declares, and registers with
:func:`register`:

* its configuration, a frozen dataclass derived from :class:`Plasticity` and tagged by
  its ``rule`` field (TOML: ``plasticity = { rule = "bayesian-mechanics", m_w = 2000 }``;
  a table without ``rule`` is the default rule, ``"prediction-error"``). Every rule
  shares the constraints ``l1`` and ``l2``; a parameter of another rule is an error;
* its per-synapse state: the names of its slots, each an array shaped like the weights
  (a trace, a momentum, moment estimates …);
* its parameter row, :attr:`Rule.parameters`, whose first entry is its learning rate
  (the config field :attr:`Rule.learning_rate`, the one a learning-rate schedule scales);
* its compiled step (numba), ``step(W, S, delta, pre, post, bias, params)``: one time
  step for one projection, in place. ``W`` ``(n_post, n_pre + bias)`` are the weights
  (the last column a bias with input 1 when ``bias``), ``S`` ``(n_slots, n_post, n_pre
  + bias)`` the rule's state, ``delta`` ``(n_post,)`` the postsynaptic compartment's
  local prediction error, ``pre`` ``(n_pre,)`` the presynaptic rates, ``post``
  ``(n_post,)`` the somatic rates the compartment predicts, and ``params`` the row
  ``[learning rate, l1, l2, rest of the rule's parameters]``;
* its Brian2 translation for the spiking engines, where it has one: a
  :class:`SpikingTranslation` (its state's Brian2 variables and its step once per
  plasticity window, written in the window's local gradient; the engine's side is
  :mod:`hippo.learning.spiking_rule`).

The engine computes the local gradient ingredients (``delta``, ``pre``, ``post``) once
per projection and step, lets the rule step, and then applies Dale's law
(:func:`apply_dale`) to every rule's weights alike. The L1 and L2 penalties enter every
rule's weight velocity through :func:`penalised`: ``v − λ2·w − λ1·sign(w)``.

The rate engine compiles one kernel per set of rules a network uses:
:func:`dispatch_source` writes the dispatch over those rules' steps, so adding a rule
touches only its own module.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numba import njit

from hippo.config import bounds
from hippo.errors import ConfigError

DALE_NONE, DALE_EXCITATORY, DALE_INHIBITORY = 0, 1, 2
DALE_CODES = {"none": DALE_NONE, "excitatory": DALE_EXCITATORY, "inhibitory": DALE_INHIBITORY}

#: Columns of a parameter row shared by every rule: learning rate, L1 and L2 penalties.
LEARNING_RATE, L1, L2, N_SHARED = 0, 1, 2, 3

DEFAULT_RULE = "prediction-error"

#: The largest decay per step an averaging rule accepts: with β = 1 its average never moves.
BETA_MAX = 0.99999


@dataclass(frozen=True)
class Plasticity:
    """How a projection learns: the configuration of one registered rule.

    ``Plasticity(rule=name, **parameters)`` builds the configuration of the rule
    ``name`` (by default ``"prediction-error"``); each rule's own dataclass derives from
    this one and adds its parameters.

    Attributes:
        rule: the rule's registered name.
        l1, l2: L1 and L2 penalties on the weights, shared by every rule: they enter the
            weight velocity as ``−λ1·sign(w) − λ2·w`` (in the units of the rule's velocity:
            per step for ``prediction-error``, 1/s for ``bayesian-mechanics``).
    """

    TAG: ClassVar[str] = "rule"

    rule: str = DEFAULT_RULE
    l1: float = field(default=0.0, metadata=bounds(min=0.0))
    l2: float = field(default=0.0, metadata=bounds(min=0.0))

    def __new__(cls, *args, **parameters):
        if cls is not Plasticity:
            return super().__new__(cls)
        if args:
            raise TypeError("Plasticity takes keyword arguments only, e.g. Plasticity(rule='prediction-error', eta=0.01)")
        name = parameters.get("rule", DEFAULT_RULE)
        config = rule_named(name).config
        allowed = [f.name for f in dataclasses.fields(config)]
        for key in parameters:
            if key not in allowed:
                raise ConfigError("plasticity", key, f"does not apply to the {name!r} rule", ", ".join(allowed))
        return super().__new__(config)

    @classmethod
    def variants(cls) -> dict[str, type]:
        """The configuration dataclass of every registered rule, by name (the default first)."""
        return {name: rule.config for name, rule in sorted(RULES.items(), key=lambda item: item[0] != DEFAULT_RULE)}


@dataclass(frozen=True)
class WindowTerms:
    """The names a rule's window step is written in, for one synapse group or one learned bias.

    Attributes:
        weight: the weight variable (``w``, or ``bias_<k>``).
        state: the registry's slot name → the Brian2 variable holding it.
        suffix: appended to every parameter name (``""`` for synapses, ``_<k>`` for a bias).
        error: expression of the window's mean local prediction error ``δ̄`` (the rate rule's ``δ``).
        pre: expression of the presynaptic rate ``x`` at the window's start (``1`` for a bias).
        post: expression of the postsynaptic soma's decoded rate at the window's start.
        fraction: expression of the plastic fraction ``f`` of the window (0–1).
        l1: whether the rule's L1 penalty is nonzero (its term is then written).
    """

    weight: str
    state: dict[str, str]
    suffix: str
    error: str
    pre: str
    post: str
    fraction: str
    l1: bool

    def parameter(self, name: str) -> str:
        """The Brian2 name of the rule parameter ``name`` here."""
        return f"{name}{self.suffix}"

    @property
    def gradient(self) -> str:
        """The window's local gradient ``δ̄·x``, where the rate rule has ``δ·x``."""
        return f"{self.error}*{self.pre}"

    @property
    def penalty(self) -> str:
        """``f·(λ2·w + λ1·sign(w))``: the penalties, acting for the window's plastic fraction."""
        l1_term = f" + {self.parameter('l1')}*sign({self.weight})" if self.l1 else ""
        return f"{self.fraction}*({self.parameter('l2')}*{self.weight}{l1_term})"


@dataclass(frozen=True)
class SpikingTranslation:
    """A rule's Brian2 form (the ``spiking`` of its :class:`Rule`).

    Attributes:
        state: the rule's state slots (the registry's names, in its order) → the base
            name of the Brian2 variable holding each (an identifier starting with a capital).
        parameters: Brian2 names of the rule's parameter row after the shared entries
            (``parameter_row(plasticity, Δ)[N_SHARED:]``), in order.
        step: ``step(terms)`` → what one plasticity window does to one weight
            (:class:`WindowTerms`): ``(variable, increment)`` pairs, applied in order
            (each sees the ones before), the weight's last; the engine multiplies every
            increment by the learning switch and applies Dale's law after them.
    """

    state: dict[str, str]
    parameters: tuple[str, ...]
    step: Callable[[WindowTerms], list[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    """A registered learning rule (see the module docstring).

    Attributes:
        name: the rule's name, the ``rule`` tag of its configuration.
        config: its configuration dataclass (derived from :class:`Plasticity`, with
            ``rule: Literal[name] = name``).
        slots: names of its per-synapse state arrays.
        parameters: ``parameters(config, dt)`` → the rule's parameters for a time step
            of ``dt`` seconds, its learning rate first (the shared ``l1``, ``l2`` are
            inserted after it by :func:`parameter_row`).
        step: the compiled step ``step(W, S, delta, pre, post, bias, params)``.
        learning_rate: the config field the learning-rate schedule scales.
        spiking: its Brian2 translation (a :class:`SpikingTranslation`), or None.
    """

    name: str
    config: type
    slots: tuple[str, ...]
    parameters: Callable[[Plasticity, float], tuple[float, ...]]
    step: Callable
    learning_rate: str
    spiking: SpikingTranslation | None = None


#: Registered rules by name.
RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the registry (replacing one of the same name) and return it."""
    fields = {f.name: f for f in dataclasses.fields(rule.config)}
    if not issubclass(rule.config, Plasticity) or fields["rule"].default != rule.name:
        raise TypeError(f"rule {rule.name!r}: its config must derive from Plasticity with rule = {rule.name!r}")
    if rule.learning_rate not in fields:
        raise TypeError(f"rule {rule.name!r}: learning rate {rule.learning_rate!r} is not a field of its config")
    RULES[rule.name] = rule
    return rule


def rule_named(name: str) -> Rule:
    """The registered rule ``name``; a ConfigError lists the registered rules otherwise."""
    if name not in RULES:
        raise ConfigError("plasticity", "rule", f"unknown rule {name!r}", ", ".join(RULES))
    return RULES[name]


def parameter_row(plasticity: Plasticity, dt: float) -> np.ndarray:
    """``[learning rate, l1, l2, rest of the rule's parameters]`` for a time step of ``dt`` seconds."""
    rate, *rest = rule_named(plasticity.rule).parameters(plasticity, dt)
    return np.array([rate, plasticity.l1, plasticity.l2, *rest], dtype=float)


@njit(inline="always")
def penalised(velocity, w, l1, l2):
    """A weight velocity with the L2 and L1 penalties: ``velocity − λ2·w − λ1·sign(w)`` (inlined into each rule's step)."""
    return l2_penalised(velocity, w, l2) - l1 * np.sign(w)


@njit(inline="always")
def l2_penalised(velocity, w, l2):
    """:func:`penalised` without L1 (``λ1 = 0``): ``velocity − λ2·w``, for a rule's loop that skips the sign."""
    return velocity - l2 * w


@njit(cache=True)
def apply_dale(W, dale):
    """Dale's law, in place: ``W ≥ 0`` (excitatory, 1), ``W ≤ 0`` (inhibitory, 2), nothing (0)."""
    if dale == DALE_EXCITATORY:
        np.maximum(W, 0.0, W)
    elif dale == DALE_INHIBITORY:
        np.minimum(W, 0.0, W)


def dispatch_source(names: list[str]) -> tuple[str, dict]:
    """Source of ``apply_rule(code, W, S, delta, pre, post, bias, dale, params)`` over the rules ``names``.

    ``code`` is the rule's index in ``names``. Returns the source and the globals it
    needs (the rules' steps as ``_rule_<code>``, :func:`apply_dale`).
    """
    lines = ["@njit(cache=True)", "def apply_rule(code, W, S, delta, pre, post, bias, dale, params):"]
    for code, name in enumerate(names):
        lines.append(f"    {'if' if code == 0 else 'elif'} code == {code}:  # {name}")
        lines.append(f"        _rule_{code}(W, S, delta, pre, post, bias, params)")
    lines.append("    apply_dale(W, dale)")
    namespace = {f"_rule_{code}": rule_named(name).step for code, name in enumerate(names)}
    namespace.update(njit=njit, apply_dale=apply_dale)
    return "\n".join(lines) + "\n", namespace


def rule_signature(name: str) -> str:
    """Text that changes when rule ``name``'s compiled step changes: its name and its whole module's source.

    The module's source, not only the step's, since a step inlines its module's helpers.
    """
    step = rule_named(name).step
    function = getattr(step, "py_func", step)
    return f"{name}:{function.__module__}.{function.__qualname__}:{inspect.getsource(inspect.getmodule(function))}"

