"""Learning rules as policies on the circuits: sweep files, and the comparison table and figure.

Every plastic projection of a circuit learns by one rule; each rule's learning rate is
chosen from a small grid (the rule's base rate × 1/3, 1, 3) on a few seeds, then the
chosen cell runs on five seeds. Three studies:

* ``autoencoding`` — the basal–apical loss (HPC, MEC) after 5 and after 30 simulated
  minutes (two durations of the same cell);
* ``path-integration`` — error 1 s and 10 s after the switch to generation, and the
  horizon (first time the mean error exceeds 0.1 m), after 120 annealed minutes of training
  of the transfer study's network (push-pull velocity cells, rate annealed to 3 %);
* ``transfer`` — the same rule trains the network in A (at its path-integration rate)
  and relearns in B: path integration in A (20 trials; the five-seed path-integration
  numbers), time to criterion after the move and interference back in A, for the
  ``transfer`` and ``no-freeze`` arms. Every rule runs with ``move.reset = false``:
  the engine's state (rule state included) is kept through the move, so a resetting
  rule sees the move as a jump of its error rather than as a fresh start.

Each cell is one sweep file (``hippo sweep``): the grid of the sweep machinery is a
Cartesian product of keys, while a cell sets the rule and the rate on every projection
together. Usage::

    python studies/policy-rules/policy_rules.py write STUDY select   # sweep files of every cell, selection seeds
    for f in studies/policy-rules/sweeps/STUDY/*.toml; do hippo sweep $f --workers 1 --no-figures; done
    python studies/policy-rules/policy_rules.py write STUDY final    # the chosen cell of each rule, five seeds
    python studies/policy-rules/policy_rules.py write STUDY variants # rules with other parameters (VARIANTS), five seeds
    python studies/policy-rules/policy_rules.py table STUDY          # markdown table and figure

Sweep folders go to ``runs/policy-rules/STUDY/<cell>/``; tables and figures to
``runs/policy-rules/``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RUNS = Path("runs/policy-rules")
RULES = ("prediction-error", "momentum", "rmsprop", "adam", "natural-gradient", "reset")
#: Rows that run a rule with other parameters: name → (rule, parameters). They run at the
#: prediction-error rule's chosen rate (the reset rule is that rule until it fires).
VARIANTS = {"reset-strict": ("reset", {"threshold": 20.0, "min_rise": 4.0})}
ROWS = RULES + tuple(VARIANTS)
MULTIPLIERS = (1 / 3, 1.0, 3.0)
FINAL_SEEDS = (0, 1, 2, 3, 4)
#: Simulated seconds of (annealed) path-integration training, in both circuit studies that use it
#: (the preset's is 240 min; 120 min keeps a five-seed comparison of six rules within hours on one core).
TRAINING_S = 7200.0

#: Base learning rate of each rule per circuit (the prediction-error rule's is the preset's).
BASE = {
    "autoencoding": {"prediction-error": 1e-3, "momentum": 1e-3, "rmsprop": 3e-4, "adam": 3e-4,
                     "natural-gradient": 1e-3, "reset": 1e-3},
    "path-integration": {"prediction-error": 1e-2, "momentum": 1e-2, "rmsprop": 3e-4, "adam": 3e-4,
                         "natural-gradient": 1e-3, "reset": 1e-2},
}
BASE["transfer"] = BASE["path-integration"]

PROJECTIONS = {
    "autoencoding": ("hpc_apical_mec", "mec_basal_hpc", "mec_apical_mec"),
    "path-integration": ("hpc_apical_mec", "mec_basal_hpc", "mec_apical_mec", "mec_apical_conjunctive"),
}
PROJECTIONS["transfer"] = PROJECTIONS["path-integration"]

#: The transfer study's network (push-pull velocity cells, learning rate annealed to 3 %), also the network
#: the path-integration study selects the rates on.
PUSH_PULL = {"velocity_coding": "push-pull", "conjunctive_threshold": 0.5, "schedule.final_factor": 0.03}

#: Per study: the experiment, the prefix of projection keys, fixed overrides, the grid,
#: the seeds of the selection, and the metric (lower is better) the rate is chosen by.
STUDIES = {
    "autoencoding": dict(experiment="autoencoding", prefix="", fixed={"test_duration": 60.0},
                         grid={"duration": [300.0, 1800.0]}, select_seeds=(0, 1),
                         select_on=("duration", 1800.0, "loss_hpc_final")),
    "path-integration": dict(experiment="path-integration", prefix="", fixed={"duration": TRAINING_S, **PUSH_PULL},
                             grid={}, select_seeds=(0,),
                             select_on=(None, None, "pi_error_m.1")),
    "transfer": dict(experiment="transfer", prefix="network.", fixed={"network.duration": TRAINING_S, "move.reset": False,
                                                                       "relearn.arms": ["transfer", "no-freeze"]},
                     grid={}, select_seeds=(), select_on=None),
}

#: Columns of the comparison tables: (heading, column of the results table, filter).
COLUMNS = {
    "autoencoding": [("HPC loss, 5 min", "loss_hpc_final", ("duration", 300.0)),
                     ("HPC loss, 30 min", "loss_hpc_final", ("duration", 1800.0)),
                     ("MEC loss, 5 min", "loss_mec_final", ("duration", 300.0)),
                     ("MEC loss, 30 min", "loss_mec_final", ("duration", 1800.0))],
    "path-integration": [("error 1 s (m)", "pi_error_m.1", None), ("error 10 s (m)", "pi_error_m.10", None),
                         ("horizon (s)", "pi_horizon_s", None)],
    "transfer": [("in A: error 1 s (m)", "pi_error_in_a_m.1s", None), ("in A: error 10 s (m)", "pi_error_in_a_m.10s", None)]
                + [(f"{arm}: {label}", f"arms.{arm}.{key}", None)
                 for arm in ("transfer", "no-freeze")
                 for label, key in (("time to criterion (min)", "time_to_criterion_min"),
                                    ("reached", "reached_criterion"),
                                    ("1 s error at 10 min (m)", "pi_error_m.10min.1s"),
                                    ("interference, 1 s error in A (m)", "interference_m.1s"))],
}


def cell_name(rule: str, multiplier: float) -> str:
    return f"{rule}_x{multiplier:.3g}"


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(float(value)) if isinstance(value, float) else str(value)


def rule_of(row: str) -> str:
    return VARIANTS[row][0] if row in VARIANTS else row


def sweep_text(study: str, row: str, multiplier: float, seeds, rate: float) -> str:
    """The sweep file of one cell: ``row``'s rule (and parameters) at ``rate`` on every plastic projection."""
    spec = STUDIES[study]
    rule, parameters = VARIANTS.get(row, (row, {}))
    lines = ["# Learning rules as policies: one cell of the circuit comparison (studies/policy-rules/policy_rules.py).",
             "[sweep]", f'experiment = "{spec["experiment"]}"', f"seeds = {toml_value(list(seeds))}",
             f'out = "{RUNS / study / cell_name(row, multiplier)}"', "[set]"]
    for key, value in spec["fixed"].items():
        lines.append(f'"{key}" = {toml_value(value)}')
    for projection in PROJECTIONS[study]:
        lines.append(f'"{spec["prefix"]}projections.{projection}.plasticity.rule" = "{rule}"')
        lines.append(f'"{spec["prefix"]}projections.{projection}.plasticity.eta" = {rate!r}')
        for name, value in parameters.items():
            lines.append(f'"{spec["prefix"]}projections.{projection}.plasticity.{name}" = {toml_value(value)}')
    if spec["grid"]:
        lines.append("[grid]")
        lines.extend(f'"{key}" = {toml_value(values)}' for key, values in spec["grid"].items())
    return "\n".join(lines) + "\n"


