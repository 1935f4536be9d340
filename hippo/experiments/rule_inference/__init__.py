"""Inferring learning rules from behaviour: recovery of known rules from simulated choices.

Populations of simulated animals learn the two-alternative forced-choice task
(:mod:`hippo.inference.task`) with a known rule: REINFORCE, and one rule of the
learning core applied to the same policy gradient (momentum or Adam;
:mod:`hippo.inference.learners`). For each rule, rule networks (DNNGLM, RNNGLM:
:mod:`hippo.inference.networks`) are fitted to the choices of the training animals by
truncated BPTT (:mod:`hippo.inference.fit`) and scored on held-out animals
(:mod:`hippo.inference.recovery`): per-trial log-likelihood against the generating
model's, ΔW of the stimulus weight on the grid (memoryless rules, DNNGLM) and along the
held-out trajectories, each as an RMSE in units of the rule's learning rate α.

Training and held-out animals are drawn from one generator seeded by ``seed``; the
networks' initial parameters from ``seed`` too. Outputs: ``behaviour.npz`` (the
animals), ``fits.npz`` (fitted starting weights, replayed trajectories, loss curves,
grid updates), figures of fitted against generating update functions and of the fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.config import bounds, preset_defaults
from hippo.errors import ConfigError
from hippo.experiments.rule_inference import figures
from hippo.inference import recovery
from hippo.inference.fit import FitConfig, fit_initial_weights, fit_rule, replay
from hippo.inference.learners import Behaviour, LearnerConfig, simulate
from hippo.inference.networks import RuleNetwork
from hippo.inference.task import TaskConfig
from hippo.io import RunDir
from hippo.progress import Progress

MODEL_KINDS = ("dnn", "rnn")


@dataclass(frozen=True)
@preset_defaults("rule-inference.toml")
class Config:
    """Rule-inference study.

    Attributes:
        trials: trials per animal.
        train_animals: animals whose choices the rules are fitted to.
        test_animals: held-out animals scoring the fits.
        grid_weights: stimulus weights of the ΔW grid, evenly spaced in ``[−2, 2]``.
        reinforce: the REINFORCE learner (``rule = "reinforce"``).
        core: the learning core's rule on the same gradient (``"momentum"`` or ``"adam"``).
        reinforce_models, core_models: rule networks fitted to each learner (``"dnn"``, ``"rnn"``).
        task: the task.
        fit: how the networks are fitted.
        dnn, rnn: the architectures (``kind`` is set by the table's name).
    """

    experiment: str
    seed: int
    trials: int = field(metadata=bounds(min=1))
    train_animals: int = field(metadata=bounds(min=1))
    test_animals: int = field(metadata=bounds(min=1))
    grid_weights: int = field(metadata=bounds(min=2))
    reinforce: LearnerConfig
    core: LearnerConfig
    reinforce_models: tuple[str, ...]
    core_models: tuple[str, ...]
    task: TaskConfig
    fit: FitConfig
    dnn: RuleNetwork
    rnn: RuleNetwork


def validate(config: Config) -> None:
    """Rules, model names and the BPTT window, before any work."""
    if config.reinforce.rule != "reinforce":
        raise ConfigError("", "reinforce.rule", f"{config.reinforce.rule!r} in the REINFORCE learner's table", "reinforce")
    if config.core.rule == "reinforce":
        raise ConfigError("", "core.rule", "reinforce is the other learner", "momentum, adam")
    for key in ("reinforce_models", "core_models"):
        models = getattr(config, key)
        if not models or any(m not in MODEL_KINDS for m in models) or len(set(models)) < len(models):
            raise ConfigError("", key, f"invalid list {list(models)}", "one or both of dnn, rnn, each once")
    if config.dnn.kind != "dnn" or config.rnn.kind != "rnn":
        raise ConfigError("", "dnn.kind, rnn.kind", "the kind is the table's name", "dnn in [dnn], rnn in [rnn]")
    config.fit.check_trials(config.trials, "trials")


def study(config: Config, name: str, learner: LearnerConfig, models: tuple[str, ...], rng: np.random.Generator,
          bar: Progress, done: list) -> tuple[dict, dict, Behaviour, dict]:
    """Simulate one learner's animals, fit each model, score the fits.

    Returns:
        Metrics, arrays, the held-out animals and the fits by model kind.
    """
    train = simulate(config.task, learner, config.train_animals, config.trials, rng)
    test = simulate(config.task, learner, config.test_animals, config.trials, rng)
    scale = learner.alpha
    ll_true = float(recovery.generating_log_likelihood(test.y, test.p).mean())
    metrics = {"rule": learner.rule, "alpha": learner.alpha, "generating_log_likelihood": ll_true}
    arrays = {f"{name}.{k}": v for k, v in {**train.arrays("train."), **test.arrays("test.")}.items()}
    grid = recovery.update_grid(config.task, config.grid_weights)
    fits = {}
    for kind in models:
        net = getattr(config, kind)
        fit = fit_rule(net, train.s, train.y, train.r, config.fit, config.seed,
                       progress=lambda epoch, loss: bar.update(done[0] + epoch, loss=loss))
        done[0] += config.fit.epochs
        initial = fit_initial_weights(fit, test.s, test.y, test.r, config.fit)
        out = replay(fit, initial, test.s, test.y, test.r)
        ll_fit = float(out["log_likelihood"].mean())
        key = net.label
        metrics[key] = {
            "held_out_log_likelihood": ll_fit,
            "log_likelihood_gap": recovery.relative_gap(ll_fit, ll_true),
            "trajectory_dW_rmse_over_alpha": recovery.rmse(out["dW"][..., 0], test.dW[..., 0]) / scale,
            "initial_weight_error": float(np.abs(initial - test.W[:, 0]).mean()),
            "final_train_loss": float(fit.losses[-1]),
        }
        prefix = f"{name}.{kind}."
        arrays.update({prefix + "losses": fit.losses, prefix + "initial": initial, prefix + "W": out["W"],
                       prefix + "dW": out["dW"]})
        if kind == "dnn" and learner.rule == "reinforce":
            fitted = recovery.fitted_update(fit, grid)
            true = recovery.generating_update(learner, grid)
            metrics[key]["grid_dW_rmse_over_alpha"] = recovery.rmse(fitted[:, 0], true[:, 0]) / scale
            arrays[prefix + "grid_dW"] = fitted
        fits[kind] = fit
    return metrics, arrays, test, fits


def run(config: Config, run_dir: RunDir, progress: bool = True) -> dict:
    """Both learners' studies; arrays, figures and metrics."""
    rng = np.random.default_rng(config.seed)
    total = config.fit.epochs * (len(config.reinforce_models) + len(config.core_models))
    bar = Progress(total, label="rule-inference", enabled=progress)
    done = [0]
    metrics, arrays, fits, tests = {}, {}, {}, {}
    for name, learner, models in (("reinforce", config.reinforce, config.reinforce_models),
                                  ("core", config.core, config.core_models)):
        metrics[name], study_arrays, tests[name], fits[name] = study(config, name, learner, models, rng, bar, done)
        arrays.update(study_arrays)
    bar.close()
    grid = recovery.update_grid(config.task, config.grid_weights)
    arrays.update({f"grid.{k}": v for k, v in grid.items()})
    run_dir.write_arrays("rule_inference", arrays)
    if "dnn" in fits["reinforce"]:
        run_dir.figure("update_functions", lambda path: figures.update_functions(config, fits["reinforce"]["dnn"], path))
    run_dir.figure("fits", lambda path: figures.fits(config, arrays, tests, path))
    return metrics
