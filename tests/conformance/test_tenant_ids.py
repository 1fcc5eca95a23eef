"""Conformance: ids are per tenant (every backend).

Two tenants build different graphs from the same trace, step, API call, human input,
session and agent ids. Both succeed; every read (traces, entries, listings, resolve,
edges, paths, lineage, run trees, verification) and retention of one tenant sees and
touches only its own nodes; within a tenant, a taken id is still ``AlreadyExists`` with the
messages of before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.graph import GraphService
from tracegraph.api.service.retention import apply_retention
from tracegraph.graph import algorithms
from tracegraph.graph.protocol import GraphStore, NodeRef, TraceFilter
from tracegraph.schema.errors import AlreadyExists
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

from .harness import Harness
from .runs import Names, nested_run, reference_edges, reference_flow, step

#: The traces of each tenant's run (ids shared: R and G are in both).
A_TRACES = ["R", "C1", "C2", "G"]
B_TRACES = ["R", "G"]


def other_run(svc: TraceService, tenant: str, n: Names) -> None:
    """A different graph on ids of :func:`runs.nested_run`, some of another kind there::

        trace R   steps r2 -> r0 (dependsOn r2) -> h1; API call c0 by r2; human input k1 on r0
        trace G   child of R, spawned by r0: g1 (dependsOn r2)
    """
    svc.start_trace(tenant, StartTraceInput(trace_id=n("R"), session_id=n("sess"),
                                            agent_id="planner", goal="other"))
    svc.record_steps(tenant, n("R"), [step(n, "r2", "Observation"),
                                      step(n, "r0", depends_on=["r2"]),
                                      step(n, "h1", "Decision")])
    svc.record_api_call(tenant, n("R"), ApiCallInput(step_id=n("r2"), call_id=n("c0")))
    svc.record_human_input(tenant, n("R"), HumanInputInput(step_id=n("r0"), question="ok?",
                                                           input_id=n("k1")))
    svc.start_trace(tenant, StartTraceInput(trace_id=n("G"), parent_trace_id=n("R"),
                                            spawned_by_step_id=n("r0"), agent_id="planner"))
    svc.record_steps(tenant, n("G"), [step(n, "g1", depends_on=["r2"])])


@pytest.fixture
def two(harness: Harness, service: TraceService) -> tuple[str, str, Names]:
    """Tenants a and b with their runs on the same ids."""
    a, b = harness.new_tenant(), harness.new_tenant()
    n = Names(f"{a}-")  # the ids of both
    nested_run(service, a, n)
    other_run(service, b, n)
    return a, b, n


def _ids(n: Names, shorts: list[str]) -> list[str]:
    return [n(s) for s in shorts]


def test_both_tenants_store_their_own_graph(service: TraceService,
                                            two: tuple[str, str, Names]) -> None:
    a, b, n = two
    store = service.store
    every = _ids(n, ["R", "C1", "C2", "G", "r0", "r1", "r2", "h1", "k1", "c0", "c1", "d0",
                     "g0", "g1", "r1#alt0", "nope"])
    for tenant, traces in ((a, A_TRACES), (b, B_TRACES)):
        assert sorted(n.shorts(store.get_traces(tenant, every))) == sorted(traces)
        assert sorted(n.shorts(r.trace_id for r in store.list_traces(
            tenant, TraceFilter(), 100))) == sorted(traces)
        in_session = store.list_traces(tenant, TraceFilter(session_id=n("sess")), 100)
        assert sorted(n.shorts(r.trace_id for r in in_session)) == sorted(traces)
        agents = store.list_traces(tenant, TraceFilter(agent_id="planner"), 100)
        assert {r.tenant_id for r in agents} == {tenant}
        for trace_id, entries in store.entries(tenant, _ids(n, traces)).items():
            assert entries and {e.tenant_id for e in entries} == {tenant}
            assert {e.trace_id for e in entries} == {trace_id}
        assert service.verify_trace(tenant, n("R")).valid
        assert service.verify_session(tenant, n("sess")).valid
    goals = {t: store.get_traces(t, [n("R")])[n("R")].started.get("goal") for t in (a, b)}
    assert goals == {a: "plan", b: "other"}
    # the same id, a different record in each tenant
    got = {t: store.resolve(t, every) for t in (a, b)}
    assert got[a][n("k1")].kind == "api_call" and got[b][n("k1")].kind == "human_input"
    assert got[a][n("h1")].kind == "human_input" and got[b][n("h1")].kind == "step"
    assert got[b][n("r0")] == NodeRef(n("r0"), "step", n("R"), 2)
    assert got[a][n("r0")] == NodeRef(n("r0"), "step", n("R"), 1)
    assert n.shorts(got[b]) == ["R", "G", "r0", "r2", "h1", "k1", "c0", "g1"]
    assert n.shorts(store.children(b, [n("R")])[n("R")]) == ["G"]
    assert n.shorts(store.children(a, [n("R")])[n("R")]) == ["C1", "C2"]
    assert store.entries_at(b, [(n("R"), 1)])[(n("R"), 1)].record["step_id"] == n("r2")
    assert store.entries_at(a, [(n("R"), 1)])[(n("R"), 1)].record["step_id"] == n("r0")


def test_edges_paths_lineage_and_trees_stay_in_the_tenant(
        service: TraceService, two: tuple[str, str, Names]) -> None:
    a, b, n = two
    store: GraphStore = service.store
    graphs = GraphService(store)
    nodes = _ids(n, ["R", "G", "r0", "r2", "h1", "k1", "c0", "g1", "g0", "r1"])
    for tenant, traces in ((a, A_TRACES), (b, B_TRACES)):
        expected = sorted(reference_edges(store, tenant, _ids(n, traces)))
        mine = set(store.resolve(tenant, nodes))
        out = store.edges(tenant, nodes, "out")
        found = sorted(e for node in nodes for e in out[node])
        assert found == sorted(e for e in expected if e.src in mine)
        flow = reference_flow(store, tenant, _ids(n, traces))
        for src, dst in (("r0", "g1"), ("r2", "g1"), ("R", "h1"), ("r2", "k1")):
            want = algorithms.find_paths(flow, n(src), n(dst), "ALL_SIMPLE", 8, 20)  # type: ignore[arg-type]
            got = store.paths(tenant, n(src), n(dst), "ALL_SIMPLE", 8, 20)
            assert got.paths == want.paths, (tenant, src, dst)
        for node in ("r0", "g1", "R"):
            want_l = algorithms.lineage(flow, n(node), "BOTH", 10, 100)  # type: ignore[arg-type]
            got_l = store.lineage(tenant, n(node), "BOTH", 10, 100)
            assert [(x.node_id, x.depth) for x in got_l.nodes] == [
                (x.node_id, x.depth) for x in want_l.nodes], (tenant, node)
        tree = graphs.run_tree(tenant, n("G"), from_root=True, include_steps=True)
        assert n.shorts(t.trace_id for t in tree.traces) == traces
    # the answers differ: each tenant walked its own graph
    assert [p.nodes for p in store.paths(a, n("r0"), n("g1")).paths] == [
        _ids(n, ["r0", "g0", "g1"])]
    assert [p.nodes for p in store.paths(b, n("r0"), n("g1")).paths] == [
        _ids(n, ["r0", "G", "g1"])]
    assert store.paths(b, n("r1"), n("r0")).paths == []
    assert store.lineage(b, n("r1")).nodes == []


def test_a_taken_id_is_taken_in_its_tenant_only(service: TraceService,
                                                two: tuple[str, str, Names]) -> None:
    a, b, n = two
    store = service.store
    with pytest.raises(AlreadyExists, match=f"^trace {n('R')} already exists$"):
        service.start_trace(a, StartTraceInput(trace_id=n("R"), goal="again"))
    with pytest.raises(AlreadyExists, match=f"^step_id {n('r0')} is already taken$"):
        service.record_steps(b, n("G"), [StepInput(step_id=n("r0"), step_type="Action")])
    with pytest.raises(AlreadyExists, match=f"^call_id {n('c0')} is already taken$"):
        service.record_api_call(b, n("G"), ApiCallInput(call_id=n("c0")))
    # a step id of a's is free in b's trace of the same id, and the other way round
    (made,) = service.record_steps(b, n("G"), [StepInput(step_id=n("g0"), step_type="Action")])
    assert made.step_index == 1
    theirs = service.record_api_call(b, n("G"), ApiCallInput(call_id=n("x1")))
    call = service.record_api_call(a, n("G"), ApiCallInput(call_id=n("x1")))
    assert store.resolve(a, [n("x1")])[n("x1")] == NodeRef(n("x1"), "api_call", n("G"), call.seq)
    assert call.seq != theirs.seq and call.hash != theirs.hash
    # a retry in one tenant replays its own entries, not the other's
    again = service.record_steps(b, n("G"), [StepInput(step_id=n("g0"), step_type="Action")])
    assert [s.hash for s in again] == [made.hash]
    assert service.verify_trace(a, n("G")).valid and service.verify_trace(b, n("G")).valid


def test_retention_of_one_tenant_leaves_the_other(service: TraceService,
                                                  two: tuple[str, str, Names]) -> None:
    a, b, n = two
    store = service.store
    for trace in ("G", "R"):
        service.complete_trace(b, n(trace), CompleteTraceInput(outcome="success"))
    report = apply_retention(store, b, 1, now=datetime.now(UTC) + timedelta(days=3))
    assert sorted(n.shorts(s.trace_id for s in report.removed)) == ["G", "R"]
    assert store.get_traces(b, _ids(n, B_TRACES)) == {}
    assert store.resolve(b, _ids(n, ["R", "r0", "g1"])) == {}
    assert sorted(n.shorts(s.trace_id for s in store.tombstones(b, n("sess")))) == ["G", "R"]
    assert store.tombstones(a, n("sess")) == []
    # a's run is whole: traces, steps, edges, verification
    assert sorted(n.shorts(store.get_traces(a, _ids(n, A_TRACES)))) == sorted(A_TRACES)
    assert store.resolve(a, [n("r0")])[n("r0")].trace_id == n("R")
    assert service.verify_session(a, n("sess")).valid
    assert [p.nodes for p in store.paths(a, n("r0"), n("g1")).paths] == [
        _ids(n, ["r0", "g0", "g1"])]
    service.record_steps(a, n("R"), [StepInput(step_id=n("r9"), step_type="Action")])
    # b's tombstone holds the id in b only
    with pytest.raises(AlreadyExists, match="existed and was removed by retention"):
        service.start_trace(b, StartTraceInput(trace_id=n("R")))
    c = a + "c"
    service.start_trace(c, StartTraceInput(trace_id=n("R"), session_id=n("sess")))
    assert service.verify_trace(c, n("R")).valid
