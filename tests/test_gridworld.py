"""Gridworld files: the shipped environments, malformed maps, and the geometry helpers."""

import numpy as np
import pytest

from hippo.errors import ConfigError
from hippo.world.gridworld import (
    ACTIONS,
    environments_dir,
    list_environments,
    load_environment,
    parse_environment,
)

SHIPPED = {
    # name: (rows, cols, boundary, cell size, free cells, cue letters)
    "ring-1m": (1, 100, "periodic", 0.01, 100, []),
    "track-2m": (1, 100, "solid", 0.02, 100, []),
    "box-1m": (20, 20, "solid", 0.05, 400, []),
    "two-rooms": (11, 21, "solid", 0.1, 221, ["A", "B"]),
    "tem-grid": (8, 8, "solid", 0.1, 64, list("ABCDEFGHIJKL")),
}


def test_every_shipped_environment_is_listed():
    assert set(SHIPPED) <= set(list_environments())
    assert all((environments_dir() / f"{name}.toml").is_file() for name in list_environments())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_environment_parses(name):
    rows, cols, boundary, cell_size, n_free, cues = SHIPPED[name]
    env = load_environment(name)
    assert env.name == name
    assert env.shape == (rows, cols)
    assert env.dim == (1 if rows == 1 else 2)
    assert env.boundary == boundary and env.periodic == (boundary == "periodic")
    assert env.cell_size == pytest.approx(cell_size)
    assert env.n_free == n_free
    assert env.cue_letters == cues
    expected_size = [cols * cell_size] if rows == 1 else [cols * cell_size, rows * cell_size]
    assert np.allclose(env.size, expected_size)
    assert env.description


def test_every_listed_environment_loads():
    """Every file in the environments folder is well formed (not only the five above)."""
    for listed in list_environments():
        assert load_environment(listed).n_free > 0


def test_two_rooms_has_one_doorway_in_the_dividing_wall():
    env = load_environment("two-rooms")
    wall_column = env.grid[:, 10]
    assert list(np.flatnonzero(wall_column != "#")) == [5]
    assert env.free[:, :10].all() and env.free[:, 11:].all()


def test_load_by_path_equals_load_by_name():
    by_name = load_environment("two-rooms")
    by_path = load_environment(environments_dir() / "two-rooms.toml")
    assert np.array_equal(by_name.grid, by_path.grid)
    assert by_path.source.endswith("two-rooms.toml")


def test_unknown_environment_lists_the_shipped_ones():
    with pytest.raises(ConfigError) as info:
        load_environment("no-such-world")
    message = str(info.value)
    assert "no-such-world" in message and "unknown environment" in message
    assert all(name in message for name in SHIPPED)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="missing.toml: file not found"):
        load_environment(tmp_path / "missing.toml")


def test_name_defaults_to_the_file_name_and_letters_are_cues(write_env):
    env = parse_environment(write_env("""
        #####
        #.A.#
        #.b.#
        #####
    """, name="little"))
    assert env.name == "little"
    assert env.cue_letters == ["A", "b"]
    assert env.n_free == 6
    assert env.cue_at(np.array([1, 2])) == "A"


# ------------------------------------------------------------------ malformed maps
def _error(path) -> str:
    with pytest.raises(ConfigError) as info:
        parse_environment(path)
    message = str(info.value)
    assert str(path) in message, message
    assert "\n" not in message
    return message


def test_ragged_row_names_its_line(write_env):
    # lines: 1 cell_size, 2 boundary, 3 map = """, 4.. rows
    path = write_env("""
        ####
        #..#
        #.#
        ####
    """)
    message = _error(path)
    assert "line 6" in message and "ragged row" in message
    assert "3 characters" in message and "first row has 4" in message
    assert "allowed: rows of equal length" in message


def test_unknown_character_names_line_and_column(write_env):
    path = write_env("""
        #####
        #..?#
        #####
    """)
    message = _error(path)
    assert "line 5, column 4" in message
    assert "unknown character '?'" in message
    assert "'#' (wall)" in message and "'.' (free)" in message and "letters" in message


def test_unknown_character_column_counts_from_the_file_line(tmp_path):
    """An indented map is dedented, but the column reported is the one in the file."""
    path = tmp_path / "indented.toml"
    path.write_text('cell_size = 0.1\nboundary = "solid"\nmap = """\n  ....\n  .x!.\n"""\n')
    assert "line 5, column 5" in _error(path)


def test_blank_lines_before_the_map_are_counted(tmp_path):
    path = tmp_path / "blank.toml"
    path.write_text('cell_size = 0.1\nboundary = "solid"\nmap = """\n\n....\n.x!.\n"""\n')
    assert "line 6, column 3" in _error(path)


def test_space_inside_a_row_is_an_unknown_character(write_env):
    assert "unknown character ' '" in _error(write_env("#. .#"))


