"""Learning cores: local plasticity rules, Bayesian mechanics, active inference, learning-rate schedules.

The cores are modules (:mod:`~hippo.learning.prediction_error`,
:mod:`~hippo.learning.bayesian_mechanics`, :mod:`~hippo.learning.active_inference`);
their main names are also public here (imported on first use)::

    from hippo.learning import ScheduleConfig, local_error
"""

from hippo._exports import lazy_exports

_EXPORTS = {
    "ScheduleConfig": "hippo.learning.schedule",
    "local_error": "hippo.learning.prediction_error",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
