"""Shared figure style and helpers: figures that look like figures from a paper.

Use :func:`figure` to make a figure in the house style and :func:`save` to write it
atomically (300 dpi) in the format its suffix names: any format matplotlib writes
(:data:`FORMATS`). :func:`figure_path` checks a figure path a user gives before any
work. Experiment modules keep their own plotting functions; this module holds what they
share.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from hippo.analysis.statistics import smooth  # noqa: E402
from hippo.errors import ConfigError  # noqa: E402
from hippo.io import atomic_path, check_output  # noqa: E402

STYLE = {
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.2,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "image.cmap": "viridis",
}

#: Colours used across figures: wake/inference, sleep/generation, truth, chance.
COLOURS = {"basal": "#1f77b4", "apical": "#d62728", "hpc": "#2a9d8f", "mec": "#e76f51",
           "true": "#222222", "decoded": "#e76f51", "chance": "#999999", "agent": "#6a4c93", "random": "#999999"}


def figure(width: float = 6.0, height: float = 3.0, **subplots_kw):
    """A new figure (inches) with axes from ``plt.subplots(**subplots_kw)``, in the house style."""
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(figsize=(width, height), **subplots_kw)
    fig.set_layout_engine("constrained")
    return fig, axes


_drawing = {"on": True}


@contextmanager
def figures_skipped():
    """Within this block :func:`save` closes figures without drawing or writing them.

    Drawing takes most of the wall time of a short run; sweeps at scale skip it.
    """
    before = _drawing["on"]
    _drawing["on"] = False
    try:
        yield
    finally:
        _drawing["on"] = before


#: The file formats matplotlib writes (suffixes without the dot).
FORMATS = tuple(sorted(FigureCanvasAgg.get_supported_filetypes()))


def figure_path(path: str | Path | None, default: str | Path, option: str = "--out",
                format: str | None = None) -> Path:
    """The file a figure is written to, checked before any work.

    Args:
        path: the file the user named (``--out``), or ``None`` for ``default``.
        default: the file without a user's choice; its suffix is replaced by ``format``'s.
        option: the option that named ``path``, for the message.
        format: the format the user named (``--format``): the suffix of a ``default`` path,
            and of a ``path`` without one; a ``path`` with another suffix is refused.

    Raises:
        ConfigError: the format is not one matplotlib writes, ``--format`` contradicts
            the suffix of ``path``, or the path cannot be written (:func:`hippo.io.check_output`).
    """
    allowed = ", ".join(FORMATS)
    if format is not None and format.lower().lstrip(".") not in FORMATS:
        raise ConfigError("--format", "", f"unknown figure format {format!r}", allowed)
    chosen = Path(path) if path is not None else Path(default)
    suffix = chosen.suffix.lower().lstrip(".")
    if format is not None:
        format = format.lower().lstrip(".")
        if path is None or not suffix:
            chosen = chosen.with_suffix(f".{format}") if path is None else chosen.with_name(f"{chosen.name}.{format}")
        elif suffix != format:
            raise ConfigError(option, "", f"{chosen} ends in .{suffix} but --format is {format}",
                              "a suffix that agrees with --format, or one of them")
    check_output(chosen, option)
    if chosen.suffix.lower().lstrip(".") not in FORMATS:
        raise ConfigError(option, "", f"{chosen}: its suffix {chosen.suffix or '(none)'!r} names no figure format",
                          "a file ending in " + ", ".join(f".{name}" for name in FORMATS))
    return chosen


def save(fig, path: str | Path) -> Path:
    """Save ``fig`` atomically in the format its suffix names (PNG without one) and close it.

    Inside :func:`figures_skipped` it only closes it.

    Raises:
        ValueError: a colour bar of ``fig`` has no label (every colour bar says what its colours are).
    """
    path = Path(path)
    unlabelled = [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is not None
                  and not (ax.get_xlabel() or ax.get_ylabel())]
    if unlabelled:
        plt.close(fig)
        raise ValueError(f"{path.name}: a colour bar without a label")
    if _drawing["on"]:
        suffix = path.suffix.lower().lstrip(".")
        with plt.rc_context(STYLE), atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix if suffix in FORMATS else "png")
    plt.close(fig)
    return path


def panel_label(ax, letter: str) -> None:
    """Bold panel letter in the top-left corner, outside the axes."""
    ax.text(-0.15, 1.05, letter, transform=ax.transAxes, fontsize=10, fontweight="bold", va="bottom", ha="right")


def plot_environment(env, path: str | Path) -> Path:
    """Draw a gridworld: walls dark, free cells light, cue letters written on their cells."""
    rows, cols = env.shape
    width, height = (env.size[0], env.cell_size) if env.dim == 1 else tuple(env.size)
    scale = 6.0 / max(width, height)
    fig, ax = figure(max(2.0, width * scale), max(1.0, height * scale + 0.6))
    image = np.where(env.free, 0.95, 0.25)
    ax.imshow(image, cmap="gray", vmin=0, vmax=1, extent=(0, width, 0, height), origin="upper", interpolation="nearest")
    for (row, col) in np.argwhere(np.char.isalpha(env.grid.astype(str))):
        x, y = env.cell_centres(np.array([row, col]))[0], (rows - row - 0.5) * env.cell_size
        ax.text(x, y, env.grid[row, col], ha="center", va="center", fontsize=max(4, min(9, 200 / max(rows, cols))), color="#6a4c93")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)" if env.dim == 2 else "")
    if env.dim == 1:
        ax.set_yticks([])
    ax.set_title(f"{env.name}: {env.boundary} boundary, {env.n_free} free cells of {env.cell_size * 100:g} cm")
    return save(fig, path)


def loss_curves(training, path: str | Path) -> Path:
    """Smoothed (τ = 10 s) loss ``|basal − apical|`` of HPC and MEC against training time (minutes), log scale.

    ``training`` is the training's recording (``t`` in seconds, ``loss["hpc"]``, ``loss["mec"]``).
    """
    fig, ax = figure(3.0, 2.2)
    step = training.t[1] - training.t[0] if len(training.t) > 1 else 1.0
    for layer in ("hpc", "mec"):
        ax.plot(training.t / 60.0, smooth(training.loss[layer], step, 10.0), color=COLOURS[layer], label=layer.upper())
    ax.set_yscale("log")
    ax.set_xlabel("training time (min)")
    ax.set_ylabel("loss  ⟨|basal − apical|⟩")
    ax.legend()
    return save(fig, path)
