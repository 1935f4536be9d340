"""Figures of the path-integration analyses: gain curve, error decomposition, persistent homology.

Each function draws one figure from the result of an analysis in :mod:`hippo.analysis`
(:mod:`~hippo.analysis.velocity_gain`, :mod:`~hippo.analysis.error_decomposition`,
:mod:`~hippo.analysis.topology`) and writes it atomically as a PNG.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from hippo import plotting
from hippo.analysis.error_decomposition import ErrorDecomposition
from hippo.analysis.topology import Persistence, lifetimes
from hippo.analysis.velocity_gain import GainCurve, gain_curve_summary, gaussian_weights

#: Colours of homology dimensions 0, 1, 2.
DIMENSION_COLOURS = ("#264653", "#e76f51", "#2a9d8f")
MAX_SCATTER = 4000  # points drawn in the error-against-displacement scatter


def gain_curve(curve: GainCurve, path, speed_mean: float, speed_std: float, tolerance: float = 0.1):
    """Gain and bump velocity against commanded velocity.

    Panel a: gain per probe with the ±``tolerance`` band around 1 and, shaded behind, the
    Gaussian velocity distribution of training (``speed_mean``, ``speed_std`` in m/s).
    Panel b: bump velocity against commanded velocity with the identity line; the title
    gives the speed-weighted ``|gain − 1|`` and the largest speed integrated within tolerance.
    """
    with plt.rc_context(plotting.STYLE):
        return _gain_curve(curve, path, speed_mean, speed_std, tolerance)


def _gain_curve(curve, path, speed_mean, speed_std, tolerance):
    summary = gain_curve_summary(curve, gaussian_weights(curve, speed_mean, speed_std), tolerance)
    fig, axes = plotting.figure(6.2, 2.5, ncols=2)
    ax = axes[0]
    density = ax.twinx()
    grid = np.linspace(curve.velocities.min(), curve.velocities.max(), 400)
    density.fill_between(grid, norm.pdf(grid, speed_mean, speed_std), color="#bbbbbb", alpha=0.35, lw=0,
                         label="training velocity")
    density.set_ylim(0, None)
    density.set_yticks([])
    density.spines["right"].set_visible(False)
    ax.set_zorder(density.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.axhspan(1 - tolerance, 1 + tolerance, color=plotting.COLOURS["hpc"], alpha=0.15, lw=0,
               label=f"±{tolerance * 100:g} %")
    ax.axhline(1.0, color="k", lw=0.6, ls=":")
    defined = curve.defined
    ax.plot(curve.velocities[defined], curve.gains[defined], "o-", ms=3, color=plotting.COLOURS["mec"], label="gain")
    ax.set_xlabel("commanded velocity (m/s)")
    ax.set_ylabel("gain (bump / commanded velocity)")
    handles = ax.get_legend_handles_labels()[0] + density.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=3, borderaxespad=0)
    plotting.panel_label(ax, "a")
    ax = axes[1]
    limit = np.max(np.abs(curve.velocities))
    ax.plot([-limit, limit], [-limit, limit], color="k", lw=0.6, ls=":", label="perfect integration")
    ax.plot(curve.velocities, curve.bump_velocities, "o", ms=3, color=plotting.COLOURS["mec"], label="bump")
    ax.set_xlabel("commanded velocity (m/s)")
    ax.set_ylabel("bump velocity (m/s)")
    ax.set_title(f"speed-weighted |gain − 1| = {summary['gain_error_speed_weighted']:.3f}\n"
                 f"within ±{tolerance * 100:g} % up to {summary['max_integrated_speed_m_per_s']:.1f} m/s")
    ax.legend(loc="upper left")
    plotting.panel_label(ax, "b")
    return plotting.save(fig, path)


def error_decomposition(decomposition: ErrorDecomposition, path):
    """Signed error against true displacement with the fitted gain error (a); residual MSD with the 2Dτ fit (b)."""
    with plt.rc_context(plotting.STYLE):
        return _error_decomposition(decomposition, path)


def _error_decomposition(decomposition, path):
    fig, axes = plotting.figure(6.2, 2.5, ncols=2)
    ax = axes[0]
    change = (decomposition.signed_error - decomposition.signed_error[:, :1]).ravel()
    displacement = decomposition.displacement.ravel()
    shown = np.linspace(0, len(change) - 1, min(len(change), MAX_SCATTER)).astype(int)
    ax.scatter(displacement[shown], change[shown], s=1.5, color=plotting.COLOURS["decoded"], alpha=0.4, linewidths=0)
    span = np.array([displacement.min(), displacement.max()])
    ax.plot(span, decomposition.gain_minus_one * span, color="k", lw=0.8,
            label=f"gain − 1 = {decomposition.gain_minus_one:+.3f} ± {decomposition.gain_minus_one_sem:.3f}")
    ax.set_xlabel("true displacement since switch (m)")
    ax.set_ylabel("change of signed error (m)")
    ax.legend(loc="upper left")
    plotting.panel_label(ax, "a")
    ax = axes[1]
    tau, msd = decomposition.tau, decomposition.msd
    start, stop = decomposition.fit_window_s
    ax.plot(tau, msd * 1e4, color=plotting.COLOURS["mec"], label="residual MSD")
    fitted = (tau >= start) & (tau <= stop)
    line = 2 * decomposition.diffusion_m2_per_s * tau[fitted] + decomposition.msd_offset_m2
    ax.plot(tau[fitted], line * 1e4, color="k", lw=0.8, ls="--", label="2Dτ + m₀")
    if start > tau[0] or stop < tau[-1]:
        ax.axvspan(start, stop, color="#eeeeee", lw=0, zorder=-1)
    ax.set_xlabel("time since switch τ (s)")
    ax.set_ylabel("MSD (cm²)")
    ax.set_title(f"D = {decomposition.diffusion_m2_per_s:.2e} ± {decomposition.diffusion_sem:.1e} m²/s\n"
                 f"drift {decomposition.drift_m_per_s[0] * 100:+.2f} ± {decomposition.drift_sem[0] * 100:.2f} cm/s")
    ax.legend(loc="upper left")
    plotting.panel_label(ax, "b")
    return plotting.save(fig, path)


def persistence(result: Persistence, path, title: str = "MEC population vectors"):
    """Persistence diagram with each dimension's threshold (a) and the longest lifetimes per dimension (b)."""
    with plt.rc_context(plotting.STYLE):
        return _persistence(result, path, title)


