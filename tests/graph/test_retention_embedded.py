"""Embedded store: retention deletes a removed trace's derived rows by their keys.

Nodes, model rows and edges are found from the trace's entries (``stored_ids``), not by
walking the tenant's rows (tests/graph/test_query_plans_embedded.py shows the seeks); here:
every row of the removed trace goes, every row of a kept trace stays, also when an entry
of the removed trace no longer reads (then the tenant's rows are walked for it).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.retention import apply_retention
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

NOW = datetime.now(UTC)


def _trace(svc: TraceService, at: datetime, depends_on: str | None = None) -> tuple[str, str]:
    t = svc.start_trace("a", StartTraceInput(session_id="s", created_at=at))
    first, second = svc.record_steps("a", t.trace_id, [
        StepInput(step_type="Decision", content="pick", model_id="m1",
                  alternatives_considered=["x", "y"], selected_alternative="x",
                  depends_on=[depends_on] if depends_on else []),
        StepInput(step_type="Action", content="act", model_id="m2")])
    svc.record_api_call("a", t.trace_id, ApiCallInput(step_id=second.step_id))
    svc.record_human_input("a", t.trace_id, HumanInputInput(step_id=second.step_id,
                                                            question="go?", answer="yes"))
    svc.complete_trace("a", t.trace_id, CompleteTraceInput(outcome="success"))
    return t.trace_id, first.step_id


def _rows(db: sqlite3.Connection) -> dict[str, set[tuple[str, ...]]]:
    return {"nodes": set(db.execute("SELECT node_id, trace_id FROM nodes")),
            "models": set(db.execute("SELECT model_id, trace_id FROM trace_models")),
            "edges": set(db.execute("SELECT src, dst FROM edges"))}


@pytest.mark.parametrize("altered", [False, True], ids=["intact", "entry-altered"])
def test_retention_deletes_every_derived_row_of_the_trace_and_no_other(
        tmp_path: Path, altered: bool) -> None:
    store = EmbeddedStore(tmp_path)
    svc = TraceService(store)
    gone, gone_step = _trace(svc, NOW - timedelta(days=200))
    _trace(svc, NOW - timedelta(days=200))  # (a second old trace: removed too)
    kept, _ = _trace(svc, NOW, depends_on=gone_step)  # (an edge into the removed trace)
    db = sqlite3.connect(tmp_path / "tracegraph.sqlite3")
    before = _rows(db)
    gone_ids = {n for n, t in before["nodes"] if t != kept} | {
        t for _, t in before["nodes"] if t != kept}
    assert len(gone_ids) == 2 * (1 + 6)  # (the traces; 2 steps, 2 alternatives, call, input)
    if altered:
        db.execute("DROP TRIGGER entries_no_update")
        db.execute("UPDATE entries SET body = x'00' WHERE trace_id = ? AND seq = 1", (gone,))
        db.commit()
    report = apply_retention(store, "a", 90, now=NOW)
    assert len(report.removed) == 2
    after = _rows(db)
    assert after["nodes"] == {r for r in before["nodes"] if r[1] == kept}
    assert after["models"] == {r for r in before["models"] if r[1] == kept}
    assert after["edges"] == {e for e in before["edges"]
                              if e[0] not in gone_ids and e[1] not in gone_ids}
    assert after["edges"] and after["nodes"]
    db.close()
    store.close()
