"""Measure each preset's wall time and write ``hippo/wall_times.toml``, which ``hippo list`` prints.

Each preset runs once with its defaults (``hippo run PRESET --quiet``, into a temporary
folder), one at a time; its wall time is the whole process, as a user waits for it:
start-up, training, test, analyses and figures. The file names the machine (CPU model and
cores) and keeps beside each number the 1-minute load average before and after the run,
since a machine shared with other work runs slower.

    python benchmarks/measure_wall_times.py                 # re-measure every preset measured here before
    python benchmarks/measure_wall_times.py transfer autoencoding   # these presets
    python benchmarks/measure_wall_times.py --all           # every preset (hours: rule-inference-paper, spiking)

Entries the script does not measure stay as they are: numbers taken from the
documentation (``docs/``) (``source`` and ``machine`` say where and on what) and presets not measured
(``note`` says why). The file is rewritten after every preset, so an interrupted run
keeps what it measured. The numbers of one file come from one machine: naming presets
on a machine other than the file's is refused unless every measured preset is re-measured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from bench_rate_engine import cpu_model

from hippo.runner import list_presets

WALL_TIMES = Path(__file__).resolve().parent.parent / "hippo" / "wall_times.toml"

HEADER = """\
# Expected wall time of `hippo run PRESET` with the preset's defaults and one seed: the
# whole process (start-up, training, test, analyses, figures), in seconds; `hippo list`
# prints it. Written by benchmarks/measure_wall_times.py, which runs each preset once,
# one at a time, on the machine named in [machine]; `load` is the 1-minute load average
# before and after the run (the machine is shared with other work). An entry with
# `source` was not measured by the script: its number is the one the named document
# states, measured on its `machine`. An entry without `seconds` was not measured; its
# `note` says why.
"""


def this_machine() -> dict:
    """The CPU model and core count of this machine."""
    return {"cpu": cpu_model(), "cores": os.cpu_count()}


def _value(value) -> str:
    """``value`` as TOML text (numbers, strings, lists of numbers)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)


def write(path: Path, machine: dict, presets: dict[str, dict]) -> None:
    """Write the wall-times file: the header, ``[machine]`` and one table per preset (sorted)."""
    lines = [HEADER, "[machine]", *(f"{key} = {_value(value)}" for key, value in machine.items())]
    for name in sorted(presets):
        lines += ["", f"[presets.{name}]", *(f"{key} = {_value(value)}" for key, value in presets[name].items())]
    path.write_text("\n".join(lines) + "\n")


def measure(preset: str) -> dict:
    """Run ``preset`` once with its defaults; its wall seconds, the load before and after, and the date.

    Raises:
        SystemExit: the run failed (its stderr's last lines are printed).
    """
    with tempfile.TemporaryDirectory(prefix="hippo-wall-") as folder:
        before = os.getloadavg()[0]
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "hippo", "run", preset, "--quiet", "--out", f"{folder}/run"],
                              capture_output=True, text=True, cwd=folder)
        seconds = time.perf_counter() - start
        after = os.getloadavg()[0]
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-5:])
        raise SystemExit(f"{preset}: the run failed (exit status {done.returncode}):\n{tail}")
    return {"seconds": round(seconds, 1), "load": [round(before, 2), round(after, 2)],
            "date": datetime.date.today().isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("presets", nargs="*", help="presets to measure (default: those measured here before)")
    parser.add_argument("--all", action="store_true", help="measure every preset (hours)")
    parser.add_argument("--file", type=Path, default=WALL_TIMES, help=f"the wall-times file (default: {WALL_TIMES})")
    args = parser.parse_args()

    known = tomllib.loads(args.file.read_text()) if args.file.is_file() else {"machine": {}, "presets": {}}
    presets = {name: known["presets"].get(name, {"note": "not measured yet"}) for name in list_presets()}
    measured = sorted(name for name, entry in presets.items() if "load" in entry)
    unknown = sorted(set(args.presets) - set(presets))
    if unknown:
        parser.error(f"unknown presets {', '.join(unknown)} (allowed: {', '.join(presets)})")
    todo = list(presets) if args.all else args.presets or measured
    machine = this_machine()
    if known["machine"] and known["machine"] != machine and not set(measured) <= set(todo):
        parser.error(f"{args.file} holds numbers measured on {known['machine']}, this machine is {machine}: "
                     "re-measure all of them (no preset names) or measure there")
    if known["machine"] != machine:  # from now on every measured number is this machine's
        presets = {name: entry if "load" not in entry else {"note": "not measured yet"}
                   for name, entry in presets.items()}
    print(f"CPU: {machine['cpu']}, {machine['cores']} cores; measuring {len(todo)} presets one at a time", flush=True)
    for preset in todo:
        presets[preset] = measure(preset)
        entry = presets[preset]
        print(f"{preset:30s} {entry['seconds']:8.1f} s   load {entry['load'][0]:.2f} -> {entry['load'][1]:.2f}",
              flush=True)
        write(args.file, machine, presets)
    write(args.file, machine, presets)


if __name__ == "__main__":
    main()
