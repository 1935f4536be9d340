"""The circuit-study skeleton: a new experiment that trains a circuit and measures it is one module.

The module below, written into a temporary package, declares only its config and its
protocol (build, training phase, decoder fit, measurement); :func:`hippo.experiments.circuit.run_study`
restores, trains, saves, fits and writes. A second run from the first run's state without
training restores the decoder and the stream's position and repeats the measurement.
"""

import importlib
import shutil
import sys
import textwrap
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.experiments.circuit import CURSOR_KEY, restore
from hippo.io import RunDir

#: A whole experiment: HPC place coding on a ring, decoded from a theta-mode session on a fresh path.
PLACE_DECODING_MODULE = '''
"""Place decoding: HPC's place code on a ring, learned by the theta-gated rule and decoded (m)."""

from dataclasses import dataclass, field

import numpy as np

from hippo.analysis.decoding import chance_error, decoding_error
from hippo.analysis.path_integration import decoder_state, make_decoder, restore_decoder
from hippo.circuits.engines import make_engine
from hippo.circuits.wiring import PathIntegratorProjections, PyramidalConfig, path_integrator_network
from hippo.config import bounds
from hippo.experiments.circuit import Built, CircuitStudy, run_study
from hippo.probes import mapping_session
from hippo.protocol import Phase
from hippo.theta import ThetaConfig
from hippo.world.gridworld import load_environment
from hippo.world.motion import MotionConfig
from hippo.world.senses import SensesConfig
from hippo.world.stream import Stream


@dataclass(frozen=True)
class Config:
    experiment: str = "place-decoding"
    seed: int = 0
    environment: str = "ring-1m"
    duration: float = field(default=10.0, metadata=bounds(min=0.0))
    dt: float = 0.025
    n_mec: int = 20
    test_duration: float = 5.0
    senses: SensesConfig = SensesConfig(n=30)
    motion: MotionConfig = MotionConfig()
    theta: ThetaConfig = ThetaConfig()


def build(config):
    env = load_environment(config.environment)
    stream = Stream.build(env, config.dt, config.senses, config.motion, [config.seed, 1], velocity_scale=1.0)
    network = path_integrator_network(stream.n_features, config.n_mec, stream.velocity_cells.n, PyramidalConfig(),
                                      PyramidalConfig(), 0.0, PathIntegratorProjections(),
                                      np.random.default_rng([config.seed, 0]))
    return Built(env, stream, make_engine("rate", network, config.dt, seed=config.seed + 1))


def training(config, built):
    return Phase("training", config.duration, built.stream, config.theta, learn=True, record=("hpc", "mec"))


def fit(config, built, trained):
    if trained.trained:
        record = trained.record
        decoder = make_decoder("ridge", built.env).fit(record.recording.signals["hpc"], record.positions())
    else:
        decoder = restore_decoder("ridge", built.env, trained.saved["decoder"])
    trained.fitted["decoder"] = decoder
    return {"decoder": decoder_state(decoder)}


def measure(config, built, trained, run_dir, progress):
    session = mapping_session(built.engine, built.stream.fresh_trajectory([config.seed, 2]), config.theta,
                              config.test_duration, ("hpc",), noise=False)
    decoded = trained.fitted["decoder"].predict(session.recording.signals["hpc"])
    error = decoding_error(built.env, decoded, session.positions())
    return ({"decoding_error_m": float(error.mean()), "chance_error_m": chance_error(built.env)},
            {"test.error": error})


def run(config, run_dir, progress=True, start_from=None):
    return run_study(CircuitStudy(build=build, training=training, fit=fit, measure=measure), config, run_dir,
                     progress, start_from)
'''


@pytest.fixture(scope="module")
def place_decoding(tmp_path_factory):
    """The experiment module, imported from a temporary package, and one run of it (``first``)."""
    root = tmp_path_factory.mktemp("circuit_study")
    package = root / "extra_experiments"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "place_decoding.py").write_text(textwrap.dedent(PLACE_DECODING_MODULE))
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("extra_experiments.place_decoding")
        config = module.Config()
        first = root / "first"
        yield SimpleNamespace(module=module, config=config, first=first, metrics=_run(module, config, first))
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.startswith("extra_experiments")]:
            del sys.modules[name]


def _run(module, config, target, start_from=None):
    run_dir = RunDir(target)
    return run_dir.finish(module.run(config, run_dir, progress=False, start_from=start_from))


def test_an_experiment_in_one_module_trains_saves_and_measures(place_decoding):
    config, first, metrics = place_decoding.config, place_decoding.first, place_decoding.metrics
    steps = int(round(config.duration / config.dt))
    assert metrics["decoding_error_m"] < 0.5 * metrics["chance_error_m"]
    with np.load(first / "arrays.npz") as arrays:
        assert len(arrays["train.t"]) == steps
        assert np.isfinite(arrays["train.loss.hpc"]).all() and len(arrays["test.error"]) > 0
    with np.load(first / "state.npz") as state:
        assert int(state[f"run:{CURSOR_KEY}"]) == steps
        assert any(key.startswith("run:decoder:") for key in state.files)
    assert (first / "weights.npz").is_file() and (first / "figures" / "loss.png").is_file()


def test_a_run_from_a_saved_run_without_training_repeats_its_measurement(place_decoding, tmp_path):
    module, config = place_decoding.module, place_decoding.config
    again = _run(module, replace(config, duration=0.0), tmp_path / "again", start_from=place_decoding.first)
    assert again["decoding_error_m"] == place_decoding.metrics["decoding_error_m"]
    assert not (tmp_path / "again" / "figures" / "loss.png").exists()
    with pytest.raises(ConfigError, match="0 s of training"):
        module.run(replace(config, duration=0.0), RunDir(tmp_path / "never"), progress=False)


def test_the_stream_position_of_older_saved_runs_is_read(place_decoding, tmp_path):
    """Runs saved before the one key kept the training stream's position as ``stream_cursor``."""
    module, config = place_decoding.module, place_decoding.config
    old = tmp_path / "old"
    shutil.copytree(place_decoding.first, old)
    with np.load(old / "state.npz") as saved:
        arrays = {("run:stream_cursor" if key == f"run:{CURSOR_KEY}" else key): saved[key] for key in saved.files}
    np.savez(old / "state.npz", **arrays)
    built = module.build(config)
    assert built.stream.cursor == 0
    restore(old, built.engine, built.stream)
    assert built.stream.cursor == int(round(config.duration / config.dt))
