"""Digests of every shipped preset's results: a refactor must not change the science.

For each preset and seed, runs the preset (quietly, into a temporary folder) and hashes
its numeric metrics (timings excluded) and its ``weights.npz``. Spiking presets run on a
shortened protocol (``SHORT_SPIKING``) unless ``--full-spiking`` is given, and only with
``--spiking`` (a cold Brian2 cache costs minutes of compilation).

    python benchmarks/check_digests.py                 # compare with benchmarks/digests.json
    python benchmarks/check_digests.py --write         # store the digests of this version
    python benchmarks/check_digests.py --metrics-out m.json --seeds 0 1 2 3 4 --presets path-integration
    python benchmarks/check_digests.py --compare before.json after.json

``--metrics-out`` keeps every run's metrics, and ``--compare`` sets two such files side
by side (mean ± s.e.m. over seeds and the difference in units of their combined s.e.m.):
the check for presets whose random draws changed on purpose.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

from hippo.runner import flatten_metrics, list_presets, resolve, run_experiment

DIGESTS = Path(__file__).with_name("digests.json")
TIMING_KEYS = ("wall_seconds", "us_per_step", "compile_seconds", "agent_ms_per_step")
SHORT_SPIKING = {
    "path-integration": ["duration=20", "test.n_trials=1", "test.warmup=2", "test.generative=2",
                         "test.decoder_window=10", "test.report_times=[1]", "spike_map_duration=2",
                         "ring.drift_duration=1"],
    "autoencoding": ["duration=10", "test_duration=5", "show_duration=2"],
}


def _is_timing(key: str) -> bool:
    """Whether a flattened metric key is a timing (``wall_seconds``, ``wall_seconds_by_part.test``,
    ``training_wall_seconds``, ...)."""
    return any(name in part for part in key.split(".") for name in TIMING_KEYS)


def digest_run(run_dir: Path) -> dict:
    """SHA-256 of a run's numeric metrics (timings excluded) and of its saved arrays (``weights.npz``, or every
    ``.npz`` when the experiment saves no weights)."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    flat = {k: v for k, v in flatten_metrics(metrics).items() if not _is_timing(k)}
    metrics_hash = hashlib.sha256(json.dumps(flat, sort_keys=True).encode()).hexdigest()
    weights_hash = hashlib.sha256()
    saved = [run_dir / "weights.npz"] if (run_dir / "weights.npz").exists() else sorted(run_dir.glob("*.npz"))
    for path in saved:
        with np.load(path) as weights:
            for name in sorted(weights.files):
                array = np.ascontiguousarray(weights[name])
                weights_hash.update(name.encode() + str(array.dtype).encode() + str(array.shape).encode() + array.tobytes())
    return {"metrics": metrics_hash, "weights": weights_hash.hexdigest(), "flat": flat}


def _overrides(preset: str, full_spiking: bool) -> list[str]:
    config = resolve(preset).config
    if getattr(config, "engine", "rate") == "spiking" and not full_spiking:
        return SHORT_SPIKING[config.experiment]
    return []


def _is_spiking(preset: str) -> bool:
    return getattr(resolve(preset).config, "engine", "rate") == "spiking"


def run_presets(presets: list[str], seeds: list[int], full_spiking: bool) -> dict:
    """``{preset: {seed: digest}}`` for every preset and seed."""
    results = {}
    with tempfile.TemporaryDirectory() as root:
        for preset in presets:
            overrides = _overrides(preset, full_spiking)
            results[preset] = {}
            for seed in seeds:
                out = Path(root) / f"{preset}-{seed}"
                run_experiment(preset, overrides, seed, out, quiet=True)
                results[preset][str(seed)] = digest_run(out)
                print(f"  {preset:32s} seed {seed}: metrics {results[preset][str(seed)]['metrics'][:12]}  "
                      f"weights {results[preset][str(seed)]['weights'][:12]}", flush=True)
    return results


def compare_metrics(before: dict, after: dict) -> int:
    """Print each metric's mean ± s.e.m. over seeds in two metric files; count |difference| > 3 combined s.e.m."""
    flagged = 0
    for preset in sorted(set(before) & set(after)):
        print(preset)
        keys = sorted(set.intersection(*(set(d["flat"]) for d in [*before[preset].values(), *after[preset].values()])))
        for key in keys:
            rows = []
            for side in (before, after):
                values = np.array([d["flat"][key] for d in side[preset].values()], dtype=float)
                values = values[np.isfinite(values)]
                mean = values.mean() if len(values) else math.nan
                sem = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
                rows.append((mean, sem))
            (m0, s0), (m1, s1) = rows
            combined = math.hypot(s0, s1)
            z = (m1 - m0) / combined if combined > 0 else (0.0 if m1 == m0 else math.inf)
            mark = "  <-- differs" if abs(z) > 3 else ""
            flagged += bool(mark)
            print(f"  {key:36s} {m0:10.4g} ± {s0:<9.2g} {m1:10.4g} ± {s1:<9.2g} z = {z:+5.1f}{mark}")
    return flagged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="store this version's digests in benchmarks/digests.json")
    parser.add_argument("--presets", nargs="+", help="presets to run (default: every shipped preset)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--spiking", action="store_true", help="include the spiking presets")
    parser.add_argument("--full-spiking", action="store_true", help="spiking presets on their full protocol")
    parser.add_argument("--metrics-out", help="also write every run's metrics to this JSON file")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two --metrics-out files")
    args = parser.parse_args()

    if args.compare:
        before, after = (json.loads(Path(p).read_text()) for p in args.compare)
        flagged = compare_metrics(before, after)
        print(f"{flagged} metric(s) differ by more than 3 combined s.e.m.")
        return 1 if flagged else 0

    presets = args.presets or [p for p in list_presets() if args.spiking or not _is_spiking(p)]
    results = run_presets(presets, args.seeds, args.full_spiking)
    if args.metrics_out:
        Path(args.metrics_out).write_text(json.dumps(results, indent=1) + "\n")
    if args.write:
        stored = json.loads(DIGESTS.read_text()) if DIGESTS.exists() else {}
        for preset, per_seed in results.items():
            stored.setdefault(preset, {}).update({s: {k: d[k] for k in ("metrics", "weights")} for s, d in per_seed.items()})
        DIGESTS.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
        print(f"wrote {DIGESTS}")
        return 0
    stored = json.loads(DIGESTS.read_text())
    mismatches = 0
    for preset, per_seed in results.items():
        for seed, digest in per_seed.items():
            expected = stored.get(preset, {}).get(seed)
            for part in ("metrics", "weights"):
                if expected is None or expected[part] != digest[part]:
                    mismatches += 1
                    print(f"MISMATCH {preset} seed {seed}: {part}")
    print(f"{mismatches} mismatch(es)" if mismatches else "all digests identical")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
