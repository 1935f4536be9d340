"""Configuration loading, --set overrides, run directories, determinism and the command line."""

import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from hippo.cli import main
from hippo.config import apply_overrides, bounds, from_dict, parse_override, read_toml, to_dict
from hippo.errors import ConfigError
from hippo.experiments import list_presets, resolve, run_experiment
from hippo.io import atomic_path, read_metrics, to_toml, write_json

TIMINGS = {"wall_seconds", "training_wall_seconds", "us_per_step"}


@dataclass(frozen=True)
class Inner:
    rate: float = field(default=0.1, metadata=bounds(gt=0.0, max=1.0))
    mode: Literal["a", "b"] = "a"


@dataclass(frozen=True)
class Outer:
    name: str
    count: int = field(default=1, metadata=bounds(min=1))
    flag: bool = False
    pair: tuple[float, float] = field(default=(0.0, 1.0), metadata=bounds(min=0.0))
    inner: Inner = Inner()
    maybe: Inner | None = None


# ------------------------------------------------------------------ from_dict
def test_from_dict_builds_nested_frozen_dataclasses():
    config = from_dict(Outer, {"name": "x", "count": 3, "pair": [1, 2], "inner": {"rate": 1, "mode": "b"},
                               "maybe": {"rate": 0.5}})
    assert config == Outer("x", 3, False, (1.0, 2.0), Inner(1.0, "b"), Inner(0.5, "a"))
    assert isinstance(config.inner.rate, float)
    assert to_dict(config)["inner"] == {"rate": 1.0, "mode": "b"}


@pytest.mark.parametrize("data, expected", [
    ({}, "f.toml: name: missing key"),
    ({"name": "x", "colour": 1}, "f.toml: colour: unknown key (allowed: name, count, flag, pair, inner, maybe)"),
    ({"name": "x", "inner": {"speed": 1}}, "f.toml: inner.speed: unknown key (allowed: rate, mode)"),
    ({"name": "x", "count": 0}, "f.toml: count: value 0 out of range (allowed: >= 1)"),
    ({"name": "x", "count": 1.5}, "f.toml: count: expected an integer, got 1.5"),
    ({"name": "x", "count": True}, "f.toml: count: expected an integer, got True"),
    ({"name": "x", "flag": 1}, "f.toml: flag: expected true or false, got 1"),
    ({"name": 3}, "f.toml: name: expected a string, got 3"),
    ({"name": "x", "pair": [1]}, "f.toml: pair: expected 2 values, got 1"),
    ({"name": "x", "pair": [1, "a"]}, "f.toml: pair[1]: expected a number, got 'a'"),
    ({"name": "x", "inner": 5}, "f.toml: inner: expected a table, got 5"),
    ({"name": "x", "inner": {"rate": 0}}, "f.toml: inner.rate: value 0.0 out of range (allowed: > 0.0 and <= 1.0)"),
    ({"name": "x", "inner": {"rate": 2}}, "f.toml: inner.rate: value 2.0 out of range (allowed: > 0.0 and <= 1.0)"),
    ({"name": "x", "inner": {"mode": "c"}}, "f.toml: inner.mode: invalid value 'c' (allowed: 'a', 'b')"),
    ({"name": "x", "pair": [1, -1]}, "f.toml: pair: value -1.0 out of range (allowed: >= 0.0)"),
    ({"name": "x", "maybe": {"rate": 2}}, "f.toml: maybe.rate: value 2.0 out of range (allowed: > 0.0 and <= 1.0)"),
])
def test_from_dict_errors_name_file_key_and_what_is_allowed(data, expected):
    with pytest.raises(ConfigError) as info:
        from_dict(Outer, data, "f.toml")
    assert str(info.value) == expected


@pytest.mark.parametrize("text, value", [
    ("a=1", 1), ("a = 2.5", 2.5), ("a=1e-3", 0.001), ("a=true", True), ("a=[1, 2]", [1, 2]),
    ('a="sine"', "sine"), ("a=sine", "sine"), ("a=x=y", "x=y"),
])
def test_parse_override_reads_toml_values(text, value):
    assert parse_override(text) == ("a", value)


