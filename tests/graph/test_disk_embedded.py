"""Disk layout of the embedded store: new files use 8 KB pages; files made with 4 KB pages
(every store created before) keep opening, growing and verifying, and keep their page size."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore, sql
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

TENANT = "acme"


def page_size(data_dir: Path) -> int:
    db = sqlite3.connect(data_dir / "tracegraph.sqlite3")
    try:
        return int(db.execute("PRAGMA page_size").fetchone()[0])
    finally:
        db.close()


def grow(service: TraceService, session: str, steps: int) -> str:
    trace = service.start_trace(TENANT, StartTraceInput(session_id=session, goal="g"))
    service.record_steps(TENANT, trace.trace_id, [
        StepInput(step_type="PlanStep", content=f"step {i} " + "x" * 1200,
                  alternatives_considered=["a", "b"], selected_alternative="a")
        for i in range(steps)])
    service.complete_trace(TENANT, trace.trace_id, CompleteTraceInput(outcome="success"))
    return trace.trace_id


def test_a_new_store_uses_8_kb_pages(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    grow(TraceService(store), "s", 10)
    store.close()
    assert page_size(tmp_path) == sql.PAGE_SIZE == 8192


def test_a_store_made_with_4_kb_pages_keeps_opening_growing_and_verifying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file as the code before 8 KB pages made it: no page_size pragma (SQLite's 4096).
    old_pragmas = tuple(p for p in sql.PRAGMAS if not p.startswith("PRAGMA page_size"))
    monkeypatch.setattr(sql, "PRAGMAS", old_pragmas)
    old = EmbeddedStore(tmp_path)
    first = grow(TraceService(old), "s", 40)
    before = TraceService(old).steps(TENANT, [first])
    old.close()
    assert page_size(tmp_path) == 4096
    monkeypatch.undo()

    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    assert service.steps(TENANT, [first]) == before
    second = grow(service, "s", 40)
    assert service.verify_trace(TENANT, first).valid
    assert service.verify_trace(TENANT, second).valid
    assert service.verify_session(TENANT, "s").valid
    store.close()
    assert page_size(tmp_path) == 4096
