"""The repository's module graph, read from source with ``ast`` (nothing is imported or run).

Every ``import`` statement counts, wherever it stands: at the top, inside a function, or under
``if TYPE_CHECKING:``. Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first, so
an edge to a module is also an edge to each package above it.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", ".venv312", ".venv-iac", "build", "node_modules", "__pycache__"}


def repo_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the repository by dotted name (``pkg/__init__.py`` is ``pkg``)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if SKIP.intersection(rel.parts):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts:
            found[".".join(parts)] = path
    return found


def _deepest(name: str, modules: dict[str, Path]) -> set[str]:
    """The longest prefix of ``name`` that is a repository module (none for a third-party import)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in modules:
            return {".".join(parts[:i])}
    return set()


def packages_above(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def imports_of(name: str, modules: dict[str, Path]) -> set[str]:
    """The repository modules that ``name`` names in its imports (the packages above them run too, but are
    not counted here: see :func:`closure`)."""
    path = modules[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= _deepest(alias.name, modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:  # ``from pkg import module`` names the module, else the package
                submodule = f"{target}.{alias.name}"
                found |= {submodule} if submodule in modules else _deepest(target, modules)
    found.discard(name)
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    modules = repo_modules()
    return {name: frozenset(imports_of(name, modules)) for name in modules}


def closure(start: str) -> set[str]:
    """``start`` and every repository module that importing it runs, packages above them included."""
    edges, modules = graph(), repo_modules()
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges[name])
            todo.extend(packages_above(name) & modules.keys())
    return seen


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
