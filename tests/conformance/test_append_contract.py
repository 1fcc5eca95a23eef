"""Conformance: the append contract of graph/protocol.py, and exact read-back of records.

Idempotent retries, ``AlreadyExists``, ``TraceNotFound``, ``TraceClosed``, tenant scoping
of writes, and records (unicode, nested JSON, numbers at the edges of their ranges) read
back exactly as they were sealed, on every backend. Retention's tombstones too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.retention import apply_retention
from tracegraph.graph.protocol import GraphStore, NodeRef
from tracegraph.schema.errors import AlreadyExists, TraceClosed, TraceNotFound
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

from .runs import Names


@pytest.fixture
def names(tenant: str) -> Names:
    return Names(f"{tenant}-")


def _started(service: TraceService, tenant: str, n: Names, name: str = "T") -> str:
    service.start_trace(tenant, StartTraceInput(trace_id=n(name), session_id=n("s")))
    return n(name)


def _step_items(n: Names, *names: str) -> list[tuple[str, dict[str, object]]]:
    return [("step", {"step_id": n(x), "step_type": "Action", "content": x,
                      "created_at": "2026-01-01T00:00:00.000000Z"}) for x in names]


def test_a_retried_batch_is_idempotent(store: GraphStore, service: TraceService, tenant: str,
                                       names: Names) -> None:
    trace = _started(service, tenant, names)
    first = store.append(tenant, trace, _step_items(names, "a", "b"))
    again = store.append(tenant, trace, _step_items(names, "a", "b"))
    assert again == first
    assert [e.seq for e in first] == [1, 2]
    assert [e.record["step_index"] for e in first] == [0, 1]
    assert service.get_traces(tenant, [trace])[trace].entry_count == 3
    with pytest.raises(AlreadyExists):  # half stored: neither a retry nor new
        store.append(tenant, trace, _step_items(names, "b", "c"))
    with pytest.raises(AlreadyExists):
        store.append(tenant, trace, _step_items(names, "c", "a"))
    assert len(store.entries(tenant, [trace])[trace]) == 3  # nothing of either batch


def test_ids_are_unique_across_a_tenants_traces(store: GraphStore, service: TraceService,
                                                tenant: str, names: Names) -> None:
    trace = _started(service, tenant, names)
    other = _started(service, tenant, names, "U")
    store.append(tenant, trace, _step_items(names, "a"))
    with pytest.raises(AlreadyExists, match="is already taken"):  # it lives in another trace
        store.append(tenant, other, _step_items(names, "a"))
    stranger = tenant + "x"
    with pytest.raises(TraceNotFound):  # another tenant's trace id is not found by it
        store.append(stranger, trace, _step_items(names, "z"))
    with pytest.raises(TraceNotFound):
        store.append(tenant, names("missing"), _step_items(names, "z"))
    assert store.resolve(stranger, [trace, names("a")]) == {}
    assert store.entries(stranger, [trace]) == {trace: []}


def test_starting_twice(store: GraphStore, service: TraceService, tenant: str, names: Names
                        ) -> None:
    trace = names("T")
    record = {"session_id": names("s"), "created_at": "2026-01-01T00:00:00.000000Z"}
    (first,) = store.append(tenant, trace, [("trace_started", record)])
    assert store.append(tenant, trace, [("trace_started", dict(record))]) == [first]
    with pytest.raises(AlreadyExists):
        store.append(tenant, trace, [("trace_started", {**record, "goal": "other"})])


def test_a_completed_trace_is_closed(service: TraceService, tenant: str, names: Names) -> None:
    trace = _started(service, tenant, names)
    service.complete_trace(tenant, trace, CompleteTraceInput(outcome="success"))
    with pytest.raises(TraceClosed):
        service.record_steps(tenant, trace, [StepInput(step_type="Action")])
    with pytest.raises(TraceClosed):
        service.complete_trace(tenant, trace, CompleteTraceInput(outcome="failure"))
    assert service.verify_trace(tenant, trace).entries_checked == 2


def test_records_read_back_exactly(store: GraphStore, service: TraceService, tenant: str,
                                   names: Names) -> None:
    n = names
    trace = _started(service, tenant, n)
    payload = {"unicode": "ünïcødé ✓ 𝄞 \u2028", "empty": {}, "list": [], "mixed": [1, "a", None],
               "deep": {"a": {"b": {"c": [1.5, -0.25, 1e-7, 123456789.125]}}},
               "edge_ints": [2**53 - 1, -(2**53 - 1), 0], "bools": [True, False]}
    steps = service.record_steps(tenant, trace, [
        StepInput(step_id=n("s0"), step_type="CUSTOM_TYPE", content="x" * 70_000,
                  input_data=payload, output_data=["a", "b"], input_summary="",
                  alternatives_considered=["same", "same", "other"],
                  selected_alternative="same", confidence=1, duration_ms=0.001,
                  metadata={"k": "v"}, input_tokens=0, thinking_tokens=10**9),
        StepInput(step_id=n("s1"), step_type="reasoning", output_data="a string",
                  depends_on=[n("s0")]),
        StepInput(step_id=n("s2"), step_type="Observation", input_data=42,
                  output_data=[1, 2, 3]),
    ])
    call = service.record_api_call(tenant, trace, ApiCallInput(
        step_id=n("s0"), call_id=n("k"), status_code=0, latency_ms=1e12, cost_usd=1e-9))
    ask = service.record_human_input(tenant, trace, HumanInputInput(
        question="¿ok?", input_id=n("h")))
    stored = store.entries(tenant, [trace])[trace]
    sealed = [*(store.entries_at(tenant, [(trace, s.seq) for s in steps]).values())]
    assert [e.hash for e in stored[1:4]] == [s.hash for s in steps]
    assert stored[1:4] == sealed
    assert stored[1].record["input_data"] == payload
    assert stored[1].record["step_type"] == "CUSTOM_TYPE"
    assert stored[2].record["step_type"] == "Reasoning"
    assert stored[2].record["output_data"] == "a string"
    assert stored[3].record["input_data"] == 42 and stored[3].record["output_data"] == [1, 2, 3]
    assert stored[4].hash == call.hash and stored[5].hash == ask.hash
    assert service.verify_trace(tenant, trace).valid
    refs = store.resolve(tenant, [n("s0"), n("k"), n("h"), n("s0#alt2"), trace, n("nope")])
    assert refs == {
        n("s0"): NodeRef(n("s0"), "step", trace, 1),
        n("k"): NodeRef(n("k"), "api_call", trace, 4),
        n("h"): NodeRef(n("h"), "human_input", trace, 5),
        n("s0#alt2"): NodeRef(n("s0#alt2"), "alternative", trace, 1),
        trace: NodeRef(trace, "trace", trace, None),
    }
    kinds = store.entries(tenant, [trace], frozenset({"api_call", "human_input"}))[trace]
    assert [e.kind for e in kinds] == ["api_call", "human_input"]


def test_retention_leaves_tombstones(service: TraceService, tenant: str, names: Names) -> None:
    n = names
    old = datetime.now(UTC) - timedelta(days=200)
    for name in ("P", "Q"):
        service.start_trace(tenant, StartTraceInput(trace_id=n(name), session_id=n("old"),
                                                    created_at=old))
        service.record_steps(tenant, n(name), [StepInput(step_id=n(name + "0"),
                                                         step_type="Action")])
    service.complete_trace(tenant, n("P"), CompleteTraceInput(outcome="success"))
    before = service.get_traces(tenant, [n("P")])[n("P")]
    report = apply_retention(service.store, tenant, 90)
    assert [t.trace_id for t in report.removed] == [n("P")]  # Q is still active
    (stone,) = service.store.tombstones(tenant, n("old"))
    assert (stone.trace_id, stone.entry_count, stone.final_hash) == (
        n("P"), before.entry_count, before.head_hash)
    assert service.get_traces(tenant, [n("P")]) == {}
    assert service.store.resolve(tenant, [n("P0"), n("P")]) == {}
    assert service.store.entries(tenant, [n("P")]) == {n("P"): []}
    v = service.verify_session(tenant, n("old"))
    assert v.valid and v.reason is not None and "removed by retention" in v.reason
    with pytest.raises(AlreadyExists, match="retention"):
        service.start_trace(tenant, StartTraceInput(trace_id=n("P")))
    assert service.store.tombstones(tenant + "x", n("old")) == []
