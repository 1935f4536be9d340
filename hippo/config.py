"""TOML files to frozen dataclasses, with validation and ``--set`` overrides.

Specifications are data: every experiment, environment and network option is a field
of a frozen dataclass. :func:`from_dict` builds such a dataclass from a mapping read
from TOML and reports any problem as one :class:`~hippo.errors.ConfigError` naming the
file, the dotted key and what is allowed. Numeric bounds live in the field metadata::

    eta: float = field(default=0.01, metadata=bounds(min=0.0))

An experiment's configuration declares no defaults in code: :func:`preset_defaults` reads them
from the experiment's TOML preset, the file ``hippo run NAME`` runs and users read.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import os
import sys
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

from hippo.errors import ConfigError

T = TypeVar("T")


def bounds(min: float | None = None, max: float | None = None, gt: float | None = None, finite: bool = True,
           unit: str | None = None) -> dict:
    """Field metadata for a numeric range: ``min <= value <= max`` and ``value > gt`` (each value of a list).

    Numbers must be finite unless ``finite`` is false, which admits ``inf`` and ``-inf``
    (NaN is never a valid setting). ``unit`` is the value's unit symbol (``"s"``, ``"m"``,
    ``"Hz"``), for a field whose documentation does not name it (``hippo show`` prints it).
    """
    return {"min": min, "max": max, "gt": gt, "finite": finite, **({"unit": unit} if unit else {})}


def names_file() -> dict:
    """Field metadata for a setting that names a file, or a shipped item by name.

    A relative path in such a field is read against the folder of the file that sets it
    (see :func:`anchor_paths`), so a study file can sit beside the files it names.
    """
    return {"names_file": True}


def preset_defaults(name: str, table: str | None = None) -> Callable[[type], type]:
    """Class decorator: the field defaults of a dataclass are the values of a TOML file beside its module.

    Placed under ``@dataclass`` (it runs first, on the class as written)::

        @dataclass(frozen=True)
        @preset_defaults("transfer.toml", table="move")
        class MoveConfig:
            fraction: float = field(metadata=bounds(gt=0.0, max=1.0))

    Each key of the file (of its table ``table``, a dotted key; ``None``: the whole file)
    becomes the default of the field of that name, converted to the field's type as
    :func:`from_dict` converts a table (a list to a tuple, an integer to a float, a table to
    its dataclass, completed by that class's own defaults) and checked against the field's
    :func:`bounds`. A field inherited from a dataclass base is declared again on the class
    with the file's value as its default, keeping its place among the base's fields and its
    metadata. Fields the file does not give keep what the class declares (``= None`` for an
    optional setting, which the file leaves out); a field with a default nowhere fails as
    ``@dataclass`` makes it fail. The file and table are kept as ``__preset_defaults__``
    ``(path, table, keys)``.

    Args:
        name: file name, read in the folder of the module that defines the class.
        table: dotted key of the table holding the class's values (``"network.test"``).

    Raises:
        ConfigError: the file or table is missing, a key is not a field of the class (naming
            the file, the key and the fields), or a value does not fit its field.
        TypeError: a field's default is given both in the class and in the file.
    """

    def decorate(cls: type) -> type:
        path = Path(sys.modules[cls.__module__].__file__).parent / name
        source = str(path)
        values = read_toml(path)
        for depth, part in enumerate(table.split(".") if table else ()):
            values = values.get(part)
            if not isinstance(values, Mapping):
                raise ConfigError(source, ".".join(table.split(".")[: depth + 1]), "missing table",
                                  f"a table of the settings of {cls.__name__}")
        hints = typing.get_type_hints(cls)
        inherited = {f.name: f for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
        annotations = cls.__dict__.get("__annotations__")
        if annotations is None:
            annotations = {}
            cls.__annotations__ = annotations
        own = [n for n in annotations if get_origin(hints[n]) is not typing.ClassVar]
        allowed = [*inherited, *(n for n in own if n not in inherited)]
        for key, value in values.items():
            dotted = f"{table}.{key}" if table else key
            if key not in allowed:
                raise ConfigError(source, dotted, "unknown key", ", ".join(allowed))
            declared = cls.__dict__.get(key, dataclasses.MISSING)
            if isinstance(declared, dataclasses.Field):
                given = (declared.default is not dataclasses.MISSING
                         or declared.default_factory is not dataclasses.MISSING)
                base = declared
            else:
                given = declared is not dataclasses.MISSING
                base = inherited.get(key) if key not in annotations else None
            if given:
                raise TypeError(f"{cls.__qualname__}.{key}: default given both in the class and in {source}; "
                                f"the file is its one source")
            metadata = base.metadata if base is not None else {}
            if metadata.get("names_file"):
                value = _anchor(value, path.parent)
            elif isinstance(value, Mapping) and (sub := _dataclass_in(hints[key])) is not None:
                value = anchor_paths(variant(sub, value, source, dotted), value, path.parent)
            value = _convert(value, hints[key], source, dotted, metadata.get("finite", True))
            _check_bounds(value, metadata, source, dotted)
            setattr(cls, key, _field_with_default(base, value))
            annotations.setdefault(key, hints[key])
        cls.__preset_defaults__ = (path, table, tuple(values))
        return cls

    return decorate


def _field_with_default(declared: dataclasses.Field | None, value: Any) -> dataclasses.Field:
    """A field like ``declared`` (its metadata and flags; a plain field when ``None``) with default ``value``;
    an unhashable value (a table read as a dict) becomes a factory of copies, as ``@dataclass`` requires."""
    options = {} if declared is None else {"init": declared.init, "repr": declared.repr, "hash": declared.hash,
                                           "compare": declared.compare, "metadata": declared.metadata,
                                           "kw_only": declared.kw_only}
    if type(value).__hash__ is None:
        return dataclasses.field(default_factory=functools.partial(copy.deepcopy, value), **options)
    return dataclasses.field(default=value, **options)


def is_path(value: str) -> bool:
    """Whether a file-naming setting holds a path (ends in ``.toml`` or holds a folder) rather than a name."""
    return value.endswith(".toml") or "/" in value or os.sep in value or value.startswith("~")


def anchor_paths(cls: type, data: Mapping, folder: str | Path) -> dict:
    """Copy of ``data`` (a table for dataclass ``cls``) with its relative file paths made absolute.

    Args:
        cls: dataclass whose fields marked with :func:`names_file` hold paths or names.
        data: table read from a file or from ``--set``.
        folder: folder the relative paths are relative to.

    Returns:
        The table with every such path absolute; names and other values unchanged.
    """
    hints = typing.get_type_hints(cls)
    result = dict(data)
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.metadata.get("names_file"):
            result[f.name] = _anchor(value, Path(folder))
        elif isinstance(value, Mapping) and (sub := _dataclass_in(hints[f.name])) is not None:
            result[f.name] = anchor_paths(sub, value, folder)
    return result


def _anchor(value: Any, folder: Path) -> Any:
    if isinstance(value, (list, tuple)):
        return [_anchor(v, folder) for v in value]
    if isinstance(value, str) and is_path(value):
        return os.path.abspath(folder / Path(value).expanduser())
    return value


def read_text(path: str | Path) -> str:
    """Text of a UTF-8 file (a leading byte-order mark is dropped); any problem names the file."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(str(path), "", "is a folder", "a .toml file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), "", "file not found") from None
    except OSError as error:
        raise ConfigError(str(path), "", f"cannot be read ({error.strerror or error})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(str(path), "", f"not UTF-8 text (byte {raw[error.start]:#04x} on line {line})",
                          "a text file saved as UTF-8") from None


def read_toml(path: str | Path) -> dict:
    """Read a TOML file; a syntax error names the file and the line."""
    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), "", f"invalid TOML: {error}") from None