def test_no_free_cell(write_env):
    message = _error(write_env("""
        ###
        ###
    """))
    assert "map: no free cell" in message and "allowed: at least one '.' or letter" in message


def test_empty_map(write_env):
    assert "map: the map is empty" in _error(write_env("\n\n"))


def test_bad_boundary_lists_the_allowed_ones(write_env):
    message = _error(write_env("....", boundary="wrap"))
    assert "boundary: invalid value 'wrap'" in message
    assert "'solid'" in message and "'periodic'" in message


@pytest.mark.parametrize("cell_size", [0, -0.1, "big", True])
def test_bad_cell_size(tmp_path, cell_size):
    path = tmp_path / "cells.toml"
    value = {True: "true", "big": '"big"'}.get(cell_size, cell_size)
    path.write_text(f'cell_size = {value}\nboundary = "solid"\nmap = "...."\n')
    message = _error(path)
    assert "cell_size: invalid value" in message and "> 0" in message


@pytest.mark.parametrize("key, allowed", [
    ("cell_size", "> 0"),
    ("boundary", "'solid' or 'periodic'"),
    ("map", "multi-line string"),
])
def test_missing_key_names_it_and_what_it_takes(write_env, key, allowed):
    if key == "map":
        path = write_env(None)
    else:
        path = write_env("....", **{key: None})
    message = _error(path)
    assert f"{key}: missing key" in message
    assert "(allowed: " in message and allowed in message


def test_unknown_key_lists_the_allowed_keys(write_env):
    message = _error(write_env("....", colour="red"))
    assert "colour: unknown key" in message
    assert "allowed: name, description, cell_size, boundary, map" in message


def test_map_must_be_a_string(tmp_path):
    path = tmp_path / "list.toml"
    path.write_text('cell_size = 0.1\nboundary = "solid"\nmap = ["..", ".."]\n')
    assert "map: expected a multi-line string" in _error(path)


def test_invalid_toml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('cell_size = 0.1\nboundary = \n')
    message = _error(path)
    assert "invalid TOML" in message and "line 2" in message


# ----------------------------------------------------------------------- geometry
def test_cell_centres_and_cell_of_round_trip():
    for name in ("two-rooms", "ring-1m"):
        env = load_environment(name)
        cells = env.free_cells
        centres = env.cell_centres(cells)
        assert centres.shape == (len(cells), env.dim)
        assert np.array_equal(env.cell_of(centres), cells)
        assert env.is_free(centres).all()


def test_y_grows_upwards_and_row_zero_is_the_top(write_env):
    env = parse_environment(write_env("""
        A..
        ...
    """))
    assert np.allclose(env.cell_centres(np.array([0, 0])), [0.05, 0.15])
    assert np.allclose(env.cell_centres(np.array([1, 2])), [0.25, 0.05])
    assert np.array_equal(env.cell_of(np.array([0.01, 0.19])), [0, 0])


def test_is_free_rejects_walls_and_the_outside():
    env = load_environment("two-rooms")
    assert not env.is_free(np.array([1.05, 0.15]))  # dividing wall, row 9
    assert env.is_free(np.array([1.05, 0.55]))  # the doorway, row 5
    assert not env.is_free(np.array([-0.01, 0.5]))
    assert not env.is_free(np.array([0.5, 1.1]))


def test_periodic_displacement_goes_the_short_way_round():
    ring = load_environment("ring-1m")
    assert ring.distance(np.array([0.99]), np.array([0.01])) == pytest.approx(0.02)
    assert ring.displacement(np.array([0.99]), np.array([0.01]))[0] == pytest.approx(-0.02)
    assert np.allclose(ring.wrap(np.array([[1.25], [-0.25]])), [[0.25], [0.75]])
    track = load_environment("track-2m")
    assert track.distance(np.array([1.99]), np.array([0.01])) == pytest.approx(1.98)
    assert np.allclose(track.wrap(np.array([[2.5]])), [[2.5]])


def test_step_cell_respects_walls_edges_and_wrap():
    rooms = load_environment("two-rooms")
    e, w, n = ACTIONS.index("E"), ACTIONS.index("W"), ACTIONS.index("N")
    assert np.array_equal(rooms.step_cell(np.array([4, 9]), e), [4, 9])  # into the wall
    assert np.array_equal(rooms.step_cell(np.array([5, 9]), e), [5, 10])  # into the doorway
    assert np.array_equal(rooms.step_cell(np.array([0, 3]), n), [0, 3])  # off the solid edge
    ring = load_environment("ring-1m")
    assert np.array_equal(ring.step_cell(np.array([0, 0]), w), [0, 99])
    assert np.array_equal(ring.step_cell(np.array([0, 5]), n), [0, 5])


def test_state_index_numbers_free_cells_and_marks_walls():
    env = load_environment("two-rooms")
    index = env.state_index()
    assert index[4, 10] == -1
    cells = env.free_cells
    assert np.array_equal(index[cells[:, 0], cells[:, 1]], np.arange(env.n_free))
