"""Telling plasticity rules apart from a circuit's recordings: presynaptic rates, postsynaptic error and weights.

The circuit, the covariates and the per-rule networks are those of
:mod:`hippo.inference.circuit_rules`. For every rule of ``rules`` (the learning core's prediction-error, Bayesian-mechanics,
momentum and Adam rules by default), ``train_runs`` runs of a small circuit learn with
that rule, each with its own teacher, inputs, noise and learning rate; the engine
records the plastic projection's presynaptic rates, postsynaptic error and weights. One
network per rule is fitted to map a synapse's local covariates to its weight changes.
``test_runs`` new runs per rule are then each assigned to the rule whose network
predicts their weight changes best. All runs are drawn from one generator seeded by
``seed``.

Metrics: accuracy over the held-out runs (overall and per rule), the confusion matrix,
and the margin of each decision (the runner-up's error over the winner's). Figures: the
confusion matrix, each held-out run's errors under every rule's network, and one
recorded weight trajectory per rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hippo.config import bounds, preset_defaults
from hippo.errors import ConfigError
from hippo.experiments.rule_identification import figures
from hippo.inference import circuit_rules as cr
from hippo.io import RunDir
from hippo.progress import Progress


@dataclass(frozen=True)
@preset_defaults("rule-identification.toml")
class Config:
    """Rule-identification study.

    Attributes:
        rules: the rules told apart.
        train_runs: runs per rule the networks are fitted to.
        test_runs: held-out runs per rule.
        circuit: the recorded circuit and its runs.
        identifier: the per-rule networks.
    """

    experiment: str
    seed: int
    rules: tuple[str, ...]
    train_runs: int = field(metadata=bounds(min=1))
    test_runs: int = field(metadata=bounds(min=1))
    circuit: cr.CircuitConfig
    identifier: cr.IdentifierConfig


def validate(config: Config) -> None:
    """Known rules, each once, at least two."""
    known = list(cr.RULE_PARAMETERS)
    if len(config.rules) < 2 or any(r not in known for r in config.rules) or len(set(config.rules)) < len(config.rules):
        raise ConfigError("", "rules", f"invalid list {list(config.rules)}", f"two or more of {', '.join(known)}, each once")


def run(config: Config, run_dir: RunDir, progress: bool = True) -> dict:
    """Record, fit, classify; arrays, figures and metrics."""
    rng = np.random.default_rng(config.seed)
    n_runs = len(config.rules) * (config.train_runs + config.test_runs)
    bar = Progress(n_runs + len(config.rules), label="rule-identification", enabled=progress)
    recorded = {rule: [cr.record_run(rule, config.circuit, rng) for _ in range(config.train_runs + config.test_runs)]
                for rule in config.rules}
    bar.update(n_runs)
    models, losses = {}, {}
    for k, rule in enumerate(config.rules):
        sequences = [cr.synapse_sequences(r) for r in recorded[rule][: config.train_runs]]
        models[rule], losses[rule] = cr.fit_identifier(np.concatenate([s[0] for s in sequences]),
                                                       np.concatenate([s[1] for s in sequences]),
                                                       config.identifier, config.seed)
        bar.update(n_runs + k + 1)
    bar.close()
    errors = np.zeros((len(config.rules), config.test_runs, len(config.rules)))
    for a, rule in enumerate(config.rules):
        for k, run_record in enumerate(recorded[rule][config.train_runs:]):
            _, by_rule = cr.classify(models, *cr.synapse_sequences(run_record))
            errors[a, k] = [by_rule[r] for r in config.rules]
    guesses = errors.argmin(axis=-1)
    truth = np.arange(len(config.rules))[:, None]
    confusion = np.array([[np.sum(guesses[a] == b) for b in range(len(config.rules))] for a in range(len(config.rules))])
    ordered = np.sort(errors, axis=-1)
    margins = ordered[..., 1] / ordered[..., 0]
    arrays = {"errors": errors, "confusion": confusion, "rules": np.array(config.rules)}
    arrays.update({f"loss.{rule}": losses[rule] for rule in config.rules})
    arrays.update({f"example.{rule}.{name}": value for rule in config.rules
                   for name, value in recorded[rule][config.train_runs].items()})
    run_dir.write_arrays("rule_identification", arrays)
    run_dir.figure("identification", lambda path: figures.identification(config, errors, confusion, path))
    run_dir.figure("weights", lambda path: figures.weights(config, recorded, path))
    return {
        "accuracy": float(np.mean(guesses == truth)),
        "held_out_runs": int(guesses.size),
        "accuracy_per_rule": {rule: float(np.mean(guesses[a] == a)) for a, rule in enumerate(config.rules)},
        "confusion": confusion.tolist(),
        "smallest_margin": float(margins.min()),
        "median_margin": float(np.median(margins)),
        "final_fit_error": {rule: float(losses[rule][-1]) for rule in config.rules},
    }
