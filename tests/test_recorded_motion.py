"""Recorded trajectories: reading, resampling, refusals (gaps, outside the world), repetition, streams."""

import importlib.util

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.experiments import resolve
from hippo.world.gridworld import load_environment, parse_environment
from hippo.world.motion import MotionConfig, generate_motion
from hippo.world.recorded import (
    RecordingConfig,
    dataset_path,
    load_recorded_path,
    read_recording,
)
from hippo.world.senses import SensesConfig
from hippo.world.stream import Stream

DT = 0.025
RADIUS, OMEGA, CENTRE = 0.3, 1.3, 0.5  # a circle in the 1 m box: metres, rad/s, metres


def _circle(t):
    return np.column_stack([CENTRE + RADIUS * np.cos(OMEGA * t), CENTRE + RADIUS * np.sin(OMEGA * t)])


def _irregular_times(n, rng, mean_dt=0.02):
    """Increasing times starting at 3 s with steps of 0.5–1.5 × ``mean_dt``."""
    return 3.0 + np.concatenate([[0.0], np.cumsum(mean_dt * (0.5 + rng.random(n - 1)))])


def _write_npz(path, t, pos):
    np.savez(path, t=t, pos=pos)
    return str(path)


def test_resampling_a_known_path_follows_it_and_its_velocity_integrates_to_it(tmp_path):
    t = _irregular_times(3000, np.random.default_rng(0))
    source = _write_npz(tmp_path / "circle.npz", t, _circle(t))
    box = load_environment("box-1m")
    path = load_recorded_path(box, RecordingConfig(source=source), DT)
    grid = t[0] + np.arange(len(path.positions)) * DT
    assert grid[-1] <= t[-1] < grid[-1] + DT
    # linear interpolation of a circle between samples at most h apart errs by at most r·ω²·h²/8
    bound = RADIUS * OMEGA**2 * np.diff(t).max() ** 2 / 8
    assert np.abs(path.positions - _circle(grid)).max() <= bound + 1e-12
    position, velocity = path.segment(0, len(path.positions) - 1)
    np.testing.assert_allclose(position[1:], position[:-1] + velocity[:-1] * DT, atol=1e-12)
    # the forward difference over one step is the velocity at the step's midpoint, to O(dt²)
    middle = grid[:-1] + DT / 2
    true_velocity = RADIUS * OMEGA * np.column_stack([-np.sin(OMEGA * middle), np.cos(OMEGA * middle)])
    assert np.abs(velocity - true_velocity).max() < RADIUS * OMEGA**3 * DT**2 + 2 * bound / DT


def test_csv_and_npz_recordings_read_the_same(tmp_path):
    t = _irregular_times(50, np.random.default_rng(1))
    pos = _circle(t)
    npz = _write_npz(tmp_path / "path.npz", t, pos)
    csv = tmp_path / "path.csv"
    csv.write_text("t,x,y\n" + "".join(f"{a!r},{b!r},{c!r}\n" for a, b, c in zip(t.tolist(), *pos.T.tolist())))
    for source in (npz, str(csv)):
        times, positions, label = read_recording(source)
        np.testing.assert_array_equal(times, t)
        np.testing.assert_array_equal(positions, pos)
        assert label == source


def test_a_recording_with_a_gap_is_refused_naming_the_file_and_the_samples(tmp_path):
    t = np.arange(100) * 0.02
    t[60:] += 1.0  # a 1.02 s gap between samples 59 and 60
    source = _write_npz(tmp_path / "gappy.npz", t, _circle(t))
    with pytest.raises(ConfigError) as raised:
        load_recorded_path(load_environment("box-1m"), RecordingConfig(source=source), DT)
    message = str(raised.value)
    assert source in message and "samples 59 and 60" in message and "motion.recording.max_gap" in message
    # a longer max_gap interpolates across it
    path = load_recorded_path(load_environment("box-1m"), RecordingConfig(source=source, max_gap=1.1), DT)
    assert len(path.positions) == int(np.floor(t[-1] / DT)) + 1


def test_positions_outside_the_world_are_refused_or_moved_onto_its_edge_within_the_margin(tmp_path):
    t = np.arange(200) * 0.02
    pos = _circle(t)
    pos[120] = [1.03, 0.5]  # 3 cm beyond the east wall of the 1 m box
    source = _write_npz(tmp_path / "outside.npz", t, pos)
    box = load_environment("box-1m")
    with pytest.raises(ConfigError) as raised:
        load_recorded_path(box, RecordingConfig(source=source), DT)
    message = str(raised.value)
    assert source in message and "sample 120" in message and "outside the world" in message
    path = load_recorded_path(box, RecordingConfig(source=source, margin=0.05), DT)
    assert box.is_free(path.positions).all()
    assert path.positions[:, 0].max() == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="sample 120"):
        load_recorded_path(box, RecordingConfig(source=source, margin=0.02), DT)


