"""What the SDK queues and sends: one validated operation per record, grouped into lines.

An :class:`Op` is one record an agent asked to store (a trace start, one step, one API call,
one human input, a completion), already validated by the pydantic input models of
:mod:`tracegraph.schema.inputs` and carrying the id the SDK chose for it, so a resent batch
replays idempotently. The worker groups consecutive ops into :class:`Line` s, the units of
the bulk ingest format (:mod:`tracegraph.api.bulk`): the steps of one trace that follow each
other become one ``record_steps`` line, its consecutive API calls one ``record_api_calls``
line. Lines keep the order of their ops, so a step's ``dependsOn`` on an earlier step of the
same batch holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from pydantic import BaseModel
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.limits import MAX_BATCH_STEPS

OpKind = Literal["start_trace", "step", "api_call", "human_input", "complete_trace"]
LineOp = Literal["start_trace", "record_steps", "record_api_calls", "record_human_input",
                 "complete_trace"]
#: The bulk line each op kind goes into.
LINE_OP: dict[str, LineOp] = {
    "start_trace": "start_trace", "step": "record_steps", "api_call": "record_api_calls",
    "human_input": "record_human_input", "complete_trace": "complete_trace",
}
#: Op kinds that several consecutive ops of one trace share a line for.
GROUPED = frozenset({"step", "api_call"})
Payload = StartTraceInput | StepInput | ApiCallInput | HumanInputInput | CompleteTraceInput


@dataclass(slots=True, eq=False)
class Op:
    """One record to store. ``done`` (when a caller waits on it) gets what the transport
    returned for it: the stored view in process, ``None`` over HTTP."""

    kind: OpKind
    trace_id: str
    payload: Payload
    done: Future[Any] | None = None


@dataclass(slots=True, eq=False)
class Line:
    """Consecutive ops of one trace that are stored as one atomic operation."""

    op: LineOp
    trace_id: str
    ops: list[Op] = field(default_factory=list)

    def encoded(self) -> bytes:
        """The bulk NDJSON object of this line (camelCase, nulls and defaults left out),
        each payload serialised by pydantic's core: the worker's hot path over HTTP."""
        items = b",".join(_json(o.payload) for o in self.ops)
        head = b'{"op":"' + self.op.encode() + b'"'
        if self.op == "start_trace":
            return _merged(head, items)
        head += b',"traceId":' + orjson.dumps(self.trace_id)
        if self.op == "complete_trace":
            return _merged(head, items)
        key = {"record_steps": b"steps", "record_api_calls": b"calls"}.get(self.op)
        if key is not None:
            return head + b',"' + key + b'":[' + items + b"]}"
        return head + b',"input":' + items + b"}"

    def singles(self) -> list[Line]:
        """This line split into one line per op (to find which op a store refuses)."""
        return [Line(self.op, self.trace_id, [o]) for o in self.ops]


def _json(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_none=True,
                                                 exclude_defaults=True)


def _merged(head: bytes, obj: bytes) -> bytes:
    """``head`` (an unclosed object) followed by the members of the JSON object ``obj``."""
    return head + b"}" if obj == b"{}" else head + b"," + obj[1:]


def group(ops: Iterable[Op], max_items: int = MAX_BATCH_STEPS) -> list[Line]:
    """Consecutive ops as lines, in order: runs of steps (or of API calls) of one trace
    share a line of at most ``max_items``; every other op is a line of its own.

    >>> from tracegraph.schema.inputs import StepInput
    >>> s = [Op("step", "t", StepInput(step_type="Reasoning")) for _ in range(3)]
    >>> [(x.op, len(x.ops)) for x in group(s, max_items=2)]
    [('record_steps', 2), ('record_steps', 1)]
    """
    lines: list[Line] = []
    last: Line | None = None
    for op in ops:
        if (last is not None and op.kind in GROUPED and last.trace_id == op.trace_id
                and last.op == LINE_OP[op.kind] and len(last.ops) < max_items):
            last.ops.append(op)
            continue
        last = Line(LINE_OP[op.kind], op.trace_id, [op])
        lines.append(last)
    return lines


def ops_of(lines: Sequence[Line]) -> list[Op]:
    return [o for line in lines for o in line.ops]
