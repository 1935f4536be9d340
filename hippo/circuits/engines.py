"""Choosing the engine that runs a network description, and asking it what it cannot run."""

from __future__ import annotations

from hippo.circuits.spec import Network


def make_engine(kind: str, network: Network, dt: float, seed: int, precision: str = "float64", spiking=None):
    """A ``"rate"`` or ``"spiking"`` engine for ``network`` with time step ``dt`` seconds.

    ``precision`` (``"float64"`` or ``"float32"``) applies to the rate engine;
    ``spiking`` (a :class:`~hippo.circuits.spiking.SpikingConfig`, defaults if None) to
    the spiking engine, which is a compiled program when its target is ``"cpp_standalone"``
    (:class:`~hippo.circuits.spiking_standalone.StandaloneSpikingEngine`).
    """
    if kind == "rate":
        from hippo.circuits.rate import RateEngine

        return RateEngine(network, dt, seed, precision)
    from hippo.circuits.spiking import SpikingConfig, SpikingEngine

    spiking = spiking or SpikingConfig()
    if spiking.target == "cpp_standalone":
        from hippo.circuits.spiking_standalone import StandaloneSpikingEngine

        return StandaloneSpikingEngine(network, dt, seed, spiking)
    return SpikingEngine(network, dt, seed, spiking)


def engine_support(kind: str, network: Network) -> list[str]:
    """What of ``network`` the ``"rate"`` or ``"spiking"`` engine cannot run, one line each (empty: all of it).

    The engines' ``supports``, answered from the description alone (no Brian2 object is built).
    """
    if kind == "rate":
        from hippo.circuits.rate import RateEngine

        return RateEngine.supports(network)
    from hippo.circuits.spiking_config import spiking_support

    return spiking_support(network)
