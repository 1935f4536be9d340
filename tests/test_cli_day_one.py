"""What a new user sees first: the version, the list of experiments, their keys, notices."""

from __future__ import annotations

import io
import re
from importlib.metadata import version

import numpy as np
import pytest

from hippo.cli import main
from hippo.config import read_toml
from hippo.runner import list_presets, preset_path, run_experiment
from hippo.io import read_metrics
from hippo.progress import announce_compilation

TINY_2D = ["environment=box-1m", "duration=20", "test.n_trials=2", "test.warmup=1", "test.generative=1",
           "test.decoder_window=10", "test.report_times=[1]", "n_mec=10", "senses.n=20"]


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"hippo {version('hippo')}"


def test_list_groups_presets_under_their_experiment_with_descriptions(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.split("\n\n")[0].splitlines()  # a note on the wall times follows
    experiments = [line for line in lines if line and not line.startswith(" ")]
    presets = [line for line in lines if line.startswith("  ")]
    names = [line.split()[0] for line in experiments + presets]
    assert sorted(names) == list_presets()
    assert [line.split()[0] for line in experiments] == sorted(
        {read_toml(preset_path(name))["experiment"] for name in list_presets()})
    for line in experiments + presets:
        name, _, description = line.strip().partition(" ")
        assert len(description.strip()) > 10, line
    # a preset is listed under its experiment
    index = {line.split()[0]: i for i, line in enumerate(lines) if line.strip()}
    assert index["path-integration"] < index["path-integration-no-theta"]
    assert index["autoencoding"] < index["autoencoding-spiking"] < index["bayesian-mechanics"]


def test_show_prints_every_key_with_its_default_unit_and_allowed_values(capsys):
    assert main(["show", "path-integration"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line and not line.startswith(("#", " "))}
    assert rows["dt"].split()[1:4] == ["0.025", "s", "number"] and "> 0" in rows["dt"]  # bounds(gt=0.0)
    assert rows["duration"].split()[2] == "s" and rows["theta.frequency"].split()[2] == "Hz"
    assert rows["n_mec"].split()[3] == "integer"
    assert "'rate'" in rows["engine"] and "'spiking'" in rows["engine"]
    assert "none" in rows["control"] and "no-theta" in rows["control"]
    assert "test.n_trials" in rows and "mec.apical_noise.scale" in rows
    assert rows["schedule.final_factor"].split()[1] == "0.001"  # the experiment's value, not the code's default


def test_show_a_preset_shows_its_own_values(capsys):
    assert main(["show", "path-integration-no-theta"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()
            if line and not line.startswith(("#", " "))}
    assert "'no-theta'" in rows["control"].split()[1]


def test_show_an_unknown_name_exits_2(capsys):
    assert main(["show", "no-such-experiment"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown experiment" in err


def test_a_two_dimensional_world_says_why_the_ring_was_not_measured(tmp_path, capsys):
    run_dir, metrics = run_experiment("path-integration", TINY_2D, out=tmp_path / "run", quiet=True)
    assert read_metrics(run_dir.path)["ring"].startswith("not measured")
    assert main(["run", "path-integration", "--out", str(tmp_path / "cli"), *sum((["--set", o] for o in TINY_2D), [])]) == 0
    assert re.search(r"ring\s+not measured: .*1-D", capsys.readouterr().out)


def test_the_compilation_notice_appears_once_on_a_cold_cache(tmp_path):
    stream = io.StringIO()
    compiled = announce_compilation(tmp_path, stream=stream)
    assert "compiling the spiking network" in stream.getvalue() and stream.getvalue().count("\n") == 1
    compiled()
    again = io.StringIO()
    announce_compilation(tmp_path, stream=again)()
    assert again.getvalue() == ""


class _Stop(Exception):
    pass


def test_the_spiking_engine_gives_the_notice_before_its_first_compilation(tmp_path, monkeypatch, capsys):
    from hippo.circuits.spec import Layer, Network, Projection
    from hippo.circuits.spiking import SpikingConfig, SpikingEngine
    from hippo.theta import INFERENCE

    monkeypatch.setenv("HIPPO_CACHE", str(tmp_path))
    network = Network((Layer("b", 1, "input"), Layer("pyr", 1, "pyramidal")),
                      (Projection("b", "pyr", "basal", np.eye(1)),))
    engine = SpikingEngine(network, 0.025, config=SpikingConfig(target="cython"))

    def compiling(*args, **kwargs):
        raise _Stop  # stands for the minutes of compilation

    monkeypatch.setattr(engine.brian_network, "run", compiling)
    with pytest.raises(_Stop):
        engine.run(0.025, lambda start, stop: {"b": np.ones((stop - start, 1))}, INFERENCE)
    err = capsys.readouterr().err
    assert err.count("compiling the spiking network") == 1 and "min" in err
