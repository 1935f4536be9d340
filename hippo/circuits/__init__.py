"""Circuits: networks described as data (layers, projections, noise) and the engines that run them.

Public names (imported on first use; Brian2 only with ``SpikingEngine`` and ``StandaloneSpikingEngine``)::

    from hippo.circuits import Network, path_integrator_network, make_engine, RateEngine
"""

from hippo._exports import lazy_exports

_EXPORTS = {
    "Activation": "hippo.circuits.activations",
    **dict.fromkeys(["Layer", "Network", "Noise", "Projection", "ProjectionConfig", "build_projection"],
                    "hippo.circuits.spec"),
    **dict.fromkeys(["AutoencoderProjections", "PathIntegratorProjections", "PyramidalConfig", "autoencoder_network",
                     "conjunctive_blocks", "path_integrator_network"], "hippo.circuits.wiring"),
    "make_engine": "hippo.circuits.engines",
    **dict.fromkeys(["Engine", "EngineBase", "InputFunction", "Recording"], "hippo.circuits.engine"),
    "RateEngine": "hippo.circuits.rate",
    "SpikingConfig": "hippo.circuits.spiking_config",
    "SpikingEngine": "hippo.circuits.spiking",
    "StandaloneSpikingEngine": "hippo.circuits.spiking_standalone",
    **dict.fromkeys(["load_state", "save_state"], "hippo.circuits.state"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
