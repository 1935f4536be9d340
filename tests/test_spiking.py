"""Spiking engine: two-compartment Poisson neurons, the spiking prediction-error rule, and parity with the rate engine.

The tests use Brian2's numpy code generation, which needs no compilation; the
benchmark exercises the compiled (Cython) target.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hippo.circuits.activations import Activation
from hippo.circuits.engine import Recording
from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Plasticity, Projection
from hippo.circuits.spiking import SpikingConfig, SpikingEngine, activation_code, cache_directory
from hippo.circuits.wiring import (AutoencoderProjections, PathIntegratorProjections, PyramidalConfig,
                                   autoencoder_network, path_integrator_network)
from hippo.errors import ConfigError
from hippo.learning.rules import parameter_row
from hippo.learning.spiking_rule import rule_constants
from hippo.theta import GENERATION, INFERENCE, ThetaConfig
from hippo.world.gridworld import load_environment
from hippo.world.motion import MotionConfig
from hippo.world.senses import SensesConfig
from hippo.world.stream import Stream

DT = 0.025
FAST = SpikingConfig(target="numpy")


def _neuron(soma=Activation(), n=1, apical_plastic=None, n_context=1):
    """Pyramidal neurons whose basal and apical compartments are driven one-to-one by inputs ``b`` and ``a``.

    With ``apical_plastic``, the apical compartment instead learns from ``n_context``
    input units ``ctx`` (with a bias), starting from zero weights.
    """
    layers = [Layer("b", n, "input"), Layer("a", n, "input"), Layer("pyr", n, "pyramidal", activation=soma)]
    projections = [Projection("b", "pyr", "basal", np.eye(n))]
    if apical_plastic is None:
        projections.append(Projection("a", "pyr", "apical", np.eye(n)))
    else:
        layers.append(Layer("ctx", n_context, "input"))
        projections.append(Projection("ctx", "pyr", "apical", np.zeros((n, n_context + 1)), bias=True,
                                      plasticity=apical_plastic))
    return Network(tuple(layers), tuple(projections))


def _constant(**rates):
    return lambda start, stop: {name: np.tile(np.atleast_1d(value), (stop - start, 1)) for name, value in rates.items()}


def test_soma_follows_basal_when_awake_and_apical_when_asleep():
    engine = SpikingEngine(_neuron(), DT, seed=1, config=FAST)
    inputs = _constant(b=0.8, a=0.2)
    engine.run(1.0, inputs, INFERENCE)  # settle the synaptic traces
    awake = engine.run(10.0, inputs, INFERENCE, record=("pyr.spikes", "pyr"))
    asleep = engine.run(10.0, inputs, GENERATION, record=("pyr.spikes", "pyr"))
    scale = FAST.rate_scale
    # Poisson counts over 10 s: 800 ± 28 and 200 ± 14 spikes
    assert awake.signals["pyr.spikes"].sum() / 10.0 == pytest.approx(0.8 * scale, rel=0.1)
    assert asleep.signals["pyr.spikes"].sum() / 10.0 == pytest.approx(0.2 * scale, rel=0.15)
    assert awake.signals["pyr"].mean() == pytest.approx(0.8, abs=0.05)
    assert asleep.signals["pyr"].mean() == pytest.approx(0.2, abs=0.05)


def test_mean_rate_matches_phi_of_the_soma_potential():
    soma = Activation("relu", threshold=0.2, gain=2.0)
    engine = SpikingEngine(_neuron(soma, n=3), DT, seed=2, config=FAST)
    inputs = _constant(b=[0.3, 0.5, 0.6], a=[0.6, 0.1, 0.25])
    engine.run(1.0, inputs, ThetaConfig())
    rec = engine.run(10.0, inputs, ThetaConfig(), record=("pyr", "pyr.basal", "pyr.apical", "pyr.spikes"))
    # the recorded soma rate is φ_s of the θ-gated mix of the compartments
    theta = rec.theta[:, None]
    expected = soma(theta * rec.signals["pyr.basal"] + (1 - theta) * rec.signals["pyr.apical"])
    assert np.allclose(rec.signals["pyr"], expected)
    spike_rate = rec.signals["pyr.spikes"].sum(axis=0) / 10.0
    assert np.allclose(spike_rate, FAST.rate_scale * rec.signals["pyr"].mean(axis=0), rtol=0.1, atol=3.0)


def test_a_unit_fires_poisson_counts_beyond_one_spike_per_time_step():
    """A unit is a pool: at 3000 Hz with 1 ms steps it emits several spikes per step, Poisson-distributed."""
    config = SpikingConfig(target="numpy", rate_scale=1000.0, max_rate=10000.0)
    engine = SpikingEngine(_neuron(), DT, seed=3, config=config)
    rec = engine.run(2.0, _constant(b=3.0, a=0.0), INFERENCE, spike_times=("pyr",), record=("pyr.spikes",))
    unit, time, count = rec.spikes["pyr"]
    assert count.sum() == rec.signals["pyr.spikes"].sum()
    assert count.sum() / 2.0 == pytest.approx(3000.0, rel=0.05)
    assert count.max() > 1
    # Poisson(3) per 1 ms step: P(no spike) = e^-3, so about 95 % of steps carry spikes
    assert len(time) / 2000.0 == pytest.approx(1 - np.exp(-3.0), abs=0.03)
    assert np.all((time > 0.0) & (time <= 2.0 + 1e-9)) and np.all(unit == 0)


def test_spike_times_are_in_engine_time_across_runs():
    engine = SpikingEngine(_neuron(), DT, seed=4, config=FAST)
    engine.run(1.0, _constant(b=1.0, a=0.0), INFERENCE)
    rec = engine.run(0.5, _constant(b=1.0, a=0.0), INFERENCE, spike_times=("pyr", "b"))
    for unit, time, count in rec.spikes.values():
        assert len(time) > 0 and time.min() >= 1.0 and time.max() <= 1.5 + 1e-9


def test_rule_constants_are_the_rate_rule_parameters():
    plasticity = Plasticity(eta=0.004, l1=0.001, l2=0.005, tau_trace=0.2)
    constants = rule_constants(plasticity, DT, fan_in=4)
    eta, l1, l2, decay = parameter_row(plasticity, DT)
    assert constants == {"decay": decay, "eta": eta, "l1": l1, "l2": l2, "fan_in": 4.0, "learning": 1.0}
    with pytest.raises(ValueError, match="projection 'pyr.apical<-ctx': no spiking translation of the 'rmsprop' rule"):
        SpikingEngine(_neuron(apical_plastic=Plasticity(rule="rmsprop")), DT, config=FAST)


def test_plasticity_drives_the_dendrite_to_the_somatic_rate():
    targets = np.array([0.3, 0.6, 0.9])
    network = _neuron(n=3, apical_plastic=Plasticity(eta=0.01, tau_trace=0.1), n_context=4)
    engine = SpikingEngine(network, DT, seed=3, config=FAST)
    inputs = _constant(b=targets, a=[0.0, 0.0, 0.0], ctx=[0.2, 0.4, 0.6, 0.8])
    before = engine.run(2.0, inputs, INFERENCE, learn=False, record=("pyr.apical",))
    engine.run(15.0, inputs, INFERENCE)
    # the weights keep fluctuating with the spikes: compare the dendrite's mean rate while learning
    after = engine.run(20.0, inputs, INFERENCE, record=("pyr.apical",))
    assert np.allclose(before.signals["pyr.apical"], 0.0)
    assert np.allclose(after.signals["pyr.apical"].mean(axis=0), targets, atol=0.06)
    weights = engine.weight("pyr.apical<-ctx")
    assert weights.shape == (3, 5) and np.all(np.diff(weights.sum(axis=1)) > 0)


def test_frozen_learning_keeps_the_weights():
    network = _neuron(apical_plastic=Plasticity(eta=0.02))
    engine = SpikingEngine(network, DT, seed=4, config=FAST)
    inputs = _constant(b=0.5, a=0.0, ctx=0.5)
    engine.run(2.0, inputs, INFERENCE, learn=False)
    assert np.all(engine.weight("pyr.apical<-ctx") == 0.0)
    engine.set_learning("pyr.apical<-ctx", False)
    engine.run(2.0, inputs, INFERENCE)
    assert np.all(engine.weight("pyr.apical<-ctx") == 0.0)
    engine.set_learning("pyr.apical<-ctx", True)
    engine.run(2.0, inputs, INFERENCE)
    assert np.all(engine.weight("pyr.apical<-ctx") > 0.0)
    with pytest.raises(ValueError, match="no plasticity"):
        engine.set_learning("pyr.basal<-b", True)


def test_eta_scale_multiplies_every_learning_rate():
    """Same seed, same spikes: with the soma driven by the basal inputs (θ = 1), the apical
    weights do not change the spikes, so eta_scale = 2 doubles the weight change but for
    the error's own change: the error ``soma − r_apical`` of the faster learner is smaller
    by at most its larger ``r_apical``, a fraction ``r_apical/soma`` of the error."""
    network = _neuron(n=2, apical_plastic=Plasticity(eta=1e-4, tau_trace=0.1), n_context=3)
    soma, context = np.array([0.5, 1.0]), np.array([0.3, 0.6, 0.9])
    inputs = _constant(b=soma, a=[0.0, 0.0], ctx=context)
    change = {}
    for scale in (1.0, 2.0):
        engine = SpikingEngine(network, DT, seed=8, config=SpikingConfig(target="numpy", eta_scale=scale))
        engine.run(2.0, inputs, INFERENCE)
        change[scale] = engine.weight("pyr.apical<-ctx")  # from zero: the change (last column: the bias)
    assert np.all(change[1.0] > 0.0)
    r_apical = change[2.0][:, :-1] @ context + change[2.0][:, -1]
    ratio = change[2.0] / change[1.0]
    assert np.all(ratio <= 2.0) and np.all(ratio >= 2.0 * (1 - r_apical / soma)[:, None])
    assert np.all(r_apical / soma < 0.05)  # the bound is tight: within 5 % of 2


def test_joined_recordings_keep_the_spikes():
    network = _neuron(n=2)
    engine = SpikingEngine(network, DT, seed=9, config=FAST)
    inputs = _constant(b=[0.5, 1.0], a=[0.2, 0.2])
    parts = [engine.run(0.5, inputs, INFERENCE, spike_times=("pyr",)) for _ in range(2)]
    joined = Recording.concatenate(parts + [engine.run(0.25, inputs, INFERENCE)])  # a part without spike times
    units, times, counts = joined.spikes["pyr"]
    assert len(units) == sum(len(p.spikes["pyr"][0]) for p in parts) > 0
    assert np.all(np.diff(times) >= 0) and times.min() < 0.5 <= times.max()
    assert np.array_equal(counts, np.concatenate([p.spikes["pyr"][2] for p in parts]))


def test_plasticity_pauses_while_the_traces_settle_after_a_theta_switch():
    network = _neuron(apical_plastic=Plasticity(eta=0.02))
    inputs = _constant(b=0.5, a=0.0, ctx=0.5)
    learned = {}
    for settle, theta in ((0.0, ThetaConfig()), (0.1, ThetaConfig()), (0.1, INFERENCE)):
        engine = SpikingEngine(network, DT, seed=5, config=SpikingConfig(target="numpy", settle=settle))
        engine.run(2.0, inputs, theta)
        learned[settle, theta.shape] = np.abs(engine.weight("pyr.apical<-ctx")).sum()
    # a 100 ms settling time covers each whole 100 ms half-cycle of the 5 Hz square wave
    assert learned[0.1, "square"] == 0.0
    assert learned[0.0, "square"] > 0.0 and learned[0.1, "constant"] > 0.0


def test_weight_decay_pauses_with_plasticity():
    """L2 decay acts only while the plasticity gate is open, in proportion to the open time."""
    network = _neuron(apical_plastic=Plasticity(eta=0.02, l2=0.5))
    start = np.full((1, 2), 1.0)
    inputs = _constant(b=0.0, a=0.0, ctx=0.0)  # no presynaptic activity: only the bias error and the decay act
    kept = {}
    for settle in (0.0, 0.1):
        spec = network.projections[-1]
        grown = Network(network.layers, network.projections[:-1] + (Projection(spec.source, spec.target, spec.compartment,
                                                                               start.copy(), bias=True,
                                                                               plasticity=spec.plasticity),))
        engine = SpikingEngine(grown, DT, seed=6, config=SpikingConfig(target="numpy", settle=settle))
        engine.run(1.0, inputs, ThetaConfig())
        kept[settle] = engine.weight("pyr.apical<-ctx")[0, 0]
    assert kept[0.0] < 0.9  # the context weight decays while its input is silent
    assert kept[0.1] == 1.0  # the gate never opens: no decay either


def _autoencoder(seed, n_features=12, n_mec=3):
    """A small autoencoder and the inputs of a latent stream (engines run it from step 0 without gaps)."""
    stream = Stream.build(None, DT, SensesConfig(kind="latent", n=n_features, n_latents=n_mec), None, seed)
    network = autoencoder_network(n_features, n_mec, PyramidalConfig(), PyramidalConfig(), AutoencoderProjections(),
                                  np.random.default_rng(seed))
    return network, stream.inputs


def _two_layers():
    """Constant positive inputs b, a → p1 (basal ← b, apical ← a) → p2 (basal ← p1, apical ← a); linear units."""
    rng = np.random.default_rng(11)
    b, a = Layer("b", 3, "input"), Layer("a", 3, "input")
    p1, p2 = Layer("p1", 4, "pyramidal"), Layer("p2", 2, "pyramidal")
    weights = {"p1.basal<-b": rng.uniform(0.2, 0.6, (4, 3)), "p1.apical<-a": rng.uniform(0.2, 0.6, (4, 3)),
               "p2.basal<-p1": rng.uniform(0.1, 0.4, (2, 4)), "p2.apical<-a": rng.uniform(0.2, 0.6, (2, 3))}
    projections = tuple(Projection(name.split("<-")[1], name.split(".")[0], name.split(".")[1].split("<-")[0], w)
                        for name, w in weights.items())
    return Network((b, a, p1, p2), projections), weights, {"b": np.array([0.4, 0.8, 1.2]), "a": np.array([1.0, 0.5, 0.3])}


@pytest.mark.parametrize("theta", [INFERENCE, GENERATION])
def test_both_engines_give_the_same_rates_within_the_spike_noise(theta):
    """Time-averaged rates of the spiking engine match the rate engine's within 5 standard errors of the spike noise.

    A unit of rate r fires Poisson spikes at ν_s·r; its filtered train (time constant
    τ_s, unit area) has variance r/(2τ_s ν_s), so a compartment V = Σ_j W_j·u_j has
    variance σ² = Σ_j W_j² r_j/(2τ_s ν_s). Sampled every Δ = 25 ms it is an AR(1) series
    with ρ = exp(−Δ/τ_s), whose mean over N samples has variance σ²(1 + ρ)/((1 − ρ)N).
    The second layer's input adds the first layer's spikes and, through them, the
    inputs' noise filtered twice: its correlation time is at most 2τ_s, so its terms
    enter with ρ = exp(−Δ/(2τ_s)).
    """
    network, weights, rates = _two_layers()
    config = SpikingConfig(target="numpy")
    settle, seconds = 0.5, 12.0
    inputs = _constant(**rates)
    expected = RateEngine(network, DT).run(seconds, inputs, theta, learn=False, noise=False, record=("p1", "p2"))
    spiking = SpikingEngine(network, DT, seed=12, config=config)
    spiking.run(settle, inputs, theta, learn=False, noise=False)
    got = spiking.run(seconds, inputs, theta, learn=False, noise=False, record=("p1", "p2"))
    n = len(got.t)

    def standard_error(terms, tau):
        variance = sum(w**2 @ r for w, r in terms) / (2 * config.tau_syn * config.rate_scale)
        rho = np.exp(-DT / tau)
        return np.sqrt(variance * (1 + rho) / ((1 - rho) * n))

    tau = config.tau_syn
    if theta.value == 1.0:
        r1 = weights["p1.basal<-b"] @ rates["b"]
        se1 = standard_error([(weights["p1.basal<-b"], rates["b"])], tau)
        se2 = np.hypot(standard_error([(weights["p2.basal<-p1"], r1)], tau),
                       standard_error([(weights["p2.basal<-p1"] @ weights["p1.basal<-b"], rates["b"])], 2 * tau))
    else:
        se1 = standard_error([(weights["p1.apical<-a"], rates["a"])], tau)
        se2 = standard_error([(weights["p2.apical<-a"], rates["a"])], tau)
    for layer, se in (("p1", se1), ("p2", se2)):
        exact = expected.signals[layer][0]
        assert np.allclose(expected.signals[layer], exact)  # constant inputs: constant rates
        mean = got.signals[layer].mean(axis=0)
        assert np.all(np.abs(mean - exact) < 5 * se), (layer, mean, exact, se)
        assert np.all(5 * se < 0.15 * exact)  # the tolerance is at most 15 % of the rates


def test_both_engines_record_the_same_times_and_signals():
    network, inputs = _autoencoder(0)
    record = ("features", "hpc", "hpc.basal", "hpc.apical", "mec", "mec.basal")
    rate = RateEngine(network, DT, seed=0)
    spiking = SpikingEngine(network, DT, seed=0, config=SpikingConfig(target="numpy", offset=3.0))
    for engine in (rate, spiking):
        engine.run(0.3, inputs, ThetaConfig(), learn=False, record=record, record_every=2)
    a = rate.run(1.0, inputs, ThetaConfig(), record=record, record_every=3)
    b = spiking.run(1.0, inputs, ThetaConfig(), record=record, record_every=3)
    for field in ("t", "steps", "theta"):
        assert np.allclose(getattr(a, field), getattr(b, field))
    assert {k: v.shape for k, v in a.signals.items()} == {k: v.shape for k, v in b.signals.items()}
    assert a.loss.keys() == b.loss.keys() and all(len(a.loss[k]) == len(b.loss[k]) for k in a.loss)
    assert np.allclose(a.signals["features"], b.signals["features"])
    assert (spiking.step_count, spiking.t) == (rate.step_count, pytest.approx(rate.t))
    for p in network.projections:
        assert spiking.weight(p.name).shape == p.weights.shape
        if not p.plastic:
            assert np.array_equal(spiking.weight(p.name), p.weights)


def test_same_seed_same_spikes():
    network, inputs = _autoencoder(1)
    runs = []
    for _ in range(2):
        engine = SpikingEngine(network, DT, seed=7, config=SpikingConfig(target="numpy", offset=3.0))
        runs.append(engine.run(1.0, inputs, ThetaConfig(), record=("hpc.spikes", "mec")))
    assert np.array_equal(runs[0].signals["hpc.spikes"], runs[1].signals["hpc.spikes"])
    assert np.array_equal(runs[0].signals["mec"], runs[1].signals["mec"])
    assert runs[0].signals["hpc.spikes"].sum() > 0


def test_short_spiking_training_reduces_the_loss():
    """40 s of theta-gated training of a small path integrator: MEC's dendrites learn to predict its soma."""
    stream = Stream.build(load_environment("ring-1m"), DT, SensesConfig(n=20), MotionConfig(), 0, velocity_scale=0.5)
    mec = PyramidalConfig(basal=Activation("retanh"), apical=Activation("retanh"))
    network = path_integrator_network(20, 20, 2, PyramidalConfig(), mec, 1.0, PathIntegratorProjections(),
                                      np.random.default_rng(0))
    engine = SpikingEngine(network, DT, seed=0, config=SpikingConfig(target="numpy", eta_scale=2.0))
    rec = engine.run(40.0, stream.inputs, ThetaConfig(), record_every=40)  # from step 0: the stream's steps
    first, last = rec.loss["mec"][:8].mean(), rec.loss["mec"][-8:].mean()
    assert last < 0.7 * first


