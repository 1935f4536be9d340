"""Agents that act in worlds: an active-inference agent and the exploration it drives.

The agents are built on the pure functions of the learning cores
(:mod:`hippo.learning.active_inference`) and on the worlds' models
(:mod:`hippo.world.gridworld_model`). Public names (imported on first use)::

    from hippo.agents import ActiveInferenceAgent, explore_gridworld, active_inference_trajectory
"""

from hippo._exports import lazy_exports

_EXPORTS = {
    "ActiveInferenceAgent": "hippo.agents.active_inference",
    **dict.fromkeys(["Exploration", "active_inference_trajectory", "explore_gridworld"], "hippo.agents.exploration"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
