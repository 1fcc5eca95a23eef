"""The import graph of the source tree: data flows one way, and no module imports itself
back through others.

Read with the standard library's ``ast`` from the four source folders (each installs as
``tracegraph.<folder>``); imports under ``if TYPE_CHECKING:`` do not count (they are not
run). The rules:

* ``graph/`` and ``schema/`` never import ``api/`` or ``bench/``;
* in ``api/`` only the service layer (``api/service/``) imports ``graph/``;
* ``api/`` never imports ``bench/`` (``tracegraph bench`` is an entry-point plugin);
* no cycle among modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("graph", "schema", "api", "bench", "sdk")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["tracegraph", *parts])


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> nx.DiGraph:
    """Modules of the five packages, an edge for each import of one by another."""
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                # ``from pkg import submodule`` imports the submodule
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                           for a in node.names]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph.add_edge(name, target)
    return graph


GRAPH = import_graph()


def _edges(src: str, dst: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in GRAPH.edges
            if (a == src or a.startswith(src + ".")) and (b == dst or b.startswith(dst + "."))]


def test_the_graph_covers_the_source_tree() -> None:
    assert "tracegraph.api.service.traces" in GRAPH
    assert ("tracegraph.api.service.traces", "tracegraph.graph.protocol") in GRAPH.edges
    assert ("tracegraph.bench.cli", "tracegraph.api.cli_options") in GRAPH.edges


def test_storage_and_schema_never_import_the_api_or_the_benchmark() -> None:
    for low in ("tracegraph.graph", "tracegraph.schema"):
        for high in ("tracegraph.api", "tracegraph.bench"):
            assert _edges(low, high) == []


def test_only_the_service_layer_imports_the_storage_layer() -> None:
    adapters = [(a, b) for a, b in _edges("tracegraph.api", "tracegraph.graph")
                if not a.startswith("tracegraph.api.service")]
    assert adapters == []


def test_the_sdk_is_an_adapter() -> None:
    """The SDK reaches storage through the service layer only, and never the benchmark."""
    assert _edges("tracegraph.sdk", "tracegraph.graph") == []
    assert _edges("tracegraph.sdk", "tracegraph.bench") == []


def test_the_api_never_imports_the_benchmark() -> None:
    assert _edges("tracegraph.api", "tracegraph.bench") == []


def test_the_schema_never_imports_the_storage_layer() -> None:
    assert _edges("tracegraph.schema", "tracegraph.graph") == []


def test_no_import_cycles() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    assert cycles == []


def test_no_cycles_between_packages() -> None:
    packages = nx.DiGraph()
    for a, b in GRAPH.edges:
        pa, pb = a.split(".")[1], b.split(".")[1]
        if pa != pb:
            packages.add_edge(pa, pb)
    assert list(nx.simple_cycles(packages)) == []
    assert sorted(packages.edges) == sorted(EXPECTED_PACKAGE_EDGES)


#: The whole import graph between the five packages, one way only.
EXPECTED_PACKAGE_EDGES = [("api", "schema"), ("api", "graph"), ("graph", "schema"),
                          ("bench", "api"), ("bench", "graph"), ("bench", "schema"),
                          ("bench", "sdk"), ("sdk", "api"), ("sdk", "schema")]
