"""The embedded store keeps decoded entries, but a read always answers what is on disk."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import orjson
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded.entry_cache import DecodedEntries
from tracegraph.schema.chain import seal_encoded
from tracegraph.schema.inputs import StartTraceInput, StepInput

TENANT = "cache"


def test_a_read_after_the_file_changed_answers_the_file(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    service.start_trace(TENANT, StartTraceInput(trace_id="t", session_id="s"))
    service.record_steps(TENANT, "t", [StepInput(step_id=f"s{i}", step_type="Reasoning",
                                                 content=f"step {i}") for i in range(3)])
    first = service.steps(TENANT, ["t"])["t"]
    assert [s.content for s in first] == ["step 0", "step 1", "step 2"]
    again = store.entries(TENANT, ["t"])["t"]
    assert [(e.seq, e.kind) for e in again] == [(0, "trace_started")] + [
        (i, "step") for i in range(1, 4)]
    assert [e.record.get("content") for e in again[1:]] == ["step 0", "step 1", "step 2"]
    # a second read answers from the kept decoded entries: the same objects
    assert all(x is y for x, y in zip(again, store.entries(TENANT, ["t"])["t"], strict=True))

    raw = sqlite3.connect(store.path, isolation_level=None)
    raw.execute("DROP TRIGGER IF EXISTS entries_no_update")
    (body,) = raw.execute("SELECT body FROM entries WHERE trace_id = 't' AND seq = 2").fetchone()
    obj = orjson.loads(body)
    obj["record"]["content"] = "forged"
    raw.execute("UPDATE entries SET body = ? WHERE trace_id = 't' AND seq = 2",
                (orjson.dumps(obj),))
    raw.execute("UPDATE entries SET kind = 'api_call' WHERE trace_id = 't' AND seq = 3")
    raw.close()

    contents = [s.content for s in service.steps(TENANT, ["t"])["t"]]
    assert contents == ["step 0", "forged"]  # seq 3 is filed as an API call now
    verdict = service.verify_trace(TENANT, "t")
    assert not verdict.valid and verdict.first_broken_seq == 2
    store.close()


def test_the_bound_keeps_the_newest_bodies() -> None:
    cache = DecodedEntries(max_bytes=3000)
    sealed = seal_encoded(TENANT, "t", 0, "0" * 64,
                          [("step", {"step_id": f"s{i}", "text": "x" * 500}) for i in range(10)])
    rows = [(e.seq, e.kind, e.hash, body) for e, body in sealed]
    for (e, _), row in zip(sealed, rows, strict=True):
        cache.put(TENANT, "t", row, e)
    kept = [row[0] for row in rows if cache.get(TENANT, "t", row) is not None]
    assert kept == list(range(10 - len(kept), 10)) and 0 < len(kept) < 10
    assert sum(len(rows[seq][3]) for seq in kept) <= 3000
    e, body = sealed[9]
    assert cache.get(TENANT, "t", (9, "step", e.hash, body + b" ")) is None  # other bytes
    assert cache.get(TENANT, "t", (9, "api_call", e.hash, body)) is None
    assert cache.get("other", "t", rows[9]) is None  # ids are per tenant: another's trace t
    assert DecodedEntries(max_bytes=0).get(TENANT, "t", rows[0]) is None


def test_a_kept_entry_keeps_its_view(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    service.start_trace(TENANT, StartTraceInput(trace_id="t", session_id="s"))
    service.record_steps(TENANT, "t", [StepInput(step_id="a", step_type="Reasoning",
                                                 content="one")])
    (first,) = service.steps(TENANT, ["t"])["t"]
    (again,) = service.steps(TENANT, ["t"])["t"]
    assert again is first and first.content == "one"
    (entry,) = store.entries(TENANT, ["t"], frozenset({"step"}))["t"]
    assert entry.view is first
    fresh = dataclasses.replace(entry)  # an equal entry that was never viewed
    assert fresh == entry and fresh.view is None and "view" not in repr(entry)
    store.close()
