"""What ``hippo list`` and ``hippo show`` print: experiments, their presets and their keys.

Every description is read from where it is already written: an experiment's is the
first line of its module's docstring, a preset's the first sentence of the comment at
the top of its TOML file, a key's the comment beside it in the experiment's defaults
file, else the ``Attributes:`` entry of the dataclass that holds it (the keys of an
experiment nested in another, ``network.*`` of ``transfer``, are described by that
experiment's file). A number's unit is the ``unit`` of its field metadata
(:func:`hippo.config.bounds`), else the one its own documentation names (its comment,
else its ``Attributes:`` entry: seconds or (s) → s, metres or (m) → m, Hz, m/s, s/m,
rad/s, 1/s), never one of the table that holds it. Its allowed values are read from its
type (``Literal`` choices, numbers, integers, true/false) and the bounds in its field
metadata. ``hippo list`` prints beside each preset its expected wall time, read from
:data:`WALL_TIMES`.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import inspect
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from hippo.runner import experiment_package, list_presets, preset_path, resolve
from hippo.config import read_toml

#: Descriptions of the keys every experiment has (see :mod:`hippo.runner`).
COMMON_KEYS = {"experiment": "the experiment these keys configure",
               "seed": "seed of every random draw: the same seed gives the same numbers"}

#: Each preset's expected wall time and the machine it was measured on
#: (written by ``benchmarks/measure_wall_times.py``).
WALL_TIMES = Path(__file__).with_name("wall_times.toml")

#: Words of a description that name a unit, and the unit's symbol (first match wins).
UNIT_WORDS = (("m/s", "m/s"), ("s/m", "s/m"), ("rad/s", "rad/s"), ("1/s", "1/s"), ("Hz", "Hz"), ("seconds", "s"),
              ("(s)", "s"), ("metres", "m"), ("(m)", "m"))


@dataclass(frozen=True)
class KeyRow:
    """One key of an experiment's configuration, as ``hippo show`` prints it.

    Attributes:
        key: dotted key (as ``--set`` takes it).
        value: the value the run would use, as TOML text.
        default: the experiment's default, as TOML text.
        unit: unit symbol, or ``"-"`` when none is documented.
        allowed: the values allowed.
        description: what the key does.
    """

    key: str
    value: str
    default: str
    unit: str
    allowed: str
    description: str


def parse_source(path: Path) -> ast.Module:
    """The syntax tree of a Python source file, parsed with the garbage collector off.

    Python 3.11 before 3.11.8 keeps one recursion counter for all syntax-tree
    conversions (CPython gh-106905): a finalizer that parses code while a parse is under
    way (the collector freeing Brian2 objects, whose deletion warning formats source)
    leaves it unbalanced, and the outer parse fails with "AST constructor recursion depth
    mismatch". With the collector off no finalizer runs inside the parse.
    """
    source = path.read_text()
    collecting = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, str(path))
    finally:
        if collecting:
            gc.enable()


def module_description(experiment: str) -> str:
    """First line of the docstring of experiment ``experiment``'s module (read, not imported)."""
    docstring = ast.get_docstring(parse_source(experiment_package(experiment) / "__init__.py")) or ""
    return docstring.strip().splitlines()[0].rstrip(".") if docstring.strip() else ""


