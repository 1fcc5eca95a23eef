"""What an OTLP span becomes: a trace (agent and root spans) or a step, with its API call.

The table is documented in docs/otlp.md. OpenInference attributes
(``openinference.span.kind``, ``input.value``, ``llm.token_count.*``) and OpenTelemetry
GenAI semantic conventions (``gen_ai.operation.name``, ``gen_ai.usage.*``) are both read;
where both name a value, GenAI wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from tracegraph.schema.enums import Outcome
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    StartTraceInput,
    StepInput,
    vouch_ids,
)

from .decode import Span

#: OpenInference span kind -> step type (LLM steps are Reasoning; see docs/otlp.md).
STEP_TYPE_OF_KIND = {
    "LLM": "Reasoning", "TOOL": "ToolCall", "CHAIN": "PlanStep", "RETRIEVER": "Observation",
    "EMBEDDING": "Embedding", "RERANKER": "Rerank", "GUARDRAIL": "Guardrail",
    "EVALUATOR": "Evaluation", "AGENT": "Action",
}
#: GenAI ``gen_ai.operation.name`` -> OpenInference kind.
KIND_OF_OPERATION = {
    "invoke_agent": "AGENT", "create_agent": "AGENT", "execute_tool": "TOOL",
    "chat": "LLM", "text_completion": "LLM", "generate_content": "LLM",
    "embeddings": "EMBEDDING",
}
#: Attributes kept out of a step's ``metadata.attributes`` (they are its content already).
_CONTENT_PREFIXES = ("input.", "output.", "llm.input_messages", "llm.output_messages",
                     "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt",
                     "gen_ai.completion")
_NOT_ID = re.compile(r"[^A-Za-z0-9._:@\-]")


def span_kind(span: Span) -> str:
    """The span's OpenInference kind (from ``gen_ai.operation.name`` when absent); ``""``
    when it names none."""
    kind = span.attributes.get("openinference.span.kind")
    if isinstance(kind, str) and kind:
        return kind.upper()
    op = span.attributes.get("gen_ai.operation.name")
    return KIND_OF_OPERATION.get(op, "") if isinstance(op, str) else ""


def is_agent(span: Span) -> bool:
    """Agent spans and root spans become traces; every other span a step."""
    return span.parent_id is None or span_kind(span) == "AGENT"


#: What a span's trace id gets after it as the id of its step, and of its API call.
STEP_SUFFIX, CALL_SUFFIX = ".step", ".call"


def trace_id_for(otel_trace: str, span_id: str) -> str:
    """The tracegraph trace id of span ``span_id`` of an OTLP trace, when it is an agent or
    root span (deterministic: re-sends match); its step's id adds :data:`STEP_SUFFIX`."""
    return f"otel-{otel_trace}-{span_id}"


def trace_id_of(span: Span) -> str:
    return trace_id_for(span.trace_id, span.span_id)


def step_id_of(span: Span) -> str:
    return trace_id_for(span.trace_id, span.span_id) + STEP_SUFFIX


def call_id_of(span: Span) -> str:
    return trace_id_for(span.trace_id, span.span_id) + CALL_SUFFIX


def vouch_span_ids(spans: Iterable[Span]) -> None:
    """Look for secrets in the ids ``spans`` become (trace ids of agent spans, step and
    call ids of the others) in one scan before they are mapped (:func:`~tracegraph.schema.
    inputs.vouch_ids`): the same answers as the check of each id alone, for less."""
    ids: list[str] = []
    for s in spans:
        base = trace_id_of(s)
        if is_agent(s):
            ids.append(base)
        else:
            ids += (base + STEP_SUFFIX, base + CALL_SUFFIX)
    if ids:
        vouch_ids(ids)


def _as_id(value: Any) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        return None
    text = _NOT_ID.sub("-", str(value))[:128]
    return text if text[0].isalnum() else "a" + text[:127]


