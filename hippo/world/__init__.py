"""Worlds: gridworld environments, their active-inference model, motion, senses and streams.

Public names (imported on first use)::

    from hippo.world import Gridworld, load_environment, MotionConfig, generate_motion, Stream
"""

from hippo._exports import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["ACTIONS", "Gridworld", "list_environments", "load_environment", "parse_environment"],
                    "hippo.world.gridworld"),
    # gridworld_model() itself is reached as hippo.world.gridworld_model.gridworld_model: the module has its name
    **dict.fromkeys(["cue_outcomes", "gridworld_transitions", "sample_observation"], "hippo.world.gridworld_model"),
    **dict.fromkeys(["Trajectory", "sample_times", "through_cells"], "hippo.world.trajectory"),
    **dict.fromkeys(["MotionConfig", "generate_motion", "ornstein_uhlenbeck"], "hippo.world.motion"),
    **dict.fromkeys(["CueCells", "PlaceCells", "SensesConfig", "VelocityCells", "gaussian_process_latents"], "hippo.world.senses"),
    **dict.fromkeys(["RecordingConfig", "load_recorded_path", "read_recording"], "hippo.world.recorded"),
    "Stream": "hippo.world.stream",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
