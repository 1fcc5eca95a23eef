"""Retention removes whole expired traces and leaves tombstones that verification reports."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.graph import GraphService
from tracegraph.api.service.retention import apply_retention
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.chain import tombstone_hash
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=10)


def _trace(svc: TraceService, at: datetime, *, parent: str | None = None, done: bool = True,
           session: str = "s") -> str:
    t = svc.start_trace("acme", StartTraceInput(session_id=session, parent_trace_id=parent,
                                                created_at=at))
    svc.record_steps("acme", t.trace_id, [StepInput(step_type="Reasoning", content="x")])
    if done:
        svc.complete_trace("acme", t.trace_id, CompleteTraceInput(outcome="success"))
    return t.trace_id


def test_expired_traces_become_tombstones(store: EmbeddedStore) -> None:
    svc = TraceService(store)
    old = _trace(svc, OLD)
    old_parent = _trace(svc, OLD)
    _young_child = _trace(svc, RECENT, parent=old_parent)
    old_active = _trace(svc, OLD, done=False)
    old_tree_root = _trace(svc, OLD, session="tree")
    old_tree_child = _trace(svc, OLD, parent=old_tree_root, session="tree")
    old_grandchild = _trace(svc, OLD, parent=old_tree_child, session="tree")
    recent = _trace(svc, RECENT)
    before = {t: svc.get_trace("acme", t) for t in (old, old_tree_root)}

    report = apply_retention(store, "acme", 90, now=NOW)

    removed = {s.trace_id for s in report.removed}
    assert removed == {old, old_tree_root, old_tree_child, old_grandchild}
    assert report.kept_with_children == [old_parent]
    for kept in (old_parent, old_active, recent):
        assert svc.get_trace("acme", kept) is not None
    for gone in removed:
        assert svc.get_trace("acme", gone) is None
        assert svc.store.entries("acme", [gone])[gone] == []
    stone = next(s for s in report.removed if s.trace_id == old)
    view = before[old]
    assert view is not None
    assert stone.entry_count == view.entry_count and stone.final_hash == view.head_hash
    assert stone.hash == tombstone_hash("acme", old, "s", view.entry_count, view.head_hash,
                                        stone.removed_at)
    v = svc.verify_session("acme", "s")
    assert v.valid and v.reason is not None and "removed by retention" in v.reason
    assert old in v.reason
    tree = svc.verify_session("acme", "tree")
    assert tree.valid and tree.traces_checked == 0 and "3 trace(s)" in (tree.reason or "")


def test_removed_nodes_leave_the_graph(store: EmbeddedStore) -> None:
    svc = TraceService(store)
    graphs = GraphService(store)
    root = _trace(svc, OLD)
    child = _trace(svc, OLD, parent=root)
    assert {n.node.node_id for n in graphs.lineage("acme", root, "DOWN").nodes} >= {child}
    apply_retention(store, "acme", 90, now=NOW)
    assert store.resolve("acme", [root, child]) == {}


def test_dry_run_removes_nothing(store: EmbeddedStore) -> None:
    svc = TraceService(store)
    old = _trace(svc, OLD)
    report = apply_retention(store, "acme", 90, now=NOW, dry_run=True)
    assert [s.trace_id for s in report.removed] == [old]
    assert svc.get_trace("acme", old) is not None


def test_deletes_outside_retention_are_still_refused(store: EmbeddedStore) -> None:
    svc = TraceService(store)
    kept = _trace(svc, RECENT)
    _trace(svc, OLD)
    assert len(apply_retention(store, "acme", 90, now=NOW).removed) == 1
    db = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM entries WHERE trace_id = ?", (kept,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM tombstones")
    db.close()


def test_other_tenants_are_untouched(store: EmbeddedStore) -> None:
    svc = TraceService(store)
    t = svc.start_trace("globex", StartTraceInput(session_id="s", created_at=OLD))
    svc.complete_trace("globex", t.trace_id, CompleteTraceInput(outcome="success"))
    assert apply_retention(store, "acme", 90, now=NOW).removed == []
    assert svc.get_trace("globex", t.trace_id) is not None


def test_a_changed_tombstone_breaks_session_verification(store: EmbeddedStore) -> None:
    svc = TraceService(store)
    old = _trace(svc, OLD)
    apply_retention(store, "acme", 90, now=NOW)
    assert svc.verify_session("acme", "s").valid
    db = sqlite3.connect(store.path)  # behind tracegraph's back
    db.execute("DROP TRIGGER tombstones_no_update")
    db.execute("UPDATE tombstones SET entry_count = entry_count + 1 WHERE trace_id = ?", (old,))
    db.commit()
    db.close()
    v = svc.verify_session("acme", "s")
    assert not v.valid and v.trace_id == old
    assert v.reason == (f"tombstone of trace {old}: its hash does not match its fields "
                        "(changed after removal)")
