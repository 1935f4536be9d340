"""The spiking engine as a compiled program (Brian2 cpp_standalone) against Brian2's runtime.

The module compiles one program (a small autoencoder) into a temporary cache, about a
minute or two on a 2-core machine; every test but the one that builds from two processes
reuses it. The runtime path uses Brian2's numpy target, which needs no compilation.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hippo.circuits import spiking_standalone
from hippo.circuits.engines import make_engine
from hippo.circuits.spiking import SpikingConfig, SpikingEngine
from hippo.circuits.spiking_standalone import StandaloneSpikingEngine
from hippo.circuits.wiring import AutoencoderProjections, PyramidalConfig, autoencoder_network
from hippo.errors import ConfigError
from hippo.experiments import resolve
from hippo.theta import ThetaConfig
from hippo.world.senses import SensesConfig
from hippo.world.stream import Stream

DT = 0.025
PROGRAM = SpikingConfig(target="cpp_standalone")
RUNTIME = SpikingConfig(target="numpy")
RECORD = ("features", "hpc", "hpc.basal", "hpc.apical", "mec", "mec.spikes", "hpc.spikes")


def _autoencoder(seed, n_features=12, n_mec=3):
    """A small autoencoder (same structure for every seed, so one program) and a latent stream's inputs."""
    stream = Stream.build(None, DT, SensesConfig(kind="latent", n=n_features, n_latents=n_mec), None, seed)
    network = autoencoder_network(n_features, n_mec, PyramidalConfig(), PyramidalConfig(), AutoencoderProjections(),
                                  np.random.default_rng(seed))
    return network, stream.inputs


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A fresh compiled-code cache for this module's programs."""
    with pytest.MonkeyPatch.context() as patch:
        root = tmp_path_factory.mktemp("standalone-cache")
        patch.setenv("HIPPO_CACHE", str(root))
        yield root


@pytest.fixture(scope="module")
def program(cache):
    """The module's program, built once."""
    network, _ = _autoencoder(0)
    engine = StandaloneSpikingEngine(network, DT, seed=0, config=PROGRAM)
    assert engine.program.built_seconds > 0
    return engine.program


def _pair(seed, network_seed=0):
    network, inputs = _autoencoder(network_seed)
    return (StandaloneSpikingEngine(network, DT, seed=seed, config=PROGRAM),
            SpikingEngine(network, DT, seed=seed, config=RUNTIME), inputs)


def test_without_compartment_noise_both_paths_give_the_same_spikes_rates_and_weights(program):
    """Spikes draw from the same random stream on both paths, so a noise-free run is the same run.

    The program runs in executions of 7 network steps here, so its state crosses many
    command-line round trips; the runtime engine reseeds at the same steps.
    """
    compiled, runtime, inputs = _pair(seed=4)
    got = {}
    for name, engine in (("compiled", compiled), ("runtime", runtime)):
        got[name] = engine.run(3.0, inputs, ThetaConfig(), learn=True, noise=False, record=RECORD, record_every=2,
                               chunk_steps=7)
    a, b = got["compiled"], got["runtime"]
    assert a.signals["hpc.spikes"].sum() > 100
    for key in RECORD:
        assert np.allclose(a.signals[key], b.signals[key], rtol=0, atol=1e-9), key
    for layer in a.loss:
        assert np.allclose(a.loss[layer], b.loss[layer], rtol=0, atol=1e-9)
    changed = 0
    for name, weights in runtime.all_weights().items():
        assert np.allclose(compiled.weight(name), weights, rtol=0, atol=1e-9), name
        changed += not np.array_equal(weights, runtime.network.projection(name).weights)
    assert changed >= 2
    state_a, state_b = compiled.get_state(), runtime.get_state()
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        if key != "rng":
            assert np.allclose(state_a[key], state_b[key], rtol=0, atol=1e-9), key


