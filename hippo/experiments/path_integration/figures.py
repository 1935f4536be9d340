"""Figures of the path-integration experiment (paper figure 3 style)."""

from __future__ import annotations

import numpy as np

from hippo import plotting
from hippo.analysis import ring_attractor
from hippo.analysis.statistics import sem

#: Cells whose rate map never exceeds this rate are drawn as silent.
SILENT_RATE = 0.05


def decoding(result, env, metrics, path, trial: int = 0):
    """Decoded and true position through one trial, before and after the switch to generation."""
    fig, ax = plotting.figure(5.0, 2.2)
    t = result.t
    for series, colour, label in ((result.true[trial, :, 0], plotting.COLOURS["true"], "true"),
                                  (result.decoded[trial, :, 0], plotting.COLOURS["decoded"], "decoded from HPC")):
        ax.scatter(t, series, s=1.5, color=colour, label=label, linewidths=0)
    ax.axvline(0, color="k", ls=":", lw=0.8)
    ax.axvspan(0, t[-1], color="#f2e6f2", zorder=-1, lw=0)
    ax.text(t[-1], env.size[0] * 1.02, "senses off: generative mode (θ ≡ 0)", fontsize=7, va="bottom", ha="right")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, env.size[0])
    ax.set_xlabel("time from switch (s)")
    ax.set_ylabel("position (m)" if env.dim == 1 else "x position (m)")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.08), markerscale=4, ncol=2, borderaxespad=0)
    return plotting.save(fig, path)


def error_curve(result, metrics, path):
    """Mean decoding error ± s.e.m. over trials against time from the switch, with chance level."""
    fig, ax = plotting.figure(3.2, 2.3)
    mean = result.errors.mean(axis=0)
    band = sem(result.errors, axis=0) if len(result.errors) > 1 else np.zeros_like(mean)
    colour = plotting.COLOURS["decoded"]
    trials = len(result.errors)
    ax.plot(result.t, mean, color=colour, label=f"mean ± s.e.m., {trials} trial{'' if trials == 1 else 's'}")
    ax.fill_between(result.t, mean - band, mean + band, color=colour, alpha=0.3, lw=0)
    ax.axhline(metrics["chance_error_m"], color=plotting.COLOURS["chance"], ls="--", lw=0.8, label="chance")
    ax.axvline(0, color="k", ls=":", lw=0.8)
    ax.set_xlabel("time from switch (s)")
    ax.set_ylabel("decoding error (m)")
    ax.set_ylim(0, metrics["chance_error_m"] * 1.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=2, borderaxespad=0)  # above the axes, off the curve
    return plotting.save(fig, path)


def mec_activity(maps, order, result, path, trial: int = 0):
    """Ordered MEC rate maps and the ordered MEC raster of one trial."""
    fig, axes = plotting.figure(6.0, 2.6, ncols=2, gridspec_kw={"width_ratios": [1, 2]})
    ordered = np.nan_to_num(maps[order])
    peak = ordered.max(axis=1, keepdims=True)
    active = peak > SILENT_RATE
    normalised = np.where(active, np.clip(ordered, 0, None) / np.where(active, peak, 1.0), 0.0)
    axes[0].imshow(normalised, aspect="auto", origin="lower", extent=(0, 1, 0, len(order)), interpolation="nearest",
                   vmin=0, vmax=1)
    axes[0].set_xlabel("position (fraction of track)")
    axes[0].set_ylabel("MEC cell (ordered)")
    axes[0].set_title(f"rate maps ({int(active.sum())} active cells)")
    raster = result.mec[trial][:, order].T
    image = axes[1].imshow(raster, aspect="auto", origin="lower", extent=(result.t[0], result.t[-1], 0, len(order)),
                           interpolation="nearest", cmap="magma")
    axes[1].axvline(0, color="w", ls=":", lw=0.8)
    axes[1].set_xlabel("time from switch (s)")
    axes[1].set_title("MEC activity (ordered)")
    fig.colorbar(image, ax=axes[1], label="rate", shrink=0.8)
    return plotting.save(fig, path)


def ring_weights(w_rec, w_conj, blocks, order, path):
    """Aligned MEC recurrent and conjunctive weights (ordered cells) and their mean profiles.

    ``blocks`` is the conjunctive layout (:func:`hippo.circuits.wiring.conjunctive_blocks`).
    """
    n = len(w_rec)
    blocks = [("MEC → MEC", w_rec), ("conj. (+v) → MEC", w_conj[:, blocks["+x"]]),
              ("conj. (−v) → MEC", w_conj[:, blocks["-x"]])]
    fig, axes = plotting.figure(7.0, 4.2, nrows=2, ncols=3, gridspec_kw={"height_ratios": [2, 1]})
    offsets = ring_attractor.offsets(n)
    for column, (title, weights) in enumerate(blocks):
        aligned = ring_attractor.aligned(weights, order)
        limit = np.nanpercentile(np.abs(aligned), 99) or 1.0
        image = axes[0, column].imshow(aligned, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
                                       extent=(offsets[0] - 0.5, offsets[-1] + 0.5, n, 0), interpolation="nearest")
        axes[0, column].set_title(title)
        axes[0, column].set_xlabel("offset from own cell (cells)")
        fig.colorbar(image, ax=axes[0, column], shrink=0.8, label="weight")
        profile = ring_attractor.mean_profile(aligned)
        axes[1, column].plot(offsets, profile, color=plotting.COLOURS["mec"])
        axes[1, column].axhline(0, color="k", lw=0.5)
        axes[1, column].axvline(0, color="k", lw=0.5, ls=":")
        axes[1, column].set_xlabel("offset (cells)")
    axes[0, 0].set_ylabel("MEC cell (ordered)")
    axes[1, 0].set_ylabel("mean weight")
    return plotting.save(fig, path)

