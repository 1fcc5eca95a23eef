"""Tamper detection through the embedded store's own SQLite file, behind tracegraph's back.

Traces are built through TraceService; then the database file is opened with the ``sqlite3``
module, the append-only triggers are dropped, and one thing is changed: every record key of
every entry kind, every field of the hashed body, the hash column, the index columns; entries
deleted, inserted, reordered. Each time verify_trace and verify_session must report
valid=False, the seq of the first broken entry and a reason of the right kind.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.chain import ChainEntry, entry_hash, seal
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

TENANT = "acme"
OTHER_TENANT = "globex"
SESSION = "sess-tamper"
DB_NAME = "tracegraph.sqlite3"
T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)

# The child trace's chain, entry by entry: every record field of every kind is present.
SEQ_STARTED, SEQ_STEP_FULL, SEQ_CALL, SEQ_HUMAN, SEQ_STEP_MIN, SEQ_COMPLETED = range(6)
OPTED_OUT = "trace-opted-out"  # a trace whose agent keeps no reasoning: its own start record
RECORD_KEYS: dict[int, list[str]] = {
    SEQ_STARTED: ["session_id", "agent_id", "actor_urn", "goal", "parent_trace_id",
                  "spawned_by_step_id", "metadata", "created_at"],
    SEQ_STEP_FULL: ["step_id", "step_type", "content", "reasoning_hash", "input_data",
                    "output_data", "input_summary", "output_summary", "alternatives_considered",
                    "selected_alternative", "confidence", "duration_ms", "model_id",
                    "input_tokens", "output_tokens", "thinking_tokens", "depends_on",
                    "metadata", "created_at", "step_index"],
    SEQ_CALL: ["call_id", "step_id", "api_type", "endpoint", "method", "status_code",
               "latency_ms", "request_tokens", "response_tokens", "cost_usd", "error",
               "created_at"],
    SEQ_HUMAN: ["input_id", "step_id", "question", "answer", "answered_by", "answered_at",
                "created_at"],
    SEQ_STEP_MIN: ["step_id", "step_type", "created_at", "step_index"],
    SEQ_COMPLETED: ["status", "outcome", "final_answer", "confidence", "error_details",
                    "completed_at", "totals", "model_ids_used", "path_taken"],
}
KINDS = {SEQ_STARTED: "trace_started", SEQ_STEP_FULL: "step", SEQ_CALL: "api_call",
         SEQ_HUMAN: "human_input", SEQ_STEP_MIN: "step", SEQ_COMPLETED: "trace_completed"}
LAST = SEQ_COMPLETED
RECORD_CASES = [(seq, key) for seq, keys in RECORD_KEYS.items() for key in keys]
OPTED_OUT_KEYS = ["session_id", "include_reasoning_trace", "created_at"]


@dataclass(frozen=True)
class Built:
    path: Path
    parent: str  # a parent trace in the same session (2 entries, left untouched)
    child: str  # the trace every test tampers with (6 entries, completed)
    other: str  # a trace of another tenant with the same shape of data


def build(service: TraceService) -> tuple[str, str, str]:
    parent = service.start_trace(TENANT, StartTraceInput(
        trace_id="trace-parent", session_id=SESSION, agent_id="planner", goal="plan",
        created_at=T0))
    (s0,) = service.record_steps(TENANT, parent.trace_id, [StepInput(
        step_id="step-p0", step_type="PlanStep", content="delegate pricing", created_at=T0)])
    child = service.start_trace(TENANT, StartTraceInput(
        trace_id="trace-child", session_id=SESSION, agent_id="pricer", goal="Prix — 価格 🚀",
        parent_trace_id=parent.trace_id, spawned_by_step_id=s0.step_id,
        actor_urn="urn:agent:pricer", metadata={"env": "test", "n": [1, 2.5]},
        created_at=T0.replace(minute=1)))
    (full,) = service.record_steps(TENANT, child.trace_id, [StepInput(
        step_id="step-full", step_type="ToolCall", content="look up prices é",
        input_data={"sku": "A-1", "deep": {"list": [1, 2, {"x": 0.5}]}},
        output_data=[{"price": 19.99}], input_summary="sku A-1", output_summary="one price",
        alternatives_considered=["guess", "look up"], selected_alternative="look up",
        confidence=0.75, duration_ms=12.5, model_id="model-a", input_tokens=100,
        output_tokens=20, thinking_tokens=7, depends_on=[s0.step_id],
        metadata={"attempt": 1}, created_at=T0.replace(minute=2))])
    service.record_api_call(TENANT, child.trace_id, ApiCallInput(
        call_id="call-1", step_id=full.step_id, api_type="tool", endpoint="https://x.example",
        method="POST", status_code=503, latency_ms=80.25, request_tokens=11,
        response_tokens=22, cost_usd=0.0125, error="upstream unavailable",
        created_at=T0.replace(minute=3)))
    service.record_human_input(TENANT, child.trace_id, HumanInputInput(
        input_id="human-1", step_id=full.step_id, question="retry?", answer="yes",
        answered_by="alice", answered_at=T0.replace(minute=4)))
    service.record_steps(TENANT, child.trace_id, [StepInput(
        step_id="step-min", step_type="Summary", created_at=T0.replace(minute=5))])
    service.complete_trace(TENANT, child.trace_id, CompleteTraceInput(
        outcome="partial", final_answer="19.99", confidence=0.5,
        error_details="one call failed", status="completed"))
    service.start_trace(TENANT, StartTraceInput(
        trace_id=OPTED_OUT, session_id="sess-opted-out", include_reasoning_trace=False,
        created_at=T0))
    other = service.start_trace(OTHER_TENANT, StartTraceInput(
        trace_id="trace-other", session_id=SESSION, goal="other tenant", created_at=T0))
    service.record_steps(OTHER_TENANT, other.trace_id, [StepInput(
        step_id="step-other", step_type="Action", content="x", created_at=T0)])
    return parent.trace_id, child.trace_id, other.trace_id


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Built:
    data_dir = tmp_path_factory.mktemp("tamper-template")
    store = EmbeddedStore(data_dir)
    parent, child, other = build(TraceService(store))
    store.close()  # the last connection checkpoints the WAL into the database file
    return Built(data_dir / DB_NAME, parent, child, other)


class Raw:
    """Direct access to the database file, triggers dropped: what an attacker with the file has."""

    def __init__(self, path: Path, trace_id: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("DROP TRIGGER IF EXISTS entries_no_update")
        self.db.execute("DROP TRIGGER IF EXISTS entries_no_delete")
        self.trace_id = trace_id

    def body(self, seq: int) -> dict[str, Any]:
        (body,) = self.db.execute("SELECT body FROM entries WHERE trace_id = ? AND seq = ?",
                                  (self.trace_id, seq)).fetchone()
        obj: dict[str, Any] = orjson.loads(body)
        return obj

    def put_body(self, seq: int, obj: dict[str, Any], *, rehash: bool = False) -> None:
        cur = self.db.execute("UPDATE entries SET body = ? WHERE trace_id = ? AND seq = ?",
                              (orjson.dumps(obj), self.trace_id, seq))
        assert cur.rowcount == 1
        if rehash:  # a forger who also recomputes the entry's hash
            self.set_column(seq, "hash", entry_hash(obj))

    SET_COLUMN = {
        column: f"UPDATE entries SET {column} = ? WHERE trace_id = ? AND seq = ?"  # noqa: S608
        for column in ("seq", "tenant_id", "trace_id", "kind", "hash")
    }

    def set_column(self, seq: int, column: str, value: Any) -> None:
        cur = self.db.execute(self.SET_COLUMN[column], (value, self.trace_id, seq))
        assert cur.rowcount == 1

    def hash(self, seq: int) -> str:
        (h,) = self.db.execute("SELECT hash FROM entries WHERE trace_id = ? AND seq = ?",
                               (self.trace_id, seq)).fetchone()
        return str(h)

    def delete(self, seq: int) -> None:
        cur = self.db.execute("DELETE FROM entries WHERE trace_id = ? AND seq = ?",
                              (self.trace_id, seq))
        assert cur.rowcount == 1

    def insert(self, e: ChainEntry, *, shift_from: int | None = None) -> None:
        """Insert a row; with ``shift_from``, first move the rows from that seq one up."""
        if shift_from is not None:
            self.db.execute("UPDATE entries SET seq = -seq - 1 WHERE trace_id = ? AND seq >= ?",
                            (self.trace_id, shift_from))
            self.db.execute("UPDATE entries SET seq = -seq WHERE trace_id = ? AND seq < 0",
                            (self.trace_id,))
        self.db.execute("INSERT INTO entries (trace_id, seq, tenant_id, kind, hash, body) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (e.trace_id, e.seq, e.tenant_id, e.kind, e.hash,
                         orjson.dumps(e.hashed_object())))

    def swap(self, a: int, b: int) -> None:
        """Swap the stored seq of two rows (bodies untouched)."""
        self.set_column(a, "seq", -1)
        self.set_column(b, "seq", a)
        self.set_column(-1, "seq", b)

    def close(self) -> None:
        self.db.close()


@dataclass
class Case:
    raw: Raw
    service: TraceService
    built: Built
    raw_path: Path


@pytest.fixture
def case(template: Built, tmp_path: Path) -> Iterator[Case]:
    shutil.copy(template.path, tmp_path / DB_NAME)
    store = EmbeddedStore(tmp_path)  # opening creates the triggers: drop them after this
    raw = Raw(tmp_path / DB_NAME, template.child)
    try:
        yield Case(raw, TraceService(store), template, tmp_path / DB_NAME)
    finally:
        raw.close()
        store.close()


def assert_broken(c: Case, seq: int, *reasons: str) -> None:
    """verify_trace and verify_session both name ``seq`` and a reason starting with one of
    ``reasons``; the untouched traces still verify."""
    v = c.service.verify_trace(TENANT, c.built.child)
    assert not v.valid, v
    assert v.first_broken_seq == seq, v
    assert v.reason is not None and v.reason.startswith(reasons), v.reason
    s = c.service.verify_session(TENANT, SESSION)
    assert not s.valid
    assert (s.trace_id, s.first_broken_seq) == (c.built.child, seq)
    assert s.reason == f"trace {c.built.child}: {v.reason}"
    assert c.service.verify_trace(TENANT, c.built.parent).valid
    assert c.service.verify_trace(OTHER_TENANT, c.built.other).valid


def altered(value: Any) -> Any:
    """A different value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + "!"
    if isinstance(value, list):
        return [*value, "extra"]
    assert isinstance(value, dict)
    return {**value, "tampered": True}


