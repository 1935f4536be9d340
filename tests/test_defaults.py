"""One source of defaults: each experiment's TOML file and its ``Config()`` agree.

``hippo run NAME`` reads ``hippo/experiments/<name>/NAME.toml``; Python code builds
``module.Config()``. For every experiment (a TOML file whose name is its
``experiment``) the two must give the same configuration, and every other preset must
differ from that default only in the keys it sets.
"""

from __future__ import annotations

import importlib

import pytest

from hippo.config import from_dict, read_toml, to_dict
from hippo.runner import list_presets, preset_path, resolve


def _preset(name: str) -> dict:
    return read_toml(preset_path(name))


def _module(experiment: str):
    return importlib.import_module(f"hippo.experiments.{experiment.replace('-', '_')}")


EXPERIMENTS = sorted(name for name in list_presets() if _preset(name).get("experiment") == name)
VARIANTS = sorted(name for name in list_presets() if name not in EXPERIMENTS)


def _flatten(data: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_every_experiment_and_variant_is_covered():
    assert {"path-integration", "autoencoding", "active-exploration", "bayesian-mechanics"} <= set(EXPERIMENTS)
    assert {"path-integration-paper", "path-integration-spiking"} <= set(VARIANTS)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_default_toml_equals_the_dataclass_defaults(experiment):
    config_class = _module(experiment).Config
    from_toml = from_dict(config_class, _preset(experiment), f"{experiment}.toml")
    in_toml, in_class = _flatten(to_dict(from_toml)), _flatten(to_dict(config_class()))
    difference = {key: (in_toml.get(key), in_class.get(key)) for key in in_toml.keys() | in_class.keys()
                  if in_toml.get(key) != in_class.get(key)}
    assert not difference, f"{experiment}.toml against Config() (toml, dataclass): {difference}"
    assert from_toml == config_class()


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_running_an_experiment_by_name_uses_the_dataclass_defaults(experiment):
    assert resolve(experiment).config == _module(experiment).Config()


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_variant_differs_from_its_experiment_only_in_the_keys_it_sets(variant):
    data = _preset(variant)
    config = resolve(variant).config
    default = _flatten(to_dict(_module(data["experiment"]).Config()))
    resolved = _flatten(to_dict(config))
    set_keys = set(_flatten(data))
    changed = {key for key in default.keys() | resolved.keys() if default.get(key) != resolved.get(key)}
    assert changed <= set_keys, f"{variant} changes keys it does not set: {sorted(changed - set_keys)}"
    assert changed, f"{variant} sets nothing its experiment does not already have"