def read_cell(study: str, cell: str) -> pd.DataFrame | None:
    path = RUNS / study / cell / "results.csv"
    if not path.exists():
        return None
    table = pd.read_csv(path)
    return table[table["status"] == "done"]


def chosen_multiplier(study: str, rule: str) -> float:
    """The multiplier of the cell with the lowest mean selection metric (transfer: path integration's choice)."""
    if rule in VARIANTS:
        return chosen_multiplier(study, "prediction-error")
    if study == "transfer":
        return chosen_multiplier("path-integration", rule)
    key, value, metric = STUDIES[study]["select_on"]
    scores = {}
    for multiplier in MULTIPLIERS:
        table = read_cell(study, cell_name(rule, multiplier))
        if table is None or metric not in table:
            continue
        if key is not None:
            table = table[np.isclose(table[key], value)]
        table = table[table["seed"].isin(STUDIES[study]["select_seeds"])]
        values = table[metric].to_numpy(float)
        scores[multiplier] = float(np.mean(values)) if len(values) and np.all(np.isfinite(values)) else math.inf
    if not scores:
        raise SystemExit(f"{study}: no selection results for {rule} under {RUNS / study}")
    return min(scores, key=scores.get)


def write(study: str, stage: str) -> None:
    folder = HERE / "sweeps" / study
    folder.mkdir(parents=True, exist_ok=True)
    if stage != "variants":
        for old in folder.glob("*.toml"):
            old.unlink()
    for rule in (VARIANTS if stage == "variants" else RULES):
        if stage == "select":
            chosen = MULTIPLIERS
            seeds = STUDIES[study]["select_seeds"]
        else:
            chosen = (chosen_multiplier(study, rule),)
            seeds = FINAL_SEEDS
        for multiplier in chosen:
            rate = float(f"{BASE[study][rule_of(rule)] * multiplier:.3g}")
            (folder / f"{cell_name(rule, multiplier)}.toml").write_text(sweep_text(study, rule, multiplier, seeds, rate))
            print(folder / f"{cell_name(rule, multiplier)}.toml", f"eta = {rate:.3g}", f"seeds {list(seeds)}")


