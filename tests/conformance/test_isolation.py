"""Conformance: no read ever returns another tenant's node (hypothesis, every backend).

Random multi-tenant workloads are written through the service layer; then every tenant
reads every id ever created, by every read the store offers (traces, entries, children,
resolve, edges, paths, lineage, listings). Everything returned must be the reader's own,
and a dependsOn or parent naming another tenant's node is rejected with nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import GraphStore, TraceFilter
from tracegraph.schema.errors import InvalidInput, TraceNotFound
from tracegraph.schema.inputs import StartTraceInput, StepInput

from .harness import Harness

TENANTS = ("a", "b", "c")


@dataclass
class World:
    """Who owns what: every id created, by tenant."""

    owner: dict[str, str] = field(default_factory=dict)
    traces: dict[str, list[str]] = field(default_factory=dict)
    steps: dict[str, list[str]] = field(default_factory=dict)


op = st.tuples(
    st.sampled_from(TENANTS),  # who writes
    st.sampled_from(["trace", "child", "steps", "foreign-dep", "foreign-parent"]),
    st.integers(min_value=0, max_value=1000),  # picks an existing node
    st.integers(min_value=1, max_value=3),  # steps in a batch
)


def _pick(items: list[str], n: int) -> str | None:
    return items[n % len(items)] if items else None


def _run(service: TraceService, prefix: str, ops: list[tuple[str, str, int, int]]) -> World:
    w = World()
    for who, kind, n, count in ops:
        tenant = prefix + who
        mine_t = w.traces.setdefault(tenant, [])
        mine_s = w.steps.setdefault(tenant, [])
        others_s = [s for t, ss in w.steps.items() if t != tenant for s in ss]
        others_t = [x for t, ts in w.traces.items() if t != tenant for x in ts]
        if kind == "trace" or not mine_t:
            t = service.start_trace(tenant, StartTraceInput(session_id="iso", agent_id=who))
            mine_t.append(t.trace_id)
            w.owner[t.trace_id] = tenant
        elif kind == "child":
            parent = _pick(mine_t, n)
            t = service.start_trace(tenant, StartTraceInput(parent_trace_id=parent))
            mine_t.append(t.trace_id)
            w.owner[t.trace_id] = tenant
        elif kind == "steps":
            trace = _pick(mine_t, n)
            assert trace is not None
            dep = _pick(mine_s, n)
            made = service.record_steps(tenant, trace, [
                StepInput(step_type="Decision", content=f"{tenant} {i}",
                          alternatives_considered=["x", "y"], selected_alternative="x",
                          depends_on=[dep] if dep and i == 0 else [])
                for i in range(count)
            ])
            for s in made:
                mine_s.append(s.step_id)
                w.owner[s.step_id] = tenant
        elif kind == "foreign-dep" and others_s:
            trace = _pick(mine_t, n)
            assert trace is not None
            before = service.store.get_traces(tenant, [trace])[trace].entry_count
            with pytest.raises(InvalidInput, match="not found"):
                service.record_steps(tenant, trace, [StepInput(
                    step_type="Action", depends_on=[_pick(others_s, n) or ""])])
            assert service.store.get_traces(tenant, [trace])[trace].entry_count == before
        elif kind == "foreign-parent" and others_t:
            with pytest.raises((InvalidInput, TraceNotFound)):
                service.start_trace(tenant, StartTraceInput(parent_trace_id=_pick(others_t, n)))
    return w


def _check_reads(store: GraphStore, w: World) -> None:
    every = list(w.owner)
    traces = [i for i in every if i in {t for ts in w.traces.values() for t in ts}]
    for tenant in {*w.traces, *w.steps}:
        mine = {i for i, o in w.owner.items() if o == tenant}
        assert set(store.get_traces(tenant, traces)) <= mine
        for trace_id, entries in store.entries(tenant, traces).items():
            assert all(e.tenant_id == tenant for e in entries)
            if trace_id not in mine:
                assert entries == []
        for trace_id, kids in store.children(tenant, traces).items():
            assert set(kids) <= mine
            if trace_id not in mine:
                assert kids == []
        resolved = store.resolve(tenant, every)
        assert {k for k in resolved if k in w.owner} <= mine
        for direction in ("out", "in"):
            for node, edges in store.edges(tenant, every, direction).items():
                if node not in mine:
                    assert edges == []
                for e in edges:
                    assert w.owner.get(e.src, tenant) == tenant
                    assert w.owner.get(e.dst, tenant) == tenant
        listed = store.list_traces(tenant, TraceFilter(), 1000)
        assert {r.trace_id for r in listed} == {t for t in traces if t in mine}
        # graph queries cost a server round trip each: a sample of starts and ends
        sample = every[:: max(1, len(every) // 6)][:6]
        for node in sample:
            lineage = store.lineage(tenant, node, "BOTH", 10)
            if node not in mine:
                assert lineage.nodes == []
            for ln in lineage.nodes:
                assert w.owner.get(ln.node_id.split("#", 1)[0], tenant) == tenant
            for other in sample[:3]:
                for p in store.paths(tenant, node, other, "ALL_SIMPLE", 6, 20).paths:
                    assert all(w.owner.get(x.split("#", 1)[0], tenant) == tenant
                               for x in p.nodes)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=4, max_size=14))
def test_no_read_crosses_tenants(harness: Harness, service: TraceService,
                                 ops: list[tuple[str, str, int, int]]) -> None:
    prefix = harness.new_tenant() + "-"
    world = _run(service, prefix, ops)
    _check_reads(service.store, world)
