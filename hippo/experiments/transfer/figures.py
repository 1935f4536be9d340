"""Figures of the environment-transfer experiment (paper figure 4 style).

Every function draws from the run's ``arrays.npz`` mapping (see
:func:`hippo.experiments.transfer.run`) and writes one PNG.
"""

from __future__ import annotations

import numpy as np

from hippo import plotting
from hippo.analysis import ring_attractor
from hippo.analysis.statistics import sem

#: Colour of each arm.
ARM_COLOURS = {"transfer": "#e76f51", "no-freeze": "#f4a261", "scratch": "#2a9d8f", "random-attractor": "#999999",
               "broken-attractor": "#6a4c93"}

#: Seconds after the switch to generation whose error the bars and curves show.
SHOWN_ERROR_S = 1.0


def _error_at(errors: np.ndarray, t: np.ndarray, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and s.e.m. over trials (last-but-one axis) of ``errors`` at ``seconds`` after the switch."""
    k = int(np.argmin(np.abs(t - seconds)))
    column = errors[..., k]
    return column.mean(axis=-1), sem(column, axis=-1) if column.shape[-1] > 1 else np.zeros(column.shape[:-1])


def figure4(arrays: dict, arms: tuple[str, ...], path):
    """a: HPC and MEC loss through the move (end of training in A, then the transfer arm's
    relearning in B); b: 1 s path-integration error in A, right after the move and after
    relearning, per arm (mean ± s.e.m. over trials)."""
    fig, (ax_loss, ax_bar) = plotting.figure(7.0, 2.6, ncols=2, gridspec_kw={"width_ratios": [1.3, 1]})
    shown = "transfer" if "transfer" in arms else arms[0]
    t_a = arrays["train.t"]
    end = t_a[-1] if len(t_a) else 0.0
    for layer in ("hpc", "mec"):
        colour = plotting.COLOURS[layer]
        if len(t_a):
            tail = t_a > end - 600.0
            ax_loss.plot((t_a[tail] - end) / 60, arrays[f"train.loss.{layer}"][tail], color=colour, lw=0.8)
        t_b = arrays[f"{shown}.relearn.t"]
        ax_loss.plot((t_b - t_b[0]) / 60 if len(t_b) else t_b, arrays[f"{shown}.relearn.loss.{layer}"], color=colour,
                     lw=0.8, alpha=0.8, label=layer.upper())
    ax_loss.axvline(0, color="k", ls=":", lw=0.8)
    ax_loss.set_xlabel(f"minutes from the move ({shown} arm)")
    ax_loss.set_ylabel("loss |basal − apical|")
    ax_loss.legend(loc="upper right")
    plotting.panel_label(ax_loss, "a")

    t = arrays["test.t"]
    a_mean, a_sem = _error_at(arrays["in_a.errors"], t, SHOWN_ERROR_S)
    ax_bar.bar([0], [a_mean], yerr=[a_sem], color="#444444", width=0.7)
    labels = ["A"]
    for k, arm in enumerate(arms):
        means, sems = _error_at(arrays[f"{arm}.errors"], t, SHOWN_ERROR_S)
        x = 1.5 + 2.2 * k
        ax_bar.bar([x], [means[0]], yerr=[sems[0]], width=0.8, color=ARM_COLOURS[arm], alpha=0.45)
        ax_bar.bar([x + 0.9], [means[-1]], yerr=[sems[-1]], width=0.8, color=ARM_COLOURS[arm])
        labels.append(arm)
    ax_bar.set_xticks([0] + [1.95 + 2.2 * k for k in range(len(arms))], labels, rotation=35, ha="right", fontsize=7)
    ax_bar.set_ylabel(f"PI error at {SHOWN_ERROR_S:g} s (m)")
    ax_bar.set_title("light: right after the move; dark: after relearning", fontsize=7)
    plotting.panel_label(ax_bar, "b")
    return plotting.save(fig, path)


def relearning_curves(arrays: dict, arms: tuple[str, ...], metrics: dict, path):
    """Each arm's 1 s path-integration error against minutes of relearning (mean ± s.e.m. over
    trials), with the error in A and the criterion."""
    fig, ax = plotting.figure(4.0, 2.8)
    t, minutes = arrays["test.t"], arrays["checkpoints_s"] / 60.0
    for arm in arms:
        means, sems = _error_at(arrays[f"{arm}.errors"], t, SHOWN_ERROR_S)
        colour = ARM_COLOURS[arm]
        ax.plot(minutes, means, "o-", ms=3, color=colour, label=arm)
        ax.fill_between(minutes, means - sems, means + sems, color=colour, alpha=0.25, lw=0)
    a_mean, _ = _error_at(arrays["in_a.errors"], t, SHOWN_ERROR_S)
    ax.axhline(a_mean, color="k", ls="--", lw=0.8, label="in A")
    ax.set_xlabel("relearning in B (min)")
    ax.set_ylabel(f"PI error at {SHOWN_ERROR_S:g} s (m)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6, loc="upper right")
    return plotting.save(fig, path)


def mec_rate_maps(arrays: dict, arms: tuple[str, ...], path):
    """MEC rate maps in A (ordered by their peaks) and, in that order, in B right after the
    move and after relearning (transfer arm, or the first arm)."""
    shown = "transfer" if "transfer" in arms else arms[0]
    order = ring_attractor.order_by_peak(arrays["in_a.maps.mec"])
    panels = [("A", arrays["in_a.maps.mec"]), ("B, right after the move", arrays[f"{shown}.maps_after_move.mec"]),
              (f"B, after relearning ({shown})", arrays[f"{shown}.maps.mec"])]
    fig, axes = plotting.figure(7.0, 2.5, ncols=3)
    for ax, (title, maps) in zip(axes, panels):
        rows = maps[order]
        peak = np.nanmax(rows, axis=1, keepdims=True)
        ax.imshow(np.where(peak > 0, rows / np.where(peak > 0, peak, 1.0), 0.0), aspect="auto", cmap="viridis",
                  interpolation="nearest", extent=(0, 1, len(rows), 0))
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("position (fraction of the track)")
    axes[0].set_ylabel("MEC cell (ordered in A)")
    return plotting.save(fig, path)


def seed_curves(study, path):
    """Each arm's 1 s path-integration error against minutes of relearning, mean ± s.e.m. over
    the seeds of a ``--seeds`` study folder (its ``seed<N>/arrays.npz``), with the error in A."""
    from pathlib import Path

    runs = sorted(Path(study).glob("seed*/arrays.npz"))
    if not runs:
        raise FileNotFoundError(f"{study}: no seed<N>/arrays.npz")
    loaded = [dict(np.load(run)) for run in runs]
    arms = [arm for arm in ARM_COLOURS if f"{arm}.errors" in loaded[0]]
    t, minutes = loaded[0]["test.t"], loaded[0]["checkpoints_s"] / 60.0
    fig, ax = plotting.figure(4.0, 2.8)
    for arm in arms:
        per_seed = np.array([_error_at(arrays[f"{arm}.errors"], t, SHOWN_ERROR_S)[0] for arrays in loaded])
        mean = per_seed.mean(axis=0)
        band = sem(per_seed, axis=0) if len(per_seed) > 1 else np.zeros_like(mean)
        ax.plot(minutes, mean, "o-", ms=3, color=ARM_COLOURS[arm], label=arm)
        ax.fill_between(minutes, mean - band, mean + band, color=ARM_COLOURS[arm], alpha=0.25, lw=0)
    in_a = np.mean([_error_at(arrays["in_a.errors"], t, SHOWN_ERROR_S)[0] for arrays in loaded])
    ax.axhline(in_a, color="k", ls="--", lw=0.8, label="in A")
    ax.set_xlabel("relearning in B (min)")
    ax.set_ylabel(f"PI error at {SHOWN_ERROR_S:g} s (m)")
    ax.set_title(f"mean ± s.e.m. over {len(runs)} seeds", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=6, loc="upper right")
    return plotting.save(fig, path)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        sys.exit("usage: python -m hippo.experiments.transfer.figures STUDY_FOLDER OUT.png")
    seed_curves(sys.argv[1], sys.argv[2])
