"""A metric against a swept parameter: mean ± s.e.m. over the finished runs at each value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hippo.errors import HippoError
from hippo.sweep.execute import DONE
from hippo.sweep.table import read_plan, read_table


def summary(table: pd.DataFrame, x: str, y: str, hue: str | None = None) -> pd.DataFrame:
    """Mean, s.e.m. and count of ``y`` per value of ``x`` (and of ``hue``) over finished runs.

    Returns:
        Columns ``[hue,] x, mean, sem, n``; ``sem`` is NaN where ``n`` is 1.
    """
    done = table[(table["status"] == DONE) & table[y].notna()]
    keys = [hue, x] if hue else [x]
    grouped = done.groupby(keys, dropna=False)[y]
    stats = grouped.agg(["mean", "std", "count"]).reset_index()
    stats["sem"] = stats["std"] / np.sqrt(stats["count"])
    return stats.rename(columns={"count": "n"}).drop(columns="std")


#: Endings of a metric's name that give its unit (``pi_error_m`` is in metres), longest first.
METRIC_UNITS = (("_m_per_s", "m/s"), ("_per_s", "1/s"), ("_seconds", "s"), ("_hz", "Hz"), ("_s", "s"), ("_m", "m"))


def column_unit(column: str, key_units: dict[str, str]) -> str:
    """The unit of a results-table column: a configuration key's (``key_units``), else the one a
    metric's name ends in (``pi_error_m.5`` → m, ``wall_seconds`` → s), else ``""``."""
    if key_units.get(column, "-") != "-":
        return key_units[column]
    for part in reversed(column.split(".")):
        for ending, unit in METRIC_UNITS:
            if part.lower().endswith(ending):
                return unit
    return ""


def _key_units(sweep_dir: Path) -> dict[str, str]:
    """Configuration key → unit (as ``hippo show`` gives it) of the sweep's experiment, or ``{}`` if unknown."""
    from hippo.describe import key_rows

    experiment = read_plan(sweep_dir).get("experiment")
    try:
        return {row.key: row.unit for row in key_rows(experiment)} if experiment else {}
    except HippoError:  # an experiment file that is gone: no units
        return {}


def _label(column: str, unit: str) -> str:
    return f"{column} ({unit})" if unit else column


def plot_sweep(sweep_dir: str | Path, x: str, y: str, hue: str | None = None, out: str | Path | None = None,
               format: str | None = None) -> Path:
    """Draw metric ``y`` against column ``x`` (one line per value of ``hue``), mean ± s.e.m. over runs.

    Runs that differ in swept keys other than ``x`` and ``hue`` are pooled; the title
    says so. The axes name their columns with units (a key's unit as ``hippo show``
    gives it, a metric's from its name); the title says what the points and error bars
    are and over how many runs.

    Args:
        sweep_dir: the sweep folder (its ``results.parquet`` is rebuilt if missing).
        x: a column of the results table, usually a swept key.
        y: a numeric metric column.
        hue: a column whose values get one line each, or ``None``.
        out: the figure file, in the format its suffix names (default
            ``<sweep_dir>/figures/<y>_vs_<x>.png``).
        format: the figure format (``pdf``, ``svg``, …) when ``out`` has no suffix or is not given.

    Returns:
        The written file.

    Raises:
        HippoError: a column is not in the table, ``y`` holds text, no finished run has
            ``y``, or ``out``/``format`` cannot be written (:func:`hippo.plotting.figure_path`).
    """
    from hippo.plotting import figure, figure_path, save

    sweep_dir = Path(sweep_dir)
    out = figure_path(out, sweep_dir / "figures" / f"{y}_vs_{x}.png", "--out", format)
    table = read_table(sweep_dir)
    for option, column in (("--x", x), ("--y", y), ("--hue", hue)):
        if column is not None and column not in table.columns:
            raise HippoError(f"{sweep_dir}: {option} {column!r}: no such column "
                             f"(allowed: {', '.join(map(str, table.columns))})")
    if not pd.api.types.is_numeric_dtype(table[y]) or pd.api.types.is_bool_dtype(table[y]):
        numeric = [str(c) for c in table.columns if pd.api.types.is_numeric_dtype(table[c])
                   and not pd.api.types.is_bool_dtype(table[c])]
        raise HippoError(f"{sweep_dir}: --y {y!r}: a column of text, not numbers (allowed: {', '.join(numeric)})")
    stats = summary(table, x, y, hue)
    if stats.empty:
        raise HippoError(f"{sweep_dir}: no finished run has a value of {y!r}")
    units = _key_units(sweep_dir)
    fig, ax = figure(4.0, 3.0)
    groups = stats.groupby(hue, dropna=False) if hue else [(None, stats)]
    for value, group in groups:
        group = group.sort_values(x)
        label = f"{_label(hue, column_unit(hue, units))} = {value}" if hue else None
        ax.errorbar(group[x], group["mean"], yerr=group["sem"].fillna(0.0), marker="o", capsize=2, label=label)
    ax.set_xlabel(_label(x, column_unit(x, units)))
    ax.set_ylabel(_label(y, column_unit(y, units)))
    pooled = [key for key in read_plan(sweep_dir).get("swept", []) if key not in (x, hue)
              and table.loc[table["status"] == DONE, key].nunique() > 1]
    low, high = int(stats["n"].min()), int(stats["n"].max())
    runs = f"{low} run" if low == high == 1 else f"{low} runs" if low == high else f"{low}–{high} runs"
    single = " (no error bar where n = 1)" if low == 1 else ""
    ax.set_title(f"mean ± s.e.m. over runs, n = {runs} per point{single}"
                 + (f"; pooled over {', '.join(pooled)}" if pooled else ""), fontsize=7)
    if hue:
        ax.legend(fontsize=7, frameon=False)
    return save(fig, out)
