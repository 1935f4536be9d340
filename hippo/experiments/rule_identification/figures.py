"""Figures of the rule-identification experiment (:mod:`hippo.experiments.rule_identification`).

Each function draws from the experiment's ``Config`` and its results and writes one PNG.
"""

from __future__ import annotations

import numpy as np

from hippo import plotting


def identification(config, errors: np.ndarray, confusion: np.ndarray, path):
    """Confusion matrix (held-out runs, generating × identified rule), and every held-out run's error under
    each rule's network (``errors``: generating rule × held-out run × network)."""
    fig, axes = plotting.figure(7.0, 3.0, ncols=2)
    names = list(config.rules)
    image = axes[0].imshow(confusion, cmap="Blues")
    for a in range(len(names)):
        for b in range(len(names)):
            axes[0].text(b, a, str(confusion[a, b]), ha="center", va="center", fontsize=7)
    axes[0].set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=6)
    axes[0].set_yticks(range(len(names)), names, fontsize=6)
    axes[0].set_xlabel("identified rule")
    axes[0].set_ylabel("generating rule")
    fig.colorbar(image, ax=axes[0], shrink=0.7, label="held-out runs")
    colours = [plotting.COLOURS[key] for key in ("basal", "apical", "hpc", "mec", "agent", "true")]
    for b, name in enumerate(names):
        x = np.arange(len(names))[:, None] + 0.15 * (b - (len(names) - 1) / 2) + np.zeros(errors.shape[1])
        axes[1].scatter(x.ravel(), errors[:, :, b].ravel(), s=6, color=colours[b % len(colours)],
                        label=f"{name} network")
    axes[1].set_yscale("log")
    axes[1].set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=6)
    axes[1].set_xlabel("generating rule (held-out runs)")
    axes[1].set_ylabel("normalised Δw prediction error")
    axes[1].legend(fontsize=5)
    for ax, letter in zip(axes, "ab"):
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)


def weights(config, recorded: dict, path):
    """One recorded run per rule (the first held out, ``recorded[rule][config.train_runs]``): the apical
    weights over time (s)."""
    fig, axes = plotting.figure(7.0, 1.8 * ((len(config.rules) + 1) // 2), nrows=(len(config.rules) + 1) // 2,
                                ncols=2, sharex=True, squeeze=False)
    for ax, rule in zip(axes.ravel(), config.rules):
        W = recorded[rule][config.train_runs]["W"]
        t = np.arange(W.shape[0]) * config.circuit.dt
        ax.plot(t, W.reshape(W.shape[0], -1), lw=0.6)
        ax.set_title(rule, fontsize=8)
        ax.set_ylabel("weight")
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    return plotting.save(fig, path)
