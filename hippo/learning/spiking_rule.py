"""The prediction-error rule for spiking neurons, written as Brian2 code.

This is the rule of :mod:`hippo.learning.prediction_error` with the somatic *rate*
replaced by the soma's *spike train* (Urbanczik & Senn 2014, dendritic prediction of
somatic spiking). A compartment with potential ``V``, rate ``r_comp = φ(V)`` (+ noise)
belongs to a soma that fires Poisson spikes ``S(t) = Σ δ(t − t_k)`` at
``ν = ν_s·(r_soma + c)`` Hz, where ``ν_s`` (Hz per unit rate) and the baseline ``c`` are
the spiking code of rates. The spike train decodes to ``S/ν_s − c``, whose expectation
is ``r_soma``. With ``x_j`` the presynaptic neuron's decoded, exponentially filtered
spike train (its rate estimate), the rule of every plastic synapse is

    δ(t) = (S(t)/ν_s − c − r_comp(t)) · φ′(V(t))          # local prediction error
    τ_P dP/dt = −P + δ(t)·x_j(t)                           # plasticity-induction trace
    dw/dt = (η/Δ) · (P − λ2·w − λ1·sign(w))                # η per step Δ, as in the rate rule

Because ``E[S(t)/ν_s − c | past] = r_soma(t)``, the expected change equals the rate rule's
step for step, with the same parameters (η, τ_P, λ1, λ2, bias, Dale's law); the spiking
adds zero-mean noise.

Integration. The error is integrated exactly over each plasticity step of Δ seconds
(the network's step, e.g. 25 ms): a per-neuron integral ``E`` accumulates
``−(c + r_comp)·φ′(V)·dt`` every simulation step and ``φ′(V)/ν_s`` at every somatic
spike, so ``E/Δ`` is the window's mean error ``δ̄``. Both terms are evaluated on the
potentials that set the spike probability (see :func:`error_step`). Once per window every synapse then
takes the rate rule's step with ``δ̄`` and the presynaptic trace at the start of the
window (known before any of the window's postsynaptic spikes, so the product has no
bias from spikes the synapse itself caused):

    P ← P + (Δ/τ_P)·(δ̄·x_j − P)
    w ← w + η·(P − f·(λ2·w + λ1·sign(w))),   then w ≥ 0 (excitatory) or w ≤ 0 (inhibitory)

with ``f = 1`` except while plasticity pauses (below).

The error is multiplied by a plasticity gate ``g(t) ∈ {0, 1}`` (``plastic_now``) that
is 0 for a settling time after each switch of θ: the filtered spike trains need a few
``τ_s`` to forget the previous theta phase, and a compartment's error during that time
would pair one phase's target with the other phase's presynaptic activity. The rate
engine, whose inputs change within one step, needs no such gate. The weight decay
(λ1, λ2) pauses with the error: it acts with the fraction ``f`` of the window that was
plastic, ``w ← w + η·(P − f·(λ2·w + λ1·sign(w)))``, so that error and decay keep the
balance they have in the rate rule (otherwise a compartment learning from half of each
theta phase would feel twice the decay relative to its error).

The synapses' per-window work replaces a per-synapse update every simulation step,
which is what makes tens of thousands of plastic synapses cheap. A bias (a weight on a
constant input of 1) is a neuron variable learning with ``x = 1``.

Other rules. The error integral, the gate and the presynaptic trace are the engine's;
a rule contributes only what a synapse does with them once per window: its
:class:`SpikingTranslation` names its per-synapse state and parameters and writes its
step, in which the window's local gradient ``δ̄·x_j`` stands where the rate rule has
``δ·x_j`` and the penalties act with the plastic fraction ``f`` of the window. A rule
with such a translation (the prediction-error rule, momentum, Adam, Bayesian mechanics)
runs on the spiking engines with the parameters it has on the rate engine.

Names used in the generated code. Per neuron: ``E_<comp>`` (the error integral,
seconds), ``r_<comp>`` (the compartment rate), ``dphi_<comp>`` (φ′(V)),
``plastic_now`` (the plasticity gate), ``plastic_time`` (seconds of the window during
which the gate was open), ``xl`` (the
decoded presynaptic trace at the start of the window). Per synapse: the weight ``w`` and
the rule's state (the trace ``P`` …). Per synapse group (shared): ``eta`` (the learning
rate a schedule scales), ``l1``, ``l2``, ``fan_in`` (presynaptic units) and the rule's
own parameters (``decay`` = Δ/τ_P …). A learned bias keeps the same names with the suffix
``_<projection index>`` (state ``<name>b_<index>``). Constants from the namespace: ``rate_scale``
(ν_s, Hz), ``offset`` (c) and ``window`` (Δ, seconds).
"""

from __future__ import annotations

from hippo.learning.rules import (L1, L2, LEARNING_RATE, N_SHARED, Plasticity, SpikingTranslation, WindowTerms,
                                  parameter_row, rule_named)

#: Parameters every plastic synapse group shares, whatever its rule: the learning rate,
#: the L1 and L2 penalties, the number of presynaptic units and the learning switch
#: (1 while the projection learns; 0 freezes the weights and the rule's state).
SHARED_PARAMETERS = ("eta", "l1", "l2", "fan_in", "learning")

#: Neuron-model line of the time (seconds) the plasticity gate has been open in the current window.
GATE_VARIABLE = "plastic_time : second"


def translation(plasticity: Plasticity) -> SpikingTranslation:
    """The Brian2 form of ``plasticity``'s rule (a ValueError if it has none)."""
    rule = rule_named(plasticity.rule)
    if rule.spiking is None:
        raise ValueError(f"the {plasticity.rule!r} rule has no spiking translation")
    return rule.spiking