def test_a_run_continues_from_the_runtime_engines_state(program):
    """State written by one path continues on the other (noise off: the same spikes)."""
    compiled, runtime, inputs = _pair(seed=9)
    runtime.run(1.0, inputs, ThetaConfig(), noise=False)
    compiled.set_state(runtime.get_state())
    a = compiled.run(1.0, inputs, ThetaConfig(), noise=False, record=("mec", "hpc.spikes"))
    b = runtime.run(1.0, inputs, ThetaConfig(), noise=False, record=("mec", "hpc.spikes"))
    assert np.array_equal(a.steps, b.steps)
    assert np.allclose(a.signals["mec"], b.signals["mec"], rtol=0, atol=1e-9)
    assert np.array_equal(a.signals["hpc.spikes"], b.signals["hpc.spikes"])


def test_a_copy_of_the_program_engine_continues_as_the_original(program):
    """A copy is a fresh build of the same program given the state, learning switches and learning-rate factor."""
    compiled, _, inputs = _pair(seed=6)
    compiled.run(0.5, inputs, ThetaConfig(), noise=False)
    compiled.scale_learning_rates(0.5)
    compiled.set_learning("mec.apical<-mec", False)
    twin = compiled.copy()
    assert isinstance(twin, StandaloneSpikingEngine) and twin.program.directory == compiled.program.directory
    a = compiled.run(0.5, inputs, ThetaConfig(), noise=False, record=("mec", "hpc.spikes"))
    b = twin.run(0.5, inputs, ThetaConfig(), noise=False, record=("mec", "hpc.spikes"))
    assert np.array_equal(a.signals["hpc.spikes"], b.signals["hpc.spikes"]) and a.signals["hpc.spikes"].sum() > 0
    for name, weights in compiled.all_weights().items():
        assert np.array_equal(twin.weight(name), weights), name
    assert not twin.projections["mec.apical<-mec"].enabled and twin.get_state()["learning_rate_factor"] == 0.5


@pytest.mark.slow
def test_with_compartment_noise_both_paths_agree_within_the_spread_between_seeds(program):
    """Compartment noise draws differ between the paths, so runs with noise agree in distribution.

    Over 4 seeds per path (10 s of theta-gated training each), the mean rates, final
    losses and weight changes of the two paths differ by less than 5 standard errors of
    the difference (estimated from the seed-to-seed spread of each path).
    """
    stats = {"compiled": [], "runtime": []}
    for seed in range(4):
        compiled, runtime, inputs = _pair(seed=20 + seed)
        for name, engine in (("compiled", compiled), ("runtime", runtime)):
            rec = engine.run(10.0, inputs, ThetaConfig(), record=("hpc", "mec"), record_every=4)
            row = [rec.signals["hpc"].mean(), rec.signals["mec"].mean(), rec.loss["hpc"][-40:].mean(),
                   rec.loss["mec"][-40:].mean()]
            row += [np.abs(engine.weight(p.name) - p.weights).mean() for p in engine.network.projections if p.plastic]
            stats[name].append(row)
    a, b = np.array(stats["compiled"]), np.array(stats["runtime"])
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) < 5 * se + 1e-12), (a.mean(axis=0), b.mean(axis=0), se)
    assert np.all(se < 0.2 * np.abs(b.mean(axis=0)))  # the tolerance is a fraction of each statistic


def test_recordings_have_the_runtime_engines_times_steps_and_spike_times(program):
    compiled, runtime, inputs = _pair(seed=2)
    for engine in (compiled, runtime):
        engine.run(0.3, inputs, ThetaConfig(), learn=False, record=RECORD, record_every=2)
    b = runtime.run(1.0, inputs, ThetaConfig(), record=RECORD, record_every=3, spike_times=("hpc",))
    a = compiled.run(1.0, inputs, ThetaConfig(), record=RECORD, record_every=3, spike_times=("hpc",), chunk_steps=11)
    for field in ("t", "steps", "theta"):
        assert np.allclose(getattr(a, field), getattr(b, field))
    assert {k: v.shape for k, v in a.signals.items()} == {k: v.shape for k, v in b.signals.items()}
    assert np.allclose(a.signals["features"], b.signals["features"])
    assert a.loss.keys() == b.loss.keys() and all(len(a.loss[k]) == len(b.loss[k]) for k in a.loss)
    i, t, k = a.spikes["hpc"]
    assert i.dtype == k.dtype == np.int64 and len(i) == len(t) == len(k) > 0
    assert np.all(np.diff(t) >= 0) and 0.3 <= t.min() and t.max() < 1.3
    assert (compiled.step_count, compiled.t) == (runtime.step_count, pytest.approx(runtime.t))


