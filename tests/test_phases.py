"""The protocol driver: phases read their streams without offsets, freeze, silence, schedule and check."""

from dataclasses import replace

import numpy as np
import pytest

from hippo.errors import HippoError
from hippo.experiments.path_integration import Config, build
from hippo.learning.schedule import BlockSchedule, ScheduleConfig
from hippo.protocol import Phase, run_phases
from hippo.theta import GENERATION, INFERENCE, ThetaConfig
from hippo.world.senses import SensesConfig

TINY = Config(n_mec=10, senses=SensesConfig(n=12), precision="float64")


def _setup(seed=0):
    return build(replace(TINY, seed=seed))


def test_consecutive_phases_read_the_stream_on_and_record_its_local_steps():
    setup = _setup()
    stream = setup.stream
    records = run_phases(setup.engine, [
        Phase("a", 1.0, stream, INFERENCE, record=("velocity",), record_every=4),
        Phase("b", 0.5, stream, GENERATION, record=("velocity",), record_every=4),
    ])
    a, b = records["a"], records["b"]
    assert (a.start, a.stop, b.start, b.stop) == (0, 40, 40, 60) and stream.cursor == 60
    assert np.array_equal(a.recording.steps, np.arange(3, 40, 4))
    assert np.array_equal(b.recording.steps, np.arange(43, 60, 4))
    assert np.allclose(b.positions(), stream.position(0, 60)[b.recording.steps])
    expected = stream.velocity_cells.rates_at(stream.velocity(0, 60))
    assert np.allclose(b.recording.signals["velocity"], expected[b.recording.steps])
    assert np.allclose(b.recording.t, (b.recording.steps + 1) * setup.engine.dt)  # engine time runs on
    # an explicit start reads the stream there, whatever the engine's step
    again = run_phases(setup.engine, [Phase("c", 0.25, stream, record=("velocity",), start=8)])["c"]
    assert np.array_equal(again.recording.steps, np.arange(8, 18))
    assert np.allclose(again.recording.signals["velocity"], expected[8:18])
    assert stream.cursor == 18


def test_silenced_inputs_are_zero_and_the_stream_still_advances():
    setup = _setup()
    record = run_phases(setup.engine, [Phase("still", 1.0, setup.stream, silenced=("velocity",),
                                             record=("velocity", "features"))])["still"]
    assert np.all(record.recording.signals["velocity"] == 0)
    assert np.allclose(record.recording.signals["features"], setup.stream.features(0, 40))
    assert setup.stream.cursor == 40


def test_frozen_projections_do_not_learn_and_learn_again_afterwards():
    setup = _setup()
    engine = setup.engine
    frozen = ("mec.apical<-mec", "mec.apical<-conjunctive")
    before = engine.all_weights()
    run_phases(engine, [Phase("relearn", 5.0, setup.stream, ThetaConfig(), learn=True, frozen=frozen)])
    after = engine.all_weights()
    for name in frozen:
        assert np.array_equal(after[name], before[name]), name
    assert not np.array_equal(after["mec.basal<-hpc"], before["mec.basal<-hpc"])
    run_phases(engine, [Phase("train", 5.0, setup.stream, ThetaConfig(), learn=True)])
    assert not np.array_equal(engine.weight("mec.apical<-mec"), after["mec.apical<-mec"])


@pytest.mark.parametrize("engine", ["rate", "spiking"])
def test_a_phase_records_weights_after_each_record_on_every_engine(engine):
    setup = build(replace(TINY, engine=engine, spiking=replace(TINY.spiking, target="numpy"), velocity_coding="push-pull",
                          conjunctive_threshold=0.5))
    name = "mec.basal<-hpc"
    record = run_phases(setup.engine, [Phase("train", 1.0, setup.stream, ThetaConfig(), learn=True, record=("mec",),
                                             record_every=8, record_weights=(name,))])["train"].recording
    weights = record.weights[name]
    assert weights.shape == (len(record.t),) + setup.engine.weight(name).shape == (5, 10, 13)
    assert np.array_equal(weights[-1], setup.engine.weight(name)) and not np.array_equal(weights[0], weights[-1])


