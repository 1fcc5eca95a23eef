"""Runs waiting for human input: pausing a trace with a question and resuming it with the
answer. Both are human input entries of the trace's chain, so the pause is part of the
record, and every backend derives the trace's status from them the same way
(:func:`tracegraph.schema.records.open_questions_after`): the trace is ``paused`` while a
question waits for its answer, and ``active`` again once every question has one.
"""

from __future__ import annotations

from tracegraph.schema.enums import TraceStatus
from tracegraph.schema.errors import InvalidInput, TraceNotFound
from tracegraph.schema.inputs import AnswerInput, HumanInputInput
from tracegraph.schema.records import AWAITING_ANSWER, open_questions_after
from tracegraph.schema.views import HumanInputView

from .traces import TraceService


def pause_trace(service: TraceService, tenant_id: str, trace_id: str,
                asked: HumanInputInput) -> HumanInputView:
    """Record the question ``asked`` as waiting for a human's answer: the trace is paused
    until the answer is recorded (:func:`resume_trace`, or a human input answering it)."""
    if asked.answer is not None:
        raise InvalidInput("answer: a pause records a question that waits for its answer; "
                           "record the answer with resumeTrace", field="answer")
    return service.record_human_input(tenant_id, trace_id, asked)


def open_question(service: TraceService, tenant_id: str, trace_id: str) -> HumanInputView | None:
    """The trace's latest question still waiting for its answer (``None``: none waits)."""
    inputs = service.human_inputs(tenant_id, [trace_id]).get(trace_id, [])
    waiting = open_questions_after((), ({
        "input_id": h.input_id, AWAITING_ANSWER: h.awaiting_answer,
        "answers_input_id": h.answers_input_id} for h in inputs))
    return next((h for h in inputs if h.input_id == waiting[-1]), None) if waiting else None


def resume_trace(service: TraceService, tenant_id: str, trace_id: str,
                 answer: AnswerInput) -> HumanInputView:
    """Record ``answer`` to the paused trace's latest open question: the trace is active
    again unless another question still waits.

    ``InvalidInput`` (field ``traceId``) when the trace is not paused."""
    trace = service.get_trace(tenant_id, trace_id)
    if trace is None:
        raise TraceNotFound(f"trace {trace_id} not found")
    asked = open_question(service, tenant_id, trace_id)
    if trace.status != TraceStatus.PAUSED.value or asked is None:
        raise InvalidInput(f"traceId: trace {trace_id} is {trace.status}, not paused: no "
                           "question waits for an answer", field="traceId")
    return service.record_human_input(tenant_id, trace_id, HumanInputInput(
        question=asked.question or "", answer=answer.answer, answered_by=answer.answered_by,
        answered_at=answer.answered_at, step_id=asked.step_id,
        answers_input_id=asked.input_id))
