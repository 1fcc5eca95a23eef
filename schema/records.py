"""Stored records: how inputs become chain-entry records, and the read models built from them.

A record is the ``record`` object of a chain entry: snake_case keys, null fields omitted,
timestamps as ISO 8601 UTC strings, integral floats as ints. Read models (``Step``,
``ApiCall``...) are pydantic models rebuilt from entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from .canonical import json_number
from .chain import ChainEntry
from .enums import EntryKind, TraceStatus
from .inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
    utc_iso,
)
from .policy import DEFAULT_POLICY, StoragePolicy
from .redaction_split import across, across_items

#: List fields that are left out when empty (JSON payloads keep ``[]`` and ``{}`` as given).
_OMIT_EMPTY = frozenset({"alternatives_considered", "depends_on", "model_ids_used", "path_taken"})


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    """Drop nulls and empty id/text lists; normalise floats. Records never hold nulls."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if v is None or (type(v) is list and not v and k in _OMIT_EMPTY):
            continue
        out[k] = json_number(v) if type(v) is float else v
    return out


#: Places in a step's stored tuple (see :func:`step_record`) of the values a token cut across
#: two fields is looked for in: content, input and output data (when a string), summaries,
#: selected alternative and model id.
_STEP_TEXTS = (0, 1, 2, 3, 4, 6, 8)


def _across(policy: StoragePolicy, fields: dict[str, str | None]) -> dict[str, str | None]:
    """The stored text fields of a record (field -> the value as sent), each through
    ``policy.text``, and a token cut across two of them replaced
    (:func:`~.redaction_split.across`)."""
    given = list(fields.values())
    stored = [policy.text(v) for v in given]
    return dict(zip(fields, across(stored, given), strict=True))


def reasoning_hash(text: str) -> str:
    """SHA-256 of a step's text, used to find duplicate reasoning."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def trace_started_record(
    inp: StartTraceInput, *, session_id: str, include_reasoning: bool = True,
    policy: StoragePolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    return _compact({
        "session_id": session_id,
        "agent_id": inp.agent_id,
        **_across(policy, {"actor_urn": inp.actor_urn, "goal": inp.goal}),
        "parent_trace_id": inp.parent_trace_id,
        "spawned_by_step_id": inp.spawned_by_step_id,
        "metadata": policy.json(inp.metadata),
        "include_reasoning_trace": None if include_reasoning else False,
        "created_at": policy.time(inp.created_at),
    })


def step_record(
    inp: StepInput, *, step_id: str, include_reasoning: bool = True,
    policy: StoragePolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """The record of a step, without ``step_index`` (the store assigns it under its lock).

    Text and JSON pass through the storage policy (redaction, then truncation) before
    anything is hashed. Without ``include_reasoning`` (an agent that opted out) only the
    step's shape is kept: type, timing, model, token usage and dependencies.
    """
    given = (inp.content, inp.input_data, inp.output_data, inp.input_summary,
             inp.output_summary, inp.alternatives_considered, inp.selected_alternative,
             inp.metadata, inp.model_id)
    stored: tuple[Any, ...]
    if not include_reasoning:
        stored = (None,) * (len(given) - 1) + (policy.text(inp.model_id),)
    elif policy.untouched(given):  # the common case: nothing to redact or truncate
        stored = (*given[:5], list(inp.alternatives_considered), *given[6:])
    else:
        stored = (policy.text(inp.content), policy.json(inp.input_data),
                  policy.json(inp.output_data), policy.text(inp.input_summary),
                  policy.text(inp.output_summary), policy.texts(list(inp.alternatives_considered)),
                  policy.text(inp.selected_alternative), policy.json(inp.metadata),
                  policy.text(inp.model_id))
    content, input_data, output_data, input_summary, output_summary, alternatives, selected, \
        metadata, model_id = across_items(stored, given, _STEP_TEXTS)
    return _compact({
        "step_id": step_id,
        "step_type": inp.step_type,
        "content": content,
        "reasoning_hash": reasoning_hash(content) if content is not None else None,
        "input_data": input_data,
        "output_data": output_data,
        "input_summary": input_summary,
        "output_summary": output_summary,
        "alternatives_considered": alternatives,
        "selected_alternative": selected,
        "confidence": inp.confidence,
        "duration_ms": inp.duration_ms,
        "model_id": model_id,
        "input_tokens": inp.input_tokens,
        "output_tokens": inp.output_tokens,
        "thinking_tokens": inp.thinking_tokens,
        "depends_on": list(inp.depends_on),
        "metadata": metadata,
        "created_at": policy.time(inp.created_at),
    })


def api_call_record(
    inp: ApiCallInput, *, call_id: str, policy: StoragePolicy = DEFAULT_POLICY
) -> dict[str, Any]:
    return _compact({
        "call_id": call_id,
        "step_id": inp.step_id,
        **_across(policy, {"api_type": inp.api_type, "endpoint": inp.endpoint,
                           "method": inp.method, "error": inp.error}),
        "status_code": inp.status_code,
        "latency_ms": inp.latency_ms,
        "request_tokens": inp.request_tokens,
        "response_tokens": inp.response_tokens,
        "cost_usd": inp.cost_usd,
        "created_at": policy.time(inp.created_at),
    })


#: Record key of a human input whose question waits for an answer: the trace is paused.
AWAITING_ANSWER = "awaiting_answer"


def open_questions_after(open_ids: Iterable[str],
                         records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The input ids of a trace's questions still waiting for an answer after its human
    input ``records`` (chain order), from ``open_ids``, those waiting before them (oldest
    first): the rule every backend's append and verification apply
    (:func:`tracegraph.graph.append_plan.plan_append`, ``api/service/derived.py``).

    A question recorded without its answer waits. An answer closes the question it names
    (``answers_input_id``); an answered exchange that names none answers the latest waiting
    question, as ``resumeTrace`` does. The trace is paused while any question waits
    (:func:`questions_status`).

    >>> open_questions_after([], [{"input_id": "q1", "awaiting_answer": True},
    ...                           {"input_id": "q2", "awaiting_answer": True},
    ...                           {"input_id": "a1", "answers_input_id": "q1"}])
    ['q2']
    >>> open_questions_after(["q1", "q2"], [{"input_id": "a", "answer": "yes"}])
    ['q1']
    """
    waiting = dict.fromkeys(open_ids)
    for r in records:
        if r.get(AWAITING_ANSWER):
            waiting[str(r["input_id"])] = None
            continue
        asked = r.get("answers_input_id")
        if asked is not None:
            waiting.pop(str(asked), None)
        elif waiting:
            waiting.popitem()
    return list(waiting)