def summary(study: str) -> pd.DataFrame:
    """Per rule at its chosen rate: mean and s.e.m. over seeds of every column, and the seed count."""
    rows = []
    for rule in ROWS:
        multiplier = chosen_multiplier(study, rule)
        table = read_cell(study, cell_name(rule, multiplier))
        if table is None:
            continue
        row = {"rule": rule, "eta": float(f"{BASE[study][rule_of(rule)] * multiplier:.3g}")}
        for heading, column, where in COLUMNS[study]:
            part = table if where is None else table[np.isclose(table[where[0]], where[1])]
            values = part[column].to_numpy(float) if column in part else np.array([])
            finite = values[np.isfinite(values)]
            row[heading] = float(np.mean(finite)) if len(finite) else math.nan
            row[heading + " sem"] = float(np.std(finite, ddof=1) / np.sqrt(len(finite))) if len(finite) > 1 else math.nan
            row[heading + " n"] = f"{len(finite)}/{len(values)}"
        rows.append(row)
    return pd.DataFrame(rows)


def reset_firings(study: str, row: str) -> str:
    """How many runs of a reset row's chosen cell fired at least once, per projection (from each run's state)."""
    import tomllib

    table = read_cell(study, cell_name(row, chosen_multiplier(study, row)))
    if table is None:
        return "not run"
    folder = RUNS / study / cell_name(row, chosen_multiplier(study, row)) / "runs"
    fired, lines = {}, []
    for run_id in table["run_id"]:
        state_path = folder / run_id / "state.npz"
        if not state_path.exists():
            continue
        config = tomllib.loads((folder / run_id / "config.toml").read_text())
        network = config.get("network", config)
        state = np.load(state_path)
        for key in state.files:
            if key.endswith(":steps_since"):
                since = float(state[key].ravel()[0]) * network["dt"]
                projection = key.split(":")[2]
                fired.setdefault(projection, []).append(since < network["duration"] - 1e-6)
    for projection, flags in fired.items():
        lines.append(f"{projection}: fired in {sum(flags)} of {len(flags)} runs")
    return "; ".join(lines)


def markdown(study: str, frame: pd.DataFrame) -> str:
    headings = [h for h, _, _ in COLUMNS[study]]
    lines = ["| rule | η | " + " | ".join(headings) + " |", "|" + "---|" * (len(headings) + 2)]
    for _, row in frame.iterrows():
        cells = []
        for h in headings:
            mean, sem, n = row[h], row[h + " sem"], row[h + " n"]
            if "reached" in h:  # a fraction of the seeds
                count = int(n.split("/")[1])
                cells.append(f"{int(round(mean * count))}/{count}" if np.isfinite(mean) else "—")
                continue
            text = "—" if not np.isfinite(mean) else (f"{mean:.3g} ± {sem:.2g}" if np.isfinite(sem) else f"{mean:.3g}")
            if not n.startswith(n.split("/")[1] + "/"):  # some seeds without a finite value
                text += f" ({n})"
            cells.append(text)
        lines.append(f"| {row['rule']} | {row['eta']:.3g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def figure(study: str, frame: pd.DataFrame, path: Path) -> None:
    from hippo import plotting

    headings = [h for h, _, _ in COLUMNS[study] if "reached" not in h]
    ncols = min(4, len(headings))
    nrows = math.ceil(len(headings) / ncols)
    fig, axes = plotting.figure(2.6 * ncols, 2.8 * nrows, nrows=nrows, ncols=ncols)
    axes = np.atleast_1d(axes).ravel()
    for ax in axes[len(headings):]:
        ax.remove()
    x = np.arange(len(frame))
    for ax, heading in zip(axes, headings):
        ax.bar(x, frame[heading], yerr=frame[heading + " sem"].fillna(0.0), color="#2a9d8f", capsize=2)
        ax.set_xticks(x, frame["rule"], rotation=60, ha="right", fontsize=6)
        ax.set_title(heading, fontsize=7)
    fig.suptitle(f"{study}: mean ± s.e.m. over seeds, each rule at its chosen learning rate", fontsize=8)
    plotting.save(fig, path)


def table(study: str) -> None:
    frame = summary(study)
    text = markdown(study, frame)
    RUNS.mkdir(parents=True, exist_ok=True)
    (RUNS / f"{study}.md").write_text(text)
    frame.to_csv(RUNS / f"{study}.csv", index=False)
    figure(study, frame, RUNS / f"{study}.png")
    print(text)
    if study != "transfer":
        for row in ROWS:
            if rule_of(row) == "reset":
                print(f"{row} during training:", reset_firings(study, row))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write the sweep files of a stage")
    w.add_argument("study", choices=sorted(STUDIES))
    w.add_argument("stage", choices=("select", "final", "variants"))
    t = sub.add_parser("table", help="the comparison table and figure of a study")
    t.add_argument("study", choices=sorted(STUDIES))
    args = parser.parse_args(argv)
    if args.command == "write":
        write(args.study, args.stage)
    else:
        table(args.study)


if __name__ == "__main__":
    main(sys.argv[1:])
