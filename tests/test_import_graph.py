"""The package's import graph: no cycles, and the model code never reaches up into the UI.

Every ``import`` in every module counts, the ones inside functions too (a lazy import is still a dependency;
the circles this replaced were all lazy on one side).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "playground"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (``from a import b`` counts ``a.b`` when that is a module)."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [resolve(a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [resolve(f"{node.module}.{a.name}") or resolve(node.module) for a in node.names]
            else:
                continue
            graph[module] |= {t for t in targets if t and t != module and t != "playground"}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"b"}}) == []


def test_the_package_has_no_import_cycles():
    assert cycles(import_graph()) == []


def test_model_code_never_imports_the_ui():
    """playground/<area>/ works from Python and its command line; only playground.ui knows Gradio's page."""
    graph = import_graph()
    up = {m: sorted(t for t in ts if t.startswith("playground.ui")) for m, ts in graph.items()
          if not m.startswith("playground.ui")}
    assert {m: ts for m, ts in up.items() if ts} == {}


UI = PACKAGE / "ui"
TAB_PARTS = {"__init__", "layout", "handlers", "texts"}


def tab_packages() -> list[Path]:
    return sorted(p for p in UI.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_every_tab_has_the_one_shape():
    """A tab is ``playground/ui/<tab>/``: ``layout`` (components and wiring), ``handlers`` (what each event
    computes, inputs and outputs by name) and ``texts``, plus modules of its own ideas; the app finds them by
    package. No tab module is left beside the packages."""
    from playground.ui.app import TAB_MODULES

    assert sorted(p.name for p in tab_packages()) == sorted(TAB_MODULES)
    for tab in tab_packages():
        assert TAB_PARTS <= {p.stem for p in tab.glob("*.py")}, tab.name
    leftovers = sorted(p.name for p in UI.glob("*.py") if p.stem.split("_")[0] in TAB_MODULES)
    assert leftovers == []


def test_handlers_and_texts_never_import_their_layout():
    """The layout imports the handlers, never the other way round (that way the handlers are testable without a
    page, and no handler reaches a component by position)."""
    graph = import_graph()
    for tab in tab_packages():
        layout = f"playground.ui.{tab.name}.layout"
        below = [m for m in graph if m.startswith(f"playground.ui.{tab.name}.") and m != layout]
        assert [m for m in below if layout in graph[m]] == [], tab.name


def test_no_handler_is_reached_round_its_wrapper_and_no_output_is_padded():
    """Handlers are called as themselves (no ``__wrapped__``), and they name their outputs: nothing builds a
    list of ``gr.skip()`` to pad positions."""
    import re

    pattern = re.compile(r"__wrapped__|\[gr\.skip\(\)\]\s*\*|\(gr\.skip\(\),\)\s*\*")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in sorted(PACKAGE.rglob("*.py"))
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert hits == []
