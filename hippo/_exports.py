"""Lazy public faces for sub-packages: ``from hippo.world import Stream`` without importing every module.

A sub-package's ``__init__`` names its public objects and the modules defining them;
:func:`lazy_exports` returns the module-level ``__getattr__`` and ``__dir__`` (PEP 562)
that import a defining module the first time one of its names is used. Importing a
sub-package thus loads none of its modules' dependencies (Brian2 is imported only when
the spiking engine is used), and no ``__init__`` takes part in an import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(namespace: dict, exports: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` of a package whose public names live in its modules.

    Args:
        namespace: the package's ``globals()``.
        exports: public name → dotted name of the module that defines it.

    Returns:
        ``(__getattr__, __dir__)`` to assign at the package's module level. The first
        access of a name imports its module and caches the object in the package.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> object:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