def test_positions_in_a_wall_are_refused(tmp_path):
    walled = parse_environment_text(tmp_path, "....\n.##.\n....\n....")
    t = np.arange(10) * 0.02
    pos = np.column_stack([np.linspace(0.1, 0.9, 10), np.full(10, 0.6)])  # crosses the wall cells at y = 0.5–0.75
    source = _write_npz(tmp_path / "wall.npz", t, pos)
    with pytest.raises(ConfigError, match=r"sample 2 \(t = 0.04 s\) at \(0.2778, 0.6\) m is in a wall of walled"):
        load_recorded_path(walled, RecordingConfig(source=source), DT)


def parse_environment_text(folder, rows):
    path = folder / "walled.toml"
    path.write_text(f'name = "walled"\ncell_size = 0.25\nboundary = "solid"\nmap = """\n{rows}\n"""\n')
    return parse_environment(path)


@pytest.mark.parametrize("problem, arrays, expected", [
    ("no pos", {"t": np.arange(5.0)}, "no array pos"),
    ("shapes", {"t": np.arange(5.0), "pos": np.zeros((4, 2))}, "t has shape"),
    ("nan", {"t": np.arange(5.0), "pos": np.array([[0.1, 0.1]] * 2 + [[np.nan, 0.1]] + [[0.1, 0.1]] * 2)}, "sample 2 is not finite"),
    ("backwards", {"t": np.array([0.0, 0.1, 0.05, 0.2]), "pos": np.full((4, 2), 0.5)}, "do not increase at sample 2"),
])
def test_malformed_recordings_are_refused_naming_the_file(tmp_path, problem, arrays, expected):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ConfigError, match=expected) as raised:
        read_recording(str(path))
    assert str(path) in str(raised.value)


def test_unknown_names_and_missing_files_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="sargolini, tanni"):
        read_recording("hafting")
    with pytest.raises(ConfigError, match="no such file"):
        read_recording(str(tmp_path / "absent.npz"))
    with pytest.raises(ConfigError, match="no recording named"):
        read_recording("")


def test_a_dataset_by_name_without_ratinabox_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(ConfigError, match=r"ratinabox, which is not installed.*hippo\[data\]"):
        dataset_path("sargolini")


def test_mirror_repetition_is_continuous_and_loop_repetition_jumps_without_velocity(tmp_path):
    t = np.arange(41) * DT  # exactly 41 steps
    pos = np.column_stack([np.linspace(0.2, 0.6, 41), np.full(41, 0.5)])
    source = _write_npz(tmp_path / "line.npz", t, pos)
    box = load_environment("box-1m")
    mirror = load_recorded_path(box, RecordingConfig(source=source), DT)
    assert mirror.period == 80
    position, velocity = mirror.segment(30, 120)
    np.testing.assert_allclose(position[1:], position[:-1] + velocity[:-1] * DT, atol=1e-12)
    assert set(np.round(velocity[:, 0], 9)) == {0.4, -0.4}
    loop = load_recorded_path(box, RecordingConfig(source=source, repeat="loop"), DT)
    assert loop.period == 41
    position, velocity = loop.segment(0, 100)
    jumps = np.nonzero(np.abs(np.diff(position[:, 0])) > 0.1)[0]
    np.testing.assert_array_equal(jumps, [40, 81])
    np.testing.assert_array_equal(velocity[jumps], 0.0)


def test_a_recorded_stream_is_seeded_and_blocks_do_not_change_it(tmp_path):
    t = _irregular_times(20000, np.random.default_rng(2))
    source = _write_npz(tmp_path / "circle.npz", t, _circle(t))
    box = load_environment("box-1m")
    motion = MotionConfig(kind="recorded", recording=RecordingConfig(source=source))
    senses = SensesConfig(n=25, width=0.1)
    a = Stream.build(box, DT, senses, motion, [7, 1], velocity_scale=1.0)
    b = Stream.build(box, DT, senses, motion, [7, 1], velocity_scale=1.0)
    np.testing.assert_array_equal(a.position(0, 5000), np.vstack([b.position(0, 2500), b.position(2500, 5000)]))
    position, velocity = a.position(0, 5000), a.velocity(0, 5000)
    np.testing.assert_allclose(position[1:], position[:-1] + velocity[:-1] * DT, atol=1e-9)
    other = a.fresh_trajectory([7, 2])
    assert not np.allclose(other.position(0, 10), position[:10])
    trajectory = generate_motion(box, 100.0, DT, motion, np.random.default_rng(3))
    assert len(trajectory) == 4000 and box.is_free(trajectory.position).all()


