"""Shared fixtures: temporary environment files, one short autoencoding run, and refusals before any work."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

# A short autoencoding run (4 simulated minutes of training): long enough for both losses
# to fall, short enough for the test suite. Shared by the autoencoding and determinism tests.
SHORT_AUTOENCODING = ["duration=240", "test_duration=60"]
SHORT_AUTOENCODING_SEED = 3

# A ring's analyses at their smallest, for runs that check what a run writes rather than what it
# measures: one learning-rate segment, three 1-s gain probes (-0.3, 0 and +0.3 m/s) and a 20-point
# persistence. On the spiking engine every segment and every probe's phase is one Brian2 run, whose
# set-up costs more than a short run's steps (the defaults: 20 segments and 31 probes of 6 s).
SMALL_RING_ANALYSES = ["schedule.segments=1", "gain_probes.max_velocity=0.3", "gain_probes.step=0.3",
                       "gain_probes.warmup=0.5", "gain_probes.duration=1", "topology.n_points=20",
                       "topology.n_shuffles=1"]


@pytest.fixture
def write_env(tmp_path):
    """Write an environment file and return its path.

    ``write_env(map_text, name="env", **keys)`` writes ``cell_size`` (default 0.1),
    ``boundary`` (default ``"solid"``), any other ``keys`` and the map as a multi-line
    string; a key given as ``None`` is left out.
    """

    def write(map_text: str | None, name: str = "env", **keys) -> Path:
        values = {"cell_size": 0.1, "boundary": "solid", **keys}
        lines = []
        for key, value in values.items():
            if value is None:
                continue
            lines.append(f"{key} = {value!r}" if isinstance(value, (int, float)) else f'{key} = "{value}"')
        if map_text is not None:
            lines.append('map = """')
            lines.append(textwrap.dedent(map_text).strip("\n"))
            lines.append('"""')
        path = tmp_path / f"{name}.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    return write


@pytest.fixture(scope="session")
def short_autoencoding(tmp_path_factory):
    """One short autoencoding run: ``run_dir``, ``metrics`` and the ``overrides`` and ``seed`` it ran with."""
    from hippo.experiments import run_experiment

    out = tmp_path_factory.mktemp("autoencoding") / "run"
    run_dir, metrics = run_experiment("autoencoding", SHORT_AUTOENCODING, seed=SHORT_AUTOENCODING_SEED, out=out, quiet=True)
    return SimpleNamespace(run_dir=run_dir, metrics=metrics, overrides=list(SHORT_AUTOENCODING), seed=SHORT_AUTOENCODING_SEED)


@pytest.fixture
def no_work(monkeypatch):
    """Every circuit experiment's ``run`` fails the test: a refusal must come before any work."""
    import hippo.experiments.autoencoding
    import hippo.experiments.path_integration
    import hippo.experiments.path_integration_2d
    import hippo.experiments.transfer

    def refuse(config, run_dir, progress=True, start_from=None):
        raise AssertionError("the experiment started working")

    for module in (hippo.experiments.autoencoding, hippo.experiments.path_integration,
                   hippo.experiments.path_integration_2d, hippo.experiments.transfer):
        monkeypatch.setattr(module, "run", refuse)


@pytest.fixture
def assert_refused():
    """``check(code, err, culprit)``: exit 2 and exactly one line ``error: ...`` on stderr, no traceback,
    naming every part of ``culprit``."""

    def check(code: int, err: str, culprit: list[str]) -> None:
        assert code == 2, err
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        assert "Traceback" not in err
        for part in culprit:
            assert part in lines[0], (part, lines[0])

    return check
