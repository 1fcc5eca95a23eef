"""Conformance: a run waiting for human input is paused on every backend.

The status is derived data: each backend sets it from the human input entries the append
plan reads (a question waiting for its answer pauses the trace, an answer resumes it), so
the listing by status, the trace row and a reopened store agree everywhere, and a question
and its answer stay in the verified chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tracegraph.api.service import TraceQuery, TraceService
from tracegraph.api.service.audit import AuditService
from tracegraph.api.service.pauses import open_question, pause_trace, resume_trace
from tracegraph.api.service.runs import list_runs
from tracegraph.api.service.sessions import log_session_step
from tracegraph.api.service.signing import LogSigning
from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.enums import Outcome
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.inputs import (
    AnswerInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

from .harness import Harness


def _status(service: TraceService, tenant: str, trace_id: str) -> str:
    view = service.get_trace(tenant, trace_id)
    assert view is not None
    return view.status


def _listed(service: TraceService, tenant: str, status: str) -> list[str]:
    page = service.list_traces(tenant, TraceQuery(status=status), first=100)
    return [t.trace_id for t in page.traces]


def test_question_pauses_and_answer_resumes(service: TraceService, tenant: str,
                                            harness: Harness) -> None:
    trace = service.start_trace(tenant, StartTraceInput(goal="refund")).trace_id
    (step,) = service.record_steps(tenant, trace, [StepInput(step_type="Decision")])
    asked = service.record_human_input(tenant, trace, HumanInputInput(
        question="Refund 49.99?", step_id=step.step_id))
    assert asked.awaiting_answer
    assert _status(service, tenant, trace) == "paused"
    assert _listed(service, tenant, "paused") == [trace]
    assert _listed(service, tenant, "active") == []
    assert [r.trace_id for r in list_runs(service, tenant, state="paused").runs] == [trace]
    # a paused run still takes entries (its agent may log while it waits) and stays paused
    service.record_steps(tenant, trace, [StepInput(step_type="Observation")])
    assert _status(service, tenant, trace) == "paused"
    reopened = harness.open()
    assert reopened.get_traces(tenant, [trace])[trace].status == "paused"
    answer = service.record_human_input(tenant, trace, HumanInputInput(
        question="Refund 49.99?", answer="yes", answered_by="alice",
        answers_input_id=asked.input_id))
    assert not answer.awaiting_answer and answer.answers_input_id == asked.input_id
    assert _status(service, tenant, trace) == "active"
    assert _listed(service, tenant, "paused") == []
    assert _listed(service, tenant, "active") == [trace]
    service.complete_trace(tenant, trace, CompleteTraceInput(outcome=Outcome.SUCCESS))
    assert _status(service, tenant, trace) == "completed"
    assert service.verify_trace(tenant, trace).valid


def test_pause_and_resume_by_service_call(service: TraceService, tenant: str) -> None:
    trace = service.start_trace(tenant, StartTraceInput()).trace_id
    with pytest.raises(InvalidInput, match="not paused"):
        resume_trace(service, tenant, trace, AnswerInput(answer="early"))
    asked = pause_trace(service, tenant, trace, HumanInputInput(question="Approve?"))
    assert _status(service, tenant, trace) == "paused"
    assert open_question(service, tenant, trace) == asked
    answer = resume_trace(service, tenant, trace, AnswerInput(answer="approved",
                                                              answered_by="bob"))
    assert (answer.answers_input_id, answer.question, answer.answer) == (
        asked.input_id, "Approve?", "approved")
    assert _status(service, tenant, trace) == "active"
    assert open_question(service, tenant, trace) is None
    inputs = service.human_inputs(tenant, [trace])[trace]
    assert [h.awaiting_answer for h in inputs] == [True, False]


def test_started_and_paused_in_one_batch(store: GraphStore, tenant: str) -> None:
    """The plan's rule, not the service, decides: a start and a waiting question appended
    together leave a paused trace; a completion in the same batch wins."""
    start = ("trace_started", {"session_id": "s", "created_at": "2026-01-01T00:00:00Z"})
    question = ("human_input", {"input_id": f"{tenant}-q", "question": "ok?",
                                "awaiting_answer": True,
                                "created_at": "2026-01-01T00:00:01Z"})
    store.append(tenant, f"{tenant}-one", [start, question])
    assert store.get_traces(tenant, [f"{tenant}-one"])[f"{tenant}-one"].status == "paused"
    done = ("trace_completed", {"status": "failed", "outcome": "failure",
                                "completed_at": "2026-01-01T00:00:02Z"})
    q2 = ("human_input", {**question[1], "input_id": f"{tenant}-q2"})
    store.append(tenant, f"{tenant}-two", [start, q2, done])
    assert store.get_traces(tenant, [f"{tenant}-two"])[f"{tenant}-two"].status == "failed"


def test_answer_must_name_a_question_of_the_trace(service: TraceService, tenant: str) -> None:
    a = service.start_trace(tenant, StartTraceInput()).trace_id
    b = service.start_trace(tenant, StartTraceInput()).trace_id
    asked = service.record_human_input(tenant, a, HumanInputInput(question="?"))
    with pytest.raises(InvalidInput, match="answersInputId"):
        service.record_human_input(tenant, b, HumanInputInput(
            question="?", answer="x", answers_input_id=asked.input_id))
    with pytest.raises(InvalidInput, match="answer: required"):
        service.record_human_input(tenant, a, HumanInputInput(
            question="?", answers_input_id=asked.input_id))
    assert _status(service, tenant, a) == "paused" and _status(service, tenant, b) == "active"


def test_opted_out_trace_pauses_too(service: TraceService, tenant: str) -> None:
    """No reasoning content stored (question and answer dropped), the pause still is."""
    trace = service.start_trace(tenant, StartTraceInput(
        include_reasoning_trace=False)).trace_id
    asked = service.record_human_input(tenant, trace, HumanInputInput(question="secret?"))
    assert asked.question is None and _status(service, tenant, trace) == "paused"
    resume_trace(service, tenant, trace, AnswerInput(answer="secret answer"))
    assert _status(service, tenant, trace) == "active"


def test_session_steps_continue_a_paused_trace(service: TraceService, tenant: str) -> None:
    first = log_session_step(service, tenant, f"{tenant}-s", StepInput(step_type="Reasoning"))
    pause_trace(service, tenant, first.trace_id, HumanInputInput(question="go on?"))
    second = log_session_step(service, tenant, f"{tenant}-s", StepInput(step_type="Reasoning"))
    assert second.trace_id == first.trace_id


def test_paused_trace_verifies_against_the_log(harness: Harness, tenant: str,
                                               tmp_path: Path) -> None:
    """The audit recomputes the status from the hashed records by the plan's rule: a paused
    trace, and one resumed, verify (the status row is not taken for tampering), while a
    status row changed behind the store's back still is caught by the tamper matrix."""
    audit = AuditService(TraceService(harness.open()),
                         LogSigning.load(key_dir=tmp_path / "keys", environ={}))
    service = audit.service
    paused = service.start_trace(tenant, StartTraceInput(session_id="p")).trace_id
    pause_trace(service, tenant, paused, HumanInputInput(question="Approve?"))
    resumed = service.start_trace(tenant, StartTraceInput(session_id="p")).trace_id
    pause_trace(service, tenant, resumed, HumanInputInput(question="Ship?"))
    resume_trace(service, tenant, resumed, AnswerInput(answer="yes"))
    assert (_status(service, tenant, paused), _status(service, tenant, resumed)) == (
        "paused", "active")
    for checked in ((), ("checkpoint",)):
        if checked:
            audit.create_checkpoint(tenant)
        for v in (audit.verify_trace(tenant, paused), audit.verify_session(tenant, "p"),
                  audit.verify_tenant(tenant)):
            assert v.valid and v.log_checked, v.reason
    harness.set_trace_column(paused, "status", "active")  # the pause undone behind its back
    harness.set_trace_column(resumed, "status", "paused")
    harness.reopen()
    audit = AuditService(TraceService(harness.open()), audit.signing)
    for trace, row, records in ((paused, "active", "paused"), (resumed, "paused", "active")):
        v = audit.verify_trace(tenant, trace)
        assert not v.valid and v.reason is not None
        assert f"status is {row!r}, the hashed records say {records!r}" in v.reason


