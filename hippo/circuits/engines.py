"""Choosing the engine that runs a network description."""

from __future__ import annotations

from hippo.circuits.spec import Network


def make_engine(kind: str, network: Network, dt: float, seed: int):
    """A ``"rate"`` or ``"spiking"`` engine for ``network`` with time step ``dt`` seconds."""
    if kind == "rate":
        from hippo.circuits.rate import RateEngine

        return RateEngine(network, dt, seed)
    from hippo.circuits.spiking import SpikingEngine

    return SpikingEngine(network, dt, seed)
