"""Bayesian mechanics of learning: attractors in neural phase space and their transition.

A minimal generative model (:mod:`hippo.learning.bayesian_mechanics`: state ``μ``, weight
``w``, motor variable ``a`` and their momenta) perceives and learns a sensory stream
``s_env(t) = offset + A sin(φ(t)) + ξ(t)`` whose amplitude ``A`` and frequency switch at
``switch_time`` (the phase ``φ`` stays continuous; ``ξ`` is smooth Gaussian-process
noise). The least-action path is computed in a receding horizon, once with Hebb +
Miller–MacKay decay and once with Oja's learning force.

Outputs: the phase-space trajectory in ``(μ, a, p_μ)`` with the attractors (periodic
orbits) before and after the switch; ``w(t)`` and ``p_w(t)`` against the analytical
fixed point of the learning equations; Hebb + decay against Oja. Metrics: final weight,
its analytical fixed point (from the stream's correlations ``⟨sμ⟩``, ``⟨μ²⟩``, ``⟨s²⟩``
over the last two driving periods), the residual of the equations along the path, the
jump of the momenta between kept segments, and the change of the attractor at the switch.

Two properties of the least-action path to keep in mind when reading the figures: each
solve sees the stream up to ``solver.horizon`` ahead, so the momenta start to respond
to the switch before it happens; and the averaged fixed point treats ``w`` as constant
over a driving period, which is accurate for ``w`` (a few %) but not for ``p_w``, whose
mean also picks up the within-period correlation of ``w`` with ``μ²``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.config import bounds, preset_defaults
from hippo.experiments.bayesian_mechanics import figures
from hippo.io import RunDir
from hippo.learning import bayesian_mechanics as bm
from hippo.learning.bayesian_mechanics import LeastActionError
from hippo.progress import Progress

RULES = ("hebb-decay", "oja")
PERIODS_PER_WINDOW = 2


@dataclass(frozen=True)
@preset_defaults("bayesian-mechanics.toml", table="stream")
class StreamConfig:
    """Sensory stream (a.u.; frequencies in Hz; times in seconds).

    Attributes:
        offset: mean stimulus.
        amplitude_before, amplitude_after: sinusoid amplitude before/after the switch.
        frequency_before, frequency_after: sinusoid frequency before/after the switch.
        noise_std: standard deviation of the Gaussian-process noise ``ξ`` (0: none).
        noise_timescale: its squared-exponential kernel timescale.
        noise_modes: random Fourier modes approximating the Gaussian process.
    """

    offset: float
    amplitude_before: float = field(metadata=bounds(min=0.0))
    amplitude_after: float = field(metadata=bounds(min=0.0))
    frequency_before: float = field(metadata=bounds(gt=0.0))
    frequency_after: float = field(metadata=bounds(gt=0.0))
    noise_std: float = field(metadata=bounds(min=0.0))
    noise_timescale: float = field(metadata=bounds(gt=0.0))
    noise_modes: int = field(metadata=bounds(min=1))


@dataclass(frozen=True)
@preset_defaults("bayesian-mechanics.toml", table="model")
class ModelConfig:
    """Parameters of :class:`hippo.learning.bayesian_mechanics.Model` (both rules are run)."""

    kappa: float = field(metadata=bounds(min=0.0))
    m_mu: float = field(metadata=bounds(gt=0.0))
    m_w: float = field(metadata=bounds(gt=0.0))
    m_z: float = field(metadata=bounds(min=0.0))
    alpha: float = field(metadata=bounds(min=0.0))
    gamma: float = field(metadata=bounds(gt=0.0))
    eta_oja: float = field(metadata=bounds(gt=0.0))
    kappa_a: float = field(metadata=bounds(min=0.0))
    m_a: float = field(metadata=bounds(min=0.0))

    def model(self, rule: str) -> bm.Model:
        return bm.Model(rule=rule, **self.__dict__)


@dataclass(frozen=True)
@preset_defaults("bayesian-mechanics.toml", table="solver")
class SolverConfig:
    """Receding-horizon least action (seconds).

    Attributes:
        horizon: length ``T_h`` of each boundary-value problem.
        keep: part ``Δ`` of each solution kept before moving on (a multiple of ``dt_out``).
        dt_out: sampling interval of the recorded path.
        tol: ``solve_bvp`` tolerance on the relative residual.
        nodes_per_second: initial mesh density.
    """

    horizon: float = field(metadata=bounds(gt=0.0))
    keep: float = field(metadata=bounds(gt=0.0))
    dt_out: float = field(metadata=bounds(gt=0.0))
    tol: float = field(metadata=bounds(gt=0.0, max=1e-2))
    nodes_per_second: float = field(metadata=bounds(gt=0.0))


@dataclass(frozen=True)
@preset_defaults("bayesian-mechanics.toml")
class Config:
    """Bayesian-mechanics experiment. Times in seconds.

    Attributes:
        duration: simulated time.
        switch_time: when the stream's amplitude and frequency switch.
        mu0, w0, a0: start values of state, weight and motor variable.
    """

    experiment: str
    seed: int
    duration: float = field(metadata=bounds(gt=0.0))
    switch_time: float = field(metadata=bounds(gt=0.0))
    mu0: float
    w0: float
    a0: float
    stream: StreamConfig
    model: ModelConfig
    solver: SolverConfig

    def __post_init__(self):
        before = PERIODS_PER_WINDOW / self.stream.frequency_before
        after = PERIODS_PER_WINDOW / self.stream.frequency_after
        if self.switch_time < before or self.duration - self.switch_time < after:
            raise ValueError(f"switch_time must leave {PERIODS_PER_WINDOW} driving periods before the switch "
                             f"({before:g} s) and after it ({after:g} s) within duration")
        per_keep = self.solver.keep / self.solver.dt_out
        if abs(per_keep - round(per_keep)) > 1e-9 * per_keep or round(per_keep) < 1:
            raise ValueError("solver.keep must be a positive multiple of solver.dt_out")
        if self.solver.horizon < self.solver.keep:
            raise ValueError("solver.horizon must be at least solver.keep")


def switching_sinusoid(config: StreamConfig, switch_time: float, rng: np.random.Generator) -> bm.Stream:
    """The stimulus ``s_env(t)``, shape ``(1, m)``, with a phase-continuous switch at ``switch_time``.

    The noise is a sum of ``noise_modes`` random Fourier modes whose frequencies are
    drawn from the spectrum of a squared-exponential kernel: a smooth stationary
    Gaussian process, so that the boundary-value solver sees a smooth stream.
    """
    omega = rng.normal(0.0, 1.0 / config.noise_timescale, config.noise_modes)
    phase = rng.uniform(0.0, 2 * np.pi, config.noise_modes)
    weight = config.noise_std * np.sqrt(2.0 / config.noise_modes)

    def stream(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        after = t >= switch_time
        angle = np.where(after, 2 * np.pi * (config.frequency_before * switch_time
                                             + config.frequency_after * (t - switch_time)),
                         2 * np.pi * config.frequency_before * t)
        amplitude = np.where(after, config.amplitude_after, config.amplitude_before)
        noise = weight * np.cos(np.multiply.outer(t, omega) + phase).sum(axis=-1)
        return (config.offset + amplitude * np.sin(angle) + noise)[None, :]

    return stream


def windows(config: Config) -> dict[str, tuple[float, float]]:
    """The last driving periods before the switch and before the end (s): where attractors are read."""
    before = PERIODS_PER_WINDOW / config.stream.frequency_before
    after = PERIODS_PER_WINDOW / config.stream.frequency_after
    return {"before": (config.switch_time - before, config.switch_time),
            "after": (config.duration - after, config.duration)}


def solve_rule(config: Config, rule: str, stream: bm.Stream, bar: Progress, offset: float) -> bm.StreamPath:
    """Least-action path of the model with learning force ``rule`` over the whole stream."""
    model = config.model.model(rule)
    q0 = bm.initial_configuration(model, [config.mu0], [[config.w0]], [config.a0])
    solver = config.solver
    return bm.receding_horizon(model, stream, config.duration, q0, solver.horizon, solver.keep, solver.dt_out,
                               solver.nodes_per_second, solver.tol,
                               callback=lambda t: bar.update(offset + t, t=t))


def variables(config: Config, rule: str, path: bm.StreamPath, stream: bm.Stream) -> dict[str, np.ndarray]:
    """Scalar time series of a path: ``t, mu, p_mu, w, p_w, a, s_env, s``."""
    x = bm.unpack(config.model.model(rule), path.y)
    s_env = stream(path.t)[0]
    return {"t": path.t, "mu": x["mu"][0], "p_mu": x["p_mu"][0], "w": x["W"][0, 0], "p_w": x["p_W"][0, 0],
            "a": x["a"][0], "s_env": s_env, "s": s_env + x["a"][0]}


def averaged_fixed_point(config: Config, rule: str, v: dict, window: tuple[float, float]) -> tuple[float, float]:
    """Analytical fixed point ``(w*, p_w*)`` from the correlations over ``window``."""
    sel = (v["t"] >= window[0]) & (v["t"] < window[1])
    s, mu = v["s"][sel], v["mu"][sel]
    W, p = bm.learning_fixed_point(config.model.model(rule), [[np.mean(s * mu)]], [[np.mean(mu * mu)]],
                                   [np.mean(s * s)])
    return float(W[0, 0]), float(p[0, 0])


def orbit(v: dict, window: tuple[float, float]) -> np.ndarray:
    """Points ``(μ, a, p_μ)`` of the trajectory within ``window``, shape ``(m, 3)``."""
    sel = (v["t"] >= window[0]) & (v["t"] < window[1])
    return np.stack([v["mu"][sel], v["a"][sel], v["p_mu"][sel]], axis=1)


def mean_orbit_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Symmetric mean distance from each point of one orbit to the nearest point of the other."""
    gaps = np.linalg.norm(first[:, None, :] - second[None, :, :], axis=-1)
    return 0.5 * float(gaps.min(axis=1).mean() + gaps.min(axis=0).mean())


