"""Experiments: each a package composing worlds, circuits and analyses, holding no physics.

Each package ``hippo.experiments.<name>`` holds the experiment (its ``Config`` and
``run``; see :mod:`hippo.runner` for what an experiment defines), its figures and its
TOML files: its defaults ``<name>.toml`` and its presets. The runner's entry points are
public here (imported on first use)::

    from hippo.experiments import list_presets, resolve, run_experiment, run_seeds
"""

from hippo._exports import lazy_exports

_EXPORTS = dict.fromkeys(["flatten_metrics", "list_presets", "load_module", "preset_path", "resolve",
                          "run_experiment", "run_seeds", "summarise"], "hippo.runner")
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