def test_time_step_must_divide_the_network_step():
    with pytest.raises(ConfigError, match="spiking.dt: 0.002 s does not divide the network step"):
        SpikingEngine(_neuron(), 0.025, config=SpikingConfig(dt=0.002))


@pytest.mark.parametrize("kind", ["linear", "relu", "retanh", "sigmoid"])
def test_brian2_activation_expressions_match_the_activations(kind):
    activation = Activation(kind, threshold=0.1, gain=2.0)
    v = np.linspace(-2.0, 2.0, 81)
    names = {"V": v, "clip": np.clip, "tanh": np.tanh, "exp": np.exp, "inf": np.inf,
             "int": lambda x: np.asarray(x, dtype=float)}
    phi, dphi = (eval(code, {}, names) for code in activation_code(activation, "V"))
    assert np.allclose(phi, activation(v))
    assert np.allclose(dphi, activation.derivative(v))


def test_compilation_cache_is_a_writable_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HIPPO_CACHE", str(tmp_path / "cache"))
    assert cache_directory() == tmp_path / "cache" / "hippo" / "brian2-cython"
    assert cache_directory().is_dir()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("HIPPO_CACHE", str(blocker))
    fallback = cache_directory()
    (fallback / "probe").write_text("x")
    assert fallback.is_dir() and not str(fallback).startswith(str(blocker))