# -- the untampered copy is valid ----------------------------------------------------------------

def test_the_built_traces_hold_every_record_field(case: Case) -> None:
    for seq, keys in RECORD_KEYS.items():
        body = case.raw.body(seq)
        assert body["kind"] == KINDS[seq]
        assert sorted(body["record"]) == sorted(keys), seq
    assert {k.value for k in EntryKind} == set(KINDS.values())


def test_untampered_copy_verifies(case: Case) -> None:
    v = case.service.verify_trace(TENANT, case.built.child)
    assert v.valid and v.entries_checked == LAST + 1 and v.first_broken_seq is None
    s = case.service.verify_session(TENANT, SESSION)
    assert s.valid and s.traces_checked == 2 and s.entries_checked == LAST + 1 + 2


# -- the triggers ----------------------------------------------------------------------------

def test_triggers_refuse_update_and_delete(template: Built, tmp_path: Path) -> None:
    shutil.copy(template.path, tmp_path / DB_NAME)
    db = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    statements = [
        ("UPDATE entries SET body = x'7b7d' WHERE trace_id = ? AND seq = 1", "UPDATE refused"),
        ("UPDATE entries SET hash = 'x' WHERE trace_id = ? AND seq = 1", "UPDATE refused"),
        ("UPDATE entries SET seq = 99 WHERE trace_id = ? AND seq = 1", "UPDATE refused"),
        ("DELETE FROM entries WHERE trace_id = ? AND seq = 1", "DELETE refused"),
        ("DELETE FROM entries WHERE trace_id = ?", "DELETE refused"),
    ]
    before = db.execute("SELECT * FROM entries ORDER BY trace_id, seq").fetchall()
    for statement, message in statements:
        with pytest.raises(sqlite3.DatabaseError, match=message):
            db.execute(statement, (template.child,))
    assert db.execute("SELECT * FROM entries ORDER BY trace_id, seq").fetchall() == before
    # appending stays possible, but never at a seq that is taken
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO entries VALUES (?, 1, ?, 'step', 'h', x'7b7d')",
                   (template.child, TENANT))
    db.close()
    store = EmbeddedStore(tmp_path)
    assert TraceService(store).verify_trace(TENANT, template.child).valid
    store.close()