def test_a_2d_recording_drives_a_ring_through_its_x_coordinate(tmp_path):
    t = np.arange(2001) * 0.02
    pos = _circle(t)
    source = _write_npz(tmp_path / "circle.npz", t, pos)
    ring = load_environment("ring-1m")
    for axis, column in (("x", 0), ("y", 1)):
        path = load_recorded_path(ring, RecordingConfig(source=source, axis=axis), DT)
        grid = np.arange(len(path.positions)) * DT
        np.testing.assert_allclose(path.positions[:, 0], np.interp(grid, t, pos[:, column]), atol=1e-12)
    # on a periodic track the projection is wrapped, and a step across the join is a small step
    shifted = _write_npz(tmp_path / "shifted.npz", t, pos + 0.6)
    path = load_recorded_path(ring, RecordingConfig(source=shifted), DT)
    _, velocity = path.segment(0, len(path.positions) - 1)
    assert path.positions.max() < 1.0 and np.abs(velocity).max() <= RADIUS * OMEGA * 1.001


def test_a_1d_recording_cannot_drive_a_2d_world(tmp_path):
    source = _write_npz(tmp_path / "track.npz", np.arange(10) * 0.1, np.linspace(0.1, 0.5, 10))
    with pytest.raises(ConfigError, match="1-D recording cannot drive the 2-D world"):
        load_recorded_path(load_environment("box-1m"), RecordingConfig(source=source), DT)


ratinabox = pytest.mark.skipif(importlib.util.find_spec("ratinabox") is None, reason="ratinabox is not installed")


@ratinabox
def test_the_sargolini_recording_fits_its_box():
    path = load_recorded_path(load_environment("sargolini-box"), RecordingConfig(source="sargolini"), DT)
    assert len(path.positions) * DT == pytest.approx(596, abs=5)
    _, velocity = path.segment(0, len(path.positions) - 1)
    assert 0.05 < np.median(np.linalg.norm(velocity, axis=1)) < 0.3  # a rat's running speed, m/s


@ratinabox
def test_the_tanni_recording_needs_its_gap_and_its_wall_jitter_allowed():
    arena = load_environment("tanni-arena")
    with pytest.raises(ConfigError, match=r"tanni\.npz.*outside the world"):
        load_recorded_path(arena, RecordingConfig(source="tanni", max_gap=1.0), DT)
    with pytest.raises(ConfigError, match=r"tanni\.npz.*a gap of 0\.633 s"):
        load_recorded_path(arena, RecordingConfig(source="tanni", margin=0.05), DT)
    path = load_recorded_path(arena, RecordingConfig(source="tanni", max_gap=1.0, margin=0.05), DT)
    assert arena.is_free(path.positions).all()


@pytest.mark.parametrize("preset", ["path-integration", "path-integration-2d"])
def test_a_recording_with_a_gap_stops_the_run_before_any_work(tmp_path, preset):
    t = np.arange(200) * 0.02
    t[100:] += 2.0
    source = tmp_path / "gappy.npz"
    np.savez(source, t=t, pos=np.column_stack([0.5 + 0.3 * np.cos(t), 0.5 + 0.3 * np.sin(t)]))
    with pytest.raises(ConfigError, match=rf"{source}: motion.recording.max_gap: a gap of 2.02 s between samples 99 and 100"):
        resolve(preset, ["motion.kind=recorded", f"motion.recording.source={source}"])


def test_a_span_plays_only_its_stretch_of_the_recording_and_a_span_past_the_end_is_refused(tmp_path):
    t = 3.0 + np.arange(401) * DT  # 10 s along a line from x = 0.1 to 0.9 m at 0.08 m/s
    pos = np.column_stack([0.1 + 0.08 * (t - 3.0), np.full(len(t), 0.5)])
    source = _write_npz(tmp_path / "line.npz", t, pos)
    box = load_environment("box-1m")
    late = load_recorded_path(box, RecordingConfig(source=source, span=(6.0, 10.0)), DT)
    assert len(late.positions) == 161  # 4 s of 25-ms steps, both ends kept
    np.testing.assert_allclose(late.positions[[0, -1], 0], [0.1 + 0.08 * 6.0, 0.9], atol=1e-12)
    early = load_recorded_path(box, RecordingConfig(source=source, span=(0.0, 6.0)), DT)
    assert early.positions[:, 0].max() <= 0.1 + 0.08 * 6.0 + 1e-12
    with pytest.raises(ConfigError, match=r"span.*ends 11 s after the first sample of a 10-s recording"):
        load_recorded_path(box, RecordingConfig(source=source, span=(6.0, 11.0)), DT)
    for span in ((6.0,), (6.0, 6.0), (-1.0, 2.0)):
        with pytest.raises(ConfigError, match="span"):
            RecordingConfig(source=source, span=span)