def test_kept_spikes_are_the_counted_spikes(program):
    compiled, _, inputs = _pair(seed=3)
    rec = compiled.run(2.0, inputs, ThetaConfig(), record=("mec.spikes",), spike_times=("mec",), chunk_steps=13)
    i, t, k = rec.spikes["mec"]
    per_unit = np.bincount(i, weights=k, minlength=3)
    assert np.array_equal(per_unit, rec.signals["mec.spikes"].sum(axis=0))


def test_frozen_projections_and_runs_without_learning_keep_weights_and_traces(program):
    compiled, _, inputs = _pair(seed=5)
    frozen = "mec.basal<-hpc"
    compiled.set_learning(frozen, False)
    before = compiled.get_state()
    compiled.run(1.0, inputs, ThetaConfig())
    after = compiled.get_state()
    assert np.array_equal(after[f"weight:{frozen}"], before[f"weight:{frozen}"])
    assert np.array_equal(after[f"rule:{frozen}:trace"], before[f"rule:{frozen}:trace"])
    assert not np.array_equal(after["weight:hpc.apical<-mec"], before["weight:hpc.apical<-mec"])
    compiled.run(1.0, inputs, ThetaConfig(), learn=False)
    still = compiled.get_state()
    for key in after:
        if key.startswith(("weight:", "rule:")):
            assert np.array_equal(still[key], after[key]), key


def _written_bytes(monkeypatch) -> list[int]:
    """A list whose one element counts the bytes every later execution of a program writes (its results folder)."""
    written = [0]
    run = spiking_standalone.subprocess.run

    def counting(command, *args, **kwargs):
        done = run(command, *args, **kwargs)
        if "--results_dir" in command:
            results = Path(command[command.index("--results_dir") + 1])
            written[0] += sum(f.stat().st_size for f in results.iterdir())
        return done

    monkeypatch.setattr(spiking_standalone.subprocess, "run", counting)
    return written


def test_a_decimated_recording_is_every_kth_step_and_writes_k_times_fewer_bytes(program, monkeypatch):
    """The program records only the steps a run keeps: the samples of an every-step recording, a k-th of the bytes."""
    k, seconds = 5, 1000 * DT  # 1000 network steps: the recordings outweigh the state read back 20-fold
    written = _written_bytes(monkeypatch)
    recordings, sizes = {}, {}
    for every in (1, k):
        network, inputs = _autoencoder(0)
        engine = StandaloneSpikingEngine(network, DT, seed=4, config=PROGRAM)
        written[0] = 0
        recordings[every] = engine.run(seconds, inputs, ThetaConfig(), record=RECORD, record_every=every)
        sizes[every] = written[0]
    a, b = recordings[k], recordings[1]
    assert np.array_equal(a.steps, b.steps[k - 1::k])
    for name, signal in a.signals.items():
        if name.endswith(".spikes"):  # counts per recorded interval: sums of k every-step counts
            expected = b.signals[name].reshape(-1, k, signal.shape[1]).sum(axis=1)
        else:
            expected = b.signals[name][k - 1::k]
        assert np.array_equal(signal, expected), name
    assert b.signals["hpc.spikes"].sum() > 0
    assert 0.9 * k < sizes[1] / sizes[k] <= k, sizes


def test_the_program_writes_only_the_layers_a_run_reads(program, monkeypatch):
    """A layer the run does not read (here the input layer's spike counts) is not written; the rest is unchanged."""
    steps = 1000
    written = _written_bytes(monkeypatch)
    recordings, sizes = {}, {}
    for record in (("mec",), ("mec", "features.spikes")):
        network, inputs = _autoencoder(0)
        engine = StandaloneSpikingEngine(network, DT, seed=5, config=PROGRAM)
        written[0] = 0
        recordings[record] = engine.run(steps * DT, inputs, ThetaConfig(), record=record)
        sizes[record] = written[0]
    a, b = recordings[("mec",)], recordings[("mec", "features.spikes")]
    assert np.array_equal(a.signals["mec"], b.signals["mec"]) and b.signals["features.spikes"].sum() > 0
    n_features = network.layer("features").n
    # the features' counts (one float64 per unit and step) and their times are all that differs
    assert sizes[("mec", "features.spikes")] - sizes[("mec",)] >= 0.99 * steps * (n_features + 1) * 8, sizes


