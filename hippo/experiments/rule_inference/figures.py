"""Figures of the rule-inference experiment (:mod:`hippo.experiments.rule_inference`).

Each function draws from the experiment's ``Config`` and its fits and writes one PNG.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from hippo import plotting
from hippo.inference import recovery
from hippo.inference.networks import RuleNetwork


def update_functions(config, fit, path):
    """Fitted (DNNGLM) against generating REINFORCE ΔW of the stimulus weight, by stimulus, for bias 0."""
    positive = config.task.stimuli()[config.task.stimuli() > 0]
    magnitudes = sorted({positive[0], positive[len(positive) // 2], positive[-1]})
    stimuli = [-m for m in reversed(magnitudes)] + magnitudes
    weights = np.linspace(-2.0, 2.0, 201)
    fig, axes = plotting.figure(7.0, 2.8, ncols=2, sharey=True)
    colours = plt.get_cmap("coolwarm")(np.linspace(0.0, 1.0, len(stimuli)))
    for ax, y, title in ((axes[0], 1.0, "choice right"), (axes[1], 0.0, "choice left")):
        for k, s in enumerate(stimuli):
            r = float((y == 1.0) == (s > 0))
            grid = {"s": np.full_like(weights, s), "y": np.full_like(weights, y), "r": np.full_like(weights, r),
                    "W": np.stack([weights, np.zeros_like(weights)], axis=-1)}
            true = recovery.generating_update(config.reinforce, grid)[:, 0] / config.reinforce.alpha
            fitted = recovery.fitted_update(fit, grid)[:, 0] / config.reinforce.alpha
            colour = colours[k]
            ax.plot(weights, true, color=colour, lw=1.2, label=f"s = {s:g}")
            ax.plot(weights, fitted, color=colour, lw=1.2, ls="--")
        ax.set_title(f"{title} (solid: REINFORCE, dashed: DNNGLM)", fontsize=7)
        ax.set_xlabel("stimulus weight w (bias 0)")
    axes[0].set_ylabel("ΔW_stim / α")
    axes[0].legend(fontsize=6, ncol=2)
    for ax, letter in zip(axes, "ab"):
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)


def fits(config, arrays: dict, tests: dict, path):
    """Per study: fit loss per epoch, and the held-out stimulus weight (mean over animals) true against replayed."""
    fig, axes = plotting.figure(7.0, 5.0, nrows=2, ncols=2)
    styles = {"dnn": ("--", plotting.COLOURS["hpc"]), "rnn": (":", plotting.COLOURS["mec"])}
    for row, (name, models) in enumerate((("reinforce", config.reinforce_models), ("core", config.core_models))):
        rule = getattr(config, name).rule
        for kind in models:
            ls, colour = styles[kind]
            axes[row, 0].plot(np.arange(1, config.fit.epochs + 1), arrays[f"{name}.{kind}.losses"], color=colour,
                              label=RuleNetwork(kind=kind).label)
            axes[row, 1].plot(arrays[f"{name}.{kind}.W"][..., 0].mean(0), color=colour, ls=ls,
                              label=RuleNetwork(kind=kind).label)
        axes[row, 1].plot(tests[name].W[..., 0].mean(0), color=plotting.COLOURS["true"], lw=1.0, label=f"{rule} (true)")
        axes[row, 0].set_ylabel(f"{rule}: −log-likelihood / trial")
        axes[row, 1].set_ylabel("stimulus weight (held out)")
        axes[row, 0].legend(fontsize=6)
        axes[row, 1].legend(fontsize=6)
    axes[1, 0].set_xlabel("epoch")
    axes[1, 1].set_xlabel("trial")
    for ax, letter in zip(axes.ravel(), "abcd"):
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)
