"""Rate engine: runs a :class:`~hippo.circuits.spec.Network` as rate neurons, compiled with numba.

It implements the engines' contract (:class:`~hippo.circuits.engine.Engine`): the run loop
is :class:`~hippo.circuits.engine.EngineBase`'s, and a chunk is one call of the compiled loop.

The network is flattened into arrays (all layer rates in one vector, all weights in
one buffer) and stepped by one compiled loop per chunk of time, so a step costs about
as much as the matrix–vector products and weight updates themselves. Inputs, the theta
gate and the noise are generated per chunk outside the loop (vectorised, seeded).

Update order within a step of ``dt`` seconds: input layers take their new rates; then
each computed layer in the order of ``network.layers`` sums its projections — a
projection from a layer already updated in this step reads the new rates, any other
(recurrent or later layers) reads the previous step's — applies its activations and
noise, and sets its soma: its kind's soma (from the layer-kind registry,
:mod:`hippo.circuits.layer_kinds`), e.g. a pyramidal layer's ``φ_s(θ·b + (1 − θ)·a)``.
Then every plastic projection learns from its compartment's
local prediction error and the presynaptic rates it read: its rule's step (from the
registry, :mod:`hippo.learning.rules`), then Dale's law. The loop is compiled once per
set of rules and of layer kinds a network uses (:func:`compiled_kernel`).

The loop runs with subnormal floats flushed to zero (:mod:`hippo.circuits.subnormals`:
the CPU's flush-to-zero and denormals-are-zero modes, set for the calling thread around
each compiled call and restored after). Without them a silent synapse's trace decays
into the subnormal range and stays there, and on Intel cores every operation on it
takes a microcode assist: on the path-integration network 16 % of the traces were
subnormal after three simulated minutes and a step cost 3.6× (single) and 2.3× (double
precision) more. Clamping each decaying state to zero below a floor in the rules' steps
removes the same subnormals but adds a compare to every synapse of every rule and
misses the transient ones; setting the modes costs nothing per synapse and covers every
rule. The weights a run learns are unchanged by it, bit for bit on that network.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import inspect
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np

from hippo.circuits import layer_kinds
from hippo.circuits.activations import activate
from hippo.circuits.compartments import ou_coefficients, ou_step
from hippo.circuits.engine import EngineBase, Recording, RunOptions
from hippo.circuits.spec import Network
from hippo.circuits.state import clock_state, restore_clock
from hippo.circuits.subnormals import flushed_subnormals
from hippo.io import write_text
from hippo.learning import rules
from hippo.learning.prediction_error import local_error


class RateEngine(EngineBase):
    """Compiled rate simulation of ``network`` with time step ``dt`` (seconds).

    Args:
        network: the circuit description (its weights are copied; the engine owns its own).
        dt: time step in seconds.
        seed: seed of the engine's noise generator.
        precision: ``"float64"`` or ``"float32"`` for rates, weights and traces. Single
            precision halves memory traffic and doubles the vector width of the learning
            loops (about 1.5× faster per step); rounding errors stay near 1e-7 relative.

    Attributes:
        rule_names: the learning rules the network uses (registry names), in the order of
            their codes in the compiled loop.
        rule_slots: plastic projection → the names of its rule's per-synapse state slots.
        kind_names: the layer kinds of the network's computed layers (registry names), in
            the order of their codes in the compiled loop.
        loss_layers: the layers whose kind reports a loss (a mismatch), in recording order.
        rule_state: every plastic projection's rule state in one buffer (each slot shaped
            like the projection's weights); :meth:`get_state` names its parts.
    """

    def __init__(self, network: Network, dt: float, seed: int = 0, precision: str = "float64"):
        self.network = network
        self.dt = float(dt)
        self.rng = np.random.default_rng(seed)
        self.dtype = np.dtype(precision).type
        real = self.dtype
        self.t = 0.0
        self.step_count = 0
        self.last_run_seconds = 0.0
        self._compiled = False
        layers = network.layers
        inputs = network.input_layers
        computed = [l for l in layers if l not in inputs]
        order = inputs + computed
        self.layer_offset, offset = {}, 0
        for layer in order:
            self.layer_offset[layer.name] = offset
            offset += layer.n
        self.n_input_units = sum(l.n for l in inputs)
        self.input_layers = inputs
        self.rate = np.zeros(offset, real)
        self.prev_rate = np.zeros(offset, real)

        # compartments: those of each computed layer's kind, in the kind's order
        kinds = {l.name: layer_kinds.kind_named(l.kind) for l in computed}
        comp_specs, self.comp_index = [], {}
        for layer in computed:
            for name in kinds[layer.name].compartments:
                act = layer.compartment_activation(name)
                noise = layer.compartment_noise(name)
                self.comp_index[(layer.name, name)] = len(comp_specs)
                comp_specs.append((layer, act, noise))
        comp_offset = np.cumsum([0] + [c[0].n for c in comp_specs])
        self.comp_offset = comp_offset
        self.comp_rate = np.zeros(comp_offset[-1], real)
        self.comp_dphi = np.zeros(comp_offset[-1], real)
        self.noise_state = np.zeros(comp_offset[-1], real)
        noisy = [i for i, (_, _, noise) in enumerate(comp_specs) if noise is not None and noise.scale > 0]
        noise_col = -np.ones(len(comp_specs), dtype=np.int64)
        col = 0
        for i in noisy:
            noise_col[i] = col
            col += comp_specs[i][0].n
        self.n_noise = col

        self._comp = dict(
            offset=comp_offset[:-1].astype(np.int64),
            n=np.array([c[0].n for c in comp_specs], dtype=np.int64),
            act=np.array([c[1].code for c in comp_specs], dtype=np.int64),
            threshold=np.array([c[1].threshold for c in comp_specs], real),
            gain=np.array([c[1].gain for c in comp_specs], real),
            noise_decay=np.array([ou_coefficients(c[2].scale, c[2].tau, dt)[0] if c[2] else 0.0 for c in comp_specs], real),
            noise_kick=np.array([ou_coefficients(c[2].scale, c[2].tau, dt)[1] if c[2] else 0.0 for c in comp_specs], real),
            noise_col=noise_col,
        )
        used_kinds = {l.kind for l in computed}
        self.kind_names = [name for name in layer_kinds.KINDS if name in used_kinds]
        self.loss_layers = [l.name for l in computed if kinds[l.name].mismatch is not None]
        self._layer = dict(
            kind=np.array([self.kind_names.index(l.kind) for l in computed], dtype=np.int64),
            offset=np.array([self.layer_offset[l.name] for l in computed], dtype=np.int64),
            n=np.array([l.n for l in computed], dtype=np.int64),
            comp_first=np.array([self.comp_index[(l.name, next(iter(kinds[l.name].compartments)))] for l in computed],
                                dtype=np.int64),
            n_comp=np.array([len(kinds[l.name].compartments) for l in computed], dtype=np.int64),
            loss=np.array([self.loss_layers.index(l.name) if l.name in self.loss_layers else -1 for l in computed],
                          dtype=np.int64),
            act=np.array([l.activation.code for l in computed], dtype=np.int64),
            threshold=np.array([l.activation.threshold for l in computed], real),
            gain=np.array([l.activation.gain for l in computed], real),
        )
        self.computed = computed

        # projections, grouped by target compartment in compartment order
        evaluated_before = {l.name: i for i, l in enumerate(computed)}
        projections = sorted(network.projections, key=lambda p: self.comp_index[(p.target, p.compartment)])
        self.projections = projections
        # a dense projection's weights are its full matrix; a structured one's
        # (Projection.connectivity) are its synapses only, in target order
        self._synapses = {p.name: p.synapse_indices() for p in projections if p.connectivity != "dense"}
        stored = [p.weights[self._synapses[p.name]] if p.name in self._synapses else p.weights.ravel() for p in projections]
        w_offset = np.cumsum([0] + [len(w) for w in stored])
        self.weights = np.concatenate(stored).astype(real) if projections else np.zeros(0, real)
        self.w_offset = {p.name: (w_offset[i], p.weights.shape) for i, p in enumerate(projections)}
        # each structured projection's synapses as rows: the source unit of every synapse and
        # where each target unit's synapses start
        syn_source, row_start, syn_offset, row_offset = [], [], [], []
        for p in projections:
            syn_offset.append(sum(len(x) for x in syn_source))
            row_offset.append(sum(len(x) for x in row_start))
            if p.name in self._synapses:
                target, source = self._synapses[p.name]
                syn_source.append(source)
                row_start.append(np.searchsorted(target, np.arange(p.weights.shape[0] + 1)))
        self._syn_source = np.concatenate(syn_source).astype(np.int64) if syn_source else np.zeros(0, np.int64)
        self._row_start = np.concatenate(row_start).astype(np.int64) if row_start else np.zeros(0, np.int64)

        # learning rules: the ones this network uses (in registry order), each projection's
        # parameter row and its per-synapse state slots in one buffer
        used = {p.plasticity.rule for p in projections if p.plastic}
        self.rule_names = [name for name in rules.RULES if name in used]
        rows = [rules.parameter_row(p.plasticity, dt) if p.plastic else np.zeros(0) for p in projections]
        params = np.zeros((len(projections), max([rules.N_SHARED] + [len(r) for r in rows])), real)
        for i, row in enumerate(rows):
            params[i, :len(row)] = row
        self.rule_slots = {p.name: rules.rule_named(p.plasticity.rule).slots for p in projections if p.plastic}
        n_slots = [len(self.rule_slots.get(p.name, ())) for p in projections]
        state_offset = np.cumsum([0] + [k * p.weights.size for k, p in zip(n_slots, projections)])
        self.rule_state = np.zeros(state_offset[-1], real)
        self._kernel = compiled_kernel(self.rule_names, self.kind_names)
        self._state_offset = {p.name: int(state_offset[i]) for i, p in enumerate(projections)}
        comp_of = [self.comp_index[(p.target, p.compartment)] for p in projections]
        first = np.searchsorted(comp_of, np.arange(len(comp_specs) + 1)) if projections else np.zeros(len(comp_specs) + 1, dtype=np.int64)

        def reads_previous(p):
            source = network.layer(p.source)
            if source.kind == "input":
                return False
            return evaluated_before[p.source] >= evaluated_before[p.target]

        self._proj = dict(
            comp_first=np.asarray(first, dtype=np.int64),
            src_offset=np.array([self.layer_offset[p.source] for p in projections], dtype=np.int64),
            n_pre=np.array([network.layer(p.source).n for p in projections], dtype=np.int64),
            reads_prev=np.array([reads_previous(p) for p in projections], dtype=np.bool_),
            bias=np.array([p.bias for p in projections], dtype=np.bool_),
            w_offset=np.asarray(w_offset[:-1], dtype=np.int64),
            structured=np.array([p.name in self._synapses for p in projections], dtype=np.bool_),
            syn_offset=np.array(syn_offset, dtype=np.int64),
            row_offset=np.array(row_offset, dtype=np.int64),
            n_post=np.array([p.weights.shape[0] for p in projections], dtype=np.int64),
            n_cols=np.array([p.weights.shape[1] for p in projections], dtype=np.int64),
            comp=np.array(comp_of, dtype=np.int64),
            layer=np.array([evaluated_before[p.target] for p in projections], dtype=np.int64),
            plastic=np.array([p.plastic for p in projections], dtype=np.bool_),
            rule=np.array([self.rule_names.index(p.plasticity.rule) if p.plastic else -1 for p in projections], dtype=np.int64),
            dale=np.array([rules.DALE_CODES[p.dale] for p in projections], dtype=np.int64),
            params=params,
            state_offset=np.asarray(state_offset[:-1], dtype=np.int64),
            n_slots=np.array(n_slots, dtype=np.int64),
        )
        self.learning_enabled = {p.name: p.plastic for p in projections}
        self._base_rate = self._proj["params"][:, rules.LEARNING_RATE].copy()
        self._learning_rate_factor = np.array(1.0)

    # ------------------------------------------------------------------ weights
    def weight(self, name: str) -> np.ndarray:
        """The current weights of projection ``name`` (``"target.compartment<-source"``), ``(n_target, n_source + bias)``.

        A view into the engine's weights for a dense projection; for a structured one
        (one-to-one, blocks, sparse) a new full matrix, zero where no synapse exists.
        """
        offset, shape = self.w_offset[name]
        if name in self._synapses:
            full = np.zeros(shape, self.dtype)
            full[self._synapses[name]] = self.weights[offset: offset + len(self._synapses[name][0])]
            return full
        return self.weights[offset: offset + shape[0] * shape[1]].reshape(shape)

    def all_weights(self) -> dict[str, np.ndarray]:
        """Copies of every projection's weights."""
        return {name: self.weight(name).copy() for name in self.w_offset}

    def set_learning(self, name: str, enabled: bool) -> None:
        """Switch learning on or off for one plastic projection."""
        index = [p.name for p in self.projections].index(name)
        if enabled and not self.projections[index].plastic:
            raise ValueError(f"projection {name} has no plasticity to enable")
        self._proj["plastic"][index] = enabled
        self.learning_enabled[name] = enabled

    def scale_learning_rates(self, factor: float) -> None:
        """Set every plastic projection's learning rate to ``factor`` × its configured value."""
        self._learning_rate_factor[...] = factor
        self._apply_learning_rate_factor(factor)

    def _apply_learning_rate_factor(self, factor: float) -> None:
        self._proj["params"][:, rules.LEARNING_RATE] = self._base_rate * factor

    def reset_state(self) -> None:
        """Zero all rates, compartment states, noise and every rule's per-synapse state (weights kept)."""
        for array in (self.rate, self.prev_rate, self.comp_rate, self.comp_dphi, self.noise_state, self.rule_state):
            array[:] = 0.0

    # ------------------------------------------------------------------- state
    def _rule_slots(self) -> dict[str, np.ndarray]:
        """``"<projection>:<slot>" -> view`` of every plastic projection's per-synapse rule state."""
        slots = {}
        for name, names in self.rule_slots.items():
            offset, shape = self._state_offset[name], self.w_offset[name][1]
            block = self.rule_state[offset: offset + len(names) * shape[0] * shape[1]].reshape((len(names),) + shape)
            slots.update({f"{name}:{slot}": block[k] for k, slot in enumerate(names)})
        return slots

    def _state_arrays(self) -> dict[str, np.ndarray]:
        """Views of every array of the engine's state, by state key."""
        arrays = {f"weight:{name}": self.weight(name) for name in self.w_offset}
        arrays.update({f"rule:{key}": view for key, view in self._rule_slots().items()})
        arrays.update({"rate": self.rate, "prev_rate": self.prev_rate, "comp_rate": self.comp_rate,
                       "comp_dphi": self.comp_dphi, "noise_state": self.noise_state,
                       "learning_rate_factor": self._learning_rate_factor})
        return arrays

    def get_state(self) -> dict[str, np.ndarray]:
        """Everything a continued run depends on, as arrays (all round-trip through ``np.savez``).

        Returns:
            ``weight:<projection>`` (weights), ``rule:<projection>:<slot>`` (each plastic
            projection's per-synapse rule state), ``rate``, ``prev_rate`` (layer rates of
            this and the previous step), ``comp_rate``, ``comp_dphi`` (compartment rates
            and activation slopes), ``noise_state`` (compartment noise),
            ``learning_rate_factor`` (0-d, the factor of :meth:`scale_learning_rates`),
            ``step_count`` (0-d int), ``t`` (0-d, seconds) and ``rng`` (0-d string: the
            noise generator's state as JSON). Copies: later runs do not change them.
        """
        state = {key: np.array(value, copy=True) for key, value in self._state_arrays().items()}
        state.update(clock_state(self.step_count, self.t, self.rng))
        return state

    def _load_state(self, state: dict[str, np.ndarray]) -> None:
        for key, target in self._state_arrays().items():
            target[...] = state[key]
        for name, synapses in self._synapses.items():  # weight() of a structured projection is a copy
            offset = self.w_offset[name][0]
            self.weights[offset: offset + len(synapses[0])] = state[f"weight:{name}"][synapses]
        self._apply_learning_rate_factor(float(self._learning_rate_factor))
        self.step_count, self.t = restore_clock(state, self.rng)

    def copy(self) -> "RateEngine":
        """An independent engine in this engine's state: running either leaves the other unchanged."""
        twin = copy.copy(self)
        for name in ("rate", "prev_rate", "comp_rate", "comp_dphi", "noise_state", "weights", "rule_state",
                     "_learning_rate_factor"):
            setattr(twin, name, getattr(self, name).copy())
        twin._proj = {key: value.copy() for key, value in self._proj.items()}
        twin.learning_enabled = dict(self.learning_enabled)
        twin.rng = np.random.Generator(type(self.rng.bit_generator)())
        twin.rng.bit_generator.state = self.rng.bit_generator.state
        return twin

    # --------------------------------------------------------------- recording
    def _record_indices(self, names: list[str]) -> tuple[np.ndarray, np.ndarray, list]:
        rate_idx, comp_idx, layout = [], [], []
        for name in names:
            layer_name, _, part = name.partition(".")
            layer = self.network.layer(layer_name)
            if part:
                start = self.comp_offset[self.comp_index[(layer_name, part)]]
                layout.append((name, "comp", len(comp_idx), layer.n))
                comp_idx.extend(range(start, start + layer.n))
            else:
                start = self.layer_offset[layer_name]
                layout.append((name, "rate", len(rate_idx), layer.n))
                rate_idx.extend(range(start, start + layer.n))
        return np.array(rate_idx, dtype=np.int64), np.array(comp_idx, dtype=np.int64), layout

    # --------------------------------------------------------------------- run
    @classmethod
    def supports(cls, network: Network) -> list[str]:
        """What of ``network`` this engine cannot run: nothing (every layer kind and rule has its rate form)."""
        return []

    def _prepare_run(self) -> None:
        self._compile()

    def _chunk_length(self, chunk_steps: int, record_every: int) -> int:
        # whole recording windows per compiled call
        return max(record_every, (chunk_steps // record_every) * record_every)

    def _finite(self) -> bool:
        return bool(np.all(np.isfinite(self.rate)) and np.all(np.isfinite(self.weights)))

    def _start_run(self, options: RunOptions) -> "_RateRun":
        return _RateRun(self, options)

    def _step(self, n_steps, step0, inputs, theta, normals, learn, noise, record_every, rate_idx, comp_idx,
              out_rate, out_comp, out_loss, out_theta):
        with flushed_subnormals():  # the loop's thread only, restored after (see the module docstring)
            self._kernel(
                n_steps, step0, inputs, theta, normals, learn, noise,
                self.rate, self.prev_rate, self.comp_rate, self.comp_dphi, self.noise_state,
                self.weights, self.rule_state,
                self._layer["kind"], self._layer["offset"], self._layer["n"], self._layer["comp_first"],
                self._layer["n_comp"], self._layer["loss"],
                self._layer["act"], self._layer["threshold"], self._layer["gain"],
                self._comp["offset"], self._comp["n"], self._comp["act"], self._comp["threshold"], self._comp["gain"],
                self._comp["noise_kick"], self._comp["noise_decay"], self._comp["noise_col"],
                self._proj["comp_first"], self._proj["src_offset"], self._proj["n_pre"], self._proj["reads_prev"],
                self._proj["bias"], self._proj["w_offset"], self._proj["n_post"], self._proj["n_cols"],
                self._proj["structured"], self._proj["syn_offset"], self._proj["row_offset"],
                self._syn_source, self._row_start,
                self._proj["comp"], self._proj["layer"], self._proj["plastic"], self._proj["rule"], self._proj["dale"],
                self._proj["params"], self._proj["state_offset"], self._proj["n_slots"],
                record_every, rate_idx, comp_idx, out_rate, out_comp, out_loss, out_theta,
            )

    def _compile(self) -> None:
        """Compile the kernel for this engine's precision (a zero-step call), outside any timing."""
        if self._compiled:
            return
        empty = np.zeros((0, self.n_input_units), self.dtype)
        none = np.zeros(0, np.int64)
        self._step(0, self.step_count, empty, np.zeros(0, self.dtype), np.zeros((0, self.n_noise), self.dtype), True, True, 1,
                   none, none, np.zeros((0, 0)), np.zeros((0, 0)), np.zeros((0, len(self.loss_layers))), np.zeros(0))
        self._compiled = True

class _RateRun:
    """One run of a :class:`RateEngine`: each chunk one call of the compiled loop, recorded in parts."""

    def __init__(self, engine: RateEngine, options: RunOptions):
        self.engine = engine
        self.options = options
        self.rate_idx, self.comp_idx, self.layout = engine._record_indices(list(options.record))
        self.parts: list[tuple[int, Recording]] = []

    def advance(self, start: int, inputs: dict[str, np.ndarray], gate: np.ndarray) -> dict[str, float]:
        engine, options, every = self.engine, self.options, self.options.record_every
        n = len(gate)
        block = np.zeros((n, engine.n_input_units), engine.dtype)
        for layer in engine.input_layers:
            offset = engine.layer_offset[layer.name]
            block[:, offset: offset + layer.n] = inputs[layer.name]
        normals = (engine.rng.standard_normal((n, engine.n_noise), dtype=engine.dtype) if options.noise and engine.n_noise
                   else np.zeros((n, 0), engine.dtype))
        n_rec = (start + n) // every - start // every
        out_rate = np.zeros((n_rec, len(self.rate_idx)))
        out_comp = np.zeros((n_rec, len(self.comp_idx)))
        out_loss = np.zeros((n_rec, len(engine.loss_layers)))
        out_theta = np.zeros(n_rec)
        engine._step(n, start, block, gate.astype(engine.dtype), normals, options.learn, options.noise, every,
                     self.rate_idx, self.comp_idx, out_rate, out_comp, out_loss, out_theta)
        rec_steps = np.arange(start // every + 1, (start + n) // every + 1) * every
        part = Recording(rec_steps * engine.dt, {}, {}, out_theta, rec_steps - 1)
        for name, where, first, size in self.layout:
            source = out_rate if where == "rate" else out_comp
            part.signals[name] = source[:, first: first + size]
        for i, name in enumerate(engine.loss_layers):
            part.loss[name] = out_loss[:, i]
        self.parts.append((start + n, part))
        return {k: float(v[-1]) for k, v in part.loss.items() if len(v)}

    def recording(self, stop: int) -> Recording:
        parts = [part for end, part in self.parts if end <= stop]
        if parts:
            return Recording.concatenate(parts)
        empty = Recording.concatenate([])
        empty.signals = {name: np.zeros((0, size)) for name, _, _, size in self.layout}
        empty.loss = {name: np.zeros(0) for name in self.engine.loss_layers}
        return empty

    def close(self) -> None:
        pass


def compiled_kernel(rule_names: list[str], kind_names: list[str]) -> Callable:
    """The engine's compiled loop (:func:`_run_chunk`) for networks of the layer kinds ``kind_names`` that learn with the rules ``rule_names``.

    numba compiles a call to a known function only, so the loop is specialised per set
    of rules and kinds: the loop's source, the dispatch over the rules' steps
    (:func:`hippo.learning.rules.dispatch_source`) and the dispatch over the kinds' somas
    (:func:`hippo.circuits.layer_kinds.soma_source`) are written to a module in numba's
    cache folder, named by a digest of all three, and imported; numba caches its compiled
    code beside it. A network of the same rules and kinds reuses it in every process.
    """
    dispatch, namespace = rules.dispatch_source(rule_names)
    somas, soma_namespace = layer_kinds.soma_source(kind_names)
    namespace = {**namespace, **soma_namespace}
    identity = ("\n".join(rules.rule_signature(name) for name in rule_names)
                + "\n".join(layer_kinds.kind_signature(name) for name in kind_names) + somas + _KERNEL_SOURCE)
    digest = hashlib.sha1(identity.encode()).hexdigest()[:16]
    if digest in _KERNELS:
        return _KERNELS[digest]
    path = Path(numba.config.CACHE_DIR or tempfile.gettempdir()) / "generated" / f"rate_kernel_{digest}.py"
    if not path.exists():  # rewriting an unchanged file would void numba's cache of it
        header = (f'"""The rate engine\'s loop for networks of layer kinds: {", ".join(kind_names) or "none"}, '
                  f'learning with: {", ".join(rule_names) or "no rule"}.\n\n'
                  f'Written by hippo.circuits.rate.compiled_kernel from the loop\'s source; do not edit."""\n\n')
        write_text(path, header + dispatch + "\n\n" + somas + "\n\n@njit(cache=True, fastmath=True)\n" + _KERNEL_SOURCE)
    name = f"hippo_rate_kernel_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(namespace, np=np, activate=activate, local_error=local_error, ou_step=ou_step)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _KERNELS[digest] = module._run_chunk
    return module._run_chunk


def _run_chunk(n_steps, step0, inputs, theta, normals, learn, noise,
               rate, prev, comp_rate, comp_dphi, noise_state, weights, rule_state,
               lay_kind, lay_offset, lay_n, lay_comp_first, lay_n_comp, lay_loss, lay_act, lay_threshold, lay_gain,
               comp_offset, comp_n, comp_act, comp_threshold, comp_gain, noise_kick, noise_decay, noise_col,
               proj_comp_first, proj_src_offset, proj_n_pre, proj_reads_prev, proj_bias, proj_w_offset,
               proj_n_post, proj_n_cols, proj_structured, proj_syn_offset, proj_row_offset, syn_source, row_start,
               proj_comp, proj_layer, proj_plastic, proj_rule, proj_dale, proj_params, proj_state_offset, proj_n_slots,
               record_every, rec_rate_idx, rec_comp_idx, out_rate, out_comp, out_loss, out_theta):
    """Advance the engine's arrays by ``n_steps`` steps (update order in the module docstring).

    The source of the loop numba compiles per set of rules and layer kinds
    (:func:`compiled_kernel`), where ``apply_rule(code, W, S, delta, pre, post, bias,
    dale, params)`` is the dispatch over the rules' steps and ``apply_soma(code, rate,
    out, comp_rate, comp_offset, first, n, th, act, threshold, gain, one)`` the dispatch
    over the kinds' somas (it returns the layer's mean mismatch, its loss when
    ``lay_loss`` gives it a column). A structured projection's weights are its synapses
    in target order: synapse ``q`` reads source unit ``syn_source[syn_offset + q]``, and
    target unit ``i``'s synapses are ``row_start[row_offset + i]`` to the next entry.
    """
    n_inputs = inputs.shape[1]
    n_layers = lay_kind.shape[0]
    n_comps = comp_n.shape[0]
    n_proj = proj_n_post.shape[0]
    max_n = 0
    for c in range(n_comps):
        max_n = max(max_n, comp_n[c])
    potential = np.empty(max_n, rate.dtype)
    delta = np.empty(max_n, rate.dtype)
    zero = rate.dtype.type(0)
    one = rate.dtype.type(1)
    loss_sum = np.zeros(out_loss.shape[1])
    window = 0
    rec = 0
    for k in range(n_steps):
        th = theta[k]
        prev[:] = rate
        rate[:n_inputs] = inputs[k]
        for l in range(n_layers):
            n = lay_n[l]
            for c in range(lay_comp_first[l], lay_comp_first[l] + lay_n_comp[l]):
                potential[:n] = zero
                for p in range(proj_comp_first[c], proj_comp_first[c + 1]):
                    s0 = proj_src_offset[p]
                    n_pre = proj_n_pre[p]
                    n_cols = proj_n_cols[p]
                    w0 = proj_w_offset[p]
                    pre = prev[s0: s0 + n_pre] if proj_reads_prev[p] else rate[s0: s0 + n_pre]
                    if proj_structured[p]:  # its synapses only, row by row (Projection.connectivity)
                        sources = syn_source[proj_syn_offset[p]:]
                        rows = row_start[proj_row_offset[p]:]
                        for i in range(n):
                            acc = zero
                            for q in range(rows[i], rows[i + 1]):
                                acc += weights[w0 + q] * pre[sources[q]]
                            potential[i] += acc
                        continue
                    W = weights[w0: w0 + n * n_cols].reshape((n, n_cols))
                    for i in range(n):
                        acc = zero
                        for j in range(n_pre):
                            acc += W[i, j] * pre[j]
                        if proj_bias[p]:
                            acc += W[i, n_pre]
                        potential[i] += acc
                o = comp_offset[c]
                col = noise_col[c]
                a = noise_decay[c]
                kick = noise_kick[c]
                for i in range(n):
                    r, d = activate(potential[i], comp_act[c], comp_threshold[c], comp_gain[c])
                    if noise and col >= 0:
                        noise_state[o + i] = ou_step(noise_state[o + i], a, kick, normals[k, col + i])
                        r += noise_state[o + i]
                    comp_rate[o + i] = r
                    comp_dphi[o + i] = d
            mismatch = apply_soma(lay_kind[l], rate, lay_offset[l], comp_rate, comp_offset, lay_comp_first[l], n, th,
                                  lay_act[l], lay_threshold[l], lay_gain[l], one)
            if lay_loss[l] >= 0:
                loss_sum[lay_loss[l]] += mismatch
        if learn:
            for p in range(n_proj):
                if not proj_plastic[p]:
                    continue
                c = proj_comp[p]
                o = comp_offset[c]
                s = lay_offset[proj_layer[p]]  # the soma this compartment predicts
                n = comp_n[c]
                for i in range(n):
                    delta[i] = local_error(rate[s + i], comp_rate[o + i], comp_dphi[o + i])
                s0 = proj_src_offset[p]
                n_pre = proj_n_pre[p]
                pre = prev[s0: s0 + n_pre] if proj_reads_prev[p] else rate[s0: s0 + n_pre]
                size = proj_n_post[p] * proj_n_cols[p]
                w0 = proj_w_offset[p]
                W = weights[w0: w0 + size].reshape((proj_n_post[p], proj_n_cols[p]))
                s1 = proj_state_offset[p]
                S = rule_state[s1: s1 + proj_n_slots[p] * size].reshape((proj_n_slots[p], proj_n_post[p], proj_n_cols[p]))
                apply_rule(proj_rule[p], W, S, delta[:n], pre, rate[s: s + n], proj_bias[p], proj_dale[p], proj_params[p])
        window += 1
        if (step0 + k + 1) % record_every == 0:
            for q in range(rec_rate_idx.shape[0]):
                out_rate[rec, q] = rate[rec_rate_idx[q]]
            for q in range(rec_comp_idx.shape[0]):
                out_comp[rec, q] = comp_rate[rec_comp_idx[q]]
            for q in range(loss_sum.shape[0]):
                out_loss[rec, q] = loss_sum[q] / window
                loss_sum[q] = 0.0
            out_theta[rec] = th
            window = 0
            rec += 1


#: The source of :func:`_run_chunk`, compiled per set of rules by :func:`compiled_kernel`.
_KERNEL_SOURCE = inspect.getsource(_run_chunk)
_KERNELS: dict[str, Callable] = {}
