"""The built-in layer kinds, one module each, registered with :mod:`hippo.circuits.layer_kinds` on import."""
