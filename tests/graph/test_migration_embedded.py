"""Embedded store: a file of the layout before ids were per tenant (version 1) migrates on open.

The file is made with the old DDL (ids unique across tenants: traces, nodes and tombstones
keyed by the bare id; in the oldest files the journal too, a WITHOUT ROWID table keyed by
``(trace_id, seq)``) and filled with rows a current store wrote. Opened by the current code
it is migrated in one transaction: every trace reads and verifies as before, the version is
recorded, another tenant may now use the same ids, and the first tenant's ids stay taken.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.retention import tombstone_for
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded import sql as current
from tracegraph.schema.errors import AlreadyExists
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

DB_NAME = "tracegraph.sqlite3"
TABLES = ("entries", "traces", "trace_models", "nodes", "edges", "tombstones")

#: The version 1 schema, as tracegraph made it before ids were per tenant.
V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE entries (
  trace_id TEXT NOT NULL, seq INTEGER NOT NULL, tenant_id TEXT NOT NULL, kind TEXT NOT NULL,
  hash TEXT NOT NULL, body BLOB NOT NULL);
CREATE UNIQUE INDEX entries_by_seq ON entries (trace_id, seq);
CREATE TABLE traces (
  trace_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, session_id TEXT NOT NULL, agent_id TEXT,
  parent_trace_id TEXT, status TEXT NOT NULL, outcome TEXT, created_at TEXT NOT NULL,
  completed_at TEXT, entry_count INTEGER NOT NULL, step_count INTEGER NOT NULL,
  head_hash TEXT NOT NULL, last_step_id TEXT, completed_seq INTEGER) WITHOUT ROWID;
CREATE INDEX traces_by_time ON traces (tenant_id, created_at, trace_id);
CREATE INDEX traces_by_session ON traces (tenant_id, session_id, created_at);
CREATE INDEX traces_by_parent ON traces (tenant_id, parent_trace_id, created_at);
CREATE INDEX traces_by_agent ON traces (tenant_id, agent_id, created_at);
CREATE TABLE trace_models (
  tenant_id TEXT NOT NULL, model_id TEXT NOT NULL, trace_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, model_id, trace_id)) WITHOUT ROWID;
CREATE TABLE nodes (
  node_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, kind TEXT NOT NULL,
  trace_id TEXT NOT NULL, seq INTEGER) WITHOUT ROWID;
CREATE TABLE edges (
  tenant_id TEXT NOT NULL, src TEXT NOT NULL, dst TEXT NOT NULL, type TEXT NOT NULL);
CREATE INDEX edges_out ON edges (src, type);
CREATE INDEX edges_in ON edges (dst, type);
CREATE TABLE tombstones (
  trace_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, session_id TEXT NOT NULL,
  entry_count INTEGER NOT NULL, final_hash TEXT NOT NULL, removed_at TEXT NOT NULL,
  hash TEXT NOT NULL) WITHOUT ROWID;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: chain entries are append-only (UPDATE refused)');
END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
WHEN NOT EXISTS (SELECT 1 FROM tombstones WHERE trace_id = OLD.trace_id)
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: chain entries are append-only (DELETE refused)');
END;
CREATE TRIGGER tombstones_no_update BEFORE UPDATE ON tombstones
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: tombstones are append-only');
END;
CREATE TRIGGER tombstones_no_delete BEFORE DELETE ON tombstones
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: tombstones are append-only');
END;
"""
#: The oldest journal: a WITHOUT ROWID table keyed by (trace_id, seq).
OLDEST_ENTRIES = """
CREATE TABLE entries (
  trace_id TEXT NOT NULL, seq INTEGER NOT NULL, tenant_id TEXT NOT NULL, kind TEXT NOT NULL,
  hash TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (trace_id, seq)) WITHOUT ROWID;
"""


def _write_run(data_dir: Path) -> dict[str, str]:
    """Two traces (one a child, both with steps, an API call, models) and one removed by
    retention, written by the current store; the trace heads by id."""
    store = EmbeddedStore(data_dir)
    svc = TraceService(store)
    svc.start_trace("acme", StartTraceInput(trace_id="T", session_id="s", agent_id="bot"))
    svc.record_steps("acme", "T", [StepInput(step_id="a", step_type="Action", model_id="m"),
                                   StepInput(step_id="b", step_type="Decision",
                                             depends_on=["a"],
                                             alternatives_considered=["x", "y"],
                                             selected_alternative="x")])
    svc.record_api_call("acme", "T", ApiCallInput(call_id="k", step_id="b"))
    svc.start_trace("acme", StartTraceInput(trace_id="C", parent_trace_id="T",
                                            spawned_by_step_id="b"))
    svc.record_steps("acme", "C", [StepInput(step_id="c", step_type="Action",
                                             depends_on=["a"])])
    svc.start_trace("acme", StartTraceInput(trace_id="Gone", session_id="s"))
    svc.complete_trace("acme", "Gone", CompleteTraceInput(outcome="success"))
    row = store.get_traces("acme", ["Gone"])["Gone"]
    store.remove_trace("acme", "Gone", tombstone_for(row, "2026-01-02T00:00:00.000000Z"))
    heads = {t: r.head_hash for t, r in store.get_traces("acme", ["T", "C"]).items()}
    store.close()
    return heads


