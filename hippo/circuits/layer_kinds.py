"""The layer kinds the engines build: a registry, shaped like the learning rules' (:mod:`hippo.learning.rules`).

A layer kind is one module that declares, and registers with :func:`register`, a
:class:`LayerKind`:

* its compartments, in the order the engines evaluate them, each with the
  :class:`~hippo.circuits.spec.Layer` field holding its activation (and, optionally,
  the field holding its Ornstein–Uhlenbeck noise). A compartment's potential is the sum
  of the projections into it, ``V = Σ W·r_in (+ bias)``; its rate is ``φ(V) (+ noise)``;
* its soma in numba, ``soma(theta, act, threshold, gain, one, *compartment_rates)`` →
  the unit's rate (dimensionless), from θ (the theta gate, 1 wake, 0 sleep), the layer's
  own activation (its code, threshold and gain: :class:`~hippo.circuits.activations.Activation`),
  ``one`` (1 in the arithmetic's precision) and the unit's compartment rates in the
  declared order. A kind without a soma (``input``) has its rates set from outside
  every step and takes no projections;
* its soma as a Brian2 expression of the compartment rates ``r_<compartment>`` and
  ``theta``, written for a given layer (its activation's constants are in it), for the
  spiking engines; a kind without one runs on the rate engine only;
* the signals it can record: the soma (``"<layer>"``), each compartment
  (``"<layer>.<compartment>"``) and, for a kind that declares a mismatch (numba, per
  unit, from the compartment rates; and its Brian2 expression), the loss — the mean
  mismatch over the layer's units, per recording window.

The rate engine compiles its loop per set of kinds a network uses, as per set of rules:
:func:`soma_source` writes the dispatch over those kinds' somas, so adding a kind
touches only its own module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np
from numba import njit

from hippo.errors import ConfigError


@dataclass(frozen=True)
class LayerKind:
    """A registered layer kind (see the module docstring).

    Attributes:
        name: the kind's name, the ``kind`` of a :class:`~hippo.circuits.spec.Layer`.
        compartments: compartment name → the ``Layer`` field of its activation, in
            evaluation order.
        soma: the numba soma ``soma(theta, act, threshold, gain, one, *compartment_rates)``
            (inlined into the rate engine's loop), or None: rates set from outside.
        soma_code: ``soma_code(layer)`` → the soma of ``layer`` as a Brian2 expression of
            ``r_<compartment>`` and ``theta``, or None: no spiking form.
        noise: compartment → the ``Layer`` field of its OU noise (compartments without
            an entry have none).
        mismatch: numba ``mismatch(*compartment_rates)`` of one unit, whose mean over the
            layer is the layer's loss, or None: the layer reports no loss.
        mismatch_code: the mismatch as a Brian2 expression of ``r_<compartment>``.
    """

    name: str
    compartments: dict[str, str]
    soma: Callable | None
    soma_code: Callable[..., str] | None = None
    noise: dict[str, str] = field(default_factory=dict)
    mismatch: Callable | None = None
    mismatch_code: str | None = None

    @property
    def external(self) -> bool:
        """Whether the layer's rates are set from outside (no soma, no compartments)."""
        return self.soma is None

    @property
    def spiking(self) -> bool:
        """Whether the spiking engines can build the kind."""
        return self.external or self.soma_code is not None


#: Registered layer kinds by name.
KINDS: dict[str, LayerKind] = {}


def register(kind: LayerKind) -> LayerKind:
    """Add ``kind`` to the registry (replacing one of the same name) and return it."""
    if (kind.soma is None) != (not kind.compartments):
        raise TypeError(f"layer kind {kind.name!r}: a soma needs compartments, and compartments a soma")
    if kind.mismatch_code is not None and kind.mismatch is None:
        raise TypeError(f"layer kind {kind.name!r}: a Brian2 mismatch without its numba form")
    if kind.mismatch is not None and kind.soma_code is not None and kind.mismatch_code is None:
        raise TypeError(f"layer kind {kind.name!r}: a spiking form with a mismatch needs the mismatch's Brian2 expression")
    unknown = set(kind.noise) - set(kind.compartments)
    if unknown:
        raise TypeError(f"layer kind {kind.name!r}: noise on compartments it does not have: {', '.join(sorted(unknown))}")
    KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> LayerKind:
    """The registered layer kind ``name``; a ConfigError lists the registered kinds otherwise."""
    if name not in KINDS:
        raise ConfigError("network", "kind", f"unknown layer kind {name!r}", ", ".join(KINDS))
    return KINDS[name]


def soma_source(names: list[str]) -> tuple[str, dict]:
    """Source of ``apply_soma(code, rate, out, comp_rate, comp_offset, first, n, th, act, threshold, gain, one)``.

    Sets the somatic rates ``rate[out: out + n]`` of a layer of kind ``names[code]``
    whose compartments start at compartment index ``first`` and returns its mean
    mismatch (0 for a kind without one). Inlined into the rate engine's loop, so it is
    compiled with the loop's settings. Returns the source and the globals it needs (the
    kinds' somas as ``_soma_<code>``, their mismatches as ``_mismatch_<code>``).
    """
    lines = ['@njit(inline="always")',
             "def apply_soma(code, rate, out, comp_rate, comp_offset, first, n, th, act, threshold, gain, one):"]
    namespace = {"njit": njit}
    for code, name in enumerate(names):
        kind = kind_named(name)
        compartments = range(len(kind.compartments))
        args = ", ".join(f"comp_rate[o{j} + i]" for j in compartments)
        lines.append(f"    {'if' if code == 0 else 'elif'} code == {code}:  # {name}")
        lines += [f"        o{j} = comp_offset[first + {j}]" for j in compartments]
        lines += ["        mismatch = 0.0", "        for i in range(n):",
                  f"            rate[out + i] = _soma_{code}(th, act, threshold, gain, one, {args})"]
        namespace[f"_soma_{code}"] = kind.soma
        if kind.mismatch is not None:
            lines.append(f"            mismatch += _mismatch_{code}({args})")
            namespace[f"_mismatch_{code}"] = kind.mismatch
        lines.append("        return mismatch / n")
    lines.append("    return 0.0")
    return "\n".join(lines) + "\n", namespace


def kind_signature(name: str) -> str:
    """Text that changes when kind ``name``'s compiled code changes: its name and its whole module's source."""
    soma = kind_named(name).soma
    function = getattr(soma, "py_func", soma)
    return f"{name}:{function.__module__}:{inspect.getsource(inspect.getmodule(function))}"


_SOMA_UFUNCS: dict[Callable, Callable] = {}


def soma_rates(layer, theta: np.ndarray, compartment_rates: list[np.ndarray]) -> np.ndarray:
    """The somatic rates of ``layer`` from θ and its compartments' rates, elementwise (broadcast).

    The kind's numba soma applied to arrays: the spiking engines compose a layer's
    recorded rates from its recorded compartments with it, as the rate engine does.

    Args:
        layer: a :class:`~hippo.circuits.spec.Layer` of a kind with a soma.
        theta: θ, broadcastable against the compartment rates (e.g. ``(T, 1)``).
        compartment_rates: each compartment's rates, in the kind's compartment order.
    """
    kind = kind_named(layer.kind)
    if kind.soma not in _SOMA_UFUNCS:
        _SOMA_UFUNCS[kind.soma] = numba.vectorize(getattr(kind.soma, "py_func", kind.soma))
    act = layer.activation
    return _SOMA_UFUNCS[kind.soma](np.asarray(theta, dtype=float), act.code, float(act.threshold), float(act.gain), 1.0,
                                   *[np.asarray(r, dtype=float) for r in compartment_rates])
