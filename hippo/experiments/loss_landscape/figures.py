"""Figures of the loss-landscape study (:mod:`hippo.experiments.loss_landscape`).

Each function draws from the study's arrays and metrics and writes one PNG.
"""

from __future__ import annotations

import numpy as np

from hippo import plotting
from hippo.learning import navigation as nav

#: Colours of the discount rates, shortest horizon last.
GAMMA_COLOURS = ("#6a4c93", "#2a9d8f", "#e76f51", "#1f77b4", "#d62728")


def gamma_key(gamma: float) -> str:
    """The suffix naming a discount rate in the study's metric and array keys (``0.5`` → ``"0p5"``, ``-1`` → ``"m1"``)."""
    return f"{gamma:g}".replace(".", "p").replace("-", "m")


def quadratic(arrays: dict, metrics: dict, config, path):
    """(a) ``θ(t)`` for each ``γ``: closed form (lines) and boundary-value solution (dots);
    (b) relaxation rate against ``γ`` for the two curvatures; (c) their ratio, between its limits."""
    fig, axes = plotting.figure(9.0, 2.8, ncols=3)
    for gamma, colour in zip(config.gammas, GAMMA_COLOURS):
        t, theta = arrays[f"quadratic_t_gamma_{gamma_key(gamma)}"], arrays[f"quadratic_theta_gamma_{gamma_key(gamma)}"]
        shown = t <= 5.0 / metrics[f"rate_gamma_{gamma_key(0.0)}"] if 0.0 in config.gammas else t <= t[-1] / 6
        closed = nav.quadratic_path(t[shown], [0.0], [config.curvature], [1.0], gamma, config.eta_k)[:, 0]
        axes[0].plot(t[shown], closed, color=colour, lw=1.2, label=f"γ = {gamma:g}, r = {metrics[f'rate_gamma_{gamma_key(gamma)}']:.3f}")
        step = max(1, shown.sum() // 15)
        axes[0].plot(t[shown][::step], theta[shown][::step], "o", color=colour, ms=3)
    axes[0].set_xlabel("time")
    axes[0].set_ylabel("θ")
    axes[0].legend(fontsize=6, title="closed form; dots: Euler–Lagrange", title_fontsize=6)
    gammas = np.geomspace(0.01, 100.0, 200)
    for h, colour, label in ((config.curvature, "#2a9d8f", f"h = {config.curvature:g}"),
                             (config.curvature * config.curvature_ratio, "#e76f51",
                              f"h = {config.curvature * config.curvature_ratio:g}")):
        axes[1].loglog(gammas, nav.relaxation_rate(h, gammas, config.eta_k), color=colour, label=label)
        axes[1].loglog(gammas, config.eta_k * h / gammas, color=colour, ls=":", lw=0.8)
    axes[1].set_xlabel("discount rate γ")
    axes[1].set_ylabel("relaxation rate r")
    axes[1].legend(fontsize=6, title="dotted: gradient descent ηkh/γ", title_fontsize=6)
    ratio = (nav.relaxation_rate(config.curvature * config.curvature_ratio, gammas, config.eta_k)
             / nav.relaxation_rate(config.curvature, gammas, config.eta_k))
    axes[2].semilogx(gammas, ratio, color="#222222")
    axes[2].axhline(config.curvature_ratio, color="#999999", ls=":", lw=0.8)
    axes[2].axhline(np.sqrt(config.curvature_ratio), color="#999999", ls=":", lw=0.8)
    for gamma in config.gammas:
        axes[2].plot(max(gamma, 0.01), metrics[f"rate_ratio_gamma_{gamma_key(gamma)}_numerical"], "o", color="#e76f51", ms=4)
    axes[2].set_xlabel("discount rate γ")
    axes[2].set_ylabel(f"rate ratio (curvatures {config.curvature_ratio:g}:1)")
    axes[2].set_title("limits: √ratio (ballistic), ratio (gradient descent)", fontsize=7)
    for ax, letter in zip(axes, "abc"):
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)


def double_well(arrays: dict, metrics: dict, path):
    """The double-well loss with gradient descent (stays left) and the least-action path (crosses to the right)."""
    fig, axes = plotting.figure(6.5, 3.0, ncols=2)
    x, y = np.meshgrid(np.linspace(-1.5, 1.5, 300), np.linspace(-1.0, 1.0, 200))
    loss = nav.double_well(np.stack([x, y], axis=-1))
    axes[0].contourf(x, y, loss, levels=30, cmap="viridis")
    axes[0].contour(x, y, loss, levels=12, colors="white", linewidths=0.4)
    axes[0].plot(*arrays["descent_theta"].T, color="#d62728", lw=2, label="gradient descent")
    axes[0].plot(*arrays["least_action_theta"].T, color="#f4a261", lw=2,
                 label=f"least action (mean Lagrangian {metrics['least_action_mean_lagrangian']:.4f})")
    axes[0].plot(*arrays["least_action_theta"][0], "ko", ms=5)
    axes[0].set_xlabel("θ₁")
    axes[0].set_ylabel("θ₂")
    axes[0].legend(fontsize=6, loc="lower left")
    axes[1].plot(arrays["descent_t"], nav.double_well(arrays["descent_theta"]), color="#d62728", label="gradient descent")
    axes[1].plot(arrays["least_action_t"], nav.double_well(arrays["least_action_theta"]), color="#f4a261",
                 label="least action")
    axes[1].set_xlabel("time")
    axes[1].set_ylabel("loss L")
    axes[1].legend(fontsize=6)
    for ax, letter in zip(axes, "ab"):
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)


def weight_decay(arrays: dict, metrics: dict, config, path):
    """Paths with and without the drift ``−jθ``: the decayed one ends at ``B·μ``."""
    fig, axes = plotting.figure(3.5, 3.0)
    decayed, free, mu = arrays["decay_theta"], arrays["no_decay_theta"], arrays["decay_mu"]
    axes.plot(free[:, 0], free[:, -1], color="#2a9d8f", label="no drift: ends at μ")
    axes.plot(decayed[:, 0], decayed[:, -1], color="#e76f51",
              label=f"drift −jθ: ends at {metrics['weight_decay_shrinkage_numerical']:.4f}·μ")
    axes.plot(mu[0], mu[-1], "k*", ms=8)
    axes.plot(decayed[0, 0], decayed[0, -1], "ko", ms=4)
    axes.set_xlabel("θ₁")
    axes.set_ylabel(f"θ{len(mu)}".translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")))
    axes.set_title(f"h = {config.curvature:g}, j = {config.decay:g}, γ = {config.gamma:g}: "
                   f"B = {metrics['weight_decay_shrinkage']:.4f}", fontsize=7)
    axes.legend(fontsize=6)
    return plotting.save(fig, path)