def attractor_metrics(v: dict, spans: dict) -> dict:
    """Size (RMS radius about the centroid), centroid shift and mean distance of the two orbits."""
    before, after = orbit(v, spans["before"]), orbit(v, spans["after"])
    size = {k: float(np.sqrt(np.mean(np.sum((o - o.mean(0)) ** 2, axis=1)))) for k, o in
            (("before", before), ("after", after))}
    return {"attractor_size_before": size["before"], "attractor_size_after": size["after"],
            "attractor_size_ratio": size["after"] / size["before"],
            "attractor_centroid_shift": float(np.linalg.norm(after.mean(0) - before.mean(0))),
            "attractor_distance": mean_orbit_distance(before, after)}


def rule_metrics(config: Config, rule: str, v: dict, path: bm.StreamPath, spans: dict) -> dict:
    """Weights against their analytical fixed points, and the quality of the path, for one rule."""
    key = rule.replace("-", "_")
    metrics = {f"final_weight_{key}": float(v["w"][-1])}
    for name, span in spans.items():
        w_star, _ = averaged_fixed_point(config, rule, v, span)
        sel = (v["t"] >= span[0]) & (v["t"] < span[1])
        mean_w = float(np.mean(v["w"][sel]))
        metrics[f"mean_weight_{name}_{key}"] = mean_w
        metrics[f"fixed_point_weight_{name}_{key}"] = w_star
        metrics[f"fixed_point_relative_error_{name}_{key}"] = abs(mean_w - w_star) / abs(w_star)
    model = config.model.model(rule)
    sel = v["t"] >= spans["after"][0]
    rate = bm.learning_saddle_rate(model, np.sqrt(np.mean(v["s"][sel] ** 2)), np.sqrt(np.mean(v["mu"][sel] ** 2)))
    metrics[f"max_residual_{key}"] = float(np.max(path.residual))
    metrics[f"momentum_jump_{key}"] = path.momentum_jump
    metrics[f"horizon_times_saddle_rate_{key}"] = config.solver.horizon * rate
    return metrics


