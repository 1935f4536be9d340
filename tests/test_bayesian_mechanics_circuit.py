"""Bayesian mechanics as a plasticity rule inside the circuits: same spec, either core."""

import numpy as np
import pytest

from hippo.circuits.rate import RateEngine
from hippo.circuits.spec import Layer, Network, Noise, Plasticity, ProjectionConfig, build_projection
from hippo.experiments import run_experiment
from hippo.theta import ThetaConfig
from hippo.world.senses import gaussian_process_latents

DT = 0.025
N_IN, N_OUT = 5, 3
SECONDS = 3000.0  # six relaxation times 1/γ of the default Bayesian-mechanics rule


def student_network(plasticity: Plasticity, seed: int = 0) -> tuple[Network, np.ndarray]:
    """Inputs → basal (fixed teacher ``A``) and → apical (plastic, learning ``A`` while awake)."""
    rng = np.random.default_rng(seed)
    inputs = Layer("x", N_IN, "input")
    layer = Layer("y", N_OUT, "pyramidal", basal_noise=Noise(0.01, 0.3), apical_noise=Noise(0.01, 0.3))
    teacher = rng.normal(0.0, 1.0 / np.sqrt(N_IN), (N_OUT, N_IN))
    learned = ProjectionConfig(w_init=0.1, plasticity=plasticity)
    network = Network((inputs, layer), (
        build_projection(inputs, layer, "basal", ProjectionConfig(plastic=False), rng, fixed=teacher),
        build_projection(inputs, layer, "apical", learned, rng),
    ))
    return network, teacher


def train_student(plasticity: Plasticity):
    network, teacher = student_network(plasticity)
    latents = gaussian_process_latents(int(SECONDS / DT) + 1, DT, 0.25, N_IN, np.random.default_rng(1))
    engine = RateEngine(network, DT, seed=2)
    recording = engine.run(SECONDS, lambda start, stop: {"x": latents[start:stop]}, ThetaConfig(), record_every=40)
    return engine, recording, teacher, latents


@pytest.mark.parametrize("rule", ["prediction-error", "bayesian-mechanics"])
def test_both_cores_train_the_same_projection_spec(rule):
    engine, recording, _, _ = train_student(Plasticity(rule=rule))
    loss = recording.loss["y"]
    minute = int(60.0 / (40 * DT))
    assert loss[-minute:].mean() < 0.3 * loss[:minute].mean()
    # the interface ran the named core: its own per-synapse state moved
    slot = "momentum" if rule == "bayesian-mechanics" else "trace"
    state = {k: v for k, v in engine.get_state().items() if k.startswith("rule:")}
    assert list(state) == [f"rule:y.apical<-x:{slot}"] and np.any(state[f"rule:y.apical<-x:{slot}"] != 0.0)


def test_bayesian_mechanics_in_a_theta_gated_compartment_reaches_the_ridge_fixed_point():
    """``W* = A C (C + ρ)⁻¹``, ``ρ = γ²·n·m_w/(f·m_z)``: mass per input, error present a fraction f of the cycle.

    A heavy weight (ridge 0.4 against unit-variance inputs) separates this fixed point
    from those without the fan-in factor (ridge 0.08) or without ``f`` (ridge 0.2) by
    far more than the weights' fluctuations (1–2 %).
    """
    plasticity = Plasticity(rule="bayesian-mechanics", m_w=10_000.0)
    engine, _, teacher, latents = train_student(plasticity)
    f = ThetaConfig().wake_fraction
    C = latents.T @ latents / len(latents)

    def fixed_point(ridge):
        return teacher @ C @ np.linalg.inv(C + ridge * np.eye(N_IN))

    ridge = plasticity.gamma ** 2 * N_IN * plasticity.m_w / (f * plasticity.m_z)
    assert ridge == pytest.approx(0.4)
    learned = engine.weight("y.apical<-x")
    distance = np.linalg.norm(learned - fixed_point(ridge)) / np.linalg.norm(fixed_point(ridge))
    assert distance < 0.05
    for wrong in (ridge / N_IN, ridge * f, 0.0):
        assert np.linalg.norm(learned - fixed_point(wrong)) / np.linalg.norm(fixed_point(wrong)) > 2 * distance


@pytest.mark.parametrize("projections", [
    ("hpc_apical_mec", "mec_basal_hpc", "mec_apical_mec"),
    ("hpc_apical_mec",), ("mec_basal_hpc",), ("mec_apical_mec",),
])
def test_autoencoder_trains_with_bayesian_mechanics(projections, tmp_path):
    overrides = ["duration=600", "test_duration=60"]
    overrides += [f"projections.{name}.plasticity.rule=bayesian-mechanics" for name in projections]
    _, metrics = run_experiment("autoencoding", overrides, seed=3, out=tmp_path, quiet=True)
    assert metrics["loss_mec_final"] <= 0.5 * metrics["loss_mec_initial"]
    assert metrics["loss_hpc_final"] <= 0.8 * metrics["loss_hpc_initial"]  # not a collapse to silence


def test_bayesian_mechanics_obeys_the_shared_constraints():
    """Dale's law, L2 and the learning-rate schedule act on the Bayesian-mechanics rule as on any rule."""
    latents = gaussian_process_latents(int(200.0 / DT) + 1, DT, 0.25, N_IN, np.random.default_rng(1))
    inputs = lambda start, stop: {"x": latents[start:stop]}  # noqa: E731
    learned = {}
    for key, plasticity, dale, factor in (
            ("free", Plasticity(rule="bayesian-mechanics", m_w=20.0, gamma=0.05), "none", 1.0),
            ("dale", Plasticity(rule="bayesian-mechanics", m_w=20.0, gamma=0.05), "excitatory", 1.0),
            ("l2", Plasticity(rule="bayesian-mechanics", m_w=20.0, gamma=0.05, l2=0.2), "none", 1.0),
            ("slow", Plasticity(rule="bayesian-mechanics", m_w=20.0, gamma=0.05), "none", 0.0)):
        network, teacher = student_network(plasticity, seed=5)
        spec = network.projections[1]
        network = Network(network.layers, (network.projections[0], spec.__class__(
            spec.source, spec.target, spec.compartment, np.abs(spec.weights), spec.bias, spec.plasticity, dale)))
        engine = RateEngine(network, DT, seed=2)
        engine.scale_learning_rates(factor)
        engine.run(200.0, inputs, ThetaConfig())
        learned[key] = engine.weight("y.apical<-x")
    assert np.any(teacher < 0) and np.any(learned["free"] < 0)
    assert np.all(learned["dale"] >= 0) and np.any(learned["dale"] == 0)
    assert np.linalg.norm(learned["l2"]) < 0.8 * np.linalg.norm(learned["free"])
    # m_z scaled to 0: no error force, the weights only decay with γ (and α = 0)
    network, _ = student_network(Plasticity(rule="bayesian-mechanics"), seed=5)
    start = np.abs(network.projections[1].weights)
    assert np.allclose(learned["slow"], start * np.exp(-0.05 * 200.0), rtol=1e-2)