def test_override_errors():
    with pytest.raises(ConfigError, match=r"--set: inner.speed: unknown key \(allowed: rate, mode\)"):
        apply_overrides(Outer, {}, ["inner.speed=1"])
    with pytest.raises(ConfigError, match="--set: count: is not a table"):
        apply_overrides(Outer, {}, ["count.x=1"])
    with pytest.raises(ConfigError, match="--set: count: expected key=value"):
        apply_overrides(Outer, {}, ["count"])
    data = apply_overrides(Outer, {"name": "x", "inner": {"rate": 0.2}}, ["inner.mode=b", "maybe.rate=0.3"])
    assert data == {"name": "x", "inner": {"rate": 0.2, "mode": "b"}, "maybe": {"rate": 0.3}}


# ---------------------------------------------------------------- experiments
def test_resolve_applies_file_overrides_and_seed():
    resolved = resolve("autoencoding", ["duration=60", "senses.timescale=2", "theta.shape=sine",
                                        "projections.mec_apical_mec.plasticity.l2=0.01"], seed=7)
    config = resolved.config
    assert (config.duration, config.senses.timescale, config.theta.shape, config.seed) == (60.0, 2.0, "sine", 7)
    assert config.projections.mec_apical_mec.plasticity.l2 == 0.01
    assert config.projections.mec_apical_mec.plasticity.eta == 0.001  # the rest of the table is kept
    assert config.n_mec == 5 and config.senses.n == 50  # defaults


def test_set_unknown_key_lists_the_valid_keys():
    with pytest.raises(ConfigError) as info:
        resolve("autoencoding", ["durtion=60"])
    message = str(info.value)
    assert message.startswith("--set: durtion: unknown key (allowed: ")
    for key in ("experiment", "seed", "duration", "dt", "test_duration", "senses", "theta", "projections"):
        assert key in message
    with pytest.raises(ConfigError, match=r"--set: senses.timescal: unknown key \(allowed: kind, n, width"):
        resolve("autoencoding", ["senses.timescal=2"])


@pytest.mark.parametrize("override, expected", [
    ("dt=-1", "--set: dt: value -1.0 out of range (allowed: > 0.0)"),
    ("theta.wake_fraction=1.5", "--set: theta.wake_fraction: value 1.5 out of range (allowed: >= 0.0 and <= 1.0)"),
    ("n_mec=0", "--set: n_mec: value 0 out of range (allowed: >= 1)"),
    ("n_mec=2.5", "--set: n_mec: expected an integer, got 2.5"),
    ("duration=abc", "--set: duration: expected a number, got 'abc'"),
    ("theta.shape=triangle", "--set: theta.shape: invalid value 'triangle' (allowed: 'square', 'sine', 'constant')"),
])
def test_bad_override_values(override, expected):
    with pytest.raises(ConfigError) as info:
        resolve("autoencoding", [override])
    assert str(info.value) == expected


def test_negative_seed_is_refused_before_any_run(tmp_path):
    with pytest.raises(ConfigError, match=r"^--seed: seed: value -1 out of range \(allowed: >= 0\)$"):
        resolve("autoencoding", seed=-1)
    with pytest.raises(ConfigError, match=r"^--set: seed: value -2 out of range"):
        resolve("autoencoding", ["seed=-2"])
    user = tmp_path / "mine.toml"
    user.write_text('experiment = "autoencoding"\nseed = -3\n')
    with pytest.raises(ConfigError, match=r"mine.toml: seed: value -3 out of range"):
        resolve(str(user))


