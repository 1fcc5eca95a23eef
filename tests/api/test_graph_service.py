"""GraphService on the embedded store, with a nested run built through the public service.

The run (tenant ``acme``), in the order it is recorded::

    trace R   steps r0 -> r1 (Decision: delegate | solve alone | ask human; human input h1)
    trace C1  child of R, spawned by r1: steps c0 -> c1 (Decision: search | compute)
    trace C2  child of R, spawned by r1: step d0 (dependsOn r0; alternatives a | b, none chosen)
    trace G   child of C1, spawned by c1: steps g0 (dependsOn r0 and c0; API call k1) -> g1
    trace R   step r2 (dependsOn c1 and g1: multi-parent across traces), after r1

Every expected answer below is read off this construction, in the flow view where edges
point from cause to effect (a dependency before its dependent, a parent trace before its
child).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import networkx as nx
import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.graph import GraphService, LineageView, PathsView
from tracegraph.graph.algorithms import flow_graph
from tracegraph.graph.embedded import EmbeddedStore, sql
from tracegraph.graph.protocol import Edge
from tracegraph.schema.errors import InvalidInput, LimitExceeded, NotFound, TraceNotFound
from tracegraph.schema.inputs import ApiCallInput, HumanInputInput, StartTraceInput, StepInput

from ..conformance.runs import ALL_R0_R2

A = "acme"
B = "globex"


def _step(step_id: str, step_type: str = "Reasoning", **kw: object) -> StepInput:
    return StepInput(step_id=step_id, step_type=step_type, content=f"text of {step_id}", **kw)


def build_run(svc: TraceService, tenant: str = A) -> None:
    svc.start_trace(tenant, StartTraceInput(trace_id="R", agent_id="planner", goal="plan"))
    svc.record_steps(tenant, "R", [
        _step("r0", "Observation"),
        _step("r1", "Decision", alternatives_considered=["delegate", "solve alone", "ask human"],
              selected_alternative="delegate"),
    ])
    svc.record_human_input(tenant, "R", HumanInputInput(step_id="r1", question="delegate?",
                                                        answer="yes", input_id="h1"))
    svc.start_trace(tenant, StartTraceInput(trace_id="C1", parent_trace_id="R",
                                            spawned_by_step_id="r1", agent_id="researcher"))
    svc.record_steps(tenant, "C1", [
        _step("c0"),
        _step("c1", "Decision", alternatives_considered=["search", "compute"],
              selected_alternative="search"),
    ])
    svc.start_trace(tenant, StartTraceInput(trace_id="C2", parent_trace_id="R",
                                            spawned_by_step_id="r1", agent_id="coder"))
    svc.record_steps(tenant, "C2", [
        _step("d0", "Action", depends_on=["r0"], alternatives_considered=["a", "b"]),
    ])
    svc.start_trace(tenant, StartTraceInput(trace_id="G", parent_trace_id="C1",
                                            spawned_by_step_id="c1", agent_id="searcher"))
    svc.record_steps(tenant, "G", [
        _step("g0", "ToolCall", depends_on=["r0", "c0"]),
        _step("g1", "FinalAnswer"),
    ])
    svc.record_api_call(tenant, "G", ApiCallInput(step_id="g0", api_type="tool", call_id="k1"))
    svc.record_steps(tenant, "R", [_step("r2", "Summary", depends_on=["c1", "g1"])])


@pytest.fixture
def graphs(service: TraceService) -> GraphService:
    build_run(service)
    return GraphService(service.store)


def _ids(view: PathsView) -> list[list[str]]:
    return [[n.node_id for n in p.nodes] for p in view.paths]


def _depths(view: LineageView) -> list[tuple[str, int]]:
    return [(e.node.node_id, e.depth) for e in view.nodes]


# -- paths -------------------------------------------------------------------------------------
def test_shortest_path_across_nesting_with_kinds_and_stored_edges(graphs: GraphService) -> None:
    view = graphs.path(A, "R", "g1")
    # two paths of 3 hops: R -> C1 -> G -> g1 and R -> r0 -> g0 -> g1; "C1" < "r0"
    assert _ids(view) == [["R", "C1", "G", "g1"]]
    (p,) = view.paths
    assert [(n.kind, n.trace_id) for n in p.nodes] == [
        ("trace", "R"), ("trace", "C1"), ("trace", "G"), ("step", "G")]
    assert p.edges == [Edge("C1", "R", "CHILD_OF"), Edge("G", "C1", "CHILD_OF"),
                       Edge("G", "g1", "HAS_STEP")]
    assert p.length == 3 and not view.truncated and view.max_length is None
    assert (view.source.kind, view.target.kind) == ("trace", "step")


def test_shortest_path_follows_dependencies_and_spawning(graphs: GraphService) -> None:
    assert _ids(graphs.path(A, "r0", "g1")) == [["r0", "g0", "g1"]]
    assert _ids(graphs.path(A, "r1", "g0")) == [["r1", "C1", "G", "g0"]]
    assert graphs.path(A, "r1", "g0").paths[0].edges[0] == Edge("r1", "C1", "SPAWNED")
    assert _ids(graphs.path(A, "c0", "k1")) == [["c0", "g0", "k1"]]
    assert _ids(graphs.path(A, "r1", "r1#alt2")) == [["r1", "r1#alt2"]]
    assert _ids(graphs.path(A, "r1", "h1")) == [["r1", "h1"]]
    assert graphs.path(A, "g1", "r0").paths == []  # against the flow: no path
    assert graphs.path(A, "R", "g1", max_length=2).paths == []
    assert _ids(graphs.path(A, "c1", "c1")) == [["c1"]]


def test_all_simple_paths_over_the_multi_parent_dag(graphs: GraphService) -> None:
    view = graphs.path(A, "r0", "r2", mode="ALL_SIMPLE")
    assert view.max_length == 10 and not view.truncated
    assert _ids(view) == ALL_R0_R2
    assert _ids(graphs.path(A, "r0", "r2", "ALL_SIMPLE", max_length=5)) == ALL_R0_R2[:5]
    cut = graphs.path(A, "r0", "r2", "all_simple", limit=3)
    assert cut.truncated and _ids(cut) == ALL_R0_R2[:3]
    # SHORTEST is the first path of the ALL_SIMPLE order
    assert _ids(graphs.path(A, "r0", "r2")) == ALL_R0_R2[:1]


def test_path_limits_and_unknown_ids(graphs: GraphService) -> None:
    with pytest.raises(LimitExceeded, match="maxLength: 11 exceeds the limit of 10"):
        graphs.path(A, "r0", "r2", "ALL_SIMPLE", max_length=11)
    with pytest.raises(LimitExceeded, match="limit: 101 exceeds the limit of 100"):
        graphs.path(A, "r0", "r2", "ALL_SIMPLE", limit=101)
    with pytest.raises(InvalidInput, match="maxLength: 0 is less than 1"):
        graphs.path(A, "r0", "r2", max_length=0)
    with pytest.raises(InvalidInput, match="mode: 'LONGEST'"):
        graphs.path(A, "r0", "r2", "LONGEST")
    with pytest.raises(NotFound, match="fromId: node nope not found"):
        graphs.path(A, "nope", "r2")
    with pytest.raises(NotFound, match="toId: node nope not found"):
        graphs.path(A, "r0", "nope")


# -- lineage -----------------------------------------------------------------------------------
def test_lineage_up_from_a_grandchild_step(graphs: GraphService) -> None:
    view = graphs.lineage(A, "g1", "UP")
    assert _depths(view) == [
        ("G", 1), ("g0", 1),                          # its trace, its previous step
        ("C1", 2), ("c0", 2), ("c1", 2), ("r0", 2),   # G's parent and spawner; g0's deps
        ("R", 3), ("r1", 3),                          # C1's parent and spawner
    ]
    assert {e.node.node_id: e.node.kind for e in view.nodes}["C1"] == "trace"
    assert {e.node.node_id: e.node.trace_id for e in view.nodes}["c0"] == "C1"
    assert view.descendants == [] and len(view.ancestors) == 8
    assert Edge("g0", "r0", "DEPENDS_ON") in view.edges
    assert Edge("r2", "g1", "DEPENDS_ON") not in view.edges  # r2 is not in the answer
    assert _depths(graphs.lineage(A, "g1", "UP", max_depth=2)) == _depths(view)[:6]


def test_lineage_down_across_traces(graphs: GraphService) -> None:
    view = graphs.lineage(A, "r0", "DOWN")
    depth = dict(_depths(view))
    assert depth == {
        "d0": 1, "g0": 1, "r1": 1,
        "C1": 2, "C2": 2, "d0#alt0": 2, "d0#alt1": 2, "g1": 2, "h1": 2, "k1": 2, "r2": 2,
        "r1#alt0": 2, "r1#alt1": 2, "r1#alt2": 2,
        "G": 3, "c0": 3, "c1": 3,
        "c1#alt0": 4, "c1#alt1": 4,
    }
    kinds = {e.node.node_id: e.node.kind for e in view.nodes}
    assert (kinds["k1"], kinds["h1"], kinds["r1#alt0"]) == ("api_call", "human_input",
                                                           "alternative")
    both = graphs.lineage(A, "c1", max_depth=1)
    assert [(e.node.node_id, e.depth, e.direction) for e in both.nodes] == [
        ("C1", 1, "UP"), ("c0", 1, "UP"),
        ("G", 1, "DOWN"), ("c1#alt0", 1, "DOWN"), ("c1#alt1", 1, "DOWN"), ("r2", 1, "DOWN"),
    ]
    cut = graphs.lineage(A, "R", "DOWN", limit=4)
    assert cut.truncated and _depths(cut) == [("C1", 1), ("C2", 1), ("r0", 1), ("r1", 1)]


def test_lineage_limits_and_unknown_ids(graphs: GraphService) -> None:
    with pytest.raises(LimitExceeded, match="maxDepth: 51 exceeds the limit of 50"):
        graphs.lineage(A, "r0", max_depth=51)
    with pytest.raises(LimitExceeded, match="limit: 10001 exceeds the limit of 10000"):
        graphs.lineage(A, "r0", limit=10_001)
    with pytest.raises(InvalidInput, match="direction"):
        graphs.lineage(A, "r0", "SIDEWAYS")
    with pytest.raises(NotFound, match="nodeId: node nope not found"):
        graphs.lineage(A, "nope")
    assert graphs.lineage(A, "r0").max_depth == 50


# -- run trees ---------------------------------------------------------------------------------
def test_run_tree_three_levels_from_any_trace(graphs: GraphService) -> None:
    tree = graphs.run_tree(A, "G", from_root=True, include_steps=True)
    assert tree.root.trace.trace_id == "R" and tree.depth == 2 and not tree.truncated
    assert [t.trace_id for t in tree.traces] == ["R", "C1", "C2", "G"]
    assert [c.trace.trace_id for c in tree.root.children] == ["C1", "C2"]
    c1 = tree.root.children[0]
    assert [g.trace.trace_id for g in c1.children] == ["G"]
    assert c1.children[0].depth == 2 and c1.children[0].trace.spawned_by_step_id == "c1"
    assert [s.step_id for s in tree.root.steps] == ["r0", "r1", "r2"]
    assert [s.step_id for s in c1.children[0].steps] == ["g0", "g1"]
    sub = graphs.run_tree(A, "C1")
    assert [t.trace_id for t in sub.traces] == ["C1", "G"] and sub.root.steps == []
    with pytest.raises(TraceNotFound):
        graphs.run_tree(A, "nope")


def test_run_tree_costs_one_store_call_per_level(graphs: GraphService) -> None:
    calls: list[str] = []
    store = graphs.store

    class Counting:
        def __getattr__(self, name: str) -> object:
            calls.append(name)
            return getattr(store, name)

    GraphService(Counting()).run_tree(A, "R", include_steps=True)  # type: ignore[arg-type]
    # get_traces (root) + children per level (R, C1+C2, G) + get_traces (all) + entries
    assert calls == ["get_traces", "children", "children", "children", "get_traces", "entries"]


# -- alternatives ------------------------------------------------------------------------------
def test_alternatives_of_a_step(graphs: GraphService) -> None:
    b = graphs.step_branches(A, "r1")
    assert [(a.node_id, a.text, a.selected) for a in b.alternatives] == [
        ("r1#alt0", "delegate", True), ("r1#alt1", "solve alone", False),
        ("r1#alt2", "ask human", False)]
    assert b.selected == "delegate" and b.trace_id == "R" and b.step_index == 1
    assert [a.text for a in b.not_taken] == ["solve alone", "ask human"]
    many = graphs.alternatives(A, ["c1", "r0", "nope", "R", "d0"])
    assert list(many) == ["c1", "r0", "d0"]  # unknown ids and traces are absent
    assert many["r0"].alternatives == []
    assert [a.selected for a in many["d0"].alternatives] == [False, False]
    with pytest.raises(NotFound, match="stepId: step R not found"):
        graphs.step_branches(A, "R")


def test_branches_not_taken_of_a_whole_run(graphs: GraphService) -> None:
    run = graphs.branches(A, "R")
    assert [s.step_id for s in run.steps] == ["r1", "c1", "d0"]
    assert (run.steps_with_alternatives, run.alternatives, run.not_taken) == (3, 7, 5)
    assert [(t.trace_id, t.alternatives, t.not_taken) for t in run.traces] == [
        ("R", 3, 2), ("C1", 2, 1), ("C2", 2, 2), ("G", 0, 0)]
    alone = graphs.branches(A, "R", subtree=False)
    assert (alone.alternatives, alone.not_taken, [t.trace_id for t in alone.traces]) == (
        3, 2, ["R"])
    assert graphs.branches(A, "C1").not_taken == 1
    with pytest.raises(TraceNotFound):
        graphs.branches(A, "nope", subtree=False)


# -- tenancy -----------------------------------------------------------------------------------
def test_another_tenant_finds_nothing(service: TraceService, graphs: GraphService) -> None:
    service.start_trace(B, StartTraceInput(trace_id="X"))
    service.record_steps(B, "X", [_step("x0"), _step("x1")])
    for node in ("R", "r0", "g1", "r1#alt0", "k1", "h1"):
        with pytest.raises(NotFound):
            graphs.lineage(B, node)
        with pytest.raises(NotFound):
            graphs.path(B, "x0", node)
        with pytest.raises(NotFound):
            graphs.path(B, node, "x1")
    assert graphs.store.paths(B, "R", "g1").paths == []
    assert graphs.store.lineage(B, "r0").nodes == []
    assert graphs.alternatives(B, ["r1", "c1"]) == {}
    with pytest.raises(TraceNotFound):
        graphs.run_tree(B, "R")
    with pytest.raises(TraceNotFound):
        graphs.branches(B, "R")
    assert _depths(graphs.lineage(B, "x0", "BOTH")) == [("X", 1), ("x1", 1)]
    assert all(e.node.node_id not in {"x0", "x1", "X"} for e in graphs.lineage(A, "R").nodes)


def test_foreign_dependency_is_rejected_and_nothing_is_stored(
    service: TraceService, graphs: GraphService
) -> None:
    service.start_trace(B, StartTraceInput(trace_id="X"))
    service.record_steps(B, "X", [_step("x0")])
    before = service.store.entries(B, ["X"])["X"]
    with pytest.raises(InvalidInput, match=r"steps\[1\]\.dependsOn\[0\]: step r0 not found"):
        service.record_steps(B, "X", [_step("x1", depends_on=["x0"]),
                                      _step("x2", depends_on=["r0"])])
    with pytest.raises(InvalidInput, match="not earlier"):  # a later step: would be a cycle
        service.record_steps(B, "X", [_step("x1", depends_on=["x2"]), _step("x2")])
    assert service.store.entries(B, ["X"])["X"] == before
    assert service.store.resolve(B, ["x1", "x2"]) == {}
    assert _depths(graphs.lineage(B, "x0")) == [("X", 1)]
    assert "x2" not in {e.node.node_id for e in graphs.lineage(A, "r0", "DOWN").nodes}


def test_the_stored_flow_view_is_acyclic(graphs: GraphService, store: EmbeddedStore) -> None:
    db = sqlite3.connect(store.path)  # every stored edge of the tenant, read raw
    edges = [Edge(s, d, sql.type_name(t)) for s, d, t in db.execute(
        "SELECT src, dst, type FROM edges WHERE tenant_id = ? ORDER BY rowid", (A,))]
    db.close()
    g = flow_graph(edges)
    assert nx.is_directed_acyclic_graph(g)
    assert set(g) == {"R", "r0", "r1", "r2", "h1", "r1#alt0", "r1#alt1", "r1#alt2", "C1",
                      "c0", "c1", "c1#alt0", "c1#alt1", "C2", "d0", "d0#alt0", "d0#alt1",
                      "G", "g0", "g1", "k1"}


# -- freshness across stores and processes -----------------------------------------------------
def test_lineage_sees_appends_of_a_second_store(graphs: GraphService, data_dir: Path) -> None:
    assert _depths(graphs.lineage(A, "g1", "DOWN")) == [("r2", 1)]
    other = EmbeddedStore(data_dir)
    try:
        TraceService(other).record_steps(A, "G", [_step("g2", depends_on=["r2"])])
    finally:
        other.close()
    assert _depths(graphs.lineage(A, "g1", "DOWN")) == [("g2", 1), ("r2", 1)]
    assert _ids(graphs.path(A, "r0", "g2"))[0] == ["r0", "g0", "g1", "g2"]


APPEND_IN_CHILD = """
import sys
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import sql
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import StartTraceInput, StepInput
store = EmbeddedStore(sys.argv[1])
svc = TraceService(store)
svc.start_trace("acme", StartTraceInput(trace_id="G2", parent_trace_id="G",
                                        spawned_by_step_id="g1"))