def _convert(value: Any, tp: Any, source: str, key: str, finite: bool = True) -> Any:
    """Convert one TOML value to the annotated type ``tp`` or raise ConfigError.

    Floats must be finite (``finite`` true) or at least not NaN.
    """
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        if isinstance(value, Mapping) and (sub := _dataclass_in(tp)) is not None:
            return _convert(value, sub, source, key, finite)  # a table's problems keep their own key
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(value, option, source, key, finite)
            except ConfigError as error:
                errors.append(error.allowed or error.problem)
        raise ConfigError(source, key, f"invalid value {value!r}", " or ".join(errors))
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(source, key, f"invalid value {value!r}", ", ".join(repr(a) for a in allowed))
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(source, key, f"expected a table, got {value!r}")
        return from_dict(variant(tp, value, source, key), value, source, prefix=key)
    if origin in (tuple, list):
        args = get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(source, key, f"expected a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise ConfigError(source, key, f"expected {len(args)} values, got {len(value)}")
            return tuple(_convert(v, a, source, f"{key}[{i}]", finite) for i, (a, v) in enumerate(zip(args, value)))
        item = args[0] if args else Any
        return tuple(_convert(v, item, source, f"{key}[{i}]", finite) for i, v in enumerate(value))
    if origin is dict:
        key_type, value_type = get_args(tp) or (str, Any)
        if not isinstance(value, Mapping):
            raise ConfigError(source, key, f"expected a table, got {value!r}")
        return {k: _convert(v, value_type, source, f"{key}.{k}", finite) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(source, key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(source, key, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(source, key, f"expected a number, got {value!r}")
        if math.isnan(value) or (finite and math.isinf(value)):
            raise ConfigError(source, key, f"invalid value {value!r}", "a finite number" if finite else "a number, not nan")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(source, key, f"expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported field type {tp!r} at {key}")


def _check_bounds(value: Any, meta: Mapping, source: str, key: str) -> None:
    """Check a number, or each number of a list, against the field's :func:`bounds`."""
    if isinstance(value, tuple):
        for item in value:
            _check_bounds(item, meta, source, key)
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    low, high, gt = meta.get("min"), meta.get("max"), meta.get("gt")
    if (low is not None and value < low) or (high is not None and value > high) or (gt is not None and value <= gt):
        parts = []
        if gt is not None:
            parts.append(f"> {gt}")
        if low is not None:
            parts.append(f">= {low}")
        if high is not None:
            parts.append(f"<= {high}")
        raise ConfigError(source, key, f"value {value!r} out of range", " and ".join(parts))


def field_names(cls: type) -> list[str]:
    """Names of the fields of dataclass ``cls``, in declaration order."""
    return [f.name for f in dataclasses.fields(cls)]


def from_dict(cls: type[T], data: Mapping, source: str = "<config>", prefix: str = "") -> T:
    """Build dataclass ``cls`` from ``data``, validating keys, types and ranges.

    ``source`` names the file (or ``--set``) in error messages and ``prefix`` is the
    dotted key of ``data`` within that file.
    """
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise ConfigError(source, key, "unknown key", ", ".join(fields))
    values = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if name in data:
            table = _completed_by_default(data[name], f.default)
            value = _convert(table, hints[name], source, key, f.metadata.get("finite", True))
            _check_bounds(value, f.metadata, source, key)
            values[name] = value
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            table = _dataclass_in(hints[name])
            allowed = f"a table of {', '.join(field_names(table))}" if table else None
            raise ConfigError(source, key, "missing key", allowed)
    try:
        return cls(**values)
    except ConfigError as error:
        raise (error.located(source, prefix) if not error.source else error) from None
    except ValueError as error:
        raise ConfigError(source, prefix, str(error)) from None


def _completed_by_default(table: Any, default: Any) -> Any:
    """A nested table completed by its field's own default, not by its class's defaults.

    ``mec: PyramidalConfig = PyramidalConfig(basal=Activation("retanh"))`` with a table
    ``[mec] basal_noise = {scale = 0.05}`` keeps the retanh dendrites (and the default's
    noise time constant). A tagged table naming another variant than the default's
    (``plasticity = {rule = "bayesian-mechanics"}``) starts from that variant's own defaults.
    Keys the default does not have are kept, for the caller to report.
    """
    if not isinstance(table, Mapping) or not dataclasses.is_dataclass(default) or isinstance(default, type):
        return table
    tag = getattr(type(default), "TAG", None)
    if tag is not None and tag in table and table[tag] != getattr(default, tag):
        return table
    completed = {}
    for f in dataclasses.fields(default):
        value = getattr(default, f.name)
        if f.name in table:
            completed[f.name] = _completed_by_default(table[f.name], value)
        elif value is not None:
            completed[f.name] = to_dict(value)
    completed.update({k: v for k, v in table.items() if k not in completed})
    return completed


def to_dict(obj: Any) -> Any:
    """Dataclass (nested) to plain TOML-compatible data; ``None`` fields are dropped."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj) if getattr(obj, f.name) is not None}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``key=value``; the value is read as TOML, or as a bare string if that fails."""
    if "=" not in text:
        raise ConfigError("--set", text, "expected key=value")
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def apply_overrides(cls: type, data: Mapping, overrides: list[str]) -> dict:
    """Return a copy of ``data`` with ``--set key=value`` overrides applied.

    Each dotted key is checked against the dataclass ``cls``; an unknown key is reported
    with the list of valid keys at that level. A table value (``hpc={...}``) is merged
    into the table already in ``data``: keys it does not name keep their values. The
    ``experiment`` key (at any depth) is refused: it says what the configuration is, and
    a run labelled with another experiment than the one that ran could not be repeated.
    """
    result = _deep_copy(data)
    for text in overrides:
        key, value = parse_override(text)
        parts = key.split(".")
        target_cls = cls
        node = result
        for depth, part in enumerate(parts):
            hints = typing.get_type_hints(target_cls)
            if part not in hints:
                raise ConfigError("--set", ".".join(parts[: depth + 1]), "unknown key", ", ".join(field_names(target_cls)))
            if depth == len(parts) - 1:
                if part == "experiment":
                    raise ConfigError("--set", key, "the experiment is not a setting: it is chosen by the preset "
                                      "or TOML file run", "a preset of another experiment (hippo list) or a TOML "
                                      "file naming it")
                both_tables = isinstance(value, Mapping) and isinstance(node.get(part), Mapping)
                node[part] = merge_tables(node[part], value) if both_tables else value
                break
            sub = _dataclass_in(hints[part])
            if sub is None:
                raise ConfigError("--set", ".".join(parts[: depth + 1]), "is not a table")
            node = node.setdefault(part, {})
            target_cls = variant(sub, node, "--set", ".".join(parts[: depth + 1]))
        _keep_variant_keys(cls, result, parts)
    return result


def variant(cls: type, table: Mapping, source: str, key: str) -> type:
    """The dataclass a table stands for: ``cls`` itself, or the variant its tag names.

    A dataclass with a ``variants()`` classmethod (name → dataclass) and a class
    attribute ``TAG`` (the tag field's name) is a tagged union: the table's value of the
    tag names the variant (the first variant when the table has no tag). A key that only
    other variants have is reported as not applying to the variant named.
    """
    if not hasattr(cls, "variants"):
        return cls
    options = cls.variants()
    name = table.get(cls.TAG, next(iter(options)))
    if name not in options:
        raise ConfigError(source, f"{key}.{cls.TAG}" if key else cls.TAG, f"unknown value {name!r}", ", ".join(options))
    chosen = options[name]
    allowed = field_names(chosen)
    for other in options.values():
        for field in table:
            if field not in allowed and field in field_names(other):
                raise ConfigError(source, f"{key}.{field}" if key else field,
                                  f"does not apply to {cls.TAG} {name!r}", ", ".join(allowed))
    return chosen


def _keep_variant_keys(cls: type, data: dict, parts: list[str]) -> None:
    """After ``--set`` changed a tagged table's tag, drop the keys of the table's former variant.

    Switching the variant on the command line (``plasticity.rule=bayesian-mechanics``)
    replaces the file's choice, so the parameters only the former variant has go with
    it; keys the new variant shares are kept.
    """
    node, target = data, cls
    for depth, part in enumerate(parts):
        sub = _dataclass_in(typing.get_type_hints(target).get(part))
        last = depth == len(parts) - 1
        if sub is not None and hasattr(sub, "variants") and isinstance(node.get(part), Mapping):
            table = node[part]
            if (last and sub.TAG in table) or (depth == len(parts) - 2 and parts[-1] == sub.TAG):
                options = sub.variants()
                keep = field_names(options.get(table.get(sub.TAG), sub))
                node[part] = {k: v for k, v in table.items() if k in keep or k not in
                              {f for option in options.values() for f in field_names(option)}}
                return
        if last or sub is None or not isinstance(node.get(part), Mapping):
            return
        node, target = node[part], variant(sub, node[part], "--set", ".".join(parts[: depth + 1]))


def flatten_tables(table: Mapping, prefix: str = "") -> dict[str, Any]:
    """Nested tables to dotted keys (``{"a": {"b": 1}}`` → ``{"a.b": 1}``)."""
    flat = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_tables(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def merge_tables(base: Mapping, top: Mapping) -> dict:
    """``base`` updated by ``top``, recursively: nested tables merge key by key."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def _dataclass_in(tp: Any) -> type | None:
    if dataclasses.is_dataclass(tp):
        return tp
    for arg in get_args(tp):
        if dataclasses.is_dataclass(arg):
            return arg
    return None


def _deep_copy(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data