def test_unknown_experiment_names_and_files(tmp_path):
    with pytest.raises(ConfigError) as info:
        resolve("no-such-experiment")
    message = str(info.value)
    assert message.startswith("no-such-experiment: unknown experiment (allowed: ")
    assert all(name in message for name in list_presets())
    user = tmp_path / "mine.toml"
    user.write_text('experiment = "teleportation"\n')
    with pytest.raises(ConfigError, match=r"mine.toml: experiment: unknown experiment 'teleportation' "
                                          r"\(allowed: .*autoencoding"):
        resolve(str(user))
    user.write_text("duration = 5\n")
    with pytest.raises(ConfigError, match="mine.toml: experiment: missing key"):
        resolve(str(user))
    user.write_text('experiment = "autoencoding"\n[senses]\nn = 0\n')
    with pytest.raises(ConfigError, match=r"mine.toml: senses.n: value 0 out of range \(allowed: >= 1\)"):
        resolve(str(user))
    with pytest.raises(ConfigError, match="absent.toml: file not found"):
        resolve(str(tmp_path / "absent.toml"))


def test_every_preset_resolves_and_round_trips_through_its_written_config(tmp_path):
    """The config.toml a run directory holds resolves to the very config that ran, for every preset."""
    for name in list_presets():
        resolved = resolve(name)
        assert resolved.config.experiment.replace("-", "_") == resolved.module.__name__.rsplit(".", 1)[1]
        written = tmp_path / f"{name}.toml"
        written.write_text(to_toml(to_dict(resolved.config)))
        assert resolve(str(written)).config == resolved.config, name


