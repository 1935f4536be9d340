"""Figures of the active-exploration experiment (:mod:`hippo.experiments.active_exploration`).

Each function draws from the runs of every environment (its
:class:`~hippo.experiments.active_exploration.EnvironmentResult`) and writes one PNG.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection

from hippo import plotting
from hippo.analysis.exploration import coverage_curves, steps_to_coverage
from hippo.world.gridworld import Gridworld
from hippo.world.gridworld_model import cue_outcomes


def _median_iqr(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, first and third quartiles over runs (first axis) of ``values``."""
    return tuple(np.percentile(values, q, axis=0) for q in (50, 25, 75))


def _draw_map(ax, env: Gridworld) -> None:
    """The map of ``env`` on ``ax`` in metres: free cells light, walls dark, cue letters on their cells."""
    width, height = (env.size[0], env.cell_size) if env.dim == 1 else tuple(env.size)
    ax.imshow(np.where(env.free, 0.95, 0.25), cmap="gray", vmin=0, vmax=1, extent=(0, width, 0, height),
              origin="upper", interpolation="nearest")
    for row, col in np.argwhere(np.char.isalpha(env.grid.astype(str))):
        x, y = env.cell_centres(np.array([row, col]))
        ax.text(x, y, env.grid[row, col], ha="center", va="center", fontsize=6, color=plotting.COLOURS["chance"])
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_aspect("equal")


def trajectories(results: list, target: float, path):
    """The first run's path over each map until it reaches the coverage ``target`` (a fraction of the free
    cells), coloured by step."""
    fig, axes = plotting.figure(3.4 * len(results), 3.2, ncols=len(results), squeeze=False)
    for letter, ax, result in zip("abcdefgh", axes[0], results):
        env = result.env
        curve = coverage_curves(result.agent_states[:1], env.n_free)[0]
        stop = int(steps_to_coverage(curve[None], target)[0]) if curve[-1] >= target else len(curve) - 1
        track = env.cell_centres(env.free_cells[result.agent_states[0, : stop + 1]])
        _draw_map(ax, env)
        segments = LineCollection(np.stack([track[:-1], track[1:]], axis=1), cmap="viridis", linewidths=1.0)
        segments.set_array(np.arange(stop))
        ax.add_collection(segments)
        ax.plot(*track[0], "o", color=plotting.COLOURS["agent"], markersize=4)
        fig.colorbar(segments, ax=ax, shrink=0.7, label="step")
        ax.set_title(f"{env.name}\n{stop} steps to {100 * curve[stop]:.0f}% of cells")
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)


def likelihoods(results: list, path):
    """True against learned cue likelihood ``A`` (outcomes × cells) at the end of the first run."""
    fig, axes = plotting.figure(7.0, 1.6 * len(results) + 0.6, nrows=len(results), ncols=2, squeeze=False)
    letters = iter("abcdefghijklmnop")
    for row, result in zip(axes, results):
        labels = cue_outcomes(result.env)
        for ax, A, title in zip(row, (result.example.A_true[0], result.example.agent.A[0]), ("true A", "learned A")):
            image = ax.imshow(A, aspect="auto", vmin=0, vmax=1, interpolation="nearest")
            ax.set_yticks(range(len(labels)), labels)
            ax.set_xlabel("cell (state index)")
            ax.set_ylabel("cue")
            ax.set_title(f"{result.env.name}: {title}")
            plotting.panel_label(ax, next(letters))
        fig.colorbar(image, ax=row, shrink=0.8, label="p(cue | cell)")
    return plotting.save(fig, path)


def coverage(results: list, target: float, path):
    """Median (and quartiles) of coverage (fraction of free cells visited) against steps for agent and random
    walk, with the coverage ``target``."""
    fig, axes = plotting.figure(3.2 * len(results), 2.6, ncols=len(results), squeeze=False)
    for letter, ax, result in zip("abcdefgh", axes[0], results):
        for states, label, colour in ((result.agent_states, "active inference", plotting.COLOURS["agent"]),
                                      (result.random_states, "random walk", plotting.COLOURS["random"])):
            median, low, high = _median_iqr(coverage_curves(states, result.env.n_free))
            steps = np.arange(1, len(median))
            ax.plot(steps, median[1:], color=colour, label=label)
            ax.fill_between(steps, low[1:], high[1:], color=colour, alpha=0.25, linewidth=0)
        ax.axhline(target, color=plotting.COLOURS["chance"], linestyle=":", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("steps")
        ax.set_ylabel("fraction of cells visited")
        ax.set_title(result.env.name)
        ax.legend(loc="lower right")
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)


def kl(results: list, path):
    """Median (and quartiles) of the mean KL(true A || learned A) (nats) against steps."""
    fig, axes = plotting.figure(3.2 * len(results), 2.6, ncols=len(results), squeeze=False)
    for letter, ax, result in zip("abcdefgh", axes[0], results):
        median, low, high = _median_iqr(result.kl)
        steps = np.arange(len(median))
        ax.plot(steps, median, color=plotting.COLOURS["agent"])
        ax.fill_between(steps, low, high, color=plotting.COLOURS["agent"], alpha=0.25, linewidth=0)
        ax.set_xlabel("steps")
        ax.set_ylabel("KL(true A ‖ learned A) (nats)")
        ax.set_title(result.env.name)
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)
