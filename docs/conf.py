"""Sphinx configuration of hippo's documentation: ``make docs`` builds it into ``docs/_build/html``.

The API reference is generated from the docstrings (autosummary, recursively from the
package, so a module that moves is found where it now lives); the gallery's scripts in
``docs/gallery/`` are executed on every build (sphinx-gallery) and their figures are
the ones shown.
"""

from __future__ import annotations

import os
import sys
import types

import hippo

# ``python -m hippo`` runs the command line when imported; autosummary's recursive walk
# imports every module, so it finds a stand-in that it skips (a mocked module).
_entry_point = types.ModuleType("hippo.__main__")
_entry_point.__sphinx_mock__ = True
sys.modules.setdefault("hippo.__main__", _entry_point)

# The gallery's scripts import what they share (_figures.py) from their own folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gallery"))

project = "hippo"
author = "the hippo developers"
copyright = "2026, the hippo developers"
release = hippo.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",  # the docstrings are Google style (Args:, Returns:, Raises:)
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "gallery/*.rst", "policy-rules/*.md"]  # the study's tables are included in a results page
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# API reference: every public name, from each package's __all__ (its lazy exports) and each module.
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = False


def _exporting_packages() -> list[str]:
    """The packages of hippo that name their public objects in ``__all__`` (their lazy exports)."""
    import importlib
    import pkgutil

    names = [module.name for module in pkgutil.walk_packages(hippo.__path__, "hippo.") if module.ispkg]
    return [name for name in names if hasattr(importlib.import_module(name), "__all__")]


# The module template documents an exported constant or type alias of these packages too.
autosummary_context = {"exporting_packages": _exporting_packages()}
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

html_theme = "furo"
html_title = f"hippo {release}"
html_static_path: list[str] = []

sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_gallery",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|^_",  # _figures.py: what the scripts share, imported, not an example
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "matplotlib_animations": False,
    "only_warn_on_example_error": False,
    "abort_on_example_error": False,
    "capture_repr": (),  # show what a script prints, not the value of its last expression
}

# Internal links only: the link check never goes to the network.
linkcheck_ignore = [r"https?://.*"]
linkcheck_anchors = False

os.environ.setdefault("MPLBACKEND", "Agg")