def test_a_second_seed_reuses_the_program_and_draws_other_spikes(program):
    binary = program.directory / "main"
    built_at = binary.stat().st_mtime_ns
    runs = {}
    for seed in (0, 1, 1):
        network, inputs = _autoencoder(0)
        engine = make_engine("spiking", network, DT, seed=seed, spiking=PROGRAM)
        assert isinstance(engine, StandaloneSpikingEngine)
        assert engine.program.directory == program.directory and engine.program.built_seconds == 0
        runs.setdefault(seed, []).append(engine.run(1.0, inputs, ThetaConfig(), record=("hpc.spikes",)))
    assert binary.stat().st_mtime_ns == built_at
    assert np.array_equal(runs[1][0].signals["hpc.spikes"], runs[1][1].signals["hpc.spikes"])
    assert not np.array_equal(runs[0][0].signals["hpc.spikes"], runs[1][0].signals["hpc.spikes"])


def test_learning_rate_settings_reuse_the_program_and_take_effect(program):
    """Learning rates and the settling time are values of an execution, not of the program."""
    network, inputs = _autoencoder(0)
    config = SpikingConfig(target="cpp_standalone", eta_scale=0.0, settle=0.1)
    engine = StandaloneSpikingEngine(network, DT, seed=6, config=config)
    assert engine.program.directory == program.directory and engine.program.built_seconds == 0
    before = engine.all_weights()
    engine.run(1.0, inputs, ThetaConfig())
    assert all(np.array_equal(weights, before[name]) for name, weights in engine.all_weights().items())


def test_the_runtime_engine_refuses_the_standalone_target():
    network, _ = _autoencoder(0)
    with pytest.raises(ConfigError, match="spiking.target"):
        SpikingEngine(network, DT, config=PROGRAM)


def test_threads_are_counted_from_one():
    with pytest.raises(ConfigError, match="threads"):
        resolve("path-integration-spiking", ["spiking.threads=0"])


_BUILD_AND_RUN = textwrap.dedent("""
    import json, sys
    import numpy as np
    from hippo.circuits.spec import Layer, Network, Projection
    from hippo.circuits.spiking import SpikingConfig
    from hippo.circuits.spiking_standalone import StandaloneSpikingEngine
    from hippo.theta import ThetaConfig
    network = Network((Layer("b", 2, "input"), Layer("pyr", 2, "pyramidal")),
                      (Projection("b", "pyr", "basal", np.eye(2)),))
    engine = StandaloneSpikingEngine(network, 0.025, seed=3, config=SpikingConfig(target="cpp_standalone"))
    inputs = lambda start, stop: {"b": np.full((stop - start, 2), 0.5)}
    rec = engine.run(1.0, inputs, ThetaConfig(), record=("pyr.spikes",))
    print(json.dumps({"spikes": rec.signals["pyr.spikes"].sum(axis=0).tolist(), "program": str(engine.program.directory)}))
""")


@pytest.mark.slow
def test_two_processes_building_one_program_at_once_build_it_once(tmp_path):
    environment = dict(os.environ, HIPPO_CACHE=str(tmp_path))
    processes = [subprocess.Popen([sys.executable, "-c", _BUILD_AND_RUN], env=environment, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [process.communicate(timeout=900) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [err[-2000:] for _, err in results]
    outputs = [json.loads(out.strip().splitlines()[-1]) for out, _ in results]
    assert outputs[0] == outputs[1] and sum(outputs[0]["spikes"]) > 0
    assert sum("compiling the spiking network" in err for _, err in results) == 1
    root = tmp_path / "hippo" / "brian2-standalone"
    assert [p.name for p in root.iterdir() if p.is_dir()] == [os.path.basename(outputs[0]["program"])]