def test_dropped_triggers_come_back_when_the_store_opens(template: Built, tmp_path: Path) -> None:
    shutil.copy(template.path, tmp_path / DB_NAME)
    raw = Raw(tmp_path / DB_NAME, template.child)  # drops them
    names = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'entries'"
    assert raw.db.execute(names).fetchall() == []
    EmbeddedStore(tmp_path).close()
    assert {r[0] for r in raw.db.execute(names)} == {"entries_no_update", "entries_no_delete"}
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.delete(1)
    raw.close()


# -- record fields -------------------------------------------------------------------------------

@pytest.mark.parametrize(("seq", "key"), RECORD_CASES,
                         ids=[f"{KINDS[s]}@{s}-{k}" for s, k in RECORD_CASES])
def test_changed_record_field(case: Case, seq: int, key: str) -> None:
    body = case.raw.body(seq)
    body["record"][key] = altered(body["record"][key])
    case.raw.put_body(seq, body)
    assert_broken(case, seq, "content changed")


@pytest.mark.parametrize(("seq", "key"), RECORD_CASES,
                         ids=[f"{KINDS[s]}@{s}-{k}" for s, k in RECORD_CASES])
def test_removed_record_field(case: Case, seq: int, key: str) -> None:
    body = case.raw.body(seq)
    del body["record"][key]
    case.raw.put_body(seq, body)
    assert_broken(case, seq, "content changed")