def synapse_model(plasticity: Plasticity) -> str:
    """Synapse-model lines of a plastic synapse: its weight, its rule's state and the group's shared parameters."""
    rule = translation(plasticity)
    names = list(SHARED_PARAMETERS) + list(rule.parameters)
    return "\n".join(["w : 1"] + [f"{base} : 1" for base in rule.state.values()] + [f"{n} : 1 (shared)" for n in names])


def state_variables(plasticity: Plasticity) -> dict[str, str]:
    """The rule's state slot → the Brian2 variable of a plastic synapse."""
    return dict(translation(plasticity).state)


def bias_state_variables(plasticity: Plasticity, key: str) -> dict[str, str]:
    """The rule's state slot → the neuron variable of the learned bias of projection ``key``."""
    return {slot: f"{base}b_{key}" for slot, base in translation(plasticity).state.items()}


def rule_constants(plasticity: Plasticity, window: float, fan_in: int) -> dict[str, float]:
    """The shared parameters of one projection's rule for a plasticity step of ``window`` seconds.

    Returns ``eta`` (the learning rate per step Δ), ``l1``, ``l2``, ``fan_in``, the
    learning switch (1) and the rule's own parameters: the numbers
    :func:`hippo.learning.rules.parameter_row` gives the rate engine for a step of Δ.
    """
    row = parameter_row(plasticity, window)
    constants = {"eta": float(row[LEARNING_RATE]), "l1": float(row[L1]), "l2": float(row[L2]), "fan_in": float(fan_in),
                 "learning": 1.0}
    constants.update(zip(translation(plasticity).parameters, (float(v) for v in row[N_SHARED:]), strict=True))
    return constants


def error_variables(compartment: str) -> str:
    """Neuron-model lines of the error integral ``E_<compartment>`` (seconds) and its weight ``g_<compartment>``."""
    return f"E_{compartment} : second\ng_{compartment} : 1"


def error_step(compartments: list[str]) -> str:
    """Per-simulation-step statements, run on the state the spike threshold sees.

    ``g = gate·φ′(V)`` is kept for the spike that may follow in the same step, and the
    error integral takes its continuous part ``−(c + r_comp)·g·dt``. Evaluating both
    parts of the error on the potentials that set the spike probability matters:
    presynaptic spikes arrive between the threshold and the reset, and an error
    evaluated on other potentials than the spike's is biased (for a saturating φ, the
    bias shrinks every weight).
    """
    lines = ["plastic_time += plastic_now*dt"]
    for c in compartments:
        lines += [f"g_{c} = plastic_now*dphi_{c}", f"E_{c} += -(offset + r_{c})*g_{c}*dt"]
    return "\n".join(lines)


def error_on_spike(compartment: str) -> str:
    """Statement run in a step with ``k`` somatic spikes: their share ``k·g/ν_s`` of the error integral."""
    return f"E_{compartment} += g_{compartment}*k/rate_scale"


def window_reset(compartments: list[str]) -> str:
    """Statements that end a plasticity window: zero the error integrals, sample the presynaptic trace."""
    lines = [f"E_{c} = 0*second" for c in compartments]
    if compartments:
        lines.append("plastic_time = 0*second")
    lines.append("xl = u - offset")
    return "\n".join(lines)


def _window_step(terms: WindowTerms, plasticity: Plasticity, dale: str) -> str:
    switch = terms.parameter("learning")
    lines = [f"{variable} += {switch}*({increment})" for variable, increment in translation(plasticity).step(terms)]
    if dale == "excitatory":
        lines.append(f"{terms.weight} = clip({terms.weight}, 0, inf)")
    elif dale == "inhibitory":
        lines.append(f"{terms.weight} = clip({terms.weight}, -inf, 0)")
    return "\n".join(lines)


def synapse_update(compartment: str, plasticity: Plasticity, dale: str) -> str:
    """Code run by a plastic synapse group once per plasticity window (see the module docstring)."""
    terms = WindowTerms("w", state_variables(plasticity), "", f"E_{compartment}_post/window", "xl_pre", "xl_post",
                        "plastic_time_post/window", plasticity.l1 > 0)
    return _window_step(terms, plasticity, dale)


def bias_variables(key: str, plasticity: Plasticity) -> str:
    """Neuron-model lines of a learned bias ``bias_<key>``: weight, rule state and shared parameters."""
    rule = translation(plasticity)
    names = list(SHARED_PARAMETERS) + list(rule.parameters)
    return "\n".join([f"bias_{key} : 1"] + [f"{v} : 1" for v in bias_state_variables(plasticity, key).values()] +
                     [f"{n}_{key} : 1 (shared)" for n in names])


def bias_update(key: str, compartment: str, plasticity: Plasticity, dale: str) -> str:
    """Code run by the target neurons once per window: the rule for the bias ``bias_<key>`` (input 1)."""
    weight = f"bias_{key}"
    terms = WindowTerms(weight, bias_state_variables(plasticity, key), f"_{key}", f"E_{compartment}/window", "1", "xl",
                        "plastic_time/window", plasticity.l1 > 0)
    return _window_step(terms, plasticity, dale)


def _prediction_error_step(terms: WindowTerms) -> list[tuple[str, str]]:
    trace = terms.state["trace"]
    return [(trace, f"{terms.parameter('decay')}*({terms.gradient} - {trace})"),
            (terms.weight, f"{terms.parameter('eta')}*({trace} - {terms.penalty})")]


#: The prediction-error rule's Brian2 form: the trace ``P`` and its step (the module docstring).
PREDICTION_ERROR = SpikingTranslation(state={"trace": "P"}, parameters=("decay",), step=_prediction_error_step)
