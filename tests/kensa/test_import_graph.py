"""No import cycles between Kensa's modules — counting imports inside functions too.

A function-level import hides a cycle from Python's loader, not from the design: the two
modules still depend on each other. The graph is read from the source with ``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("kensa", "modelconfig", "credits", "videos", "webhooks", "accounts", "studio")


def project_modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py") if (ROOT / app).is_dir() else ():
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules ``name`` imports anywhere: at the top, in functions, for type checking."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def resolve(target: str) -> None:
        # The module itself, or the nearest enclosing project module (a package).
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                resolve(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                resolve(full if full in modules else base)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_project_has_no_import_cycles():
    assert cycles(import_graph()) == []


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    graph = {"a.models": {"a.pricing"}, "a.pricing": {"a.models"}, "a.other": set()}

    assert cycles(graph) == [["a.models", "a.pricing"]]


def test_function_level_imports_are_read(tmp_path):
    module = tmp_path / "models.py"
    module.write_text("def f():\n    from app.pricing import price\n    return price\n")
    modules = {"app.models": module, "app.pricing": tmp_path / "pricing.py"}

    assert imported_modules("app.models", module, modules) == {"app.pricing"}


DOMAIN_APPS = tuple(app for app in APPS if app != "kensa")


def domain_imports_of_kensa(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        name: {target for target in targets if target.split(".")[0] in DOMAIN_APPS}
        for name, targets in graph.items()
        if name.split(".")[0] == "kensa" and any(target.split(".")[0] in DOMAIN_APPS for target in targets)
    }


def test_kensa_imports_no_domain_app():
    assert domain_imports_of_kensa(import_graph()) == {}


def test_a_kensa_module_importing_a_domain_app_is_found():
    graph = {"kensa.api.auth": {"credits.services", "kensa.errors"}, "credits.services": {"kensa.errors"}}

    assert domain_imports_of_kensa(graph) == {"kensa.api.auth": {"credits.services"}}
