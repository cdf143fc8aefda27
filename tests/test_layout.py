"""The package's import graph has no circles and its packages' arrows point one way (every import counted, also
the lazy ones inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

AGENT = Path(__file__).resolve().parent.parent / "agent"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in AGENT.rglob("*.py"):
        parts = list(path.relative_to(AGENT.parent).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return mods


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    def owner(name: str) -> str | None:  # the module a dotted name lives in (agent.x.y.func → agent.x.y)
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                target = owner(name) if name.startswith("agent.") else None
                if target and target != mod and not mod.startswith(target + "."):  # a package's own __init__
                    graph[mod].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while (w := stack.pop()) != v:
                comp.append(w)
            if comp:
                found.append(sorted([v, *comp]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_check_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles_in_agent() -> None:
    graph = _imports(_modules())
    assert len(graph) > 100 and sum(map(len, graph.values())) > 300  # the walk saw the package
    assert "agent.text" in graph["agent.grading.text"]
    assert _cycles(graph) == []


def test_package_arrows_point_one_way() -> None:
    """Between the sub-packages (and top-level modules) of agent/, no two import each other."""
    def top(module: str) -> str:
        return module.split(".")[1] if "." in module else module

    arrows = {(top(a), top(b)) for a, targets in _imports(_modules()).items() for b in targets if top(a) != top(b)}
    assert ("grading", "text") in arrows
    assert sorted((a, b) for a, b in arrows if (b, a) in arrows) == []