def _version_1_file(tmp_path: Path, *, oldest: bool) -> tuple[Path, dict[str, str]]:
    """A data directory whose file has the version 1 layout and the rows of
    :func:`_write_run`."""
    heads = _write_run(tmp_path / "now")
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    schema = V1_SCHEMA
    if oldest:
        start = schema.index("CREATE TABLE entries")
        end = schema.index("CREATE TABLE traces")
        schema = schema[:start] + OLDEST_ENTRIES + schema[end:]
    db = sqlite3.connect(old_dir / DB_NAME, isolation_level=None)
    db.executescript(schema)
    db.execute("ATTACH DATABASE ? AS now", (str(tmp_path / "now" / DB_NAME),))
    db.execute("BEGIN")
    for table in TABLES:
        old = {r[1] for r in db.execute(f"PRAGMA main.table_info({table})")}
        cols = [r[1] for r in db.execute(f"PRAGMA now.table_info({table})") if r[1] in old]
        names = ", ".join(cols)
        db.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM now.{table}")  # noqa: S608
    db.execute("COMMIT")
    db.execute("DETACH DATABASE now")
    db.close()
    return old_dir, heads


@pytest.mark.parametrize("oldest", [False, True], ids=["rowid-journal", "without-rowid-journal"])
def test_a_version_1_file_migrates_on_open(tmp_path: Path, oldest: bool) -> None:
    old_dir, heads = _version_1_file(tmp_path, oldest=oldest)
    store = EmbeddedStore(old_dir)
    svc = TraceService(store)
    try:
        db = sqlite3.connect(old_dir / DB_NAME)
        version = db.execute(current.SELECT_SCHEMA_VERSION).fetchone()
        assert version == (str(current.SCHEMA_VERSION),)
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        gone = {"entries_by_seq", "edges_out", "edges_in", "traces_v1", "entries_v1"}
        assert not gone & names
        assert {"entries_by_trace", "edges_from", "edges_to"} <= names
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # triggers are back
            db.execute("DELETE FROM entries WHERE trace_id = 'T'")
        db.close()
        # everything reads and verifies as before
        rows = store.get_traces("acme", ["T", "C"])
        assert {t: r.head_hash for t, r in rows.items()} == heads
        assert svc.verify_trace("acme", "T").valid and svc.verify_trace("acme", "C").valid
        assert svc.verify_session("acme", "s").valid
        assert [e.seq for e in store.entries("acme", ["T"])["T"]] == [0, 1, 2, 3]
        assert store.resolve("acme", ["b#alt1"])["b#alt1"].kind == "alternative"
        assert [p.nodes for p in store.paths("acme", "a", "c").paths] == [["a", "c"]]
        out = store.edges("acme", ["b"], "out")["b"]  # in insertion order, as before
        assert [e.dst for e in out] == ["a", "b#alt0", "b#alt1", "k", "C"]
        assert len(store.tombstones("acme", "s")) == 1
        # ids are per tenant now: another tenant uses them all
        svc.start_trace("globex", StartTraceInput(trace_id="T", session_id="s"))
        svc.record_steps("globex", "T", [StepInput(step_id="a", step_type="Action"),
                                         StepInput(step_id="k", step_type="Action")])
        svc.start_trace("globex", StartTraceInput(trace_id="Gone"))
        assert svc.verify_trace("globex", "T").valid
        assert store.resolve("acme", ["k"])["k"].kind == "api_call"
        # and the first tenant's stay taken
        with pytest.raises(AlreadyExists, match=r"^step_id a is already taken$"):
            svc.record_steps("acme", "C", [StepInput(step_id="a", step_type="Action")])
        with pytest.raises(AlreadyExists, match="existed and was removed by retention"):
            svc.start_trace("acme", StartTraceInput(trace_id="Gone"))
        svc.record_steps("acme", "T", [StepInput(step_id="d", step_type="Action")])
        assert svc.verify_trace("acme", "T").valid
    finally:
        store.close()
    # a second open finds the file current and changes nothing
    again = EmbeddedStore(old_dir)
    try:
        assert again.get_traces("globex", ["T"])["T"].entry_count == 3
        assert TraceService(again).verify_session("acme", "s").valid
    finally:
        again.close()


def test_a_file_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path).close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(current.SET_SCHEMA_VERSION, (str(current.SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(Exception, match="newer than this tracegraph"):
        EmbeddedStore(tmp_path)


def test_a_version_3_file_gets_its_paused_traces_open_questions(tmp_path: Path) -> None:
    """Version 4 keeps a trace's waiting questions on its row: a file made before gets the
    column, filled for its paused traces from their human inputs, so answering one of two
    questions leaves the run paused there too."""
    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    trace = service.start_trace("t", StartTraceInput()).trace_id
    q1 = service.record_human_input("t", trace, HumanInputInput(question="a?"))
    service.record_human_input("t", trace, HumanInputInput(question="b?"))
    store.close()
    db = sqlite3.connect(tmp_path / "tracegraph.sqlite3")
    with db:
        db.execute("ALTER TABLE traces DROP COLUMN open_questions")
        db.execute(current.SET_SCHEMA_VERSION, ("3",))
    db.close()
    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    service.record_human_input("t", trace, HumanInputInput(
        question="a?", answer="yes", answers_input_id=q1.input_id))
    view = service.get_trace("t", trace)
    assert view is not None and view.status == "paused"
    store.close()
    db = sqlite3.connect(tmp_path / "tracegraph.sqlite3")
    assert db.execute(current.SELECT_SCHEMA_VERSION).fetchone() == (str(current.SCHEMA_VERSION),)
    db.close()
