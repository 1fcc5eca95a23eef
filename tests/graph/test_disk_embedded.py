"""Disk layout of the embedded store: new files use 8 KB pages and store edge types as
letters; a file made by the code before (4 KB pages, edge type names, an index no statement
used) keeps opening, growing, answering graph queries and verifying, and keeps its page
size."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore, sql
from tracegraph.graph.protocol import Edge
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

TENANT = "acme"


def read(data_dir: Path, query: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(data_dir / "tracegraph.sqlite3", isolation_level=None)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def page_size(data_dir: Path) -> int:
    return int(read(data_dir, "PRAGMA page_size")[0][0])  # type: ignore[call-overload]


def grow(service: TraceService, session: str, steps: int) -> str:
    """A trace of ``steps`` steps (each considering two alternatives), completed."""
    trace = service.start_trace(TENANT, StartTraceInput(session_id=session, goal="g"))
    service.record_steps(TENANT, trace.trace_id, [
        StepInput(step_id=f"{trace.trace_id}-{i}", step_type="PlanStep",
                  content=f"step {i} " + "x" * 1200,
                  alternatives_considered=["a", "b"], selected_alternative="a")
        for i in range(steps)])
    service.complete_trace(TENANT, trace.trace_id, CompleteTraceInput(outcome="success"))
    return trace.trace_id


def test_a_new_store_uses_8_kb_pages_and_edge_type_letters(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    trace = grow(TraceService(store), "s", 10)
    assert store.edges(TENANT, [f"{trace}-1"], "out")[f"{trace}-1"] == [
        Edge(f"{trace}-1", f"{trace}-1#alt0", "CONSIDERED"),
        Edge(f"{trace}-1", f"{trace}-1#alt1", "CONSIDERED"),
        Edge(f"{trace}-1", f"{trace}-2", "NEXT")]
    store.close()
    assert page_size(tmp_path) == sql.PAGE_SIZE == 8192
    assert {t for (t,) in read(tmp_path, "SELECT DISTINCT type FROM edges")} == {"h", "n", "o"}


def test_a_store_made_by_the_code_before_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file as the code before made it: SQLite's default 4 KB pages, edge type names.
    monkeypatch.setattr(sql, "PRAGMAS", tuple(p for p in sql.PRAGMAS
                                              if not p.startswith("PRAGMA page_size")))
    monkeypatch.setattr(sql, "EDGE_TYPE_CODES", {})
    old = EmbeddedStore(tmp_path)
    first = grow(TraceService(old), "s", 40)
    before = TraceService(old).steps(TENANT, [first])
    old.close()
    read(tmp_path, "CREATE INDEX traces_by_agent ON traces (tenant_id, agent_id, created_at)")
    read(tmp_path, "DELETE FROM meta WHERE key = 'schema_version'")  # (files had none)
    assert page_size(tmp_path) == 4096
    monkeypatch.undo()

    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    assert service.steps(TENANT, [first]) == before
    second = grow(service, "s", 40)
    for trace in (first, second):  # old rows (names) and new rows (letters) read alike
        assert store.edges(TENANT, [f"{trace}-1"], "in")[f"{trace}-1"] == [
            Edge(trace, f"{trace}-1", "HAS_STEP"), Edge(f"{trace}-0", f"{trace}-1", "NEXT")]
        up = store.lineage(TENANT, f"{trace}-39", "UP", max_depth=100)
        assert {n.node_id for n in up.nodes} == {trace, *(f"{trace}-{i}" for i in range(39))}
        (path,) = store.paths(TENANT, f"{trace}-0", f"{trace}-2").paths
        assert path.nodes == [f"{trace}-0", f"{trace}-1", f"{trace}-2"]
        assert [e.type for e in path.edges] == ["NEXT", "NEXT"]
        assert service.verify_trace(TENANT, trace).valid
    assert service.verify_session(TENANT, "s").valid
    store.close()
    assert page_size(tmp_path) == 4096
    assert read(tmp_path, "SELECT name FROM sqlite_schema WHERE name = 'traces_by_agent'") == []
    assert {t for (t,) in read(tmp_path, "SELECT DISTINCT type FROM edges")} == {
        "HAS_STEP", "NEXT", "CONSIDERED", "h", "n", "o"}
