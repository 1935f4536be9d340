"""Figures of the Bayesian-mechanics experiment (:mod:`hippo.experiments.bayesian_mechanics`).

Each function draws from the rules' trajectories (``t`` in seconds, ``mu``, ``a``, ``p_mu``,
``w``, ``p_w``, ``s``, ``s_env``), their averaged fixed points and the time windows
``spans`` (name -> (start, end) in seconds) and writes one PNG.
"""

from __future__ import annotations

from hippo import plotting

#: Colour of each learning rule.
RULE_COLOURS = {"hebb-decay": plotting.COLOURS["hpc"], "oja": plotting.COLOURS["mec"]}


def _segments(v: dict, switch_time: float, spans: dict):
    """(label, mask, colour, alpha) of the transient and attractor parts of a trajectory."""
    t = v["t"]
    return [("transients", t < spans["before"][0], plotting.COLOURS["chance"], 0.4),
            ("attractor before switch", (t >= spans["before"][0]) & (t < switch_time), plotting.COLOURS["basal"], 1.0),
            (None, (t >= switch_time) & (t < spans["after"][0]), plotting.COLOURS["chance"], 0.4),
            ("attractor after switch", t >= spans["after"][0], plotting.COLOURS["apical"], 1.0)]


def phase_space(v: dict, spans: dict, switch_time: float, path):
    """Trajectory in ``(μ, a, p_μ)`` (3-D and the three projections), attractors highlighted."""
    fig, axes = plotting.figure(7.0, 6.0, nrows=2, ncols=2)
    axes[0, 0].remove()
    ax3 = fig.add_subplot(2, 2, 1, projection="3d")
    for label, mask, colour, alpha in _segments(v, switch_time, spans):
        ax3.plot(v["mu"][mask], v["a"][mask], v["p_mu"][mask], color=colour, alpha=alpha, lw=0.8, label=label)
    ax3.set_xlabel("μ", fontsize=8)
    ax3.set_ylabel("a", fontsize=8)
    ax3.set_zlabel("$p_μ$", fontsize=8)
    ax3.tick_params(labelsize=6)
    ax3.set_box_aspect(None, zoom=0.85)
    pairs = [(axes[0, 1], "mu", "p_mu", "μ", "$p_μ$"), (axes[1, 0], "mu", "a", "μ", "a"),
             (axes[1, 1], "a", "p_mu", "a", "$p_μ$")]
    for ax, x, y, xl, yl in pairs:
        for label, mask, colour, alpha in _segments(v, switch_time, spans):
            ax.plot(v[x][mask], v[y][mask], color=colour, alpha=alpha, lw=0.8, label=label)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
    axes[0, 1].legend(fontsize=6, loc="upper left")
    ax3.text2D(0.0, 1.0, "a", transform=ax3.transAxes, fontsize=10, fontweight="bold")
    for ax, letter in zip([axes[0, 1], axes[1, 0], axes[1, 1]], "bcd"):
        plotting.panel_label(ax, letter)
    fig.suptitle("Attractor in neural phase space before and after the stimulus switch (Hebb + decay)", fontsize=9)
    return plotting.save(fig, path)


def learning(v: dict, fixed: dict, spans: dict, path):
    """Stimulus and sensation, ``w(t)`` and ``p_w(t)`` with the analytical fixed points."""
    fig, axes = plotting.figure(6.5, 5.5, nrows=3, sharex=True)
    axes[0].plot(v["t"], v["s_env"], color=plotting.COLOURS["true"], lw=0.8, label="stimulus $s_{env}$")
    axes[0].plot(v["t"], v["s"], color=plotting.COLOURS["agent"], lw=0.8, label="sensation $s = s_{env} + a$")
    axes[0].plot(v["t"], v["w"] * v["mu"], color=plotting.COLOURS["decoded"], lw=0.8, ls="--", label="prediction $g = wμ$")
    axes[0].set_ylabel("a.u.")
    axes[0].legend(ncol=3, loc="lower left", bbox_to_anchor=(0.0, 1.0), fontsize=7)
    for ax, name, index, label in ((axes[1], "w", 0, "weight w"), (axes[2], "p_w", 1, "momentum $p_w$")):
        ax.plot(v["t"], v[name], color=plotting.COLOURS["hpc"], lw=1.0)
        for span_name, span in spans.items():
            ax.hlines(fixed[span_name][index], *span, color=plotting.COLOURS["true"], ls="--", lw=1.2,
                      label="analytical fixed point" if span_name == "before" else None)
        ax.set_ylabel(label)
    axes[1].legend(loc="lower right", fontsize=7)
    axes[2].set_xlabel("time (s)")
    for ax, letter in zip(axes, "abc"):
        ax.axvline(spans["before"][1], color=plotting.COLOURS["chance"], lw=0.8, ls=":")
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)


def hebb_vs_oja(series: dict, fixed: dict, spans: dict, path):
    """Hebb + decay against Oja: ``w(t)`` with fixed points, and the learning pair's phase plane."""
    fig, axes = plotting.figure(7.0, 2.8, ncols=2)
    for rule, v in series.items():
        axes[0].plot(v["t"], v["w"], color=RULE_COLOURS[rule], lw=1.0, label=rule)
        axes[1].plot(v["w"], v["p_w"], color=RULE_COLOURS[rule], lw=0.6, label=rule)
        for span_name, span in spans.items():
            axes[0].hlines(fixed[rule][span_name][0], *span, color=RULE_COLOURS[rule], ls="--", lw=1.2)
            axes[1].plot(*fixed[rule][span_name], marker="x", color=RULE_COLOURS[rule], ms=7, mew=1.5)
    axes[0].axvline(spans["before"][1], color=plotting.COLOURS["chance"], lw=0.8, ls=":")
    axes[0].set_xlabel("time (s)")
    axes[0].set_ylabel("weight w")
    axes[0].legend(loc="upper left", fontsize=7)
    axes[1].set_xlabel("weight w")
    axes[1].set_ylabel("momentum $p_w$")
    axes[1].set_title("× analytical fixed points", fontsize=7)
    for ax, letter in zip(axes, "ab"):
        plotting.panel_label(ax, letter)
    return plotting.save(fig, path)
