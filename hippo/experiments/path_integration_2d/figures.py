"""Figures of 2-D path integration: paths after the senses are cut off, MEC rate maps, gains per
direction, and MEC population activity on its manifold."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from hippo import plotting


def _box(ax, env):
    width, height = env.size
    ax.plot([0, width, width, 0, 0], [0, 0, height, height, 0], color="k", lw=0.8)
    ax.set_xlim(-0.02 * width, 1.02 * width)
    ax.set_ylim(-0.02 * height, 1.02 * height)
    ax.set_aspect("equal")
    ax.set_xticks([0, width])
    ax.set_yticks([0, height])


def paths(result, env, path, n_trials: int = 3, seconds: float = 10.0):
    """True and decoded paths of the first trials over ``seconds`` after the switch (a dot marks the switch)."""
    n_trials = min(n_trials, len(result.errors))
    fig, axes = plotting.figure(2.2 * n_trials, 2.5, ncols=n_trials, squeeze=False)
    after = (result.t >= 0) & (result.t <= seconds)
    for trial, ax in enumerate(axes[0]):
        _box(ax, env)
        true, decoded = result.true[trial, after], result.decoded[trial, after]
        ax.plot(true[:, 0], true[:, 1], color=plotting.COLOURS["true"], lw=0.8, label="true")
        ax.plot(decoded[:, 0], decoded[:, 1], color=plotting.COLOURS["decoded"], lw=0.8, label="decoded")
        ax.plot(*true[0], "o", color=plotting.COLOURS["true"], ms=3)
        ax.set_title(f"trial {trial + 1}: {seconds:g} s senses off")
        ax.set_xlabel("x (m)")
        if trial == 0:
            ax.set_ylabel("y (m)")
            ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.12), ncol=2, borderaxespad=0)
    return plotting.save(fig, path)


def rate_maps(maps, information, grid_scores, path, n_cells: int = 25):
    """MEC rate maps of the ``n_cells`` most spatially informative cells, with information and gridness."""
    finite = np.where(np.isfinite(information), information, -np.inf)
    chosen = np.argsort(finite)[::-1][:n_cells]
    side = int(np.ceil(np.sqrt(len(chosen))))
    fig, axes = plotting.figure(1.3 * side, 1.45 * side, nrows=side, ncols=side, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, cell in zip(axes.ravel(), chosen):
        ax.imshow(maps[cell], origin="lower", interpolation="nearest")
        ax.set_title(f"{cell}: {information[cell]:.2f} b, g {grid_scores[cell]:.2f}", fontsize=6)
    fig.suptitle("MEC rate maps in theta mode (most informative cells; bits per unit rate, gridness)")
    return plotting.save(fig, path)


def gains(directional, path):
    """Gain along (a) and across (b) the commanded direction against speed, one line per direction."""
    fig, axes = plotting.figure(6.0, 2.4, ncols=2)
    directions = np.round(directional.directions_deg, 6)
    colours = plt.get_cmap("twilight")(np.linspace(0, 1, len(np.unique(directions)) + 1))
    for colour, direction in zip(colours, np.unique(directions)):
        chosen = directions == direction
        order = np.argsort(directional.speeds[chosen])
        for ax, values in zip(axes, (directional.along, directional.across)):
            ax.plot(directional.speeds[chosen][order], values[chosen][order], "o-", ms=2.5, color=colour,
                    label=f"{direction:g}°")
    axes[0].axhline(1.0, color="k", ls=":", lw=0.8)
    axes[1].axhline(0.0, color="k", ls=":", lw=0.8)
    axes[0].set_ylabel("gain along")
    axes[1].set_ylabel("gain across")
    for ax in axes:
        ax.set_xlabel("commanded speed (m/s)")
    axes[1].legend(ncol=2, fontsize=6)
    return plotting.save(fig, path)


def manifold(points, position, path, title: str = "MEC population vectors"):
    """The first three principal components of population vectors, coloured by true x (a) and y (b)."""
    centred = points - points.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:3].T
    with plt.rc_context(plotting.STYLE):
        fig = plt.figure(figsize=(6.0, 3.0))
        for k, (label, values) in enumerate((("x (m)", position[:, 0]), ("y (m)", position[:, 1]))):
            ax = fig.add_subplot(1, 2, k + 1, projection="3d")
            scatter = ax.scatter(*projected.T, c=values, s=2, cmap="viridis", linewidths=0)
            ax.set_title("axes: principal components 1–3", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_zticks([])
            fig.colorbar(scatter, ax=ax, shrink=0.6, pad=0.15, label=f"true {label}")
        fig.suptitle(title)
    return plotting.save(fig, path)


def weight_profile(bin_edges, profiles: dict, path):
    """Mean learned weight against the distance between the two cells' field peaks, one line per projection."""
    fig, ax = plotting.figure(3.6, 2.6)
    centres = (bin_edges[1:] + bin_edges[:-1]) / 2
    for name, profile in profiles.items():
        ax.plot(centres, profile, "o-", ms=2.5, lw=0.9, label=name)
    ax.axhline(0.0, color="0.6", lw=0.7)
    ax.set_xlabel("distance between field peaks (m)")
    ax.set_ylabel("mean weight onto MEC apical")
    ax.legend(fontsize=7)
    return plotting.save(fig, path)
