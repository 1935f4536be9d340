"""The package's imports have no cycle, and importing ``hippo`` and its sub-packages stays cheap.

Every module of ``hippo`` is parsed with :mod:`ast` (nothing is imported); each
``import hippo…`` / ``from hippo… import …`` statement is an edge to the module it names.
Two graphs are checked:

* **Dependencies** — every import, at module level or inside a function. Deferred imports
  count: deferring keeps a costly dependency (Brian2) off the import path, but a cycle
  through a deferred import is still two modules that cannot be read, tested or replaced
  one without the other; deferring only hides it until run time.
* **Import time** — what Python runs when a module is imported: its module-level imports,
  and the ``__init__`` of every package on the way to a module it names (importing
  ``hippo.learning.rules`` from ``hippo.circuits.rate`` runs ``hippo/learning/__init__.py``
  first), except its own packages, which are already being imported. A cycle here means
  a module can see another one half-initialised.

Package ``__init__`` edges are left out of the first graph: a package's face re-exports
its modules, and a deferred import that reaches a package runs long after it was set up.
The faces themselves import nothing until a name is used (:mod:`hippo._exports`).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import hippo
from hippo.describe import parse_source

PACKAGE_ROOT = Path(hippo.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {_module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an imported dotted name refers to (``hippo.world.motion.Trajectory`` → ``hippo.world.motion``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported_names(node: ast.AST, module: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        origin = f"{base}.{node.module}" if node.module else base
    else:
        origin = node.module or ""
    # ``from package import submodule`` imports the submodule; ``from module import name`` the module.
    return [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin for alias in node.names]


def _import_nodes(tree: ast.AST, deferred: bool = False):
    """``(node, deferred)`` for every import statement; deferred ones are inside a function."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, deferred
        else:
            yield from _import_nodes(child, deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """Modules of the package that ``module`` imports at module level, and inside functions."""
    found: tuple[set[str], set[str]] = (set(), set())
    for node, deferred in _import_nodes(parse_source(path)):
        for name in _imported_names(node, module, path.name == "__init__.py", modules):
            target = _resolve(name, modules)
            if target is not None and target != module:
                found[deferred].add(target)
    return found


def _packages_run_first(target: str, importer: str, modules: dict[str, Path]) -> set[str]:
    """Packages whose ``__init__`` Python runs to import ``target``, other than the importer's own."""
    parts = target.split(".")
    ancestors = {".".join(parts[:i]) for i in range(1, len(parts))}
    own = {importer} | {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 1)}
    return {package for package in ancestors - own if package in modules}


def dependency_graph() -> dict[str, set[str]]:
    """Edges ``module → modules it imports`` anywhere, over the whole package."""
    modules = package_modules()
    graph = {}
    for module, path in modules.items():
        module_level, deferred = imports_of(module, path, modules)
        graph[module] = module_level | deferred
    return graph


def import_time_graph() -> dict[str, set[str]]:
    """Edges ``module → modules Python runs when importing it`` (module-level imports and their packages)."""
    modules = package_modules()
    graph = {}
    for module, path in modules.items():
        module_level, _ = imports_of(module, path, modules)
        graph[module] = module_level | {p for t in module_level for p in _packages_run_first(t, module, modules)}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, …, a]``, or ``None``."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_reports_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_edges_of_both_graphs():
    dependencies, import_time = dependency_graph(), import_time_graph()
    assert "hippo.config" in dependencies["hippo.runner"]  # module level
    assert "hippo.circuits.spiking" in dependencies["hippo.circuits.engines"]  # inside a function
    assert "hippo.circuits.spiking" not in import_time["hippo.circuits.engines"]
    assert "hippo.learning" in import_time["hippo.circuits.rate"]  # run before hippo.learning.rules
    assert "hippo.circuits" not in import_time["hippo.circuits.rate"]  # its own package
    assert "hippo.learning" not in dependencies["hippo.circuits.rate"]


def test_no_module_depends_on_itself_through_its_imports():
    cycle = find_cycle(dependency_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_no_module_is_imported_half_initialised():
    cycle = find_cycle(import_time_graph())
    assert cycle is None, "import-time cycle: " + " → ".join(cycle)


def test_analyses_run_no_engine():
    """``hippo.analysis`` is arrays in, numbers out: no module of it imports an engine, the
    phase protocol or the measurement protocols (:mod:`hippo.probes`), at module level or inside a function."""
    engines = ("hippo.circuits", "hippo.protocol", "hippo.probes")
    offending = {module: sorted(t for t in targets if any(t == e or t.startswith(e + ".") for e in engines))
                 for module, targets in dependency_graph().items()
                 if module == "hippo.analysis" or module.startswith("hippo.analysis.")}
    assert not {module: targets for module, targets in offending.items() if targets}


SUBPACKAGES = ("hippo.world", "hippo.learning", "hippo.learning.active_inference", "hippo.circuits", "hippo.analysis",
               "hippo.agents", "hippo.experiments", "hippo.sweep")


def test_every_public_name_of_a_subpackage_resolves():
    code = ("import importlib\n"
            f"for name in {SUBPACKAGES!r}:\n"
            "    package = importlib.import_module(name)\n"
            "    for public in getattr(package, '__all__', ()):\n"
            "        assert getattr(package, public) is not None, (name, public)\n"
            "    assert set(getattr(package, '__all__', ())) <= set(dir(package)), name\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_public_names_are_the_objects_of_their_modules():
    import hippo.world
    from hippo.agents import explore_gridworld as public_explore
    from hippo.agents.exploration import explore_gridworld
    from hippo.world import Stream as PublicStream
    from hippo.world.stream import Stream

    assert PublicStream is Stream and public_explore is explore_gridworld
    with pytest.raises(AttributeError, match="no attribute 'Nowhere'"):
        getattr(hippo.world, "Nowhere")


def test_every_package_is_installed():
    with (PACKAGE_ROOT.parent / "pyproject.toml").open("rb") as handle:
        listed = set(tomllib.load(handle)["tool"]["setuptools"]["packages"])
    packages = {module for module, path in package_modules().items() if path.name == "__init__.py"}
    assert packages <= listed, f"missing from pyproject.toml [tool.setuptools] packages: {sorted(packages - listed)}"


def test_importing_hippo_and_its_subpackages_does_not_import_brian2():
    code = f"import sys, {', '.join(('hippo',) + SUBPACKAGES)}; print('brian2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
