"""Learning cores: local plasticity rules, Bayesian mechanics, active inference, learning-rate schedules.

The cores are modules (:mod:`~hippo.learning.prediction_error`,
:mod:`~hippo.learning.bayesian_mechanics`, :mod:`~hippo.learning.active_inference`);
the plasticity rules register in :mod:`~hippo.learning.rules`. Main names are public here::

    from hippo.learning import Plasticity, rule_named, PredictionErrorPlasticity, ScheduleConfig
"""

from hippo._exports import lazy_exports

# The built-in plasticity rules register themselves with hippo.learning.rules when imported.
# Python runs this file before any module of hippo.learning, so a lookup always finds them.
from hippo.learning import (adam, bayesian_mechanics_rule, momentum, natural_gradient,  # noqa: F401
                            prediction_error, reset, rmsprop)

_EXPORTS = {
    **dict.fromkeys(["Plasticity", "Rule", "register", "rule_named"], "hippo.learning.rules"),
    **dict.fromkeys(["PredictionErrorPlasticity", "local_error"], "hippo.learning.prediction_error"),
    "BayesianMechanicsPlasticity": "hippo.learning.bayesian_mechanics_rule",
    "MomentumPlasticity": "hippo.learning.momentum",
    "RMSpropPlasticity": "hippo.learning.rmsprop",
    "AdamPlasticity": "hippo.learning.adam",
    "NaturalGradientPlasticity": "hippo.learning.natural_gradient",
    "ResetPlasticity": "hippo.learning.reset",
    **dict.fromkeys(["BlockSchedule", "ScheduleConfig"], "hippo.learning.schedule"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
