"""Bulk ingest over HTTP: ``POST /v1/ingest`` with NDJSON, one operation per line.

The path the SDK uses to send a whole run in one request. Each line is one JSON object
whose ``op`` names a service-layer operation; the other keys are that operation's input,
with the same names (camelCase or snake_case) and the same pydantic models
(:mod:`tracegraph.schema.inputs`) as the GraphQL mutations::

    {"op": "start_trace", "traceId": "run-1", "sessionId": "s-1", "agentId": "planner", ...}
    {"op": "record_steps", "traceId": "run-1", "steps": [{"stepType": "Reasoning", ...}, ...]}
    {"op": "record_api_call", "traceId": "run-1", "call": {"stepId": "s-0", "apiType": "llm"}}
    {"op": "record_api_calls", "traceId": "run-1", "calls": [{"stepId": "s-0"}, ...]}
    {"op": "record_human_input", "traceId": "run-1", "input": {"question": "...", "answer": "..."}}
    {"op": "record_iterations", "traceId": "run-1", "iterations": [{"iteration": 1, ...}]}
    {"op": "complete_trace", "traceId": "run-1", "outcome": "success", "finalAnswer": "..."}

``start_trace`` takes the fields of ``StartTraceInput`` (``traceId`` chooses the id, so
later lines can name it), ``complete_trace`` those of ``CompleteTraceInput``;
``record_api_calls`` stores several calls of a trace as one all-or-nothing batch;
``record_iterations`` stores seed 003's iterations (``{iteration, timestamp, thought,
action, action_input, observation, success}``) as the steps of
:mod:`tracegraph.schema.iteration`, read back losslessly by GraphQL ``Trace.iterations``.
Blank lines are skipped. The tenant comes from the same resolver as GraphQL (API key, or
``X-Org-Id`` in local mode).

**All or nothing.** The whole body is parsed and validated before anything is stored: a
line that is not JSON, names an unknown op or breaks a model's rule is answered with 400
naming the line and the field, in camelCase (``line 7: record_steps: steps[3].confidence:
Input should be less than or equal to 1``), and nothing of the request is stored. The
lines then run in order, each one atomic (a ``record_steps`` line is one all-or-nothing
batch). A line that fails when it
runs (an unknown trace, a ``dependsOn`` that names no stored step, a completed trace) stops
the request there with the error's status (400, 404, 409), its line number and the count
of lines before it, which are stored.

A 200 answer means every line is stored and readable: ``{"lines": n, "traces": ..., "steps":
..., "apiCalls": ..., "humanInputs": ..., "completed": ..., "heads": {traceId: headHash}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from tracegraph.schema.errors import InvalidInput, LimitExceeded, TraceGraphError
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    Id,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.iteration import Iteration, steps_from_iterations
from tracegraph.schema.limits import MAX_BATCH_STEPS, parse_json_exact

from .auth import Authenticator
from .auth_http import request_tenant
from .errors import error_response, validation_error
from .service import TraceService

BULK_PATH = "/v1/ingest"
#: Largest request body accepted (a run of a few thousand steps is a few MB).
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Most lines in one request.
MAX_LINES = 10_000

OPS = ("start_trace", "record_steps", "record_iterations", "record_api_call",
       "record_api_calls", "record_human_input", "complete_trace")


class _Line(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid",
                              frozen=True)


class RecordStepsLine(_Line):
    trace_id: Id
    steps: Annotated[list[StepInput], Field(min_length=1, max_length=MAX_BATCH_STEPS)]


class RecordIterationsLine(BaseModel):
    # Iteration's own field names (seed 003's snake_case), not camelCase aliases
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    trace_id: Id = Field(alias="traceId")
    #: Each iteration is up to three steps, stored as one all-or-nothing batch.
    iterations: Annotated[list[Iteration], Field(min_length=1,
                                                 max_length=MAX_BATCH_STEPS // 3)]

    def steps(self) -> list[StepInput]:
        return steps_from_iterations(self.iterations)


class RecordApiCallLine(_Line):
    trace_id: Id
    call: ApiCallInput


class RecordApiCallsLine(_Line):
    trace_id: Id
    calls: Annotated[list[ApiCallInput], Field(min_length=1, max_length=MAX_BATCH_STEPS)]


class RecordHumanInputLine(_Line):
    trace_id: Id
    input: HumanInputInput


class CompleteTraceLine(CompleteTraceInput):
    trace_id: Id


_MODELS: dict[str, type[BaseModel]] = {
    "start_trace": StartTraceInput,
    "record_steps": RecordStepsLine,
    "record_iterations": RecordIterationsLine,
    "record_api_call": RecordApiCallLine,
    "record_api_calls": RecordApiCallsLine,
    "record_human_input": RecordHumanInputLine,
    "complete_trace": CompleteTraceLine,
}


class BulkLineError(InvalidInput):
    """A line of a bulk request that cannot be parsed or validated."""

    def __init__(self, line: int, message: str, *, field: str | None = None) -> None:
        super().__init__(f"line {line}: {message}", field=field)
        self.line = line


@dataclass(frozen=True)
class Operation:
    """One validated line."""

    line: int
    op: str
    model: BaseModel

    @property
    def trace_id(self) -> str | None:
        trace_id: str | None = getattr(self.model, "trace_id", None)
        return trace_id


def parse(body: bytes) -> list[Operation]:
    """Every line of ``body`` validated, or :class:`BulkLineError` for the first bad one."""
    if len(body) > MAX_BODY_BYTES:
        raise LimitExceeded(f"body: {len(body)} bytes exceed the limit of {MAX_BODY_BYTES}",
                            field="body")
    ops: list[Operation] = []
    for number, raw in enumerate(body.split(b"\n"), start=1):
        if not raw.strip():
            continue
        if len(ops) >= MAX_LINES:
            raise LimitExceeded(f"body: more than {MAX_LINES} lines (limit)", field="body")
        ops.append(parse_line(number, raw))
    if not ops:
        raise InvalidInput("body: no lines; send one JSON object per line", field="body")
    return ops


def parse_line(number: int, raw: bytes) -> Operation:
    try:
        obj = parse_json_exact(raw)
    except orjson.JSONDecodeError as exc:
        raise BulkLineError(number, f"not valid JSON ({exc})") from None
    if type(obj) is not dict:
        raise BulkLineError(number, "each line must be a JSON object with an \"op\"")
    op = obj.pop("op", None)
    model = _MODELS.get(op) if isinstance(op, str) else None
    if model is None:
        raise BulkLineError(number, f"op: {str(op)[:64]!r} is not one of {', '.join(OPS)}",
                            field="op")
    try:
        return Operation(number, op, model.model_validate(obj))
    except ValidationError as exc:
        raise _line_error(number, op, exc) from None


def _line_error(number: int, op: str, exc: ValidationError) -> BulkLineError:
    invalid = validation_error(exc, rename=to_camel, prefix=f"{op}: ", whole="line")
    return BulkLineError(number, str(invalid), field=invalid.field)


@dataclass
class Applied:
    """What a request stored so far."""

    lines: int = 0
    traces: int = 0
    steps: int = 0
    api_calls: int = 0
    human_inputs: int = 0
    completed: int = 0

    def as_json(self) -> dict[str, int]:
        return {"lines": self.lines, "traces": self.traces, "steps": self.steps,
                "apiCalls": self.api_calls, "humanInputs": self.human_inputs,
                "completed": self.completed}


class BulkRunError(Exception):
    """A line failed while running; the lines before it are stored."""

    def __init__(self, op: Operation, error: TraceGraphError, applied: Applied) -> None:
        super().__init__(str(error))
        self.op = op
        self.error = error
        self.applied = applied


def run(service: TraceService, tenant_id: str, ops: Sequence[Operation],
        heads: dict[str, str]) -> Applied:
    """Run validated lines in order through the service layer (blocking)."""
    done = Applied()
    for op in ops:
        m = op.model
        try:
            if isinstance(m, StartTraceInput):
                view = service.start_trace(tenant_id, m)
                heads[view.trace_id] = view.head_hash
                done.traces += 1
            elif isinstance(m, RecordStepsLine):
                steps = service.record_steps(tenant_id, m.trace_id, m.steps)
                heads[m.trace_id] = steps[-1].hash
                done.steps += len(steps)
            elif isinstance(m, RecordIterationsLine):
                steps = service.record_steps(tenant_id, m.trace_id, m.steps())
                heads[m.trace_id] = steps[-1].hash
                done.steps += len(steps)
            elif isinstance(m, RecordApiCallLine):
                heads[m.trace_id] = service.record_api_call(tenant_id, m.trace_id, m.call).hash
                done.api_calls += 1
            elif isinstance(m, RecordApiCallsLine):
                calls = service.record_api_calls(tenant_id, m.trace_id, m.calls)
                heads[m.trace_id] = calls[-1].hash
                done.api_calls += len(calls)
            elif isinstance(m, RecordHumanInputLine):
                heads[m.trace_id] = service.record_human_input(
                    tenant_id, m.trace_id, m.input).hash
                done.human_inputs += 1
            else:
                assert isinstance(m, CompleteTraceLine)
                fields = {k: getattr(m, k) for k in CompleteTraceInput.model_fields}
                view = service.complete_trace(
                    tenant_id, m.trace_id, CompleteTraceInput.model_construct(**fields))
                heads[m.trace_id] = view.head_hash
                done.completed += 1
        except TraceGraphError as exc:
            raise BulkRunError(op, exc, done) from exc
        done.lines += 1
    return done


def bulk_endpoint(
    service: TraceService, auth: Authenticator | None = None,
) -> Callable[[Request], Any]:
    """The Starlette endpoint of ``POST /v1/ingest`` over one service (which publishes
    every append to its event stream, so live subscriptions see bulk appends at once)."""

    async def ingest(request: Request) -> Response:
        try:
            tenant_id = request_tenant(request, auth)
        except TraceGraphError as exc:
            return error_response(exc)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return error_response(LimitExceeded(
                f"body: {length} bytes exceed the limit of {MAX_BODY_BYTES}", field="body"),
                status=413)
        body = await request.body()
        try:
            ops = await run_in_threadpool(parse, body)
        except BulkLineError as exc:
            return error_response(exc, line=exc.line, stored=Applied().as_json())
        except TraceGraphError as exc:
            return error_response(exc, stored=Applied().as_json())
        heads: dict[str, str] = {}
        try:
            done = await run_in_threadpool(run, service, tenant_id, ops, heads)
        except BulkRunError as exc:
            return error_response(exc.error, line=exc.op.line, stored=exc.applied.as_json())
        return Response(orjson.dumps({**done.as_json(), "heads": heads}),
                        media_type="application/json")

    return ingest

