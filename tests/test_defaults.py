"""One source of defaults: an experiment's ``Config()`` is read from its TOML preset.

``hippo run NAME`` reads ``hippo/experiments/<name>/NAME.toml``; Python code builds
``module.Config()``, whose defaults :func:`hippo.config.preset_defaults` reads from that same
file. These tests check the decorator on a module of their own, that no configuration
dataclass of ``hippo/experiments/`` declares a default in code that its file gives (or any
default besides ``None`` that its file does not give), that running an experiment by name
gives ``Config()``, and that every other preset differs from that default only in the keys
it sets.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import pkgutil
import sys
import textwrap
import typing

import pytest

import hippo.experiments
from hippo.config import bounds, read_toml, to_dict
from hippo.errors import ConfigError
from hippo.experiments.circuit import PathIntegrationCircuit
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
def test_running_an_experiment_by_name_uses_config_defaults(experiment):
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


# ------------------------------------------------------------------ the decorator, on a module of its own
HEADER = """
from __future__ import annotations
from dataclasses import dataclass, field
from hippo.config import bounds, preset_defaults
"""

COMPONENT = """
@dataclass(frozen=True)
class Component:
    scale: float = 1.0
    tau: float = 0.3
"""


def _load(tmp_path, monkeypatch, toml: str, *sources: str):
    """Import ``sources`` (dataclasses) as one module beside ``preset.toml`` holding ``toml``."""
    (tmp_path / "preset.toml").write_text(textwrap.dedent(toml))
    name = f"preset_defaults_{tmp_path.name}"
    path = tmp_path / f"{name}.py"
    path.write_text("".join(textwrap.dedent(part) for part in (HEADER, *sources)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_defaults_come_from_the_file_converted_to_the_field_types(tmp_path, monkeypatch):
    module = _load(tmp_path, monkeypatch, """
        rate = 2                       # an integer for a float field
        times = [1, 2.5]
        label = "a"
        [part]
        scale = 0.5
        [weights]
        a = 1.0
        """, COMPONENT, """
        @dataclass(frozen=True)
        @preset_defaults("preset.toml")
        class Settings:
            rate: float = field(metadata=bounds(gt=0.0))
            times: tuple[float, ...]
            label: str
            part: Component
            weights: dict[str, float]
            note: str | None = None
        """)
    settings = module.Settings()
    assert settings == module.Settings(rate=2.0, times=(1.0, 2.5), label="a",
                                       part=module.Component(scale=0.5, tau=0.3), weights={"a": 1.0})
    assert type(settings.rate) is float and type(settings.times) is tuple
    assert settings.note is None
    assert dataclasses.fields(module.Settings)[0].metadata["gt"] == 0.0
    assert settings.weights is not module.Settings().weights  # a table is copied for every instance
    assert module.Settings.__preset_defaults__ == (tmp_path / "preset.toml", None,
                                                   ("rate", "times", "label", "part", "weights"))


def test_a_table_of_the_file_gives_a_class_its_defaults(tmp_path, monkeypatch):
    module = _load(tmp_path, monkeypatch, """
        [outer.inner]
        scale = 3.0
        """, """
        @dataclass(frozen=True)
        @preset_defaults("preset.toml", table="outer.inner")
        class Inner:
            scale: float
            tau: float = 0.1
        """)
    assert module.Inner() == module.Inner(scale=3.0, tau=0.1)


@pytest.mark.parametrize(("toml", "key", "problem"), [
    ("[part]\nrate = -1.0\n", "part.rate", "value -1.0 out of range"),
    ("[part]\nrate = 1.0\nratio = 2\n", "part.ratio", "unknown key"),
    ("[part]\nrate = \"fast\"\n", "part.rate", "expected a number, got 'fast'"),
    ("[other]\nrate = 1.0\n", "part", "missing table"),
])
def test_a_bad_file_is_refused_naming_the_file_and_the_key(tmp_path, monkeypatch, toml, key, problem):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, monkeypatch, toml, """
            @dataclass(frozen=True)
            @preset_defaults("preset.toml", table="part")
            class Part:
                rate: float = field(metadata=bounds(gt=0.0))
            """)
    assert (error.value.source, error.value.key, error.value.problem) == (str(tmp_path / "preset.toml"), key, problem)
    if problem == "unknown key":
        assert error.value.allowed == "rate"


@pytest.mark.parametrize("declaration", ["rate: float = 1.0", "rate: float = field(default=1.0)",
                                         "rate: float = field(default_factory=float)", "rate: float | None = None"])
def test_a_default_given_in_the_class_and_in_the_file_is_refused(tmp_path, monkeypatch, declaration):
    with pytest.raises(TypeError, match=r"Part\.rate: default given both in the class and in .*preset\.toml"):
        _load(tmp_path, monkeypatch, "rate = 2.0\n", f"""
            @dataclass(frozen=True)
            @preset_defaults("preset.toml")
            class Part:
                {declaration}
            """)


def test_a_field_with_a_default_nowhere_is_refused(tmp_path, monkeypatch):
    with pytest.raises(TypeError, match="non-default argument 'tau' follows default argument"):
        _load(tmp_path, monkeypatch, "rate = 2.0\n", """
            @dataclass(frozen=True)
            @preset_defaults("preset.toml")
            class Part:
                rate: float
                tau: float
            """)


def test_inherited_fields_keep_their_place_and_metadata(tmp_path, monkeypatch):
    module = _load(tmp_path, monkeypatch, """
        name = "sub"
        rate = 2.0
        extra = 1
        """, """
        @dataclass(frozen=True)
        class Base:
            name: str
            rate: float = field(metadata=bounds(gt=0.0, unit="Hz"))

        @dataclass(frozen=True)
        @preset_defaults("preset.toml")
        class Sub(Base):
            extra: int = field(metadata=bounds(min=0))
        """)
    fields = dataclasses.fields(module.Sub)
    assert [f.name for f in fields] == ["name", "rate", "extra"]
    assert fields[1].metadata == bounds(gt=0.0, unit="Hz")
    assert typing.get_type_hints(module.Sub)["rate"] is float
    assert module.Sub() == module.Sub("sub", 2.0, 1)
    with pytest.raises(ConfigError, match="out of range"):
        _load(tmp_path, monkeypatch, 'name = "sub"\nrate = 0.0\nextra = 1\n', """
            @dataclass(frozen=True)
            class Base:
                name: str
                rate: float = field(metadata=bounds(gt=0.0))

            @dataclass(frozen=True)
            @preset_defaults("preset.toml")
            class Sub(Base):
                extra: int
            """)


# ------------------------------------------------------------------ the experiments
def _experiment_modules() -> list:
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(hippo.experiments.__path__, "hippo.experiments.")]


def _configuration_classes() -> set[type]:
    """Every experiment's ``Config`` and the dataclasses of ``hippo/experiments/`` that are its tables."""
    found, stack = set(), [module.Config for module in _experiment_modules() if hasattr(module, "Config")]
    while stack:
        cls = stack.pop()
        if cls in found:
            continue
        found.add(cls)
        for tp in typing.get_type_hints(cls).values():
            for candidate in (tp, *typing.get_args(tp)):
                if dataclasses.is_dataclass(candidate) and candidate.__module__.startswith("hippo.experiments."):
                    stack.append(candidate)
    return found


def test_every_experiment_configuration_reads_its_defaults_from_its_file():
    classes = _configuration_classes()
    assert {"Config", "MoveConfig", "RelearnConfig", "GridConfig", "Topology2DConfig"} <= {c.__name__ for c in classes}
    for cls in classes:
        assert hasattr(cls, "__preset_defaults__"), f"{cls.__module__}.{cls.__qualname__} declares its defaults in code"
        path, table, keys = cls.__preset_defaults__
        in_code = [f.name for f in dataclasses.fields(cls) if f.name not in keys
                   and (f.default_factory is not dataclasses.MISSING
                        or f.default not in (dataclasses.MISSING, None))]
        assert not in_code, f"{cls.__qualname__}: defaults of {in_code} are not in {path.name} [{table or ''}]"


def test_the_shared_circuit_declares_no_defaults():
    assert all(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in dataclasses.fields(PathIntegrationCircuit))
