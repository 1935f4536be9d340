"""Everything a run needs is checked before any work: walls on rings, measured times,
table overrides, finite and feasible values, paths relative to their file, short runs."""

import math
import os

import numpy as np
import pytest

from hippo.config import from_dict, read_toml, to_dict
from hippo.errors import ConfigError
from hippo.experiments import resolve, run_experiment
from hippo.io import to_toml
from hippo.world.gridworld import load_environment, parse_environment
from hippo.world.motion import MotionConfig, generate_motion

DT = 0.025
SEEDS = range(5)


# --------------------------------------------- walls on periodic 1-D tracks
@pytest.mark.parametrize("map_text", ["..#..", "....#....#", "#........."])
def test_periodic_track_walls_are_never_entered(write_env, map_text):
    env = parse_environment(write_env(map_text, boundary="periodic"))
    for seed in SEEDS:
        trajectory = generate_motion(env, 200.0, DT, MotionConfig(), np.random.default_rng(seed))
        in_wall = ~env.is_free(trajectory.position)
        assert in_wall.mean() == 0.0, (map_text, seed)


def test_periodic_track_free_run_joins_across_the_edge(write_env):
    """On the ring ``..#..`` the free run is cells 3, 4, 0, 1: the agent crosses the join, not the wall."""
    env = parse_environment(write_env("..#..", boundary="periodic"))
    crossed = 0
    for seed in SEEDS:
        trajectory = generate_motion(env, 200.0, DT, MotionConfig(), np.random.default_rng(seed))
        x, v = trajectory.position[:, 0], trajectory.velocity[:, 0]
        step = env.displacement(trajectory.position[1:], trajectory.position[:-1])[:, 0]
        assert np.all(np.abs(step) <= np.abs(v[:-1]) * DT + 1e-12)  # continuous the short way round
        crossed += int(np.sum(np.abs(np.diff(x)) > 0.25))
    assert crossed > 0


def test_wall_free_ring_is_unchanged_by_the_wall_handling():
    """A ring without walls keeps its plain wrap (the reference draws the same numbers)."""
    ring = load_environment("ring-1m")
    config = MotionConfig()
    trajectory = generate_motion(ring, 60.0, DT, config, np.random.default_rng(7))
    x = trajectory.position[:, 0]
    unfolded = x[0] + np.concatenate([[0.0], np.cumsum(trajectory.velocity[:-1, 0] * DT)])
    assert np.array_equal(x, np.mod(unfolded, 1.0))


# --------------------------------------------------- measured report times
def test_report_times_beyond_the_generative_test_are_refused():
    with pytest.raises(ConfigError, match=r"^--set: test.report_times, test.generative: 1000 s .*generative"):
        resolve("path-integration", ["test.report_times=[1000]"])
    with pytest.raises(ConfigError, match=r"^--set: test.report_times, test.generative: 5, 10, 20, 30, 60 s "):
        resolve("path-integration", ["test.generative=4"])  # the default report times go to 60 s
    config = resolve("path-integration", ["test.generative=5", "test.report_times=[1, 5]"]).config
    assert config.test.report_times == (1.0, 5.0)


# ------------------------------------------------------- table overrides
def test_table_overrides_merge_into_the_experiments_values():
    base = resolve("path-integration").config
    assert base.schedule.final_factor != 1.0  # the experiment anneals; the code's default does not
    annealed = resolve("path-integration", ["schedule={segments=10}"]).config
    assert annealed.schedule.segments == 10 and annealed.schedule.final_factor == base.schedule.final_factor
    assert resolve("path-integration", ["hpc={}"]).config.hpc == base.hpc
    noisy = resolve("path-integration", ["hpc={basal_noise={scale=0.5}}"]).config
    assert noisy.hpc.basal_noise.scale == 0.5 and noisy.hpc.basal_noise.tau == base.hpc.basal_noise.tau
    assert noisy.hpc.apical_noise == base.hpc.apical_noise


# --------------------------------------------- NaN, inf and impossible runs
@pytest.mark.parametrize("override, key", [
    ("duration=nan", "duration"), ("duration=inf", "duration"), ("dt=-inf", "dt"),
    ("test.report_times=[1, nan]", r"test.report_times\[1\]"), ("hpc.basal_noise.scale=nan", "hpc.basal_noise.scale"),
])
def test_nan_and_inf_are_refused(override, key):
    with pytest.raises(ConfigError, match=rf"^--set: {key}: invalid value .*\(allowed: a finite number\)$"):
        resolve("path-integration", [override])