def questions_status(open_ids: Sequence[str]) -> str:
    """The status a trace's human inputs leave: ``paused`` while a question waits.

    >>> questions_status(["q1"]), questions_status([])
    ('paused', 'active')
    """
    return (TraceStatus.PAUSED if open_ids else TraceStatus.ACTIVE).value


def human_input_record(
    inp: HumanInputInput, *, input_id: str, include_reasoning: bool = True,
    policy: StoragePolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    return _compact({
        "input_id": input_id,
        "step_id": inp.step_id,
        **_across(policy, {"question": inp.question if include_reasoning else None,
                           "answer": inp.answer if include_reasoning else None,
                           "answered_by": inp.answered_by}),
        "answered_at": policy.time(inp.answered_at, field="answeredAt") if inp.answered_at
        else None,
        "answers_input_id": inp.answers_input_id,
        # decided from the input, so a trace that stores no reasoning content pauses too
        AWAITING_ANSWER: True if inp.answer is None else None,
        "created_at": utc_iso(),
    })


class Totals(BaseModel):
    """Rollup of token usage, cost and step time."""

    model_config = ConfigDict(frozen=True)

    thinking_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    duration_ms: float = 0.0
    step_count: int = 0
    api_call_count: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            thinking_tokens=self.thinking_tokens + other.thinking_tokens,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 10),
            duration_ms=self.duration_ms + other.duration_ms,
            step_count=self.step_count + other.step_count,
            api_call_count=self.api_call_count + other.api_call_count,
        )


def rollup(entries: list[ChainEntry]) -> tuple[Totals, list[str], list[str]]:
    """Totals, model ids used (first-use order) and path taken (step types in order).

    Tokens come from steps (input, output, thinking); API calls add their request and
    response tokens only when they are not tied to a step that already reported usage;
    cost comes from API calls; duration is the sum of step durations.
    """
    thinking = inp = out = steps = calls = 0
    cost = duration = 0.0
    models: dict[str, None] = {}
    path: list[str] = []
    steps_with_usage: set[str] = set()
    for e in entries:
        r = e.record
        if e.kind == EntryKind.STEP:
            steps += 1
            path.append(r["step_type"])
            thinking += r.get("thinking_tokens", 0)
            if "input_tokens" in r or "output_tokens" in r:
                steps_with_usage.add(r["step_id"])
            inp += r.get("input_tokens", 0)
            out += r.get("output_tokens", 0)
            duration += r.get("duration_ms", 0)
            if "model_id" in r:
                models[r["model_id"]] = None
    for e in entries:
        if e.kind == EntryKind.API_CALL:
            r = e.record
            calls += 1
            cost += r.get("cost_usd", 0)
            if r.get("step_id") not in steps_with_usage:
                inp += r.get("request_tokens", 0)
                out += r.get("response_tokens", 0)
    totals = Totals(
        thinking_tokens=thinking, input_tokens=inp, output_tokens=out,
        cost_usd=round(cost, 10), duration_ms=duration, step_count=steps, api_call_count=calls,
    )
    return totals, list(models), path


def completion_record(
    inp: CompleteTraceInput, *, status: str, totals: Totals, models: list[str], path: list[str],
    policy: StoragePolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    return _compact({
        "status": status,
        "outcome": inp.outcome.value,
        **_across(policy, {"final_answer": inp.final_answer,
                           "error_details": inp.error_details}),
        "confidence": inp.confidence,
        "completed_at": utc_iso(),
        "totals": _compact(totals.model_dump()),
        "model_ids_used": models,
        "path_taken": path,
    })