@pytest.mark.parametrize("seq", sorted(KINDS))
def test_added_record_field(case: Case, seq: int) -> None:
    body = case.raw.body(seq)
    body["record"]["note"] = "added later"
    case.raw.put_body(seq, body)
    assert_broken(case, seq, "content changed")


@pytest.mark.parametrize(
    ("seq", "path", "value"),
    [(SEQ_STEP_FULL, ("input_data", "deep", "list", 2, "x"), 0.25),
     (SEQ_STEP_FULL, ("output_data", 0, "price"), 1.99),
     (SEQ_STARTED, ("metadata", "n", 1), 2.5000001),
     (SEQ_COMPLETED, ("totals", "input_tokens"), 0),
     (SEQ_COMPLETED, ("path_taken", 0), "Decision")],
)
def test_changed_value_deep_inside_json(case: Case, seq: int, path: tuple[Any, ...],
                                        value: Any) -> None:
    body = case.raw.body(seq)
    target: Any = body["record"]
    for step in path[:-1]:
        target = target[step]
    assert target[path[-1]] != value
    target[path[-1]] = value
    case.raw.put_body(seq, body)
    assert_broken(case, seq, "content changed")


def test_same_value_reserialized_is_not_tampering(case: Case) -> None:
    """Key order and number spelling in the stored body do not matter: the canonical form does."""
    body = case.raw.body(SEQ_STEP_FULL)
    reordered = {k: body[k] for k in reversed(list(body))}
    reordered["record"] = {k: body["record"][k] for k in sorted(body["record"], reverse=True)}
    case.raw.db.execute("UPDATE entries SET body = ? WHERE trace_id = ? AND seq = ?",
                        (orjson.dumps(reordered, option=orjson.OPT_INDENT_2),
                         case.built.child, SEQ_STEP_FULL))
    assert case.service.verify_trace(TENANT, case.built.child).valid