def _first(attrs: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        v = attrs.get(k)
        if v is not None and v != "":
            return v
    return None


def _payload(value: Any, mime: Any) -> Any:
    """A span's input or output value: parsed when it is JSON, else the text."""
    if isinstance(value, str) and (mime == "application/json" or value[:1] in ("{", "[")):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _time(ns: int) -> datetime | None:
    return datetime.fromtimestamp(ns / 1e9, UTC) if ns > 0 else None


def _duration_ms(span: Span) -> float | None:
    return (span.end_ns - span.start_ns) / 1e6 if span.end_ns >= span.start_ns > 0 else None


def _io(span: Span) -> tuple[Any, Any]:
    a = span.attributes
    inp = _payload(_first(a, "input.value", "gen_ai.input.messages", "gen_ai.prompt"),
                   a.get("input.mime_type"))
    out = _payload(_first(a, "output.value", "gen_ai.output.messages", "gen_ai.completion"),
                   a.get("output.mime_type"))
    return inp, out


def _otel_meta(span: Span, kind: str | None) -> dict[str, Any]:
    """The span as metadata keeps it (``kind``: :func:`span_kind` of it)."""
    meta: dict[str, Any] = {"traceId": span.trace_id, "spanId": span.span_id,
                            "name": span.name}
    if span.parent_id:
        meta["parentSpanId"] = span.parent_id
    if kind:
        meta["kind"] = kind
    if span.service_name:
        meta["service"] = span.service_name
    return meta


def start_input(span: Span, *, parent_trace_id: str | None,
                spawned_by_step_id: str | None) -> StartTraceInput:
    """The start of the trace an agent or root span becomes."""
    a = span.attributes
    inp, _ = _io(span)
    agent = _as_id(_first(a, "gen_ai.agent.name", "gen_ai.agent.id", "agent.name",
                          "service.name")) or _as_id(span.name)
    session = _as_id(_first(a, "session.id", "gen_ai.conversation.id"))
    if session is None and parent_trace_id is None:
        session = f"otel-{span.trace_id}"
    metadata = {"otel": _otel_meta(span, span_kind(span))}
    agent_id = _first(a, "gen_ai.agent.id")
    if agent_id is not None:
        metadata["otel"]["agentId"] = agent_id
    return StartTraceInput(
        trace_id=trace_id_of(span), session_id=session, agent_id=agent,
        goal=_text(inp) if inp is not None else span.name,
        parent_trace_id=parent_trace_id, spawned_by_step_id=spawned_by_step_id,
        metadata=metadata, created_at=_time(span.start_ns))


def complete_input(span: Span) -> CompleteTraceInput:
    """The completion of an agent or root span's trace: failed when its status is ERROR."""
    _, out = _io(span)
    if span.error:
        return CompleteTraceInput(outcome=Outcome.FAILURE, final_answer=_text(out),
                                  error_details=span.status_message or "span status ERROR")
    return CompleteTraceInput(outcome=Outcome.SUCCESS, final_answer=_text(out))


def step_and_call(span: Span, *, depends_on: str | None
                  ) -> tuple[StepInput, ApiCallInput | None]:
    """The step a non-agent span becomes (an ``Error`` step when its status is ERROR) and,
    for an LLM or tool span, its API call (tied to the step), else ``None``.

    One pass over the span for both: the kind, timing and token usage read once. Both are
    validated from camelCase keys, which pydantic looks up first (errors are named by field
    again in :func:`.ingest._first_error`)."""
    a = span.attributes
    get = a.get
    kind = span_kind(span)
    inp, out = _io(span)
    error = span.error
    step_type = "Error" if error else STEP_TYPE_OF_KIND.get(kind, "Action")
    kept = {k: v for k, v in a.items() if not k.startswith(_CONTENT_PREFIXES)}
    meta: dict[str, Any] = {"otel": _otel_meta(span, kind)}
    if kept:
        meta["attributes"] = kept
    content = span.status_message if error and span.status_message else span.name
    model = _first(a, "gen_ai.response.model", "gen_ai.request.model", "llm.model_name")
    tokens_in = _int(_first(a, "gen_ai.usage.input_tokens", "llm.token_count.prompt"))
    tokens_out = _int(_first(a, "gen_ai.usage.output_tokens", "llm.token_count.completion"))
    duration = _duration_ms(span)
    created = _time(span.start_ns)
    step_id = step_id_of(span)
    step = StepInput.model_validate({
        "stepId": step_id, "stepType": step_type, "content": content,
        "inputData": inp, "outputData": out, "durationMs": duration,
        "modelId": str(model)[:256] if model is not None else None,
        "inputTokens": tokens_in, "outputTokens": tokens_out,
        "dependsOn": [depends_on] if depends_on else [], "metadata": meta,
        "createdAt": created})
    if kind == "TOOL":
        endpoint = _first(a, "gen_ai.tool.name", "tool.name") or span.name
    elif kind == "LLM":
        endpoint = model or span.name
    else:
        return step, None
    cost = get("gen_ai.usage.cost")
    if cost is None or cost == "":
        cost = get("llm.cost.total")
    call = ApiCallInput.model_validate({
        "stepId": step_id, "callId": call_id_of(span),
        "apiType": "tool" if kind == "TOOL" else "llm",
        "endpoint": str(endpoint)[:512], "latencyMs": duration,
        "requestTokens": tokens_in, "responseTokens": tokens_out,
        "costUsd": float(cost) if isinstance(cost, int | float) else None,
        "error": (span.status_message or "span status ERROR") if error else None,
        "createdAt": created})
    return step, call
