"""The embedded store's per-tenant flow graphs: incremental catch-up, rebuilds, eviction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st
from tracegraph.api.service import TraceService
from tracegraph.graph.algorithms import flow_graph, lineage, stored_edge
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded.graphview import FlowGraphs, load_rows
from tracegraph.graph.protocol import FLOW_EDGE_PRECEDENCE, Edge
from tracegraph.schema.inputs import StartTraceInput, StepInput


class Journal:
    """A fake edges table: rows in rowid order, and a record of every read."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, Edge]] = []
        self.reads: list[tuple[str, int]] = []
        self.generation: str | None = None

    def add(self, tenant: str, src: str, dst: str, type_: str = "NEXT") -> None:
        self.rows.append((tenant, len(self.rows) + 1, Edge(src, dst, type_)))  # type: ignore[arg-type]

    def since(self, tenant: str, rowid: int, limit: int) -> list[tuple[int, str, str, str]]:
        self.reads.append((tenant, rowid))
        rows = [(r, e.src, e.dst, e.type) for t, r, e in self.rows if t == tenant and r > rowid]
        return rows[:limit]


def test_catch_up_reads_only_new_rows_of_the_tenant() -> None:
    j = Journal()
    j.add("a", "s1", "s2")
    j.add("b", "x1", "x2")
    views = FlowGraphs(j.since, lambda: j.generation)
    with views.graph("a") as g:
        assert sorted(g.edges) == [("s1", "s2")]
    j.add("a", "s3", "s2", "DEPENDS_ON")
    with views.graph("a") as g:
        assert sorted(g.edges) == [("s1", "s2"), ("s2", "s3")]
    assert j.reads == [("a", 0), ("a", 1)]
    assert views.position("a") == 3 and views.position("b") == 0


def test_a_new_generation_rebuilds_from_scratch() -> None:
    j = Journal()
    j.add("a", "s1", "s2")
    j.add("a", "s2", "s3")
    views = FlowGraphs(j.since, lambda: j.generation)
    with views.graph("a") as g:
        assert g.number_of_edges() == 2
    j.rows = [j.rows[0]]  # retention deleted an edge ...
    j.generation = "1"  # ... and said so
    with views.graph("a") as g:
        assert sorted(g.edges) == [("s1", "s2")]
    assert j.reads[-1] == ("a", 0)


def test_least_recently_used_tenants_are_dropped() -> None:
    j = Journal()
    for t in "abc":
        j.add(t, f"{t}1", f"{t}2")
    views = FlowGraphs(j.since, max_tenants=2)
    for t in "abca":
        with views.graph(t):
            pass
    assert views.position("b") == 0 and views.position("a") == 1 and views.position("c") == 3
    assert j.reads.count(("a", 0)) == 2  # "a" was dropped when "c" came, then rebuilt


def test_store_rebuilds_after_edges_are_deleted(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    svc = TraceService(store)
    svc.start_trace("t", StartTraceInput(trace_id="T"))
    svc.record_steps("t", "T", [StepInput(step_id=s, step_type="Reasoning") for s in "abc"])
    assert [n.node_id for n in store.lineage("t", "T", "DOWN").nodes] == ["a", "b", "c"]
    db = sqlite3.connect(tmp_path / "tracegraph.sqlite3", isolation_level=None)
    db.execute("DELETE FROM edges WHERE dst = 'c'")
    assert [n.node_id for n in store.lineage("t", "T", "DOWN").nodes] == ["a", "b", "c"]
    db.execute("INSERT INTO meta (key, value) VALUES ('graph_generation', '1')")
    db.close()
    assert [n.node_id for n in store.lineage("t", "T", "DOWN").nodes] == ["a", "b"]
    store.close()


def test_catch_up_pages_through_the_journal() -> None:
    j = Journal()
    for i in range(10):
        j.add("a", f"s{i}", f"s{i + 1}")
    views = FlowGraphs(j.since, page_rows=3)
    with views.graph("a") as g:
        assert g.number_of_edges() == 10
    assert j.reads == [("a", 0), ("a", 3), ("a", 6), ("a", 9)]


stored_edges = st.lists(
    st.builds(Edge, st.sampled_from(["a", "b", "c", "d", "e"]),
              st.sampled_from(["a", "b", "c", "d", "e"]),
              st.sampled_from([*FLOW_EDGE_PRECEDENCE, "IN_SESSION", "USED_MODEL"])),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(stored_edges, st.integers(1, 7))
def test_fast_loader_builds_the_same_graph_as_flow_graph(edges: list[Edge], page: int) -> None:
    reference = flow_graph(edges)
    fast = nx.DiGraph()
    rows = [(i + 1, e.src, e.dst, e.type) for i, e in enumerate(edges)]
    for k in range(0, len(rows), page):
        load_rows(fast, rows[k:k + page])
    assert set(fast.nodes) == set(reference.nodes)
    assert {(u, v, d["type"]) for u, v, d in fast.edges(data=True)} == {
        (u, v, d["type"]) for u, v, d in reference.edges(data=True)}
    assert {(v, u) for u, v in fast.edges} == set(fast.reverse(copy=False).edges)
    for u, v in fast.edges:
        assert stored_edge(fast, u, v) == stored_edge(reference, u, v)
    for n in fast:
        assert lineage(fast, n) == lineage(reference, n)