def test_a_user_file_overrides_the_defaults(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text('experiment = "autoencoding"\nduration = 90.0\n[mec.apical_noise]\nscale = 0.02\n')
    config = resolve(str(user)).config
    defaults = resolve("autoencoding").config
    assert config.duration == 90.0 and config.mec.apical_noise.scale == 0.02
    assert defaults.duration != 90.0 and defaults.mec.apical_noise.scale != 0.02
    # everything else keeps the experiment's defaults, inside the overridden table too
    assert config.mec.apical_noise.tau == defaults.mec.apical_noise.tau
    assert config.test_duration == defaults.test_duration and config.senses == defaults.senses


def test_read_toml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("a = 1\nb = = 2\n")
    with pytest.raises(ConfigError, match="broken.toml: invalid TOML: .*line 2"):
        read_toml(path)


# -------------------------------------------------------------- run directories
def test_same_seed_same_numbers(short_autoencoding, tmp_path):
    first_dir, first = short_autoencoding.run_dir, short_autoencoding.metrics
    second_dir, second = run_experiment("autoencoding", short_autoencoding.overrides, seed=short_autoencoding.seed,
                                        out=tmp_path / "again", quiet=True)
    assert set(first) == set(second)
    assert {k: v for k, v in first.items() if k not in TIMINGS} == {k: v for k, v in second.items() if k not in TIMINGS}
    for name in ("arrays", "weights"):
        with np.load(first_dir.path / f"{name}.npz") as a, np.load(second_dir.path / f"{name}.npz") as b:
            assert set(a.files) == set(b.files)
            assert all(np.array_equal(a[k], b[k]) for k in a.files)
    assert (first_dir.path / "config.toml").read_text() == (second_dir.path / "config.toml").read_text()


def test_run_directory_contents_and_config_round_trip(short_autoencoding):
    run_dir, metrics = short_autoencoding.run_dir, short_autoencoding.metrics
    files = {p.name for p in run_dir.path.iterdir()}
    assert {"config.toml", "metrics.json", "arrays.npz", "weights.npz", "figures"} <= files
    assert not [name for name in files if name.endswith(".tmp") or name.startswith(".")]
    assert read_metrics(run_dir.path) == json.loads(json.dumps(metrics))
    # the resolved config written to the run directory runs the same experiment again
    again = resolve(str(run_dir.path / "config.toml")).config
    assert again == resolve("autoencoding", short_autoencoding.overrides, seed=short_autoencoding.seed).config


def test_atomic_writes_leave_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "metrics.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"half": ')
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    write_json(target, {"x": np.float32(1.5), "n": np.int64(2), "bad": float("nan"), "a": np.arange(2)})
    assert json.loads(target.read_text()) == {"x": 1.5, "n": 2, "bad": None, "a": [0, 1]}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_to_toml_round_trips():
    data = {"a": 1, "b": 0.5, "c": "s", "d": [1, 2], "e": True, "t": {"x": 1, "u": {"y": "z"}}}
    assert tomllib.loads(to_toml(data)) == data


# ------------------------------------------------------------------- command line
def _one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_cli_bad_set_key_exits_2_with_one_line(capsys):
    assert main(["run", "autoencoding", "--set", "durtion=60"]) == 2
    err = _one_line_error(capsys)
    assert "durtion: unknown key" in err and "duration" in err


def test_cli_negative_seed_exits_2(capsys):
    assert main(["run", "autoencoding", "--seed", "-1"]) == 2
    assert "seed: value -1 out of range (allowed: >= 0)" in _one_line_error(capsys)


def test_cli_unknown_experiment_and_environment_exit_2(capsys):
    assert main(["run", "no-such-experiment"]) == 2
    assert "unknown experiment" in _one_line_error(capsys)
    assert main(["envs", "show", "no-such-world"]) == 2
    assert "unknown environment" in _one_line_error(capsys)
    assert main(["envs", "show"]) == 2
    assert "give an environment name" in _one_line_error(capsys)


def test_cli_envs_lists_every_environment(capsys):
    assert main(["envs"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    shipped = sorted(path.stem for path in (Path(__file__).parents[1] / "environments").glob("*.toml"))
    assert [line.split()[0] for line in lines] == shipped and {"ring-1m", "two-rooms"} <= set(shipped)
    assert "1-D" in out and "2-D" in out and "periodic" in out


def test_cli_envs_show_draws_a_png(tmp_path, capsys):
    out = tmp_path / "x.png"
    assert main(["envs", "show", "two-rooms", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 1000
    assert capsys.readouterr().out.strip() == str(out)


def test_cli_list(capsys):
    assert main(["list"]) == 0
    listing = capsys.readouterr().out.split("\n\n")[0]  # the presets; a note on the wall times follows
    assert sorted(line.split()[0] for line in listing.splitlines()) == list_presets()


def test_cli_run_with_seed_writes_the_run_directory(short_autoencoding, tmp_path, capsys):
    out = tmp_path / "cli-run"
    seed = short_autoencoding.seed + 1
    args = ["run", "autoencoding", "--seed", str(seed), "--out", str(out), "--quiet"]
    for override in short_autoencoding.overrides:
        args += ["--set", override]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == f"run directory: {out}"
    metrics = read_metrics(out)
    assert metrics["seed"] == seed
    assert read_toml(out / "config.toml")["seed"] == seed
    # another seed, other numbers
    assert metrics["loss_hpc_initial"] != short_autoencoding.metrics["loss_hpc_initial"]


def test_console_entry_point_exit_code_and_message(tmp_path):
    result = subprocess.run([sys.executable, "-m", "hippo", "run", "autoencoding", "--set", "dt=-1"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr == "error: --set: dt: value -1.0 out of range (allowed: > 0.0)\n"
    assert result.stdout == ""


def test_a_partial_nested_table_keeps_the_experiments_own_defaults(tmp_path):
    """A table naming some keys keeps the field's default for the rest (the experiment's, not its class's)."""
    from hippo.experiments import path_integration, resolve
    from hippo.learning.prediction_error import PredictionErrorPlasticity

    config = from_dict(path_integration.Config, {"mec": {"basal_noise": {"scale": 0.05}}})
    assert config.mec.basal.kind == "retanh" and config.mec.basal_noise.scale == 0.05
    assert config.mec.apical_noise == path_integration.Config().mec.apical_noise
    study = tmp_path / "study.toml"
    study.write_text('experiment = "transfer"\n[network.mec]\nbasal_noise = { scale = 0.05 }\n')
    network = resolve(str(study)).config.network
    assert network.mec.basal.kind == "retanh" and network.mec.basal_noise.scale == 0.05
    switched = from_dict(path_integration.Config, {"projections": {"mec_apical_mec": {"plasticity": {"rule": "bayesian-mechanics"}}}})
    plasticity = switched.projections.mec_apical_mec.plasticity
    assert not isinstance(plasticity, PredictionErrorPlasticity) and plasticity.rule == "bayesian-mechanics"
