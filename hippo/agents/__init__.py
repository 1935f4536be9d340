"""Agents that act in worlds: an active-inference agent and the exploration it drives.

The agents are built on the pure functions of the learning cores
(:mod:`hippo.learning.active_inference`) and on the worlds' models
(:mod:`hippo.world.gridworld_model`).
"""

from hippo.agents.active_inference import ActiveInferenceAgent
from hippo.agents.exploration import Exploration, active_inference_trajectory, explore_gridworld

__all__ = ["ActiveInferenceAgent", "Exploration", "active_inference_trajectory", "explore_gridworld"]