svc.record_steps("acme", "G2", [StepInput(step_id="z0", step_type="Reasoning",
                                          depends_on=["r2", "d0"])])
store.close()
"""


def test_lineage_sees_appends_of_another_process(graphs: GraphService, data_dir: Path) -> None:
    before = graphs.lineage(A, "r0", "DOWN")
    assert "z0" not in {e.node.node_id for e in before.nodes}
    subprocess.run([sys.executable, "-c", APPEND_IN_CHILD, str(data_dir)], check=True,
                   timeout=120)
    up = graphs.lineage(A, "z0", "UP", max_depth=1)
    assert _depths(up) == [("G2", 1), ("d0", 1), ("r2", 1)]
    assert graphs.run_tree(A, "R").depth == 3
    assert _ids(graphs.path(A, "c1", "z0")) == [["c1", "r2", "z0"]]  # r2 depends on c1
    assert _ids(graphs.path(A, "G", "z0")) == [["G", "G2", "z0"]]


def test_queries_while_another_thread_appends(service: TraceService) -> None:
    service.start_trace(A, StartTraceInput(trace_id="L"))
    graphs = GraphService(service.store)
    total = 200
    seen: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for i in range(total):
                service.record_steps(A, "L", [_step(f"l{i}")])
        finally:
            done.set()

    def read(k: int) -> None:
        try:
            while not done.is_set():
                seen[k].append(len(graphs.lineage(A, "L", "DOWN", max_depth=1).nodes))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(k,)) for k in range(4)]
    threads.append(threading.Thread(target=write))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    for counts in seen:
        assert counts == sorted(counts)  # a reader never sees the graph shrink
    assert len(graphs.lineage(A, "L", "DOWN", max_depth=1).nodes) == total
    far = graphs.lineage(A, f"l{total - 1}", "UP", max_depth=50)
    assert dict(_depths(far))[f"l{total - 51}"] == 50
