"""verify_session on the embedded store reads each trace's recorded length and head from
``session_heads`` (no start or completion record decoded): the same traces, in the same
order, as the listing other stores are verified from, and the same verdicts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.protocol import ChainHead, TraceFilter
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

TENANT, OTHER = "acme", "globex"
SESSION = "sess-heads"
T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2025, 5, 1, 9, 5, tzinfo=UTC)
#: (trace id, created at, steps): ids out of creation order, three traces created together
TRACES = [("tr-c", T0, 3), ("tr-a", T0, 1), ("tr-0", T1, 2), ("tr-b", T0, 0)]


class WithoutHeads:
    """The store without its stored-bytes capability: the service verifies from the listing
    and decoded entries, as it does on Neo4j and Dgraph."""

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        if name in ("chains_with_intact_bytes", "session_heads"):
            raise AttributeError(name)
        return getattr(self._store, name)


@pytest.fixture
def built(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    for tenant in (TENANT, OTHER):
        for trace_id, created, steps in TRACES:
            service.start_trace(tenant, StartTraceInput(
                trace_id=f"{tenant}-{trace_id}", session_id=SESSION, agent_id="a",
                created_at=created))
            if steps:
                service.record_steps(tenant, f"{tenant}-{trace_id}", [
                    StepInput(step_id=f"{tenant}-{trace_id}-{i}", step_type="Action",
                              content=f"step {i}", created_at=created) for i in range(steps)])
        service.complete_trace(tenant, f"{tenant}-tr-a", CompleteTraceInput(outcome="success"))
    service.start_trace(TENANT, StartTraceInput(trace_id="elsewhere", session_id="other"))
    return store


def test_session_heads_are_the_listing_in_order(built: EmbeddedStore) -> None:
    listed = list(reversed(built.list_traces(TENANT, TraceFilter(session_id=SESSION), 1000)))
    heads = built.session_heads(TENANT, SESSION)
    assert heads == [ChainHead(r.trace_id, r.entry_count, r.head_hash) for r in listed]
    assert [h.trace_id for h in heads] == [f"{TENANT}-{t}" for t in ("tr-a", "tr-b", "tr-c",
                                                                     "tr-0")]
    assert [h.entry_count for h in heads] == [3, 1, 4, 3]
    assert built.session_heads(TENANT, "missing") == []
    assert [h.trace_id for h in built.session_heads(TENANT, "other")] == ["elsewhere"]


def tamper(store: EmbeddedStore, trace_id: str, seq: int) -> None:
    db = sqlite3.connect(store.path, isolation_level=None)
    db.execute("DROP TRIGGER IF EXISTS entries_no_update")
    db.execute("UPDATE entries SET hash = ? WHERE trace_id = ? AND seq = ?",
               ("f" * 64, trace_id, seq))
    db.close()


@pytest.mark.parametrize("broken", [[], [("tr-0", 1)], [("tr-c", 2), ("tr-b", 0)],
                                    [("tr-0", 0), ("tr-a", 2)]])
def test_verify_session_matches_the_listing_path(
        built: EmbeddedStore, broken: list[tuple[str, int]]) -> None:
    for trace_id, seq in broken:
        tamper(built, f"{TENANT}-{trace_id}", seq)
    fast = TraceService(built).verify_session(TENANT, SESSION)
    plain = TraceService(WithoutHeads(built)).verify_session(  # type: ignore[arg-type]
        TENANT, SESSION)
    assert fast == plain
    assert fast.valid == (not broken) and fast.traces_checked == len(TRACES)
    assert TraceService(built).verify_session(OTHER, SESSION).valid
