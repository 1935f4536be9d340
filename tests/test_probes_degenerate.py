"""Settings that would run but measure nothing true, refused before any work by validation that knows the physics.

Each probe must exit with code 2 and print exactly one line on stderr, ``error: ...``,
naming the culprit (``--set`` or the file, and the keys) and the limit, with no
traceback: the experiments' ``run`` is replaced by a function that fails the test, and
no run directory may be left behind. A run that is legitimate but leaves a number
unmeasurable says so in ``metrics.json``'s ``warnings``.
"""

import json

import pytest

from hippo.cli import main
from hippo.experiments import list_presets, resolve

#: A recorded path on a 2 m track that jumps 1.5 m in 0.1 s (15 m/s) between its third and fourth samples.
JUMP = "t,x\n0.0,0.10\n0.1,0.12\n0.2,0.14\n0.3,1.64\n0.4,1.66\n0.5,1.68\n"

# id, argv after `hippo run`, what the one line on stderr must name
PROBES = [
    ("agent-never-moves-on-a-solid-track", ["path-integration", "--set", "environment=track-2m",
                                            "--set", "motion.speed_std=0"],
     ["--set: motion.speed_mean, motion.speed_std:", "never moves", "speed_std > 0"]),
    ("no-report-times", ["path-integration", "--set", "test.report_times=[]"],
     ["--set: test.report_times: no time", "one or more times"]),
    ("decoder-window-under-one-record", ["path-integration", "--set", "test.decoder_window=0.1"],
     ["--set: test.decoder_window, dt, record_every:", "0 training records", "at least 10 records"]),
    ("warmup-under-one-step", ["path-integration", "--set", "test.warmup=0.01"],
     ["--set: test.warmup, dt:", "test.warmup >= dt = 0.025 s"]),
    ("report-time-under-one-step", ["path-integration", "--set", "test.report_times=[0.01, 1]"],
     ["--set: test.report_times, dt:", "report times >= dt"]),
    ("theta-above-nyquist", ["path-integration", "--set", "theta.frequency=30"],
     ["--set: theta.frequency, dt:", "Nyquist", "theta.frequency <= 20 Hz"]),
    ("theta-above-nyquist-autoencoding", ["autoencoding", "--set", "theta.frequency=25"],
     ["--set: theta.frequency, dt:", "theta.frequency <= 20 Hz"]),
    ("theta-above-nyquist-transfer", ["transfer", "--set", "network.theta.frequency=25"],
     ["--set: network.theta.frequency, network.dt:", "Nyquist"]),
    ("step-longer-than-the-theta-period", ["path-integration", "--set", "dt=0.3"],
     ["--set: theta.frequency, dt:", "dt <= 0.1 s"]),
    ("a-step-crosses-the-ring", ["path-integration", "--set", "motion.speed_mean=100"],
     ["--set: motion.speed_mean, motion.speed_std, dt, senses.width:", "2.54 m in one 0.025-s step",
      "speeds <= 2.4 m/s"]),
    ("a-step-crosses-the-box", ["path-integration-2d", "--set", "motion.speed_mean=20"],
     ["--set: motion.speed_mean, motion.speed_std, dt, senses.width:", "farther than a sensory field"]),
    ("a-relearning-step-crosses-the-ring", ["transfer", "--set", "relearn.speed_mean=10"],
     ["--set: relearn.speed_mean, network.motion.speed_std, network.dt, network.senses.width:", "while relearning"]),
    ("recorded-jump", ["{d}/study.toml"],
     ["jump.csv: motion.recording.source, dt, senses.width:", "recorded path moves", "m/s"]),
    ("start-with-a-recorded-path", ["path-integration-rat-ring", "--set", "motion.start=[0.5]"],
     ["--set: motion.start, motion.kind:", "recorded"]),
    ("gain-probe-under-two-steps", ["path-integration", "--set", "gain_probes.transient=0.5",
                                    "--set", "gain_probes.duration=0.52"],
     ["--set: gain_probes.duration, gain_probes.transient, dt:", ">= 2·dt"]),
    ("autoencoding-test-under-one-step", ["autoencoding", "--set", "test_duration=0.01"],
     ["--set: test_duration, dt:", "test_duration >= 2·dt = 0.05 s"]),
]



@pytest.mark.parametrize("name, argv, culprit", PROBES, ids=[probe[0] for probe in PROBES])
def test_probe(name, argv, culprit, tmp_path, monkeypatch, capsys, no_work, assert_refused):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "jump.csv").write_text(JUMP)
    (inputs / "study.toml").write_text('experiment = "path-integration"\nenvironment = "track-2m"\n'
                                       '[motion]\nkind = "recorded"\n[motion.recording]\nsource = "./jump.csv"\n')
    monkeypatch.chdir(tmp_path)
    argv = ["run", *[arg.replace("{d}", str(inputs)) for arg in argv], "--out", str(tmp_path / "run")]
    capsys.readouterr()

    code = main(argv)

    assert_refused(code, capsys.readouterr().err, culprit)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs"]


def test_every_preset_passes_the_physical_checks():
    for preset in list_presets():
        assert resolve(preset).config.experiment


def test_a_decorrelation_time_that_cannot_be_measured_is_a_warning(tmp_path, capsys):
    """Lags up to 0.05 s cannot show the 1/e fall of 1-s latents: the number is NaN, and metrics.json says why."""
    code = main(["run", "autoencoding", "--set", "duration=20", "--set", "test_duration=5", "--set", "show_duration=2",
                 "--set", "max_lag=0.05", "--set", "senses.n=10", "--out", str(tmp_path / "run"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["autocorr_time_latents_s"] is None  # NaN, written as null
    assert any(w.startswith("autocorr_time_latents_s not measured") and "max_lag = 0.05 s" in w
               for w in metrics["warnings"]), metrics["warnings"]
    assert "warning: autocorr_time_latents_s not measured" in capsys.readouterr().err
