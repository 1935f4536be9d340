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


def plot_sweep(sweep_dir: str | Path, x: str, y: str, hue: str | None = None, out: str | Path | None = None) -> Path:
    """Draw metric ``y`` against column ``x`` (one line per value of ``hue``), mean ± s.e.m. over runs.

    Runs that differ in swept keys other than ``x`` and ``hue`` are pooled; the title
    names those keys.

    Args:
        sweep_dir: the sweep folder (its ``results.parquet`` is rebuilt if missing).
        x: a column of the results table, usually a swept key.
        y: a metric column.
        hue: a column whose values get one line each, or ``None``.
        out: the PNG file (default ``<sweep_dir>/figures/<y>_vs_<x>.png``).

    Returns:
        The written file.

    Raises:
        HippoError: a column is not in the table, or no finished run has ``y``.
    """
    from hippo.plotting import figure, save

    sweep_dir = Path(sweep_dir)
    table = read_table(sweep_dir)
    for option, column in (("--x", x), ("--y", y), ("--hue", hue)):
        if column is not None and column not in table.columns:
            raise HippoError(f"{sweep_dir}: {option} {column!r}: no such column "
                             f"(allowed: {', '.join(map(str, table.columns))})")
    stats = summary(table, x, y, hue)
    if stats.empty:
        raise HippoError(f"{sweep_dir}: no finished run has a value of {y!r}")
    fig, ax = figure(4.0, 3.0)
    groups = stats.groupby(hue, dropna=False) if hue else [(None, stats)]
    for value, group in groups:
        group = group.sort_values(x)
        label = f"{hue} = {value}" if hue else None
        ax.errorbar(group[x], group["mean"], yerr=group["sem"].fillna(0.0), marker="o", capsize=2, label=label)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    pooled = [key for key in read_plan(sweep_dir).get("swept", []) if key not in (x, hue)
              and table.loc[table["status"] == DONE, key].nunique() > 1]
    counts = f"n = {stats['n'].min()}–{stats['n'].max()} runs per point" if stats["n"].nunique() > 1 \
        else f"n = {stats['n'].iloc[0]} runs per point"
    ax.set_title(counts + (f"; pooled over {', '.join(pooled)}" if pooled else ""), fontsize=7)
    if hue:
        ax.legend(fontsize=7, frameon=False)
    out = Path(out) if out else sweep_dir / "figures" / f"{y}_vs_{x}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    return save(fig, out)
