"""The package's import graph has no cycle, and ``import hippo`` stays cheap.

Every module of ``hippo`` is parsed with :mod:`ast` (nothing is imported) and each
``import hippo…`` / ``from hippo… import …`` statement becomes an edge, wherever it is:
at module level, inside a function, or under ``if TYPE_CHECKING``. Deferred imports
count: deferring an import keeps a costly dependency (Brian2) off the import path, but a
cycle through it is still two modules that cannot be read, tested or replaced one
without the other; deferring only hides it until run time. An edge goes to the module
named; a package's own ``__init__`` (run first by Python when a submodule is imported)
is not an edge from its submodules, since a package that re-exports its modules would
otherwise be a cycle with each of them. Any other package on the way to the module named
is an edge: importing ``hippo.learning.rules`` from ``hippo.circuits.rate`` runs
``hippo/learning/__init__.py`` and whatever it imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hippo

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


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``module`` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            # ``from package import submodule`` imports the submodule; ``from module import name`` the module.
            names = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin for alias in node.names]
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
                found.update(_packages_run_first(target, module, modules))
    return found


def _packages_run_first(target: str, importer: str, modules: dict[str, Path]) -> set[str]:
    """Packages whose ``__init__`` Python runs to import ``target``, other than the importer's own."""
    parts = target.split(".")
    ancestors = {".".join(parts[:i]) for i in range(1, len(parts))}
    own = {importer} | {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 1)}
    return {package for package in ancestors - own if package in modules}


def import_graph() -> dict[str, set[str]]:
    """Edges ``module → modules it imports`` over the whole package."""
    modules = package_modules()
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


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


def test_edges_come_from_module_level_and_deferred_imports():
    graph = import_graph()
    assert "hippo.config" in graph["hippo.experiments"]  # module level
    assert "hippo.circuits.spiking" in graph["hippo.circuits.engines"]  # inside a function
    assert "hippo.learning" in graph["hippo.circuits.rate"]  # the package run before hippo.learning.rules
    assert "hippo.circuits" not in graph["hippo.circuits.rate"]  # its own package


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_importing_hippo_and_its_subpackages_does_not_import_brian2():
    code = ("import sys, hippo, hippo.world, hippo.learning, hippo.circuits, hippo.analysis, hippo.agents, "
            "hippo.experiments; print('brian2' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