@pytest.mark.parametrize("key", OPTED_OUT_KEYS)
def test_changed_field_of_an_opted_out_start(case: Case, key: str) -> None:
    raw = Raw(case.raw_path, OPTED_OUT)
    body = raw.body(0)
    assert sorted(body["record"]) == sorted(OPTED_OUT_KEYS)
    body["record"][key] = altered(body["record"][key])
    raw.put_body(0, body)
    raw.close()
    v = case.service.verify_trace(TENANT, OPTED_OUT)
    assert not v.valid and v.first_broken_seq == 0
    assert v.reason is not None and v.reason.startswith("content changed")


# -- the hashed body's own fields and the hash column --------------------------------------------

BODY_CASES = [
    # field, new value (a callable of the old one), expected reason(s)
    ("seq", lambda v: v + 100, ("content changed",)),
    ("seq", lambda v: v + 1, ("content changed",)),
    ("prev_hash", lambda v: "f" * 64, ("content changed",)),
    ("kind", lambda v: "api_call" if v != "api_call" else "step", ("content changed",)),
    ("tenant_id", lambda v: OTHER_TENANT, ("wrong trace",)),
    ("trace_id", lambda v: "trace-parent", ("wrong trace",)),
    ("version", lambda v: v + 1, ("unsupported version",)),
]


@pytest.mark.parametrize("seq", sorted(KINDS))
@pytest.mark.parametrize(("field", "change", "reasons"), BODY_CASES,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BODY_CASES)])
def test_changed_body_field(case: Case, seq: int, field: str,
                            change: Callable[[Any], Any], reasons: tuple[str, ...]) -> None:
    body = case.raw.body(seq)
    body[field] = change(body[field])
    case.raw.put_body(seq, body)
    assert_broken(case, seq, *reasons)


@pytest.mark.parametrize("seq", sorted(KINDS))
def test_changed_hash_column(case: Case, seq: int) -> None:
    case.raw.set_column(seq, "hash", "0" * 64)
    assert_broken(case, seq, "content changed")


@pytest.mark.parametrize("seq", sorted(KINDS))
def test_hash_column_of_another_entry(case: Case, seq: int) -> None:
    case.raw.set_column(seq, "hash", case.raw.hash((seq + 2) % (LAST + 1)))
    assert_broken(case, seq, "content changed", "reordered")


@pytest.mark.parametrize("seq", [s for s in sorted(KINDS) if s != LAST])
def test_rehashed_change_breaks_the_next_link(case: Case, seq: int) -> None:
    """A forger who re-hashes the changed entry still breaks the link of the next one."""
    body = case.raw.body(seq)
    body["record"]["created_at"] = "2020-01-01T00:00:00.000000Z"
    body["record"].pop("completed_at", None)
    case.raw.put_body(seq, body, rehash=True)
    assert_broken(case, seq + 1, "link broken")


def test_rehashed_last_entry_disagrees_with_the_recorded_head(case: Case) -> None:
    body = case.raw.body(LAST)
    body["record"]["final_answer"] = "a different answer"
    case.raw.put_body(LAST, body, rehash=True)
    assert_broken(case, LAST, "content changed")


# -- index columns (not hashed: they must agree with the hashed body) ----------------------------

@pytest.mark.parametrize("seq", sorted(KINDS))
def test_kind_column_changed(case: Case, seq: int) -> None:
    case.raw.set_column(seq, "kind", "api_call" if KINDS[seq] != "api_call" else "step")
    assert_broken(case, seq, "content changed")


@pytest.mark.parametrize("seq", sorted(KINDS))
@pytest.mark.parametrize("column", ["tenant_id", "trace_id"])
def test_entry_moved_out_of_the_trace(case: Case, seq: int, column: str) -> None:
    case.raw.set_column(seq, column, OTHER_TENANT if column == "tenant_id" else "trace-x")
    assert_broken(case, seq, "entry missing")