def test_a_schedule_splits_the_phase_and_leaves_the_last_rate():
    """A constant schedule is the same as none; an annealed one records the same steps, learns less."""
    runs = {}
    for name, schedule in (("none", None), ("constant", ScheduleConfig()), ("annealed", ScheduleConfig(0.1, 4))):
        setup = _setup(seed=1)
        record = run_phases(setup.engine, [Phase("train", 4.0, setup.stream, ThetaConfig(), learn=True, schedule=schedule,
                                                 record=("mec",), record_every=2)])["train"]
        runs[name] = (record.recording, setup.engine.all_weights(), setup.engine)
    assert np.array_equal(runs["none"][0].signals["mec"], runs["constant"][0].signals["mec"])
    assert np.array_equal(runs["none"][0].steps, runs["annealed"][0].steps)
    start = _setup(seed=1).engine.all_weights()
    moved = {name: np.abs(runs[name][1]["mec.basal<-hpc"] - start["mec.basal<-hpc"]).sum() for name in runs}
    assert moved["annealed"] < moved["none"]
    assert float(runs["annealed"][2].get_state()["learning_rate_factor"]) == pytest.approx(0.1)


def test_a_block_schedule_splits_a_phase_where_its_blocks_end_and_anneals_over_its_span():
    schedule = BlockSchedule(block=1.0, span=2.0, start=2.0, final_factor=0.25, offset=0.5)
    # 4 s of 0.1-s steps from 0.5 s into the stretch: blocks end at 1, 2, 3 and 4 s
    assert schedule.segment_steps(40, 0.1) == [(2.0, 5), (1.0, 10), (0.5, 10), (0.5, 10), (0.5, 5)]
    assert BlockSchedule(block=1.0, span=2.0, start=2.0).segment_steps(40, 0.1) == [(2.0, 40)]  # constant: one
    setup = _setup(seed=1)
    run_phases(setup.engine, [Phase("train", 4.0, setup.stream, ThetaConfig(), learn=True, schedule=schedule)])
    assert float(setup.engine.get_state()["learning_rate_factor"]) == 0.5


@pytest.mark.parametrize("phase, message", [
    (dict(frozen=("mec.apical<-nowhere",)), "cannot freeze unknown projection"),
    (dict(record_weights=("mec.apical<-nowhere",)), "cannot record the weights of unknown projection"),
    (dict(silenced=("smell",)), "cannot silence 'smell'"),
    (dict(record_every=0), "record_every 0"),
    (dict(duration=-1.0), "duration -1.0"),
])
def test_a_protocol_that_cannot_run_is_refused_before_anything_runs(phase, message):
    setup = _setup()
    good = Phase("first", 1.0, setup.stream)
    bad = replace(Phase("second", 1.0, setup.stream), **phase)
    with pytest.raises(HippoError, match=message):
        run_phases(setup.engine, [good, bad])
    assert setup.engine.step_count == 0 and setup.stream.cursor == 0
    with pytest.raises(HippoError, match="used twice"):
        run_phases(setup.engine, [good, good])


def test_a_diverging_phase_reports_what_was_recorded_before_it():
    """A runaway recurrent loop in generation: linear MEC whose equal recurrent weights (0.26) give a growth of
    4 % per step, so the rates overflow after about 18 000 steps, several chunks into the phase."""
    from hippo.circuits.rate import RateEngine
    from hippo.circuits.spec import ProjectionConfig
    from hippo.circuits.wiring import AutoencoderProjections, PyramidalConfig, autoencoder_network
    from hippo.errors import DivergenceError
    from hippo.world.stream import Stream

    stream = Stream.build(None, 0.025, SensesConfig(kind="latent", n=8, n_latents=2), None, 0)
    runaway = AutoencoderProjections(mec_apical_mec=ProjectionConfig(w_init=0.0, w_mean=0.52, plastic=False))
    network = autoencoder_network(8, 4, PyramidalConfig(), PyramidalConfig(), runaway, np.random.default_rng(0))
    engine = RateEngine(network, 0.025, seed=0)
    with pytest.raises(DivergenceError) as raised:
        run_phases(engine, [Phase("sensing", 1.0, stream, INFERENCE, record=("mec",)),
                            Phase("generating", 1200.0, stream, GENERATION, silenced=("features",), record=("mec",),
                                  noise=False)])
    error = raised.value
    assert list(error.records) == ["sensing"] and error.phase.name == "generating"
    steps = error.recording.steps
    assert len(steps) > 0 and steps[0] == 40 and np.array_equal(steps, np.arange(40, 40 + len(steps)))
