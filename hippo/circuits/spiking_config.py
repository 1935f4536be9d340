"""Settings of the spiking engine (:mod:`hippo.circuits.spiking`) and what it can run, importable without Brian2.

The spiking code: a unit of rate ``r`` (dimensionless, as in the rate engine) fires
spikes at ``ν = clip(rate_scale·(r + offset), 0, max_rate)`` Hz, Poisson by default. A
Poisson unit stands for a pool of neurons as much as for one neuron: the pooled spikes of
``m`` independent Poisson neurons firing at ``ν/m`` are a Poisson train at ``ν``, so
``rate_scale = 400`` is, for example, 20 neurons at up to 20 Hz each. The filtered spike
train of a unit estimates its rate with variance ``(r + offset)/(2·tau_syn·rate_scale)``:
the product ``tau_syn·rate_scale`` sets how noisy the spiking network is compared with
the rate network.

With ``gamma_order = κ > 1`` a unit fires a gamma-renewal train instead: every κ-th event
of a Poisson process at ``κ·ν``. Its intervals have mean ``1/ν`` and coefficient of
variation ``1/√κ``, and its count in a window ``T ≫ κ/ν`` has Fano factor ``1/κ`` (for a
renewal train the long-window Fano factor is CV²), so the filtered train's variance
falls by about κ at the same rate. Such a unit is one regularly firing neuron (an
integrate-and-fire neuron under a steady drive fires with CV well below 1), or a pool
whose members' spikes are coordinated (e.g. by shared inhibition): a pool of ``m``
*independent* gamma neurons at ``ν/m`` each has Fano factor 1/κ only in windows long
compared with ``m·κ/ν``, and looks Poisson within one synaptic time constant once
``ν·tau_syn/m ≲ κ``.

Short-term facilitation (``facilitation_tau > 0``) scales the spikes of recurrent
projections (a layer onto itself) by the Tsodyks–Markram utilisation of the presynaptic
pool's neurons, normalised to 1 in the steady state of the unit's present rate
(:mod:`hippo.circuits.spiking`): the recurrent current of a bump at rest is the rate
network's, a unit that has just become active (its facilitation still low) drives its
neighbours less, one that has just fallen silent more, which holds the bump where it has
been (Itskov, Hansel & Tsodyks 2011; Seeholzer, Deger & Gerstner 2019).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from hippo.config import bounds
from hippo.errors import ConfigError
from hippo.circuits import layer_kinds
from hippo.learning import rules


def spiking_support(network) -> list[str]:
    """What of ``network`` the spiking engines cannot run, one line each (empty: all of it).

    Answered from the description alone: a layer kind without a spiking form (a Brian2
    soma in :mod:`hippo.circuits.layer_kinds`), a plastic projection whose rule has no
    Brian2 translation.
    """
    built = [name for name, kind in layer_kinds.KINDS.items() if kind.spiking]
    missing = [f"layer {layer.name!r}: no spiking form of the {layer.kind!r} layer kind "
               f"(kinds it builds: {', '.join(built)})"
               for layer in network.layers if not layer_kinds.kind_named(layer.kind).spiking]
    translated = [name for name, rule in rules.RULES.items() if rule.spiking is not None]
    missing += [f"projection {p.name!r}: no spiking translation of the {p.plasticity.rule!r} rule "
                f"(rules it translates: {', '.join(translated)})"
                for p in network.projections if p.plastic and rules.rule_named(p.plasticity.rule).spiking is None]
    return missing


@dataclass(frozen=True)
class SpikingConfig:
    """Spiking code, time constants and simulation settings.

    Attributes:
        dt: simulation time step in seconds; must divide the network step.
        tau_syn: time constant (s) of the synaptic currents and of every neuron's
            filtered spike train (the presynaptic trace).
        tau_recurrent: time constant (s) of the synaptic currents of recurrent projections
            (a layer onto itself, e.g. MEC → MEC apical); 0 gives them ``tau_syn``. Each
            such projection then has its own current, incremented by ``W_ij/(τ_r·ν_s)``
            per spike, so its mean is still ``Σ_j W_ij·r_j``, while its Poisson noise
            variance, ``Σ_j W_ij²·r_j/(2·τ_r·ν_s)``, falls as ``1/τ_r``. Slow (NMDA-like,
            ≈ 0.1 s) recurrent excitation with fast inputs is what stabilises spiking
            bump attractors (Compte et al. 2000): a bump read out through synapses of
            time constant τ diffuses at least ``σ²/(τ²·R)`` (σ its width, R its total
            spike rate; :mod:`hippo.analysis.spike_diffusion`). The price is lag: the
            recurrent input reports where the bump was ``τ_r`` ago.
        rate_scale: firing rate in Hz that codes a rate of 1 (ν_s).
        max_rate: firing-rate ceiling in Hz.
        offset: baseline rate ``c`` added before scaling, so linear units can code
            rates down to ``−c``; it adds Poisson noise, so keep it 0 where rates are
            non-negative.
        settle: seconds after each switch of θ during which plasticity pauses while the
            filtered spike trains forget the previous theta phase (0: never pauses).
        eta_scale: factor on every projection's learning rate (η per network step, as
            in the rate engine).
        gamma_order: κ, a whole number ≥ 1: each unit fires every κ-th event of a Poisson
            process at ``κ·ν`` (a gamma-renewal train of rate ν; ISI coefficient of
            variation ``1/√κ``, long-window Fano factor ``1/κ``); 1 is Poisson. What a
            unit then stands for: see the module docstring.
        facilitation_tau: time constant τ_f (s) of short-term facilitation on recurrent
            projections; 0 switches it off. The pool-mean utilisation ``u`` of a unit's
            neurons relaxes to ``U`` with τ_f and each spike of the pool (one of its
            ``pool_neurons`` neurons) raises it by ``U·(1 − u)/pool_neurons``; a spike
            then delivers ``u⁺ = u + U·(1 − u)`` divided by its steady-state value at the
            unit's present rate ν, ``u*(ν) = U·(1 + x)/(1 + U·x)`` with
            ``x = ν·τ_f/pool_neurons`` (Tsodyks–Markram facilitation, depression left
            out; Seeholzer et al. 2019 use τ_f 0.65–1 s).
        facilitation_u: U, the utilisation at rest (0 < U ≤ 1; 1: no facilitation).
        pool_neurons: neurons a unit's pool stands for (a count: rate_scale over one
            neuron's rate at a unit rate of 1, e.g. 50 neurons firing 20 spikes per second
            each when a unit rate is 1000 spikes per second); it sets how fast a pool's
            neurons facilitate (their own rate ν/pool_neurons) and enters nothing else.
        target: Brian2 code generation: ``"cython"`` (compiled, cached on disk),
            ``"numpy"`` (no compilation; slower per step, fast to start) or
            ``"cpp_standalone"`` (the network as one compiled C++ program, built once per
            network and reused across runs and seeds; the fastest per simulated second;
            see :mod:`hippo.circuits.spiking_standalone`).
        threads: OpenMP threads of the ``cpp_standalone`` program (1: no OpenMP). The
            number is compiled into the program, and the random numbers depend on it.
            Threads meet at a barrier in every Brian2 object and simulation step, which
            costs more than they save on layers of a few hundred units: on the
            experiment-B network, 2 threads ran at a tenth of 1 thread's speed on the
            2-core machine with other work running.
    """

    dt: float = field(default=0.001, metadata=bounds(gt=0.0))
    tau_syn: float = field(default=0.02, metadata=bounds(gt=0.0))
    tau_recurrent: float = field(default=0.0, metadata=bounds(min=0.0))
    rate_scale: float = field(default=200.0, metadata=bounds(gt=0.0))
    max_rate: float = field(default=1000.0, metadata=bounds(gt=0.0))
    offset: float = field(default=0.0, metadata=bounds(min=0.0))
    settle: float = field(default=0.05, metadata=bounds(min=0.0))
    eta_scale: float = field(default=1.0, metadata=bounds(min=0.0))
    gamma_order: int = field(default=1, metadata=bounds(min=1))
    facilitation_tau: float = field(default=0.0, metadata=bounds(min=0.0))
    facilitation_u: float = field(default=0.1, metadata=bounds(gt=0.0, max=1.0))
    pool_neurons: float = field(default=50.0, metadata=bounds(min=1.0))
    target: Literal["cython", "numpy", "cpp_standalone"] = "cython"
    threads: int = field(default=1, metadata=bounds(min=1))

    def __post_init__(self):
        if self.tau_syn <= self.dt:
            # a trace sampled before each step's decay grows by 1/(rate_scale·(tau_syn − dt)) per spike
            raise ConfigError("", "tau_syn", f"{self.tau_syn!r} s is not longer than the time step dt = {self.dt!r} s",
                              "tau_syn > dt; a few dt or more for smooth traces")
        if 0 < self.tau_recurrent <= self.dt:
            raise ConfigError("", "tau_recurrent", f"{self.tau_recurrent!r} s is not longer than the time step "
                              f"dt = {self.dt!r} s", "0 (tau_syn), or > dt")

    def synaptic_tau(self, recurrent: bool) -> float:
        """Time constant (s) of a projection's synaptic current: ``tau_recurrent`` for a recurrent one when set."""
        return self.tau_recurrent if recurrent and self.tau_recurrent > 0 else self.tau_syn

    def check_network_step(self, network_dt: float) -> None:
        """Refuse a network step that is not a whole number of simulation steps.

        Args:
            network_dt: the rate network's (and learning rule's) time step in seconds.

        Raises:
            ConfigError: keyed ``spiking.dt``, without a source (the caller names the file).
        """
        substeps = network_dt / self.dt
        if abs(substeps - round(substeps)) > 1e-6 or round(substeps) < 1:
            raise ConfigError("", "spiking.dt", f"{self.dt!r} s does not divide the network step dt = {network_dt!r} s",
                              f"dt / n for a whole number n, e.g. {network_dt / max(1, round(substeps)):g}")