def test_entry_moved_into_another_trace_is_named_there(case: Case) -> None:
    """The parent trace gets a copy of the child's step 1 at its next seq."""
    case.raw.db.execute("UPDATE entries SET trace_id = ?, seq = 2 WHERE trace_id = ? AND seq = ?",
                        (case.built.parent, case.built.child, SEQ_STEP_FULL))
    v = case.service.verify_trace(TENANT, case.built.parent)
    assert not v.valid and v.first_broken_seq == 2
    assert v.reason is not None and v.reason.startswith("wrong trace")
    c = case.service.verify_trace(TENANT, case.built.child)
    assert not c.valid and c.first_broken_seq == SEQ_STEP_FULL
    assert c.reason is not None and c.reason.startswith("entry missing")
    s = case.service.verify_session(TENANT, SESSION)  # the parent is older: named first
    assert not s.valid and (s.trace_id, s.first_broken_seq) == (case.built.parent, 2)


# -- deleted, inserted, reordered entries -----------------------------------------------------

@pytest.mark.parametrize("seq", sorted(KINDS), ids=[f"{KINDS[s]}@{s}" for s in sorted(KINDS)])
def test_deleted_entry(case: Case, seq: int) -> None:
    case.raw.delete(seq)
    assert_broken(case, seq, "entry missing")


def test_deleted_entries_from_the_end(case: Case) -> None:
    case.raw.delete(LAST)
    case.raw.delete(LAST - 1)
    assert_broken(case, LAST - 1, "entry missing")


def test_all_entries_deleted(case: Case) -> None:
    for seq in sorted(KINDS):
        case.raw.delete(seq)
    assert_broken(case, 0, "entry missing")


def forged_step(c: Case, seq: int, prev_hash: str) -> ChainEntry:
    return seal(TENANT, c.built.child, seq, prev_hash, "step", {
        "step_id": "step-forged", "step_type": "Decision", "step_index": 1,
        "content": "approve the refund", "created_at": "2025-05-01T09:02:30.000000Z"})


@pytest.mark.parametrize("at", [1, 3, LAST])
def test_inserted_entry_shifting_later_rows(case: Case, at: int) -> None:
    """A correctly hashed forged entry linked to its predecessor; later rows moved up one seq."""
    case.raw.insert(forged_step(case, at, case.raw.hash(at - 1)), shift_from=at)
    assert_broken(case, at, "entry inserted")


def test_inserted_entry_after_the_head(case: Case) -> None:
    """A correctly linked, correctly hashed entry appended behind the store's back."""
    case.raw.insert(forged_step(case, LAST + 1, case.raw.hash(LAST)))
    assert_broken(case, LAST + 1, "entry inserted")


def test_inserted_entry_with_a_bad_link(case: Case) -> None:
    case.raw.insert(forged_step(case, 2, "a" * 64), shift_from=2)
    assert_broken(case, 2, "entry inserted", "content changed", "link broken")


@pytest.mark.parametrize(("a", "b"), [(1, 2), (2, 3), (3, 4), (4, 5), (1, 4), (0, 1), (2, 5)])
def test_reordered_entries(case: Case, a: int, b: int) -> None:
    case.raw.swap(a, b)
    assert_broken(case, a, "reordered")


def test_reordered_with_rewritten_seqs(case: Case) -> None:
    """Rows swapped and each body rewritten to claim its new position (hashes kept)."""
    a, b = 2, 3
    body_a, body_b = case.raw.body(a), case.raw.body(b)
    case.raw.swap(a, b)
    body_a["seq"], body_b["seq"] = b, a
    case.raw.put_body(b, body_a)
    case.raw.put_body(a, body_b)
    assert_broken(case, a, "reordered", "content changed")


def test_middle_entry_moved_to_the_end(case: Case) -> None:
    case.raw.set_column(2, "seq", LAST + 1)
    assert_broken(case, 2, "reordered")
