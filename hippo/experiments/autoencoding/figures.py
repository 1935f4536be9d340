"""Figures of the autoencoding experiment (paper figures 1–2 style)."""

from __future__ import annotations

import numpy as np

from hippo import plotting


def activity(before_inference, before_generation, after_inference, after_generation, path, seconds: float = 10.0):
    """MEC somatic rates in inference and in generative mode, before and after training."""
    fig, axes = plotting.figure(6.5, 3.6, nrows=2, ncols=2, sharex=True, sharey="row")
    panels = [(before_inference, "before training: inference (θ ≡ 1)"), (before_generation, "before training: generation (θ ≡ 0)"),
              (after_inference, "after training: inference (θ ≡ 1)"), (after_generation, "after training: generation (θ ≡ 0)")]
    for ax, (recording, title) in zip(axes.ravel(), panels):
        if len(recording.t) == 0:  # generation diverged at once
            ax.set_title(title + ": diverged")
            continue
        t = recording.t - recording.t[0]
        keep = t <= seconds
        rates = recording.signals["mec"][keep]
        colours = plotting.plt.cm.viridis(np.linspace(0, 0.9, rates.shape[1]))
        for i in range(rates.shape[1]):
            ax.plot(t[keep], rates[:, i], color=colours[i], lw=0.9)
        ax.set_title(title)
    for ax in axes[1]:
        ax.set_xlabel("time (s)")
    for ax in axes[:, 0]:
        ax.set_ylabel("MEC rate")
    return plotting.save(fig, path)


def autocorrelations(lags, acorr_latents, acorr_generated, metrics, path):
    """Mean autocorrelation of the latents and of generated MEC activity, with their 1/e times.

    The title gives the spectral radius of the trained MEC recurrent weights, which sets the
    slowest timescale of the (linear) generative dynamics, and says if generation diverged.
    """
    fig, ax = plotting.figure(3.0, 2.2)

    def time(value):
        return f"{value:.2f} s" if value is not None and np.isfinite(value) else f"> {lags[-1]:.0f} s"

    ax.plot(lags, acorr_latents, color=plotting.COLOURS["true"], label=f"latents ({time(metrics['autocorr_time_latents_s'])})")
    ax.plot(lags, acorr_generated, color=plotting.COLOURS["mec"], label=f"generated MEC ({time(metrics['autocorr_time_generated_s'])})")
    ax.axhline(np.exp(-1), color=plotting.COLOURS["chance"], ls=":", lw=0.8)
    ax.set_xlim(0, min(lags[-1], 5.0))
    ax.set_xlabel("lag (s)")
    ax.set_ylabel("autocorrelation")
    if "mec_recurrent_spectral_radius" in metrics:
        title = f"MEC recurrent spectral radius {metrics['mec_recurrent_spectral_radius']:.4f}"
        ax.set_title(title + (" (generation diverged)" if metrics.get("generation_diverged") else ""))
    ax.legend()
    return plotting.save(fig, path)
