"""Spiking engine: runs a :class:`~hippo.circuits.spec.Network` as Brian2 spiking neurons.

Rates of the network description become Poisson spike trains: a unit of rate ``r``
(dimensionless, as in the rate engine) fires at ``ν = clip(ν_s·(r + c), 0, ν_max)`` Hz,
with ``ν_s`` the rate scale (Hz per unit rate) and ``c`` a baseline that lets linear
units code negative rates. A unit stands for a pool of neurons: in each simulation step
of ``dt_s`` seconds it emits a Poisson number ``k ~ Poisson(ν·dt_s)`` of spikes (the
pooled spikes of independent Poisson neurons), so ``ν`` is not limited to ``1/dt_s`` and
a step without spikes costs nothing. With ``gamma_order = κ > 1`` the unit counts the
events of a Poisson process at ``κ·ν`` in ``acc`` and fires once per κ of them
(``k = ⌊acc/κ⌋`` spikes in a step, ``acc`` keeping the remainder): a gamma-renewal train
of rate ν, exact at any rate, with ``acc`` started from its stationary law (uniform on
``0 … κ−1``) so that units start out of phase (:class:`SpikingConfig`).

Every unit filters its own spike train exponentially (time constant ``τ_s``, unit area)
into a trace ``u`` whose mean is ``ν/ν_s``, so ``u − c`` decodes the rate.

Each layer kind's spiking form is its soma as a Brian2 expression of its compartment
rates, from the layer-kind registry (:mod:`hippo.circuits.layer_kinds`); the built-in kinds:

* Input layers are Poisson sources whose rates follow the inputs of each network step.
* A feed-forward layer (e.g. conjunctive velocity × MEC cells) is a Poisson population
  with rate ``φ(V)``; ``V = Σ_j W_ij·(u_j − c)`` is the weighted sum of its inputs'
  filtered spike trains.
* A multiplicative layer (gain-modulated conjunctive cells) is a Poisson population whose
  rate is the product ``φ(V_input)·φ_g(V_gain)`` of its two compartments, each driven by
  such a weighted sum. The product is taken of the *filtered* drives, not of spike trains:
  each factor carries the Poisson noise of the traces it sums (variance
  ``Σ_j W_ij²·(r_j + c)/(2·τ_s·ν_s)`` before its activation), so the product's relative
  variance is about the sum of the two factors' relative variances, and the pool then adds
  its own Poisson count noise at the product rate — the noise vanishes as ``τ_s·ν_s``
  grows, where the layer is the rate engine's.
* A pyramidal layer is a population of two-compartment neurons: basal and apical
  potentials ``V_b``, ``V_a`` are such weighted sums (plus biases), the compartment
  rates are ``φ_b(V_b)`` and ``φ_a(V_a)`` plus Ornstein–Uhlenbeck noise, and the soma
  fires Poisson spikes at the rate ``φ_s(θ·b + (1 − θ)·a)`` — θ = 1 wake (basal),
  θ = 0 sleep (apical).

Synaptic input is event-driven: each spike of unit ``j`` adds ``W_ij/(τ_s·ν_s)`` to a
compartment current that decays with ``τ_s``, which equals ``Σ_j W_ij·u_j`` exactly at
a cost per spike, not per synapse and step. With short-term facilitation
(``SpikingConfig.facilitation_tau``) a spike of a recurrent projection adds that times
``fac_j = u⁺_j/u⁺*(ν_j)``, where ``u_j`` is the pool-mean Tsodyks–Markram utilisation of
unit ``j`` (``du/dt = (U − u)/τ_f``; ``k`` spikes of the pool set
``u ← 1 − (1 − U/m)^k·(1 − u)``, ``m`` the pool's neurons), ``u⁺ = u + U·(1 − u)`` the
utilisation a spike releases and ``u⁺*(ν)`` its value in the steady state of rate ``ν``
(``u* = U·(1 + ν·τ_f/m)/(1 + U·ν·τ_f/m)``): at a constant rate the mean recurrent current
is the rate network's (less by under 1 % where the rate's own fluctuations, with which the
normaliser moves, are 40 % of it), and a change of rate reaches the recurrent synapses
only as the utilisation follows it, within about ``τ_f/(1 + U·ν·τ_f/m)``.

Plasticity is the spiking form of the
prediction-error rule (:mod:`hippo.learning.spiking_rule`): each compartment integrates
its error ``(S/ν_s − c − r_comp)·φ′(V)`` against its soma's spikes, and once per network
step ``dt`` (the plasticity window) every plastic synapse takes the rate rule's step.

The engine implements the engines' contract (:class:`~hippo.circuits.engine.Engine`; the
run loop is :class:`~hippo.circuits.engine.EngineBase`'s, the engine supplies a chunk's
Brian2 run): ``dt`` is the network step of the inputs, the theta gate, recording and plasticity;
the neurons are simulated with the finer step ``SpikingConfig.dt``. Recorded signals
are the neurons' rates in rate units (soma, compartments; the soma composed from the
recorded compartments and θ by the kind's soma, as in the rate engine) and
``"<layer>.spikes"``, the spike counts per recording window; a kind with a mismatch
(pyramidal) integrates it for the loss.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import brian2 as b2
import numpy as np

from hippo.circuits.activations import activation_code
from hippo.circuits.compartments import ou_step_code
from hippo.circuits.engine import EngineBase, InputFunction, Recording, RunOptions, input_block
from hippo.circuits.layer_kinds import kind_named, soma_rates
from hippo.circuits.spec import Layer, Network, Projection
from hippo.circuits.spiking_config import SpikingConfig, spiking_support
from hippo.circuits.state import clock_state, restore_clock, state_kind
from hippo.circuits.subnormals import flushed_subnormals
from hippo.errors import ConfigError, HippoError
from hippo.learning import spiking_rule
from hippo.progress import announce_compilation
from hippo.theta import ThetaConfig, theta_gate

#: Network steps per Brian2 run (the length of the input and theta tables).
CHUNK_ROWS = 4000

#: Names of the neuron variables that carry state from step to step (learned biases included).
#: Neuron variables of a learned bias's rule state (spiking_rule.bias_state_variables: ``<Base>b_<k>``).
_BIAS_RULE_STATE = r"[A-Z][A-Za-z0-9]*b_\d+"
_STATE_VARIABLE = re.compile(rf"(I|n|E|g)_\w+|{_BIAS_RULE_STATE}|bias_\d+|u|xl|count|mis|k|plastic_time")
#: Neuron variables of gamma-renewal spike generation and facilitation (at rest: :meth:`SpikingEngine._rest_spike_generation`).
_SPIKE_GENERATION_STATE = ("acc", "uf")


def _is_generation_key(key: str) -> bool:
    """Whether a state key is a spike-generation variable (:data:`_SPIKE_GENERATION_STATE`) of a layer."""
    return key.startswith("neuron:") and key.rsplit(":", 1)[-1] in _SPIKE_GENERATION_STATE


#: State keys of the learned biases, which the state holds as the last column of ``weight:<projection>``.
_BIAS_KEY = re.compile(r"neuron:.+:bias_\d+")


#: Spike count of a Poisson unit in one simulation step.
SPIKE_COUNT = "k = poisson(nu*dt)"
#: Spike count of a gamma-renewal unit of order κ: one spike per κ events of a Poisson process at κ·ν.
GAMMA_SPIKE_COUNT = """acc += poisson(gamma_order*nu*dt)
k = floor(acc/gamma_order)
acc -= k*gamma_order"""
#: Model lines of a facilitating unit: pool-mean utilisation ``uf`` and the release factor ``fac`` (module docstring).
FACILITATION_EQUATIONS = [
    "duf/dt = (facilitation_u - uf)/facilitation_tau : 1",
    "uf_rest = facilitation_u*(1 + nu*facilitation_tau/pool_neurons)/(1 + facilitation_u*nu*facilitation_tau/pool_neurons) : 1",
    "fac = (uf + facilitation_u*(1 - uf))/(uf_rest + facilitation_u*(1 - uf_rest)) : 1",
]
#: What ``k`` spikes of a facilitating pool do to its utilisation.
FACILITATION_ON_SPIKE = "uf = 1 - (1 - facilitation_u/pool_neurons)**k*(1 - uf)"


def cache_directory(kind: str = "brian2-cython") -> Path:
    """A writable folder for compiled code: Brian2's Cython code, or ``kind="brian2-standalone"`` programs.

    ``$HIPPO_CACHE`` if set, else ``$XDG_CACHE_HOME`` or ``~/.cache``, under
    ``hippo/<kind>``; a folder in the system's temporary directory when that is
    not writable.
    """
    base = os.environ.get("HIPPO_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "hippo" / kind
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    path = Path(tempfile.gettempdir()) / f"hippo-{kind}-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def recording_steps(start_step: int, stop_step: int, record_every: int) -> np.ndarray:
    """Engine steps recorded by a run from ``start_step`` to ``stop_step``: the multiples of ``record_every`` in ``(start, stop]``."""
    return np.arange(start_step // record_every + 1, stop_step // record_every + 1) * record_every


def _noise_step(compartment: str, scale: float, tau: float, dt: float) -> str:
    """Exact one-step update of a compartment's Ornstein–Uhlenbeck noise ``n_<compartment>``.

    Stationary std ``scale``, time constant ``tau`` (s), step ``dt`` (s) — the rate
    engine's step (:func:`hippo.circuits.compartments.ou_step`). Each compartment's draw
    is its own statement, so the order of the draws is the order of the compartments.
    (With ``xi_*`` in the equations, Brian2 orders the draws by hashing their names,
    which differs from process to process.)
    """
    return ou_step_code(f"n_{compartment}", scale, tau, dt, gate="noise_on")


def _identifier(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _compartments(layer: Layer) -> list[str]:
    return list(kind_named(layer.kind).compartments)


def _reports_loss(layer: Layer) -> bool:
    """Whether ``layer``'s kind declares a mismatch, integrated as ``mis`` for the layer's loss."""
    return kind_named(layer.kind).mismatch is not None


@dataclass
class _Projection:
    """A projection as Brian2 objects: synapses (None when it has no nonzero fixed weight) and learning runners."""

    spec: Projection
    key: str
    synapses: b2.Synapses | None
    pre: np.ndarray
    post: np.ndarray
    constants: dict | None
    rule_variables: dict[str, str] = field(default_factory=dict)  # rule state slot → synapse variable
    learners: list = field(default_factory=list)
    enabled: bool = False

    def state_order(self) -> np.ndarray:
        """Indices of the synapses in the state's order (by target, then source; :meth:`Projection.synapse_indices`)."""
        return np.lexsort((self.pre, self.post))