def _persistence(result, path, title):
    fig, axes = plotting.figure(6.2, 2.6, ncols=2)
    finite_deaths = np.concatenate([d[np.isfinite(d[:, 1]), 1] for d in result.diagrams])
    top = 1.1 * finite_deaths.max(initial=0.0) or 1.0
    ax = axes[0]
    ax.plot([0, top], [0, top], color="k", lw=0.6)
    for k, diagram in enumerate(result.diagrams):
        colour = DIMENSION_COLOURS[k % len(DIMENSION_COLOURS)]
        deaths = np.where(np.isfinite(diagram[:, 1]), diagram[:, 1], top)
        ax.scatter(diagram[:, 0], deaths, s=6, color=colour, label=f"H{k}", linewidths=0)
        if k >= 1:
            ax.plot([0, top - result.thresholds[k]], [result.thresholds[k], top], color=colour, lw=0.6, ls="--")
    ax.axhline(top, color="#999999", lw=0.5, ls=":")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top * 1.03)
    ax.set_xlabel("birth")
    ax.set_ylabel("death (dotted: never)")
    ax.legend(loc="lower right")
    ax.set_title("persistence diagram")
    fig.suptitle(f"{title} ({result.n_points} points): Betti numbers {tuple(result.betti)}")
    plotting.panel_label(ax, "a")
    ax = axes[1]
    for k, diagram in enumerate(result.diagrams[1:], start=1):
        colour = DIMENSION_COLOURS[k % len(DIMENSION_COLOURS)]
        ranked = np.sort(lifetimes(diagram))[::-1][:20]
        ax.plot(np.arange(1, len(ranked) + 1), ranked, "o-", ms=3, color=colour, label=f"H{k} (b{k} = {result.betti[k]})")
        ax.axhline(result.thresholds[k], color=colour, lw=0.6, ls="--")
    ax.set_xlabel("rank")
    ax.set_ylabel("lifetime (dashed: threshold)")
    ax.set_title("longest bars")
    if len(result.diagrams) > 1:
        ax.legend(loc="upper right")
    plotting.panel_label(ax, "b")
    return plotting.save(fig, path)