def test_random_draws_and_shared_sums_have_a_fixed_schedule():
    """Objects that draw random numbers or add into the same currents never tie in Brian2's schedule.

    Brian2 runs objects of equal (clock, when, order) in an order that can differ between
    processes, so a tie would make the same seed give different spikes in different processes.
    """
    network, inputs = _autoencoder(0)
    engine = SpikingEngine(network, DT, seed=1, config=FAST)
    engine.run(DT, inputs, ThetaConfig())
    objects = []
    for obj in engine.brian_network.objects:
        objects += [obj, *getattr(obj, "contained_objects", [])]
    for when in ("before_thresholds", "after_resets", "synapses"):
        orders = [o.order for o in objects if o.when == when and o.active]
        assert len(orders) > 1 and len(set(orders)) == len(orders), when


_REPEAT_SCRIPT = """
import hashlib, sys
import numpy as np
sys.path.insert(0, {tests!r})
from test_spiking import FAST, DT, _autoencoder
from hippo.circuits.spiking import SpikingEngine
from hippo.theta import ThetaConfig
network, inputs = _autoencoder(0)
engine = SpikingEngine(network, DT, seed=3, config=FAST)
record = engine.run(1.0, inputs, ThetaConfig(), record=("mec.spikes", "hpc.spikes", "mec"))
digest = hashlib.sha1()
for name in sorted(record.signals):
    digest.update(record.signals[name].tobytes())
for name, weights in sorted(engine.all_weights().items()):
    digest.update(weights.tobytes())
print(digest.hexdigest())
"""