def run(config: Config, run_dir: RunDir, progress: bool = True) -> dict:
    """Solve both rules over the stream, write arrays and figures, return the metrics."""
    rng = np.random.default_rng(config.seed)
    stream = switching_sinusoid(config.stream, config.switch_time, rng)
    spans = windows(config)
    bar = Progress(len(RULES) * config.duration, label="bayesian-mechanics", enabled=progress)
    series, metrics = {}, {}
    for k, rule in enumerate(RULES):
        try:
            path = solve_rule(config, rule, stream, bar, k * config.duration)
        except LeastActionError as error:
            bar.close()
            if error.path is not None:
                run_dir.write_arrays(f"partial_{rule.replace('-', '_')}", variables(config, rule, error.path, stream))
            raise
        series[rule] = variables(config, rule, path, stream)
        metrics.update(rule_metrics(config, rule, series[rule], path, spans))
    bar.close()
    metrics.update(attractor_metrics(series["hebb-decay"], spans))
    run_dir.write_arrays("trajectories", {f"{rule.replace('-', '_')}_{name}": values
                                          for rule, v in series.items() for name, values in v.items()})
    fixed = {rule: {name: averaged_fixed_point(config, rule, series[rule], span) for name, span in spans.items()}
             for rule in RULES}
    run_dir.figure("phase_space", lambda path: figures.phase_space(series["hebb-decay"], spans, config.switch_time, path))
    run_dir.figure("learning", lambda path: figures.learning(series["hebb-decay"], fixed["hebb-decay"], spans, path))
    run_dir.figure("hebb_vs_oja", lambda path: figures.hebb_vs_oja(series, fixed, spans, path))
    return metrics