def preset_description(path: Path) -> str:
    """First sentence of the comment block at the top of a preset's TOML file."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text:
            break
        lines.append(text)
    text = " ".join(lines)
    match = re.search(r"^(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text).rstrip(".")


def experiments() -> dict[str, list[str]]:
    """Experiment name → its presets (the other TOML files naming it), both sorted."""
    grouped: dict[str, list[str]] = {}
    for name in list_presets():
        experiment = read_toml(preset_path(name)).get("experiment", name)
        grouped.setdefault(experiment, [])
        if name != experiment:
            grouped[experiment].append(name)
    return dict(sorted(grouped.items()))


def wall_time_text(entry: dict) -> str:
    """An entry of :data:`WALL_TIMES` as ``hippo list`` prints it: ``~N s`` below 90 s, else ``~N min``.

    A number taken from the documentation rather than measured with the file's machine
    is marked ``*``; an entry without a number reads ``not measured``.
    """
    if "seconds" not in entry:
        return "not measured"
    seconds = float(entry["seconds"])
    text = f"~{seconds:.0f} s" if seconds < 90 else f"~{seconds / 60:.0f} min"
    return text + ("*" if "source" in entry else "")


def wall_times() -> dict:
    """The wall-times file: ``machine`` (``cpu``, ``cores``) and ``presets`` (name → entry)."""
    return read_toml(WALL_TIMES)


def list_lines() -> list[str]:
    """``hippo list``: each experiment with its expected wall time and description, its presets indented below it.

    A blank line and a note on the machine the wall times were measured on follow.
    """
    grouped = experiments()
    width = max(len(name) + 2 for names in grouped.values() for name in names) if grouped else 0
    width = max([width] + [len(name) for name in grouped]) + 2
    times = wall_times()
    machine, entries = times["machine"], times["presets"]

    def took(name: str) -> str:
        return f"{wall_time_text(entries.get(name, {})):14s}"

    lines = []
    for experiment, presets in grouped.items():
        lines.append(f"{experiment:{width}s}{took(experiment)}{module_description(experiment)}")
        for preset in presets:
            lines.append(f"  {preset:{width - 2}s}{took(preset)}{preset_description(preset_path(preset))}")
    loads = [load for entry in entries.values() for load in entry.get("load", [])]
    shared = f", load average {min(loads):.1f}–{max(loads):.1f}" if loads else ""
    return lines + ["", f"Wall time of one run with the defaults, measured on {machine['cpu']}, {machine['cores']} "
                        f"cores{shared}; * as the documentation states, for the machine hippo/{WALL_TIMES.name} names."]


def _toml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_toml_text(v) for v in value) + "]"
    if value is None:
        return "none"
    return str(value)


def _split_comment(line: str) -> tuple[str, str]:
    """``line`` without its comment, and the comment (quotes respected)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:i], line[i + 1:].strip()
    return line, ""


def toml_comments(path: Path) -> dict[str, str]:
    """Dotted key → the comment on its line in TOML file ``path``, with the comment-only lines
    right below it that continue it (indented to the same column)."""
    comments, table, last, column = {}, "", None, None
    for line in path.read_text().splitlines():
        body, comment = _split_comment(line)
        body = body.strip()
        header = re.fullmatch(r"\[([\w.-]+)\]", body)
        if not body and comment and last is not None and line.index("#") == column:
            comments[last] += " " + comment
            continue
        last = None
        if header:
            table = header.group(1) + "."
        elif "=" in body and comment:
            last = table + body.split("=", 1)[0].strip()
            comments[last], column = comment, line.index("#", len(line) - len(line.lstrip()) + len(body))
    return comments


def attribute_docs(cls: type) -> dict[str, str]:
    """Field name → its entry in the ``Attributes:`` section of ``cls``'s docstring."""
    docs, current, inside = {}, None, False
    for line in inspect.cleandoc(cls.__doc__ or "").splitlines():
        if line.strip() == "Attributes:":
            inside = True
            continue
        if not inside:
            continue
        entry = re.fullmatch(r"    (\w+)(?: \([^)]*\))?: (.*)", line)
        if entry:
            current = entry.group(1)
            docs[current] = entry.group(2).strip()
        elif line.startswith("        ") and current:
            docs[current] += " " + line.strip()
        elif line.strip():
            break
    return docs


def _allowed(tp: Any, metadata: dict) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (typing.Union, types.UnionType):
        options = [_allowed(a, metadata) for a in get_args(tp) if a is not type(None)]
        return " or ".join(options) + (" or none" if type(None) in get_args(tp) else "")
    if origin in (tuple, list):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return f"list of {_allowed(args[0], {}) if args else 'values'}"
    if tp is bool:
        return "true | false"
    name = {int: "integer", float: "number", str: "text"}.get(tp, getattr(tp, "__name__", str(tp)))
    limits = [f"> {metadata['gt']:g}" if metadata.get("gt") is not None else "",
              f">= {metadata['min']:g}" if metadata.get("min") is not None else "",
              f"<= {metadata['max']:g}" if metadata.get("max") is not None else ""]
    return " ".join([name, " and ".join(limit for limit in limits if limit)]).strip()


