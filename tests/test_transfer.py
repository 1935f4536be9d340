"""Environment transfer: arms freeze what they name, measuring never changes learning, runs restart from saved state."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.experiments import resolve, run_experiment, transfer
from hippo.experiments import path_integration
from hippo.protocol import run_phases

#: A small, fast study: 20 place features, 12 MEC cells, 40 s of training, 20 s of relearning;
#: a conjunctive threshold low enough for the small, briefly trained MEC to drive conjunctive cells.
TINY = [
    "network.senses.n=20", "network.n_mec=12", "network.conjunctive_threshold=0.2", "network.duration=40.0", "network.record_every=4",
    "network.test.n_trials=2", "network.test.warmup=1.0", "network.test.generative=2.0",
    "network.test.decoder_window=8.0", "network.test.report_times=[1.0, 2.0]",
    "relearn.duration=20.0", "relearn.checkpoints=[0.0, 8.0, 20.0]",
]


def _study(seed: int, *more: str):
    """The tiny study's config, its trained engine in A, the untrained engine and the worlds."""
    config = resolve("transfer", TINY + list(more), seed).config
    network = config.network.__class__(**{**vars(config.network), "seed": seed})
    setup = path_integration.build(network)
    fresh = path_integration.build(network).engine
    run_phases(setup.engine, [path_integration.training_phase(network, setup)])
    return config, setup.engine, fresh, transfer.build_worlds(config, setup)


@pytest.mark.parametrize("seed", [0, 1])
def test_each_arm_freezes_exactly_the_projections_it_names(seed):
    config, trained, fresh, worlds = _study(seed)
    for arm in transfer.ARMS:
        engine = transfer.arm_engine(config, arm, trained, fresh)
        before = engine.all_weights()
        transfer.relearn(config, arm, engine, worlds)
        after = engine.all_weights()
        plastic = {p.name for p in engine.network.projections if p.plastic}
        for name in plastic:
            if name in transfer.FROZEN[arm]:
                assert np.array_equal(after[name], before[name]), f"{arm}: {name} changed"
            else:
                assert not np.array_equal(after[name], before[name]), f"{arm}: {name} did not learn"


def test_arms_start_from_the_network_they_name():
    config, trained, fresh, _ = _study(0)
    recurrent, conjunctive = transfer.ATTRACTOR
    weights = {arm: transfer.arm_engine(config, arm, trained, fresh).all_weights() for arm in transfer.ARMS}
    assert np.array_equal(weights["transfer"][recurrent], trained.weight(recurrent))
    assert np.array_equal(weights["scratch"][recurrent], fresh.weight(recurrent))
    assert np.array_equal(weights["random-attractor"][conjunctive], fresh.weight(conjunctive))
    assert np.array_equal(weights["random-attractor"][transfer.HPC_TO_MEC], trained.weight(transfer.HPC_TO_MEC))
    shuffled = weights["broken-attractor"][recurrent]
    assert np.array_equal(np.sort(shuffled, axis=None), np.sort(trained.weight(recurrent), axis=None))
    assert not np.array_equal(shuffled, trained.weight(recurrent))
    config, trained, fresh, _ = _study(0, "move.hpc_to_mec=reinitialised")
    engine = transfer.arm_engine(config, "transfer", trained, fresh)
    assert np.array_equal(engine.weight(transfer.HPC_TO_MEC), fresh.weight(transfer.HPC_TO_MEC))


@pytest.mark.parametrize("arm", ["transfer", "scratch"])
def test_checkpoint_measurements_leave_the_learning_bit_identical(arm):
    config, trained, fresh, worlds = _study(0)
    measured = transfer.arm_engine(config, arm, trained, fresh)
    unmeasured = transfer.arm_engine(config, arm, trained, fresh)
    record = transfer.relearn(config, arm, measured, worlds)
    assert sorted(record.checkpoints) == list(config.relearn.checkpoints)
    worlds.relearn.cursor = 0
    run_phases(unmeasured, [transfer.relearning_phase(config, arm, worlds, "all at once", config.relearn.duration)])
    a, b = measured.get_state(), unmeasured.get_state()
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key], b[key]), key


def test_an_annealed_relearning_does_not_depend_on_where_the_checkpoints_are():
    config, trained, fresh, worlds = _study(0, "relearn.learning_rate_factor=1.0", "relearn.final_factor=0.25",
                                            "relearn.anneal_duration=60.0",
                                            "relearn.duration=90.0", "relearn.checkpoints=[0.0, 45.0, 90.0]")
    few = replace(config, relearn=replace(config.relearn, checkpoints=(0.0, 90.0)))
    states = []
    for each in (config, few):
        engine = transfer.arm_engine(each, "transfer", trained, fresh)
        transfer.relearn(each, "transfer", engine, worlds)
        states.append(engine.get_state())
    for key in states[0]:
        assert np.array_equal(states[0][key], states[1][key]), key
    schedule = transfer.relearning_schedule(config.relearn)
    assert schedule.factor_at(0.0) == 1.0
    assert schedule.factor_at(30.0) == pytest.approx(0.5)
    assert schedule.factor_at(75.0) == pytest.approx(0.25)
    assert float(states[0]["learning_rate_factor"]) == pytest.approx(0.25)


def test_a_run_from_its_saved_state_reproduces_its_metrics(tmp_path):
    _, first = run_experiment("transfer", TINY, seed=2, out=tmp_path / "first", quiet=True)
    _, again = run_experiment("transfer", TINY + ["network.duration=0"], out=tmp_path / "again", quiet=True,
                              start_from=tmp_path / "first")
    assert again["seed"] == 2
    assert json.dumps(again["arms"], sort_keys=True) == json.dumps(first["arms"], sort_keys=True)
    assert again["pi_error_in_a_m"] == first["pi_error_in_a_m"]
    assert set(first["arms"]) == set(transfer.ARMS)
    assert (tmp_path / "first" / "figures" / "relearning_curves.png").exists()


@pytest.mark.parametrize("remapping", ["partial", "rate"])
def test_partial_and_rate_remapping_keep_what_they_should(remapping):
    config, _, _, worlds = _study(0, f"move.remapping={remapping}", "move.fraction=0.25")
    positions = np.linspace(0.0, 0.99, 50)[:, None]
    a, b = worlds.code_a.encoder.rates_at(positions), worlds.code_b.encoder.rates_at(positions)
    same = np.all(np.isclose(a, b), axis=0)
    if remapping == "partial":
        assert same.sum() == config.network.senses.n - round(0.25 * config.network.senses.n)
    else:
        ratio = b.max(axis=0) / a.max(axis=0)
        np.testing.assert_allclose(b, a * ratio, atol=1e-12)
        assert np.all((ratio >= 0.5) & (ratio <= 1.5)) and np.ptp(ratio) > 0


@pytest.mark.parametrize("override, key", [
    ("relearn.arms=['transfer', 'nonsense']", "relearn.arms"),
    ("relearn.checkpoints=[0.0, 30.0]", "relearn.checkpoints, relearn.duration"),
    ("relearn.checkpoints=[5.0, 20.0]", "relearn.checkpoints, relearn.duration"),
    ("network.seed=3", "network.seed"),
    ("move.remapping=environment", "move.remapping, move.environment"),
])
def test_bad_settings_are_refused_before_any_work(override, key):
    with pytest.raises(ConfigError) as error:
        resolve("transfer", TINY + [override])
    assert error.value.key == key and error.value.source == "--set"