class SpikingEngine(EngineBase):
    """Brian2 simulation of ``network``; network step ``dt`` (seconds), simulation step ``config.dt``.

    Args:
        network: the circuit description (its weights are copied into the synapses).
        dt: network step in seconds: inputs and θ change, recordings are taken and
            plasticity steps once per ``dt``.
        seed: seed of the engine's random streams (spikes, noise).
        config: spiking code and simulation settings.

    Attributes:
        groups: layer name → Brian2 ``NeuronGroup``.
        brian_network: the Brian2 ``Network``; :meth:`run` drives it chunk by chunk
            (:meth:`set_modes`, :meth:`load_steps`, then a Brian2 run).

    Raises:
        ConfigError: ``config.dt`` does not divide ``dt`` (keyed ``spiking.dt``).
        ValueError: a plastic projection's rule has no spiking translation, or a layer's kind
            has no spiking form (no Brian2 soma in the registry).
    """

    #: Rows of the input, θ and plasticity-gate tables: the most network steps of one Brian2 run.
    table_rows = default_chunk_steps = CHUNK_ROWS
    state_kind = "spiking"
    records_weights_in_run = True  # weight monitors on the record clock (no chunk per record)

    def __init__(self, network: Network, dt: float, seed: int = 0, config: SpikingConfig = SpikingConfig()):
        config.check_network_step(dt)
        missing = self.supports(network)
        if missing:
            raise ValueError(f"the spiking engine cannot run this network: {'; '.join(missing)}")
        self.network = network
        self.dt = float(dt)
        self.config = config
        self.rng = np.random.default_rng(seed)
        self.t = 0.0
        self.step_count = 0
        # Brian2's clock minus the engine's step count, in network steps (nonzero after set_state)
        self._step_shift = 0
        self.last_run_seconds = 0.0
        self._configure_brian()
        # stable clock names keep the generated code, and so Brian2's compilation cache, the same across engines
        self._clock = b2.Clock(config.dt * b2.second, name="hippo_simulation_clock")
        self._window = b2.Clock(self.dt * b2.second, name="hippo_window_clock")
        self._record_clocks = {}
        self._namespace = {
            "tau_syn": config.tau_syn * b2.second,
            "rate_scale": config.rate_scale * b2.Hz,
            "max_rate": config.max_rate * b2.Hz,
            "offset": config.offset,
            # the decay of a step comes after the spike's increment (see _make_group), so a trace
            # sampled before threshold has mean ν/ν_s with increments of 1/(ν_s (τ_s − dt))
            "jump": 1.0 / (config.rate_scale * (config.tau_syn - config.dt)),
            "window": self.dt * b2.second,
            "gamma_order": config.gamma_order,
        }
        if config.tau_recurrent > 0:
            self._namespace.update(tau_recurrent=config.tau_recurrent * b2.second,
                                   jump_recurrent=1.0 / (config.rate_scale * (config.tau_recurrent - config.dt)))
        if config.facilitation_tau > 0:
            self._namespace.update(facilitation_tau=config.facilitation_tau * b2.second,
                                   facilitation_u=config.facilitation_u, pool_neurons=config.pool_neurons)
        # θ of the last `settle` seconds; unknown (NaN) at the start, when the traces settle from rest
        self._theta_history = np.full(int(round(config.settle / self.dt)), np.nan)
        self._set_tables({layer.name: np.zeros((1, layer.n)) for layer in network.input_layers}, np.ones(1), np.ones(1))
        plastic_into = {(p.target, p.compartment) for p in network.projections if p.plastic}
        self.groups = {layer.name: self._make_group(layer, plastic_into, index) for index, layer in enumerate(network.layers)}
        self.projections = {p.name: self._make_projection(k, p) for k, p in enumerate(network.projections)}
        for layer in network.layers:
            learning = [c for c in _compartments(layer) if (layer.name, c) in plastic_into]
            self.groups[layer.name].run_regularly(spiking_rule.window_reset(learning), clock=self._window,
                                                  when="start", order=2, name=f"{_identifier(layer.name)}_window")
        objects = list(self.groups.values()) + [p.synapses for p in self.projections.values() if p.synapses is not None]
        self.brian_network = b2.Network(*objects)
        self.scale_learning_rates(1.0)

    # ------------------------------------------------------------- building
    def _configure_brian(self) -> None:
        if self.config.target == "cpp_standalone":
            raise ConfigError("", "spiking.target", "'cpp_standalone' runs the network as a compiled program, which "
                              "SpikingEngine (Brian2's runtime) does not", "'cython' or 'numpy' here; 'cpp_standalone' "
                              "with hippo.circuits.engines.make_engine or StandaloneSpikingEngine")
        b2.prefs.codegen.target = self.config.target
        b2.prefs.codegen.runtime.cython.cache_dir = str(cache_directory())

    def _make_group(self, layer: Layer, plastic_into: set, index: int) -> b2.NeuronGroup:
        name = _identifier(layer.name)
        projections = [(k, p) for k, p in enumerate(self.network.projections) if p.target == layer.name]
        learning = [c for c in _compartments(layer) if (layer.name, c) in plastic_into]
        lines, on_spike, noise_steps = [], ["u += jump*k", "count += k"], []
        for c in _compartments(layer):
            act = layer.compartment_activation(c)
            phi, dphi = activation_code(act, f"V_{c}")
            into = [(k, p) for k, p in projections if p.compartment == c]
            terms = [f" - O_{k}" for k, _ in into] if self.config.offset else []
            terms += [f" + bias_{k}" for k, p in into if p.bias]
            # a recurrent projection with its own time constant has its own current (SpikingConfig.tau_recurrent)
            own = [k for k, p in into if self._own_current(p)]
            lines += [f"dI_{c}_{k}/dt = -I_{c}_{k}/tau_recurrent : 1" for k in own]
            terms = [f" + I_{c}_{k}" for k in own] + terms
            lines += [f"dI_{c}/dt = -I_{c}/tau_syn : 1", f"V_{c} = I_{c}{''.join(terms)} : 1"]
            lines += [f"O_{k} : 1" for k, _ in into] if self.config.offset else []
            lines += [f"bias_{k} : 1" if not p.plastic else spiking_rule.bias_variables(str(k), p.plasticity)
                      for k, p in into if p.bias]
            noise = layer.compartment_noise(c)
            if noise is not None and noise.scale > 0:
                lines += [f"r_{c} = {phi} + n_{c} : 1", f"n_{c} : 1"]
                noise_steps.append(_noise_step(c, noise.scale, noise.tau, self.config.dt))
            else:
                lines.append(f"r_{c} = {phi} : 1")
            if c in learning:
                lines += [f"dphi_{c} = {dphi} : 1", spiking_rule.error_variables(c)]
                on_spike.append(spiking_rule.error_on_spike(c))
        if learning:
            lines += ["plastic_now = plasticity_gate(t - t0) : 1", spiking_rule.GATE_VARIABLE]
        kind = kind_named(layer.kind)
        if kind.external:
            lines.append(f"r = rates_{name}(t - t0, i) : 1")
        else:
            lines += ["theta = theta_gate(t - t0) : 1", f"r = {kind.soma_code(layer)} : 1"]
            lines += [f"dmis/dt = {kind.mismatch_code}/second : 1"] if kind.mismatch is not None else []
        lines += ["noise_on : 1 (shared)"] if noise_steps else []
        lines += ["nu = clip(rate_scale*(r + offset), 0*Hz, max_rate) : Hz", "du/dt = -u/tau_syn : 1",
                  "xl : 1", "count : 1", "k : 1", "t0 : second (shared)"]
        lines += ["acc : 1"] if self.config.gamma_order > 1 else []
        if self._facilitates(layer):
            lines += FACILITATION_EQUATIONS
            on_spike.append(FACILITATION_ON_SPIKE)
        extra_lines, events = self._group_additions(layer)
        group = b2.NeuronGroup(layer.n, "\n".join(lines + extra_lines), threshold="k > 0", reset="\n".join(on_spike),
                               events=events or None, method="euler", clock=self._clock, namespace=self._namespace,
                               name=name)
        # Decay and noise act after the spikes of a step are emitted and delivered, so every
        # reader in the 'start' slot (error, plasticity, recording) sees the state that sets
        # the next spike probabilities.
        group.state_updater.when = "after_resets"
        # The groups draw from one random stream, and Brian2 runs objects of equal (when, order)
        # in an order that can differ from process to process, so each group's random draws
        # get their own order (the layer's index); see also _noise_step.
        group.state_updater.order = index
        group.run_regularly(SPIKE_COUNT if self.config.gamma_order == 1 else GAMMA_SPIKE_COUNT, when="before_thresholds",
                            order=index, name=f"{name}_spike_count")
        self._rest_spike_generation(group)
        if noise_steps:
            # after the state updaters, so the mismatch integral uses the noise of the step it was drawn for
            group.run_regularly("\n".join(noise_steps), when="after_resets", order=len(self.network.layers) + index,
                                name=f"{name}_noise")
        if learning:
            group.run_regularly(spiking_rule.error_step(learning), when="start", order=3, name=f"{name}_error")
        for k, p in projections:
            if p.bias:
                group.variables[f"bias_{k}"].set_value(p.weights[:, -1])
        return group

    def _group_additions(self, layer: Layer) -> tuple[list[str], dict[str, str]]:
        """Model lines and custom events a subclass adds to ``layer``'s group (none here)."""
        return [], {}

    def _facilitates(self, layer: Layer) -> bool:
        """Whether ``layer``'s spikes facilitate: it projects onto itself and ``facilitation_tau`` is set."""
        return self.config.facilitation_tau > 0 and any(p.source == p.target == layer.name
                                                       for p in self.network.projections)

    def _rest_spike_generation(self, group: b2.NeuronGroup) -> None:
        """Set ``group``'s spike generation at rest (:meth:`_spike_generation_at_rest`, phases from the engine's generator)."""
        for name, values in self._spike_generation_at_rest(group, self.rng).items():
            group.variables[name].set_value(values)

    def _spike_generation_at_rest(self, group: b2.NeuronGroup, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Facilitation at rest (``uf = U``) and gamma phases ``acc`` from their stationary law (uniform on 0 … κ−1, drawn from ``rng``), by variable name, for the variables ``group`` has."""
        rest = {}
        if "uf" in group.variables:
            rest["uf"] = np.full(len(group), self.config.facilitation_u)
        if "acc" in group.variables:
            rest["acc"] = rng.integers(self.config.gamma_order, size=len(group)).astype(float)
        return rest

    def _own_current(self, p: Projection) -> bool:
        """Whether projection ``p`` has its own synaptic current (recurrent, with ``tau_recurrent`` set)."""
        return p.source == p.target and self.config.tau_recurrent > 0

    def _make_projection(self, k: int, p: Projection) -> _Projection:
        source, target = self.groups[p.source], self.groups[p.target]
        W = p.weights[:, :-1] if p.bias else p.weights
        if p.plastic or p.connectivity != "dense":  # the declared synapses (Projection.connectivity)
            post, pre = p.synapse_indices()
        else:
            post, pre = np.nonzero(W)
        # synapses by source, then target: the events of a spike then read and write consecutive
        # memory, and every target still receives its sources' events in ascending source order
        # (the order of the spikes), so its current is the same sum, rounded the same
        by_source = np.lexsort((post, pre))
        pre, post = pre[by_source], post[by_source]
        proj = _Projection(p, str(k), None, pre, post, None)
        if len(pre) == 0:
            return proj
        model = spiking_rule.synapse_model(p.plasticity) if p.plastic else "w : 1"
        if self.config.offset:
            model += f"\nO_{k}_post = offset*w : 1 (summed)"
        name = _identifier(f"{p.target}_{p.compartment}_from_{p.source}")
        current, jump = (f"I_{p.compartment}_{k}", "jump_recurrent") if self._own_current(p) else (f"I_{p.compartment}", "jump")
        released = "*fac_pre" if p.source == p.target and self._facilitates(self.network.layer(p.source)) else ""
        synapses = b2.Synapses(source, target, model, on_pre=f"{current}_post += w*{jump}*k_pre{released}", method="euler",
                               clock=self._clock, namespace=self._namespace, name=name)
        # pathways into one compartment add to the same current: a fixed order (the projection's
        # index) keeps the floating-point sums, and so the spikes, the same from process to process
        synapses.connect(i=pre, j=post)
        synapses.pre.order = k
        synapses.variables["w"].set_value(W[post, pre])
        proj.synapses = synapses
        if p.plastic:
            proj.constants = spiking_rule.rule_constants(p.plasticity, self.dt, W.shape[1])
            proj.rule_variables = spiking_rule.state_variables(p.plasticity)
            for key, value in proj.constants.items():
                if key != "eta":  # the learning rate is set by scale_learning_rates
                    setattr(synapses, key, value)
            proj.learners.append(synapses.run_regularly(
                spiking_rule.synapse_update(p.compartment, p.plasticity, p.dale), clock=self._window,
                when="start", order=0, name=f"{name}_learn"))
            if p.bias:
                for key, value in proj.constants.items():
                    if key != "eta":
                        setattr(target, f"{key}_{k}", value)
                proj.learners.append(target.run_regularly(
                    spiking_rule.bias_update(str(k), p.compartment, p.plasticity, p.dale), clock=self._window,
                    when="start", order=1, name=f"{name}_learn_bias"))
            proj.enabled = True
        return proj

    def _set_tables(self, rates: dict[str, np.ndarray], gate: np.ndarray, plastic: np.ndarray) -> None:
        """Input rates, θ and the plasticity gate per network step from the current Brian2 run's start.

        The tables have a fixed length (:data:`CHUNK_ROWS`, padded with the last row) so
        the generated code, and Brian2's compilation cache, stay the same from run to run.
        """
        dt = self.dt * b2.second
        for key, table in self._tables(rates, gate, plastic).items():
            self._namespace[key] = b2.TimedArray(table, dt=dt, name=key)

    def _tables(self, rates: dict[str, np.ndarray], gate: np.ndarray, plastic: np.ndarray) -> dict[str, np.ndarray]:
        """Table name → values padded with the last row to :attr:`table_rows` rows (θ and gate 1-D)."""
        tables = {f"rates_{_identifier(name)}": values for name, values in rates.items()}
        tables.update(theta_gate=gate[:, None], plasticity_gate=plastic[:, None])
        padded = {}
        for key, values in tables.items():
            table = np.empty((self.table_rows, values.shape[1]))
            table[:len(values)] = values
            table[len(values):] = values[-1]
            padded[key] = table if key.startswith("rates_") else table[:, 0]
        return padded

    def _plasticity_gate(self, gate: np.ndarray) -> np.ndarray:
        """1 where θ is within 0.5 of its value ``settle`` seconds earlier, else 0 (per network step).

        Also 0 for the first ``settle`` seconds of the engine, while the traces rise from rest.
        """
        m = int(round(self.config.settle / self.dt))
        if m == 0:
            return np.ones(len(gate))
        history = np.concatenate([self._theta_history, gate])
        self._theta_history = history[-m:]
        return (np.abs(history[m:] - history[:-m]) < 0.5).astype(float)

    # -------------------------------------------------------------- weights
    def weight(self, name: str) -> np.ndarray:
        """The current weights of projection ``name``, ``(n_target, n_source + bias)`` (a copy)."""
        if name not in self.projections:
            raise KeyError(f"{name} (projections: {', '.join(self.projections)})")
        proj = self.projections[name]
        p = proj.spec
        n_source = p.weights.shape[1] - int(p.bias)
        W = np.zeros((p.weights.shape[0], n_source))
        if proj.synapses is not None:
            W[proj.post, proj.pre] = proj.synapses.variables["w"].get_value()
        if p.bias:
            bias = self.groups[p.target].variables[f"bias_{proj.key}"].get_value()
            W = np.hstack([W, bias[:, None]])
        return W

    def all_weights(self) -> dict[str, np.ndarray]:
        """Copies of every projection's weights."""
        return {name: self.weight(name) for name in self.projections}

    def set_learning(self, name: str, enabled: bool) -> None:
        """Switch learning on or off for one plastic projection."""
        proj = self.projections[name]
        if enabled and not proj.spec.plastic:
            raise ValueError(f"projection {name} has no plasticity to enable")
        proj.enabled = enabled

    def scale_learning_rates(self, factor: float) -> None:
        """Set every plastic projection's learning rate to ``factor`` × its configured value."""
        self._learning_rate_factor = float(factor)
        for proj in self.projections.values():
            if proj.constants is None:
                continue
            eta = proj.constants["eta"] * self.config.eta_scale * factor
            proj.synapses.eta = eta
            if proj.spec.bias:
                setattr(self.groups[proj.spec.target], f"eta_{proj.key}", eta)

    def reset_state(self) -> None:
        """Zero all currents, traces, noise, error integrals and counters (weights kept); plasticity settles anew."""
        self._theta_history[:] = np.nan
        for group in self.groups.values():
            for name, var in group.variables.items():
                if re.fullmatch(rf"(I|n|E)_\w+|{_BIAS_RULE_STATE}|u|xl|count|mis|k|plastic_time", name):
                    var.set_value(0.0)
            self._rest_spike_generation(group)
        for proj in self.projections.values():
            for name in proj.rule_variables.values():
                proj.synapses.variables[name].set_value(0.0)

    # ---------------------------------------------------------------- state
    def _state_variables(self) -> dict[str, tuple]:
        """State key → (Brian2 object, variable name) of every neuron and synapse state variable."""
        variables = {}
        for layer, group in self.groups.items():
            for name in sorted(group.variables):
                if (_STATE_VARIABLE.fullmatch(name) or name in _SPIKE_GENERATION_STATE) and not group.variables[name].read_only:
                    variables[f"neuron:{layer}:{name}"] = (group, name)
        for name, proj in self.projections.items():
            if proj.synapses is not None:
                variables[f"weight:{name}"] = (proj.synapses, "w")
                variables.update({f"rule:{name}:{slot}": (proj.synapses, var) for slot, var in proj.rule_variables.items()})
        return variables

    def _dynamic_variables(self) -> dict[str, tuple]:
        """:meth:`_state_variables` but the weights and learned biases (the state's ``weight:`` keys hold them)."""
        return {key: where for key, where in self._state_variables().items()
                if not key.startswith("weight:") and not _BIAS_KEY.fullmatch(key)}

    def get_state(self) -> dict[str, np.ndarray]:
        """Everything a continued run depends on, as arrays (all round-trip through ``np.savez``).

        Returns:
            ``weight:<projection>`` (:meth:`weight`: the full matrix, the bias column
            included, zeros where no synapse exists), ``rule:<projection>:trace``
            (plasticity-induction traces of the synapses, ordered by target, then source,
            whatever order the engine creates them in), ``neuron:<layer>:<variable>``
            (currents, filtered spike trains, noise, error integrals, counters),
            ``theta_history`` (θ of the last settling time), ``learning_rate_factor``
            (0-d, the factor of :meth:`scale_learning_rates`), ``step_count`` (0-d int),
            ``t`` (0-d, seconds) and ``rng`` (0-d string: the engine's generator state as
            JSON; it seeds Brian2 every chunk).
        """
        state = {key: np.array(obj.variables[name].get_value(), copy=True)
                 for key, (obj, name) in self._dynamic_variables().items()}
        for key, order in self._rule_state_orders().items():
            state[key] = state[key][order]
        state.update({f"weight:{name}": self.weight(name) for name in self.projections})
        state["theta_history"] = self._theta_history.copy()
        state["learning_rate_factor"] = np.array(self._learning_rate_factor)
        state.update(clock_state(self.step_count, self.t, self.rng))
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """:meth:`EngineBase.set_state`; a spiking state saved under other spike-generation settings loads too.

        The variables of gamma-renewal generation (``acc``, with ``gamma_order > 1``) and of
        facilitation (``uf``) exist only under those settings: a state without them (say,
        trained with Poisson spikes, ``gamma_order = 1``) starts them at rest
        (:meth:`_spike_generation_at_rest`, phases drawn from a copy of the engine's generator),
        and a state's variables this engine does not have are left out.
        """
        own = {key for key, (_, name) in self._dynamic_variables().items() if name in _SPIKE_GENERATION_STATE}
        if state_kind(state) == self.state_kind:
            state = {key: value for key, value in state.items() if key in own or not _is_generation_key(key)}
            if own - state.keys():
                rng = copy.deepcopy(self.rng)  # a rejected state leaves the engine's generator as it was
                for layer, group in self.groups.items():
                    rest = self._spike_generation_at_rest(group, rng)
                    state.update({f"neuron:{layer}:{name}": values for name, values in rest.items()
                                  if f"neuron:{layer}:{name}" not in state})
        super().set_state(state)

    def _check_loadable(self, state: dict[str, np.ndarray]) -> None:
        for name, proj in self.projections.items():
            W = np.asarray(state[f"weight:{name}"])
            outside = np.array(W[:, :-1] if proj.spec.bias else W, dtype=float, copy=True)
            outside[proj.post, proj.pre] = 0.0
            if np.any(outside != 0):
                raise HippoError(f"engine state: 'weight:{name}' has nonzero weights where the spiking network has no "
                                 "synapse (a fixed projection connects only its configured nonzero weights)")

    def _rule_state_orders(self) -> dict[str, np.ndarray]:
        """State key of every synapse's rule state → :meth:`_Projection.state_order` of its projection."""
        return {f"rule:{name}:{slot}": proj.state_order() for name, proj in self.projections.items()
                for slot in proj.rule_variables}

    def _load_state(self, state: dict[str, np.ndarray]) -> None:
        orders = self._rule_state_orders()
        for key, (obj, name) in self._dynamic_variables().items():
            value = np.asarray(state[key], dtype=float)
            if key in orders:  # the state's order → the engine's
                value = value[np.argsort(orders[key])]
            obj.variables[name].set_value(value)
        for name, proj in self.projections.items():
            W = np.asarray(state[f"weight:{name}"], dtype=float)
            if proj.synapses is not None:
                proj.synapses.variables["w"].set_value((W[:, :-1] if proj.spec.bias else W)[proj.post, proj.pre])
            if proj.spec.bias:
                self.groups[proj.spec.target].variables[f"bias_{proj.key}"].set_value(W[:, -1])
        self._theta_history[:] = state["theta_history"]
        self.scale_learning_rates(float(state["learning_rate_factor"]))
        self.step_count, self.t = restore_clock(state, self.rng)
        self._step_shift = int(round(float(self.brian_network.t_) / self.dt)) - self.step_count

    def copy(self) -> "SpikingEngine":
        """An independent engine in this engine's state: a fresh build of the same network and
        settings, given :meth:`get_state` and the learning switches (running either leaves the other unchanged)."""
        twin = type(self)(self.network, self.dt, 0, self.config)
        twin.set_state(self.get_state())
        for name, proj in self.projections.items():
            twin.projections[name].enabled = proj.enabled
        return twin

    # ------------------------------------------------------------------ run
    @classmethod
    def supports(cls, network: Network) -> list[str]:
        """What of ``network`` this engine cannot run (:func:`~hippo.circuits.spiking_config.spiking_support`)."""
        return spiking_support(network)

    def _chunk_length(self, chunk_steps: int, record_every: int) -> int:
        return max(1, min(chunk_steps, self.table_rows))

    def _start_run(self, options: RunOptions) -> "_BrianRun":
        return _BrianRun(self, options)

    def set_modes(self, learn: bool, noise: bool) -> None:
        """Switch plasticity (of the projections whose learning is enabled) and compartment noise on or off."""
        for group in self.groups.values():
            if "noise_on" in group.variables:
                group.noise_on = float(noise)
        for proj in self.projections.values():
            for learner in proj.learners:
                learner.active = learn and proj.enabled

    def load_steps(self, inputs: InputFunction, theta: ThetaConfig, n: int) -> dict[str, np.ndarray]:
        """Load inputs and θ for the next ``n`` network steps (at most :attr:`table_rows`) and reseed the spikes.

        The run loop loads each chunk this way (:meth:`_load_chunk`) before a Brian2 run
        of ``brian_network``; returns the input rates it loaded (layer name → ``(n, n_units)``).
        """
        start = self.step_count
        block = input_block(self.network.input_layers, inputs, start, start + n)
        self._load_chunk(start, block, theta_gate((start + np.arange(n) + 1) * self.dt, theta))
        return block

    def _load_chunk(self, start: int, block: dict[str, np.ndarray], gate: np.ndarray) -> None:
        """Input rates and θ per network step from engine step ``start`` into the tables, clocks aligned, spikes reseeded."""
        self._set_tables(block, gate, self._plasticity_gate(gate))
        for group in self.groups.values():
            group.t0 = (start + self._step_shift) * self.dt * b2.second
        b2.seed(int(self.rng.integers(2**31 - 1)))

    def _finite(self) -> bool:
        values = [g.variables["u"].get_value() for g in self.groups.values()]
        values += [p.synapses.variables["w"].get_value() for p in self.projections.values() if p.constants is not None]
        return all(np.all(np.isfinite(v)) for v in values)

    def _counters(self) -> dict[str, tuple]:
        """Per layer: (mismatch integral or None, spike counts) now."""
        out = {}
        for layer in self.network.layers:
            group = self.groups[layer.name]
            mis = group.variables["mis"].get_value().copy() if _reports_loss(layer) else None
            out[layer.name] = (mis, group.variables["count"].get_value().copy())
        return out

    def _chunk_losses(self, before: dict[str, tuple], n: int) -> dict[str, float]:
        """Mean mismatch (pyramidal: |basal − apical|) per layer that reports one over the last ``n`` network steps, from :meth:`_counters` before them."""
        after = self._counters()
        return {k: float(np.mean(after[k][0] - before[k][0])) / (n * self.dt) for k in after if after[k][0] is not None}

    # ------------------------------------------------------------ recording
    def _recording_plan(self, names: list[str]) -> list[tuple[str, str, str]]:
        """``(signal, kind, layer)``: kind ``input`` (given rates), ``soma``, ``comp:<c>`` or ``spikes``."""
        plan = []
        for name in names:
            layer_name, _, part = name.partition(".")
            layer = self.network.layer(layer_name)
            if part == "spikes":
                plan.append((name, "spikes", layer_name))
            elif part:
                if part not in _compartments(layer):
                    raise KeyError(f"layer {layer_name!r} has no compartment {part!r}")
                plan.append((name, f"comp:{part}", layer_name))
            else:
                plan.append((name, "input" if kind_named(layer.kind).external else "soma", layer_name))
        return plan

    def _monitored(self, plan) -> dict[str, set]:
        variables = {layer.name: {"mis"} for layer in self.network.layers if _reports_loss(layer)}
        for _, kind, layer in plan:
            wanted = {"spikes": {"count"}}.get(kind, set())
            if kind == "soma":
                wanted = {f"r_{c}" for c in _compartments(self.network.layer(layer))}
            if kind.startswith("comp:"):
                wanted = {f"r_{kind[5:]}"}
            if wanted:
                variables.setdefault(layer, set()).update(wanted)
        return variables

    def _record_clock(self, record_every: int) -> b2.Clock:
        """The clock of every monitor of runs that record every ``record_every`` network steps."""
        if record_every not in self._record_clocks:
            self._record_clocks[record_every] = b2.Clock(record_every * self.dt * b2.second, name="hippo_record_clock")
        return self._record_clocks[record_every]

    def _add_monitors(self, plan, record_every: int) -> dict[str, b2.StateMonitor]:
        clock = self._record_clock(record_every)
        monitors = {layer: b2.StateMonitor(self.groups[layer], sorted(names), record=True, clock=clock, when="start",
                                           order=-1, name=f"{_identifier(layer)}_monitor")
                    for layer, names in self._monitored(plan).items()}
        self.brian_network.add(*monitors.values())
        return monitors

    def _add_weight_monitors(self, names: tuple[str, ...], record_every: int) -> dict[str, tuple]:
        """Monitors of the weights of projections ``names`` (synapses, learned bias), sampled as the signals are."""
        clock = self._record_clock(record_every)
        monitors = {}
        for name in names:
            proj = self.projections[name]
            watch = [] if proj.synapses is None else [(proj.synapses, "w")]
            watch += [(self.groups[proj.spec.target], f"bias_{proj.key}")] if proj.spec.bias else []
            monitors[name] = [(obj, var, b2.StateMonitor(obj, var, record=True, clock=clock, when="start", order=-1,
                                                         name=f"{_identifier(name)}_{var}_monitor"))
                              for obj, var in watch]
        self.brian_network.add(*(m for watched in monitors.values() for _, _, m in watched))
        return monitors

    def _samples(self, obj, var: str, monitor, start_step: int, stop_step: int, rec_steps: np.ndarray) -> np.ndarray:
        """``(len(rec_steps), n)`` values of ``obj.var`` at the recording steps in ``(start_step, stop_step]``."""
        current = stop_step == self.step_count
        sample_steps = np.round(np.asarray(monitor.t_) / self.dt).astype(np.int64) - self._step_shift
        # the sample at the current step is the object's state, not yet in the monitor
        inside = (sample_steps > start_step) & ((sample_steps < stop_step) if current else (sample_steps <= stop_step))
        series = np.asarray(getattr(monitor, var + "_"))[:, inside].T
        if current and len(rec_steps) and rec_steps[-1] == stop_step:
            series = np.vstack([series, np.asarray(getattr(obj, var + "_")[:])[None, :]])
        if len(series) != len(rec_steps):
            raise RuntimeError(f"{len(series)} records of {obj.name}.{var} for {len(rec_steps)} recording times")
        return series

    def _collect(self, plan, monitors, record_every, start_step, stop_step, baseline, theta, input_rows) -> Recording:
        """The recording from ``start_step`` to ``stop_step`` (at most the current step) from the monitors."""
        rec_steps = recording_steps(start_step, stop_step, record_every)
        values = {(layer, var): self._samples(self.groups[layer], var, monitor, start_step, stop_step, rec_steps)
                  for layer, monitor in monitors.items() for var in monitor.record_variables}
        return self._assemble(plan, values, rec_steps, start_step, baseline, theta, input_rows)

    def _collect_weights(self, monitors: dict[str, list], record_every: int, start_step: int,
                         stop_step: int) -> dict[str, np.ndarray]:
        """Projection → ``(n_records, n_target, n_source + bias)`` weights at the recording steps (as :meth:`weight`)."""
        rec_steps = recording_steps(start_step, stop_step, record_every)
        weights = {}
        for name, watched in monitors.items():
            proj = self.projections[name]
            W = np.zeros((len(rec_steps),) + self.weight(name).shape)
            for obj, var, monitor in watched:
                series = self._samples(obj, var, monitor, start_step, stop_step, rec_steps)
                if var == "w":
                    W[:, proj.post, proj.pre] = series
                else:
                    W[:, :, -1] = series
            weights[name] = W
        return weights

    def _assemble(self, plan, values: dict, rec_steps: np.ndarray, start_step: int, baseline: dict, theta: ThetaConfig,
                  input_rows: dict) -> Recording:
        """The :class:`Recording` of a run from the recorded neuron variables.

        Args:
            plan: the recording plan (:meth:`_recording_plan`).
            values: ``(layer, variable)`` → ``(len(rec_steps), n_units)`` values at the
                recording steps (the variables :meth:`_monitored` names).
            rec_steps: the engine steps recorded (:func:`recording_steps`).
            start_step: the engine step the run started at.
            baseline: :meth:`_counters` at the start of the run.
            theta: the run's theta gate.
            input_rows: input layer → list of the input-rate blocks the run loaded.
        """
        times = rec_steps * self.dt
        gate = theta_gate(times, theta)
        part = Recording(times, {}, {}, gate, rec_steps - 1)
        for name, kind, layer in plan:
            spec = self.network.layer(layer)
            if kind == "input":
                rows = np.concatenate(input_rows[layer]) if input_rows[layer] else np.zeros((0, spec.n))
                part.signals[name] = rows[rec_steps - 1 - start_step]
            elif kind == "soma":
                part.signals[name] = soma_rates(spec, gate[:, None], [values[(layer, f"r_{c}")] for c in _compartments(spec)])
            elif kind == "spikes":
                counts = np.vstack([baseline[layer][1][None, :], values[(layer, "count")]])
                part.signals[name] = np.diff(counts, axis=0)
            else:
                part.signals[name] = values[(layer, f"r_{kind[5:]}")]
        previous = np.concatenate([[start_step], rec_steps[:-1]]) * self.dt
        for layer in self.network.layers:
            if _reports_loss(layer):
                mis = np.vstack([baseline[layer.name][0][None, :], values[(layer.name, "mis")]])
                part.loss[layer.name] = np.diff(mis, axis=0).mean(axis=1) / (times - previous)
        return part


class _BrianRun:
    """One run of a :class:`SpikingEngine`: monitors added for the run, each chunk a Brian2 run of the network."""

    def __init__(self, engine: SpikingEngine, options: RunOptions):
        engine._configure_brian()
        self.engine = engine
        self.options = options
        self.compiled = (announce_compilation(cache_directory()) if engine.config.target == "cython"
                         else (lambda: None))
        self.plan = engine._recording_plan(list(options.record))
        self.monitors = engine._add_monitors(self.plan, options.record_every)
        self.weight_monitors = engine._add_weight_monitors(options.record_weights, options.record_every)
        self.spike_monitors = {layer: b2.SpikeMonitor(engine.groups[layer], variables=["k"],
                                                      name=f"{_identifier(layer)}_spikes")
                               for layer in options.spike_times}
        engine.brian_network.add(*self.spike_monitors.values())
        engine.set_modes(options.learn, options.noise)
        self.start_step = engine.step_count
        self.baseline = engine._counters()
        self.input_rows = {name: [] for name, kind, _ in self.plan if kind == "input"}

    def advance(self, start: int, inputs: dict[str, np.ndarray], gate: np.ndarray) -> dict[str, float]:
        engine = self.engine
        engine._load_chunk(start, inputs, gate)
        for name in self.input_rows:
            self.input_rows[name].append(inputs[name])
        before = engine._counters()
        with flushed_subnormals():  # this thread only, restored after (hippo.circuits.subnormals)
            engine.brian_network.run(len(gate) * engine.dt * b2.second, namespace={})
        self.compiled()
        return engine._chunk_losses(before, len(gate))

    def recording(self, stop: int) -> Recording:
        engine = self.engine
        recording = engine._collect(self.plan, self.monitors, self.options.record_every, self.start_step, stop,
                                    self.baseline, self.options.theta, self.input_rows)
        recording.weights = engine._collect_weights(self.weight_monitors, self.options.record_every, self.start_step,
                                                    stop)
        shift = engine._step_shift * engine.dt
        for layer, m in self.spike_monitors.items():
            times = np.asarray(m.t_[:]) - shift
            kept = times < stop * engine.dt - 0.5 * engine.config.dt  # the simulation steps before `stop`
            recording.spikes[layer] = (np.asarray(m.i[:], dtype=np.int64)[kept], times[kept],
                                       np.asarray(m.k[:], dtype=np.int64)[kept])
        return recording

    def close(self) -> None:
        weight_monitors = [m for watched in self.weight_monitors.values() for _, _, m in watched]
        self.engine.brian_network.remove(*self.monitors.values(), *self.spike_monitors.values(), *weight_monitors)
