"""Conformance: appends read back, chains verify, tampering is found, nothing forks."""

from __future__ import annotations

import threading

import pytest
from tracegraph.api.service import TraceService
from tracegraph.schema.chain import seal
from tracegraph.schema.inputs import StartTraceInput, StepInput

from .builders import small_trace
from .harness import Harness


def test_append_and_read_back(service: TraceService, tenant: str) -> None:
    t = small_trace(service, tenant, steps=3)
    assert t.status == "completed" and t.outcome == "success" and t.final_answer == "42"
    # start + 3 steps + 1 decision + api call + human input + completion
    assert t.entry_count == 8
    steps = service.steps(tenant, [t.trace_id])[t.trace_id]
    assert [s.step_index for s in steps] == [0, 1, 2, 3]
    assert [s.seq for s in steps] == [1, 2, 3, 4]
    assert steps[1].content == "thought 1 ünïcødé ✓"
    assert steps[1].input_data == {"q": 1, "nested": {"x": [1, 2.5, None, True]}}
    assert steps[3].depends_on == [steps[0].step_id]
    assert steps[0].alternatives_considered == ["left", "right"]
    assert t.totals is not None and t.totals.input_tokens == 30
    assert t.path_taken == ["Reasoning", "Reasoning", "Reasoning", "Decision"]
    assert t.model_ids_used == ["model-a"]
    calls = service.api_calls(tenant, [t.trace_id])[t.trace_id]
    assert calls[0].cost_usd == 0.0125 and calls[0].step_id == steps[0].step_id
    assert service.human_inputs(tenant, [t.trace_id])[t.trace_id][0].answer == "yes"


def test_chain_verifies(service: TraceService, tenant: str) -> None:
    t = small_trace(service, tenant)
    v = service.verify_trace(tenant, t.trace_id)
    assert v.valid and v.entries_checked == t.entry_count and v.first_broken_seq is None
    assert v.head_hash == t.head_hash
    s = service.verify_session(tenant, "s1")
    assert s.valid and s.entries_checked == t.entry_count


@pytest.mark.parametrize("seq,key,value", [
    (0, "goal", "a different goal"),
    (2, "content", "rewritten thought"),
    (3, "confidence", 0.01),
    (5, "cost_usd", 0),
    (7, "final_answer", "43"),
])
def test_changed_field_is_named(harness: Harness, service: TraceService, tenant: str,
                                seq: int, key: str, value: object) -> None:
    t = small_trace(service, tenant)
    harness.change_record_field(t.trace_id, seq, key, value)
    v = service.verify_trace(tenant, t.trace_id)
    assert not v.valid and v.first_broken_seq == seq
    assert v.reason is not None and v.reason.startswith("content changed")


def test_deleted_entry_is_named(harness: Harness, service: TraceService, tenant: str) -> None:
    t = small_trace(service, tenant)
    harness.delete_entry(t.trace_id, 3)
    v = service.verify_trace(tenant, t.trace_id)
    assert not v.valid and v.first_broken_seq == 3
    assert v.reason is not None and v.reason.startswith("entry missing")


def test_deleted_last_entry_is_named(harness: Harness, service: TraceService, tenant: str
                                     ) -> None:
    t = small_trace(service, tenant)
    harness.delete_entry(t.trace_id, t.entry_count - 1)
    v = service.verify_trace(tenant, t.trace_id)
    assert not v.valid and v.first_broken_seq == t.entry_count - 1
    assert v.reason is not None and v.reason.startswith("entry missing")


def test_inserted_entry_is_named(harness: Harness, service: TraceService, tenant: str) -> None:
    t = small_trace(service, tenant)
    before = service.store.entries(tenant, [t.trace_id])[t.trace_id]
    forged = seal(tenant, t.trace_id, 3, before[2].hash, "step",
                  {"step_id": "forged-step", "step_type": "Decision", "step_index": 2,
                   "created_at": "2026-01-01T00:00:00.000000Z"})
    harness.insert_entry(forged)
    v = service.verify_trace(tenant, t.trace_id)
    assert not v.valid and v.first_broken_seq in (3, 4)
    assert v.reason is not None and v.reason.startswith(("entry inserted", "link broken"))


def test_reordered_entries_are_named(harness: Harness, service: TraceService, tenant: str
                                     ) -> None:
    t = small_trace(service, tenant)
    harness.swap_entries(t.trace_id, 2, 3)
    v = service.verify_trace(tenant, t.trace_id)
    assert not v.valid and v.first_broken_seq == 2
    assert v.reason is not None and v.reason.startswith("reordered")


@pytest.mark.parametrize("where", ["last", "middle"])
def test_renumbered_entries_are_named(harness: Harness, service: TraceService, tenant: str,
                                      where: str) -> None:
    """An entry filed under another seq is found even where the order stays the same (the
    last entry moved far ahead, or one moved into a gap of its own making)."""
    t = small_trace(service, tenant)
    last = t.entry_count - 1
    seq, new_seq = (last, last + 10_000) if where == "last" else (0, -5)
    harness.renumber_entry(t.trace_id, seq, new_seq)
    v = service.verify_trace(tenant, t.trace_id)
    assert not v.valid and v.first_broken_seq == seq
    assert v.reason is not None
    # (a backend whose stored position is the hashed seq itself sees the content changed)
    assert v.reason.startswith(("renumbered", "content changed")), v.reason


def test_session_verification_names_the_broken_trace(
    harness: Harness, service: TraceService, tenant: str
) -> None:
    small_trace(service, tenant, session="sess")
    bad = small_trace(service, tenant, session="sess")
    harness.change_record_field(bad.trace_id, 1, "content", "x")
    v = service.verify_session(tenant, "sess")
    assert not v.valid and v.trace_id == bad.trace_id and v.first_broken_seq == 1


def test_append_only_refusal(harness: Harness, service: TraceService, tenant: str) -> None:
    t = small_trace(service, tenant)
    update, delete = harness.refuses_update(t.trace_id, 1), harness.refuses_delete(t.trace_id, 1)
    if update is None and delete is None:
        pytest.skip(f"{harness.name} has no storage-level mechanism to refuse writes; "
                    "tampering is still detected by verification (tests above)")
    assert update in (True, None) and delete in (True, None)
    assert service.verify_trace(tenant, t.trace_id).valid


def test_concurrent_writers_never_fork(service: TraceService, tenant: str) -> None:
    t = service.start_trace(tenant, StartTraceInput(session_id="conc"))
    writers, per_writer = 32, 5
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def write(w: int) -> None:
        barrier.wait()
        for i in range(per_writer):
            try:
                service.record_steps(tenant, t.trace_id,
                                     [StepInput(step_type="Action", content=f"w{w} i{i}")])
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    entries = service.store.entries(tenant, [t.trace_id])[t.trace_id]
    assert [e.seq for e in entries] == list(range(1 + writers * per_writer))
    steps = service.steps(tenant, [t.trace_id])[t.trace_id]
    assert sorted(s.step_index for s in steps) == list(range(writers * per_writer))
    assert service.verify_trace(tenant, t.trace_id).valid


def test_restart_loses_nothing(harness: Harness, service: TraceService, tenant: str) -> None:
    t = small_trace(service, tenant, complete=False)
    harness.restart()
    again = TraceService(harness.open())
    view = again.get_trace(tenant, t.trace_id)
    assert view is not None and view.entry_count == t.entry_count
    assert view.head_hash == t.head_hash
    again.record_steps(tenant, t.trace_id, [StepInput(step_type="Summary", content="after")])
    assert again.verify_trace(tenant, t.trace_id).valid