def test_the_same_seed_gives_the_same_spikes_in_every_process(tmp_path):
    """Spikes, rates and learned weights do not depend on the process's string hashing or memory layout.

    Python randomises the order of sets of strings per process (PYTHONHASHSEED 0 and 2
    order ``{"xi_basal", "xi_apical"}`` differently), and Brian2 orders several things by
    such sets; the engine must not let any of them reach the random draws.
    """
    script = tmp_path / "repeat.py"
    script.write_text(_REPEAT_SCRIPT.format(tests=str(Path(__file__).parent)))
    digests = set()
    for hash_seed in ("0", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout.split()[-1])
    assert len(digests) == 1


def test_the_multiplicative_path_integrator_runs_on_the_spiking_engine():
    network = path_integrator_network(4, 3, 2, PyramidalConfig(), PyramidalConfig(), 0.0, PathIntegratorProjections(),
                                      np.random.default_rng(0), modulation="multiplicative")
    assert SpikingEngine.supports(network) == []
    engine = SpikingEngine(network, DT, config=FAST)
    rates = {"features": np.full(4, 0.5), "velocity": np.array([0.2, 0.0])}
    record = engine.run(0.5, lambda a, b: {k: np.tile(v, (b - a, 1)) for k, v in rates.items()}, INFERENCE,
                        record=("conjunctive", "conjunctive.input", "conjunctive.gain")).signals
    assert np.allclose(record["conjunctive"], record["conjunctive.input"] * record["conjunctive.gain"])
    assert record["conjunctive"].shape == (20, 6) and np.any(record["conjunctive"] > 0)