def test_nan_in_a_file_names_the_file(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text('experiment = "autoencoding"\nduration = nan\n')
    with pytest.raises(ConfigError, match=r"study.toml: duration: invalid value nan"):
        resolve(str(study))


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_map_cell_size_must_be_finite(write_env, value):
    path = write_env("....", boundary="periodic")
    path.write_text(path.read_text().replace("cell_size = 0.1", f"cell_size = {value}"))
    with pytest.raises(ConfigError, match=rf"env.toml: cell_size: invalid value {value}"):
        parse_environment(path)


@pytest.mark.parametrize("experiment, override, key", [
    ("path-integration", "duration=0.01", "duration, record_every"),
    ("path-integration", "record_every=100000", "duration, record_every"),
    ("autoencoding", "duration=0.01", "duration, record_every"),
    ("autoencoding", "record_every=100000", "duration, record_every"),
])
def test_runs_too_short_to_record_are_refused(experiment, override, key):
    with pytest.raises(ConfigError, match=rf"^--set: {key}: .*record"):
        resolve(experiment, [override])


@pytest.mark.parametrize("experiment, override, key", [
    ("path-integration", "n_mec=10000000", "n_mec"),
    ("path-integration", "dt=1e-9", "[a-z_., ]*dt"),
    ("autoencoding", "n_mec=10000000", "n_mec"),
    ("autoencoding", "dt=1e-9", "[a-z_., ]*dt"),
])
def test_memory_is_estimated_before_allocating(experiment, override, key):
    with pytest.raises(ConfigError, match=rf"^--set: {key}: the run needs about .* GiB .* GiB is available"):
        resolve(experiment, [override])


def test_memory_estimate_is_against_what_is_available(monkeypatch):
    import hippo.resources

    resolve("path-integration")  # fits
    monkeypatch.setattr(hippo.resources, "available_memory_bytes", lambda: 1024)
    with pytest.raises(ConfigError, match=r"GiB"):
        resolve("path-integration")


def test_map_that_is_not_utf8_names_the_file(write_env):
    path = write_env("..A..")
    path.write_bytes(path.read_bytes().replace(b"A", b"\xe9"))
    with pytest.raises(ConfigError, match=r"env.toml: not UTF-8"):
        parse_environment(path)


def test_a_byte_order_mark_is_accepted(tmp_path, write_env):
    env_path = write_env("..A..")
    env_path.write_bytes(b"\xef\xbb\xbf" + env_path.read_bytes())
    assert parse_environment(env_path).cue_letters == ["A"]
    study = tmp_path / "study.toml"
    study.write_bytes(b"\xef\xbb\xbf" + b'experiment = "autoencoding"\nduration = 90.0\n')
    assert resolve(str(study)).config.duration == 90.0


def test_a_toml_path_that_is_a_folder(tmp_path):
    folder = tmp_path / "study.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"study.toml: is a folder"):
        resolve(str(folder))
    with pytest.raises(ConfigError, match=r"study.toml: is a folder"):
        read_toml(folder)


@pytest.mark.parametrize("override, key", [
    ("spiking.dt=0.003", "spiking.dt"),
    ("spiking.tau_syn=0.001", "spiking.tau_syn"),
    ("spiking.tau_syn=0.0005", "spiking.tau_syn"),
])
def test_bad_spiking_steps_are_refused(override, key):
    for experiment in ("autoencoding-spiking", "path-integration-spiking"):
        with pytest.raises(ConfigError, match=rf"^--set: {key}: "):
            resolve(experiment, [override])


def test_spiking_tau_syn_must_exceed_its_step():
    from hippo.circuits.spiking_config import SpikingConfig

    with pytest.raises(ConfigError, match=r"^f.toml: spiking.tau_syn: "):
        from_dict(SpikingConfig, {"dt": 0.001, "tau_syn": 0.001}, "f.toml", prefix="spiking")


def test_out_that_is_a_file_or_cannot_be_written(tmp_path):
    from hippo.io import check_target

    existing = tmp_path / "results.txt"
    existing.write_text("mine")
    with pytest.raises(ConfigError, match=r"^--out: .*results.txt is a file"):
        check_target(existing)
    with pytest.raises(ConfigError, match=r"^--out: .*results.txt is a file"):
        check_target(existing / "run")
    if os.path.isdir("/proc/self"):
        with pytest.raises(ConfigError, match=r"^--out: cannot write in /proc/self"):
            check_target("/proc/self/hippo-run")
    check_target(tmp_path / "new" / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.txt"]  # the check creates nothing


# ------------------------------------- relative paths inside a TOML file
def _study_beside_its_environment(tmp_path, write_env):
    folder = tmp_path / "study"
    folder.mkdir()
    env = write_env("..........", name="my-env", boundary="periodic")
    env.rename(folder / "my-env.toml")
    study = folder / "study.toml"
    study.write_text('experiment = "path-integration"\nenvironment = "my-env.toml"\n')
    return study


def test_relative_paths_resolve_against_the_toml_folder(tmp_path, write_env, monkeypatch):
    study = _study_beside_its_environment(tmp_path, write_env)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = resolve(str(study)).config
    assert config.environment == str(study.parent / "my-env.toml")
    # the written config names the absolute path, so it reruns from any folder
    saved = elsewhere / "config.toml"
    saved.write_text(to_toml(to_dict(config)))
    monkeypatch.chdir(tmp_path)
    assert resolve(str(saved)).config == config
    # a path given with --set is relative to the current folder
    monkeypatch.chdir(study.parent)
    assert resolve("path-integration", ["environment=my-env.toml"]).config.environment == config.environment


def test_a_missing_environment_names_the_config_file_and_key(tmp_path, write_env, monkeypatch):
    study = _study_beside_its_environment(tmp_path, write_env)
    (study.parent / "my-env.toml").unlink()
    with pytest.raises(ConfigError, match=r"study.toml: environment: no file .*my-env.toml"):
        resolve(str(study))
    study.write_text('experiment = "path-integration"\nenvironment = "no-such-world"\n')
    with pytest.raises(ConfigError, match=r"study.toml: environment: unknown environment 'no-such-world' \(allowed: .*ring-1m"):
        resolve(str(study))
    study.write_text('experiment = "active-exploration"\nenvironments = ["two-rooms", "gone.toml"]\n')
    with pytest.raises(ConfigError, match=r"study.toml: environments\[1\]: no file .*gone.toml"):
        resolve(str(study))


# ------------------------------------------------------------- short runs
def test_decoder_window_longer_than_training_is_refused():
    with pytest.raises(ConfigError, match=r"^--set: test.decoder_window, duration: "):
        resolve("path-integration", ["duration=300", "test.decoder_window=600"])
    with pytest.raises(ConfigError, match=r"test.decoder_window, duration: "):
        resolve("path-integration", ["duration=300"])  # the experiment's window is 600 s


def test_short_runs_measure_the_losses_over_separate_windows(tmp_path):
    overrides = ["duration=60", "test_duration=10", "show_duration=5"]
    _, metrics = run_experiment("autoencoding", overrides, seed=0, out=tmp_path / "run", quiet=True)
    window = metrics["loss_window_s"]
    assert 0 < window <= 60.0 / 2  # the initial and final windows do not overlap
    assert math.isfinite(metrics["loss_hpc_initial"]) and math.isfinite(metrics["loss_hpc_final"])
    assert metrics["loss_hpc_initial"] != metrics["loss_hpc_final"]


def test_a_network_the_engine_cannot_run_is_refused_by_the_engine_before_any_work():
    rmsprop = ["velocity_coding=push-pull", "conjunctive_threshold=0.5",
               "projections.mec_apical_mec.plasticity.rule=rmsprop"]
    with pytest.raises(ConfigError, match=r"^--set: engine: the spiking engine cannot run this network: projection "
                                          r"'mec.apical<-mec': no spiking translation of the 'rmsprop' rule") as error:
        resolve("path-integration", ["engine=spiking", *rmsprop])
    assert str(error.value).count("\n") == 0
    assert resolve("path-integration", rmsprop).config.engine == "rate"
