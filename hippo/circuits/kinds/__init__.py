"""The built-in layer kinds, one module each, registered with :mod:`hippo.circuits.layer_kinds` on import.

:mod:`hippo.circuits.spec` imports this package, so every network description (and every
engine, which reads one) finds them registered.
"""

from hippo.circuits.kinds import feedforward, input, multiplicative, pyramidal  # noqa: F401,A004