def _unit(description: str) -> str:
    for word, symbol in UNIT_WORDS:
        if re.search(rf"(?<![\w/]){re.escape(word)}(?![\w/])", description):
            return symbol
    return "-"


def _leaves(config: Any, prefix: str = ""):
    """(dotted key, value, field, owning dataclass) of every non-table value of ``config``."""
    hints = typing.get_type_hints(type(config))
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from _leaves(value, f"{key}.")
        else:
            yield key, value, hints[f.name], f, type(config)


def _experiment_comments(config: Any, prefix: str = "") -> dict[str, str]:
    """Dotted key → comment, from the defaults file of ``config``'s experiment and of every
    experiment nested in it (a table holding ``experiment`` and ``seed``), keys prefixed."""
    comments = {}
    if prefix == "" or {"experiment", "seed"} <= {f.name for f in dataclasses.fields(config)}:
        path = preset_path(getattr(config, "experiment", ""))
        if path is not None:
            comments.update({prefix + key: text for key, text in toml_comments(path).items()})
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            comments.update(_experiment_comments(value, f"{prefix}{f.name}."))
    return comments


def _numeric(tp: Any) -> bool:
    """Whether values of type ``tp`` are numbers (or lists of numbers), the only values with units."""
    if tp in (int, float):
        return True
    return get_origin(tp) in (tuple, list, typing.Union, types.UnionType) and any(
        _numeric(a) for a in get_args(tp) if a is not Ellipsis)


def key_unit(f: dataclasses.Field, tp: Any, owner: type, comment: str | None) -> str:
    """The unit symbol of a key: its field's ``unit`` metadata, else the unit its own comment (else
    its ``Attributes:`` entry) names; ``"-"`` for a field that holds no number or names no unit."""
    if f.metadata.get("unit"):
        return f.metadata["unit"]
    if not _numeric(tp):
        return "-"
    own = comment or attribute_docs(owner).get(f.name) or ""
    return _unit(own.replace("``", ""))


def key_rows(name_or_file: str) -> list[KeyRow]:
    """Every key of the resolved configuration of a preset or TOML file, with the experiment's defaults."""
    resolved = resolve(name_or_file)
    experiment = resolved.config.experiment
    defaults = {key: value for key, value, *_ in _leaves(resolve(experiment).config)}
    comments = _experiment_comments(resolve(experiment).config)
    rows = []
    for key, value, tp, f, owner in _leaves(resolved.config):
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        summary = inspect.cleandoc(owner.__doc__ or "").split("\n")[0] if parent else ""
        common = COMMON_KEYS.get(f.name) if {"experiment", "seed"} <= {g.name for g in dataclasses.fields(owner)} \
            else None
        description = (common or comments.get(key) or attribute_docs(owner).get(f.name)
                       or comments.get(parent) or summary)
        description = description.replace("``", "")
        unit = "-" if common else key_unit(f, tp, owner, comments.get(key))
        rows.append(KeyRow(key, _toml_text(value), _toml_text(defaults.get(key)), unit,
                           _allowed(tp, dict(f.metadata)), description))
    return rows


def show_lines(name_or_file: str) -> list[str]:
    """``hippo show``: a header, then one line per key: key, value, unit, allowed values, description."""
    rows = key_rows(name_or_file)
    resolved = resolve(name_or_file)
    experiment = resolved.config.experiment
    path = preset_path(name_or_file)
    about = preset_description(path) if path is not None else module_description(experiment)
    key_width = max(len(r.key) for r in rows) + 2
    value_width = max(len(r.value) for r in rows) + 2
    allowed_width = min(30, max(len(r.allowed) for r in rows)) + 2
    lines = [f"# {name_or_file}: {about}" if about else f"# {name_or_file}",
             f"# {'key':{key_width - 2}s}{'value':{value_width}s}{'unit':7s}{'allowed':{allowed_width}s}description"]
    for r in rows:
        note = f" (default {r.default})" if r.default != r.value else ""
        lines.append(f"{r.key:{key_width}s}{r.value:{value_width}s}{r.unit:7s}{r.allowed:{allowed_width - 2}s}  "
                     f"{r.description}{note}")
    return lines
