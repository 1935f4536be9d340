"""hippo: the hippocampal formation as a generative model.

Spiking and rate-based hippocampus <-> medial entorhinal cortex circuits of
two-compartment pyramidal neurons, trained by theta-gated wake-sleep local learning on
sensory streams from gridworld environments.
"""

__version__ = "0.1.0"

from hippo import _numba_cache

NUMBA_CACHE = _numba_cache.configure()
