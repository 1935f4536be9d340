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

Names used in the generated code. Per neuron: ``E_<comp>`` (the error integral,
seconds), ``r_<comp>`` (the compartment rate), ``dphi_<comp>`` (φ′(V)),
``plastic_now`` (the plasticity gate), ``plastic_time`` (seconds of the window during
which the gate was open), ``xl`` (the
decoded presynaptic trace at the start of the window). Per synapse group (shared):
``eta``, ``decay`` (Δ/τ_P), ``l1``, ``l2``. Constants from the namespace: ``rate_scale``
(ν_s, Hz), ``offset`` (c) and ``window`` (Δ, seconds).
"""

from __future__ import annotations

from hippo.learning.rules import L1, L2, LEARNING_RATE, N_SHARED, Plasticity, parameter_row

#: Synapse-model lines of a plastic synapse: the weight, its plasticity-induction trace
#: and the rule's parameters shared by the synapse group.
SYNAPSE_MODEL = """
w : 1
P : 1
eta : 1 (shared)
decay : 1 (shared)
l1 : 1 (shared)
l2 : 1 (shared)
"""


#: Neuron-model line of the time (seconds) the plasticity gate has been open in the current window.
GATE_VARIABLE = "plastic_time : second"


def rule_constants(plasticity: Plasticity, window: float) -> dict[str, float]:
    """The parameters of one projection's rule for a plasticity step of ``window`` seconds.

    Returns ``decay`` (Δ/τ_P), ``eta`` (per step Δ), ``l1`` and ``l2``: the same numbers
    :func:`hippo.learning.rules.parameter_row` gives the rate engine for a step of Δ.
    """
    row = parameter_row(plasticity, window)
    return {"decay": float(row[N_SHARED]), "eta": float(row[LEARNING_RATE]), "l1": float(row[L1]), "l2": float(row[L2])}


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


def _weight_step(weight: str, trace: str, error: str, presynaptic: str, l1: bool, dale: str, plastic_time: str,
                 suffix: str = "") -> str:
    penalty = f" + l1{suffix}*sign({weight})" if l1 else ""
    lines = [
        f"{trace} += decay{suffix}*({error}/window*{presynaptic} - {trace})",
        f"{weight} += eta{suffix}*({trace} - {plastic_time}/window*(l2{suffix}*{weight}{penalty}))",
    ]
    if dale == "excitatory":
        lines.append(f"{weight} = clip({weight}, 0, inf)")
    elif dale == "inhibitory":
        lines.append(f"{weight} = clip({weight}, -inf, 0)")
    return "\n".join(lines)


def synapse_update(compartment: str, plasticity: Plasticity, dale: str) -> str:
    """Code run by a plastic synapse group once per plasticity window (see the module docstring)."""
    return _weight_step("w", "P", f"E_{compartment}_post", "xl_pre", plasticity.l1 > 0, dale, "plastic_time_post")


def bias_variables(key: str) -> str:
    """Neuron-model lines of a learned bias ``bias_<key>``: weight, trace and shared parameters."""
    return "\n".join([f"bias_{key} : 1", f"Pb_{key} : 1"] +
                     [f"{p}_{key} : 1 (shared)" for p in ("eta", "decay", "l1", "l2")])


def bias_update(key: str, compartment: str, plasticity: Plasticity, dale: str) -> str:
    """Code run by the target neurons once per window: the rule for the bias ``bias_<key>`` (input 1)."""
    return _weight_step(f"bias_{key}", f"Pb_{key}", f"E_{compartment}", "1", plasticity.l1 > 0, dale, "plastic_time",
                        f"_{key}")

