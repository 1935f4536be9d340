"""Inferring learning rules from behaviour and from recorded activity.

Simulated de novo learners of a two-alternative forced-choice task (a GLM policy whose
weights follow a known rule: :mod:`~hippo.inference.learners`), rule networks fitted to
their choices (DNNGLM, RNNGLM: :mod:`~hippo.inference.networks`,
:mod:`~hippo.inference.fit`), and measures of how well a fitted rule recovers the
generating one (:mod:`~hippo.inference.recovery`). Main names are public here::

    from hippo.inference import TaskConfig, LearnerConfig, simulate, RuleNetwork, FitConfig, fit_rule
"""

from hippo._exports import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["TaskConfig"], "hippo.inference.task"),
    **dict.fromkeys(["LearnerConfig", "Behaviour", "simulate", "policy_gradient"], "hippo.inference.learners"),
    **dict.fromkeys(["RuleNetwork"], "hippo.inference.networks"),
    **dict.fromkeys(["FitConfig", "Fit", "fit_rule", "fit_initial_weights", "replay"], "hippo.inference.fit"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