def test_a_run_stays_paused_while_any_question_waits(harness: Harness, tenant: str,
                                                     tmp_path: Path) -> None:
    """Two questions: answering one leaves the run paused; it resumes when both have their
    answer. An answered exchange that names no question answers the latest waiting one (as
    resumeTrace does). The stored state survives a reopen, and the audit agrees."""
    audit = AuditService(TraceService(harness.open()),
                         LogSigning.load(key_dir=tmp_path / "keys", environ={}))
    service = audit.service
    trace = service.start_trace(tenant, StartTraceInput(session_id="two")).trace_id
    q1 = pause_trace(service, tenant, trace, HumanInputInput(question="Refund?"))
    q2 = pause_trace(service, tenant, trace, HumanInputInput(question="Notify?"))
    service.record_human_input(tenant, trace, HumanInputInput(
        question="Refund?", answer="yes", answers_input_id=q1.input_id))
    assert _status(service, tenant, trace) == "paused"
    assert open_question(service, tenant, trace) == q2
    assert audit.verify_trace(tenant, trace).valid
    service = TraceService(harness.open())  # (what the store kept, not this process)
    q3 = pause_trace(service, tenant, trace, HumanInputInput(question="Escalate?"))
    service.record_human_input(tenant, trace, HumanInputInput(question="Escalate?",
                                                              answer="no"))  # answers q3
    assert _status(service, tenant, trace) == "paused"
    assert open_question(service, tenant, trace) == q2 and q3.input_id != q2.input_id
    answer = resume_trace(service, tenant, trace, AnswerInput(answer="by mail"))
    assert answer.answers_input_id == q2.input_id
    assert _status(service, tenant, trace) == "active"
    assert open_question(service, tenant, trace) is None
    assert _listed(service, tenant, "paused") == []
    audit.create_checkpoint(tenant)
    for v in (audit.verify_trace(tenant, trace), audit.verify_tenant(tenant)):
        assert v.valid, v.reason
    # a question and its answer in one batch leave the run as it was
    pause_trace(service, tenant, trace, HumanInputInput(question="Again?"))
    assert _status(service, tenant, trace) == "paused"
