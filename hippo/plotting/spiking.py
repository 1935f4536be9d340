"""Figures of spiking runs: spike rasters and spike-count rate maps.

A unit of the spiking engine is a pool of neurons firing ``rate_scale`` Hz per unit rate
(:mod:`hippo.circuits.spiking`). A raster of whole pools at hundreds of Hz is a solid
bar, so :func:`raster` shows one neuron of each pool, as a recording electrode would:
every pooled spike is kept with probability ``1/pool_size`` (seeded thinning), which
is exactly the spike train of one of ``pool_size`` independent Poisson neurons.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from hippo import plotting

#: Peak rate (Hz) of the one neuron per pool that rasters show.
NEURON_PEAK_RATE = 20.0


def pool_size(rate_scale: float) -> int:
    """Neurons per unit such that each fires at most :data:`NEURON_PEAK_RATE` Hz at unit rate 1."""
    return max(1, math.ceil(rate_scale / NEURON_PEAK_RATE))


def raster_arrays(spikes: dict, start: float) -> dict[str, np.ndarray]:
    """Arrays to save of a raster: ``raster.<layer>.unit``, ``.t`` (s from ``start``) and ``.count``."""
    arrays = {}
    for layer, (unit, time, count) in spikes.items():
        arrays.update({f"raster.{layer}.unit": unit, f"raster.{layer}.t": time - start, f"raster.{layer}.count": count})
    return arrays


def one_neuron_per_pool(spikes: tuple[np.ndarray, np.ndarray, np.ndarray], pool: int,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unit indices and times (s) of the spikes of one neuron per pool of ``pool`` neurons."""
    unit, time, count = spikes
    kept = rng.binomial(count, 1.0 / pool) > 0
    return unit[kept], time[kept]


def raster(spikes: dict, orders: dict, start: float, switch: float, pool: int, path, seed: int = 0,
           position: tuple[np.ndarray, np.ndarray] | None = None):
    """Spike rasters of the layers in ``orders`` (layer → display order of its units).

    Args:
        spikes: ``layer -> (unit, time, count)`` from ``Recording.spikes``.
        orders: layer → unit order (e.g. by rate-map peak); rows follow this order.
        start: time (s) shown as 0.
        switch: time (s) of the switch to generative mode (θ ≡ 0), marked and shaded.
        pool: neurons per unit (see :func:`pool_size`).
        position: optional ``(times, positions)`` drawn in a panel above the rasters.
    """
    rng = np.random.default_rng(seed)
    layers = list(orders)
    rows = len(layers) + (position is not None)
    ratios = ([0.6] if position is not None else []) + [1.0] * len(layers)
    fig, axes = plotting.figure(5.5, 1.6 * rows, nrows=rows, sharex=True, gridspec_kw={"height_ratios": ratios})
    axes = np.atleast_1d(axes)
    end = max(float(np.max(spikes[layer][1], initial=start)) for layer in layers)
    if position is not None:
        times, values = position
        axes[0].plot(times - start, values, ".", ms=1.0, color=plotting.COLOURS["true"])
        axes[0].set_ylabel("position (m)")
        end = max(end, float(times[-1]))
    for ax, layer in zip(axes[rows - len(layers):], layers):
        unit, time = one_neuron_per_pool(spikes[layer], pool, rng)
        rank = np.empty(len(orders[layer]), dtype=np.int64)
        rank[np.asarray(orders[layer])] = np.arange(len(orders[layer]))
        ax.scatter(time - start, rank[unit], s=6, marker="|", color=plotting.COLOURS.get(layer, "k"), linewidths=0.6)
        ax.set_ylim(-0.5, len(rank) - 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ordered = not np.array_equal(orders[layer], np.arange(len(rank)))
        ax.set_ylabel(f"{layer.upper()} unit" + (" (ordered)" if ordered else ""))
    for ax in axes:
        ax.axvspan(switch - start, end - start, color="#f2e6f2", zorder=-1, lw=0)
        ax.axvline(switch - start, color="k", ls=":", lw=0.8)
    axes[0].set_title(f"spikes of one neuron per unit (pools of {pool}); shaded: generative mode (θ ≡ 0)")
    axes[-1].set_xlabel("time (s)")
    return plotting.save(fig, path)


def spike_rate_maps(maps: dict, orders: dict, path):
    """Spike-count rate maps (Hz per neuron) of each layer, units in the given order."""
    layers = list(maps)
    fig, axes = plotting.figure(2.6 * len(layers), 2.4, ncols=len(layers))
    axes = np.atleast_1d(axes)
    for ax, layer in zip(axes, layers):
        ordered = np.nan_to_num(maps[layer][orders[layer]])
        image = ax.imshow(ordered, aspect="auto", origin="lower", extent=(0, 1, 0, len(ordered)),
                          interpolation="nearest", cmap="magma")
        ax.set_xlabel("position (fraction of track)")
        ax.set_ylabel(f"{layer.upper()} unit (ordered)")
        ax.set_title(f"{layer.upper()} spike-count rate maps")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        fig.colorbar(image, ax=ax, label="Hz per neuron", shrink=0.8)
    return plotting.save(fig, path)
