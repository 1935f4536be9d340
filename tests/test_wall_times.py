"""``hippo list`` gives each preset's expected wall time, measured on a named machine (``hippo/wall_times.toml``)."""

from __future__ import annotations

import pytest

from hippo.cli import main
from hippo.describe import wall_time_text, wall_times
from hippo.experiments import list_presets


def test_every_preset_has_an_entry_measured_stated_or_marked_not_measured():
    presets = wall_times()["presets"]
    assert set(list_presets()) <= set(presets)
    for name, entry in presets.items():
        if "load" in entry:  # measured with the file's machine
            assert set(entry) == {"seconds", "load", "date"}, name
            assert entry["seconds"] > 0 and len(entry["load"]) == 2 and all(load >= 0 for load in entry["load"]), name
        elif "source" in entry:  # as the documentation states, for the machine it names
            assert set(entry) == {"seconds", "source", "machine"}, name
            assert entry["seconds"] > 0 and entry["source"].strip() and entry["machine"].strip(), name
        else:
            assert set(entry) == {"note"} and entry["note"].strip(), name
    assert any("load" in entry for entry in presets.values())


def test_the_file_names_the_machine_that_measured_it():
    machine = wall_times()["machine"]
    assert isinstance(machine["cpu"], str) and machine["cpu"].strip()
    assert isinstance(machine["cores"], int) and machine["cores"] >= 1


@pytest.mark.parametrize("entry, text", [
    ({"seconds": 36.4, "load": [0.5, 0.6], "date": "2025-01-01"}, "~36 s"),
    ({"seconds": 89.0, "load": [0.5, 0.6], "date": "2025-01-01"}, "~89 s"),
    ({"seconds": 280.0, "load": [0.5, 0.6], "date": "2025-01-01"}, "~5 min"),
    ({"seconds": 1200.0, "source": "README.md", "machine": "a 2-core machine"}, "~20 min*"),
    ({"note": "needs a recording"}, "not measured"),
])
def test_a_wall_time_reads_in_seconds_or_minutes(entry, text):
    assert wall_time_text(entry) == text


def test_list_prints_each_presets_wall_time_and_the_machine(capsys):
    assert main(["list"]) == 0
    listing, note = capsys.readouterr().out.split("\n\n")
    times = wall_times()
    rows = {line.split()[0]: line for line in listing.splitlines()}
    assert sorted(rows) == list_presets()
    for name, line in rows.items():
        assert line.split(maxsplit=1)[1].startswith(wall_time_text(times["presets"][name])), line
    assert times["machine"]["cpu"] in note and f"{times['machine']['cores']} cores" in note
