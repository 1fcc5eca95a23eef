"""Decoding OTLP trace export requests (protobuf and OTLP JSON) into flat :class:`Span` values.

Decoding uses the ``opentelemetry-proto`` generated classes; OTLP JSON goes through
``google.protobuf.json_format`` after its one departure from the protobuf JSON mapping:
trace and span ids are hex strings, not base64. Unknown fields are ignored (the OTLP
spec asks receivers to).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from tracegraph.schema.errors import InvalidInput

_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId", "trace_id", "span_id",
                      "parent_span_id"})


@dataclass(slots=True)
class Span:
    """One finished OTLP span, ids as lowercase hex, attributes as plain Python values.

    Nothing changes a span once decoded; the class is not ``frozen`` only because a frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field) was a sixth of decoding."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    attributes: dict[str, Any]
    start_ns: int
    end_ns: int
    error: bool
    status_message: str
    service_name: str | None = None


def span_bytes(span: Span) -> bytes:
    """``span`` as JSON bytes (how a span waiting for its parent is held)."""
    return orjson.dumps(span)


def span_of_bytes(body: bytes) -> Span:
    """The span :func:`span_bytes` encoded."""
    return Span(**orjson.loads(body))


def any_value(v: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a Python value (bytes as base64 text)."""
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return attributes(v.kvlist_value.values)
    if which == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    return getattr(v, which)


def attributes(kvs: Any) -> dict[str, Any]:
    """OTLP ``KeyValue`` pairs as a dict (a later repeated key wins)."""
    out: dict[str, Any] = {}
    kv: KeyValue
    for kv in kvs:
        v = kv.value
        which = v.WhichOneof("value")
        # (the common kinds inline: this runs for every attribute of every span)
        if which == "string_value":
            out[kv.key] = v.string_value
        elif which == "int_value":
            out[kv.key] = v.int_value
        else:
            out[kv.key] = any_value(v)
    return out


def spans_of(request: ExportTraceServiceRequest) -> list[Span]:
    """Every span of a decoded request; spans without a valid trace or span id are refused."""
    out: list[Span] = []
    error_code = Status.STATUS_CODE_ERROR
    for rs in request.resource_spans:
        service = attributes(rs.resource.attributes).get("service.name")
        service_name = service if isinstance(service, str) else None
        for ss in rs.scope_spans:
            for s in ss.spans:
                trace_id, span_id, parent = s.trace_id, s.span_id, s.parent_span_id
                if len(trace_id) != 16 or len(span_id) != 8:
                    raise InvalidInput(f"span {s.name[:64]!r}: traceId must be 16 bytes and "
                                       "spanId 8 bytes", field="spanId")
                status = s.status
                out.append(Span(
                    trace_id.hex(), span_id.hex(), parent.hex() if parent else None,
                    s.name, attributes(s.attributes), s.start_time_unix_nano,
                    s.end_time_unix_nano, status.code == error_code, status.message,
                    service_name))
    return out


def decode_protobuf(body: bytes) -> list[Span]:
    """Spans of a binary protobuf ``ExportTraceServiceRequest``."""
    try:
        request = ExportTraceServiceRequest.FromString(body)
    except DecodeError as exc:
        raise InvalidInput(f"body: not a protobuf ExportTraceServiceRequest ({exc})",
                           field="body") from None
    return spans_of(request)


def _hex_ids_to_base64(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k in _ID_KEYS and isinstance(v, str):
                try:
                    out[k] = base64.b64encode(bytes.fromhex(v)).decode()
                except ValueError:
                    raise InvalidInput(f"{k}: {v[:64]!r} is not a hex id", field=k) from None
            else:
                out[k] = _hex_ids_to_base64(v)
        return out
    if isinstance(node, list):
        return [_hex_ids_to_base64(x) for x in node]
    return node


def parse_json_request(body: bytes) -> ExportTraceServiceRequest:
    """An OTLP JSON body (hex ids, int64 as strings or numbers) as the protobuf message."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"body: not valid JSON ({exc})", field="body") from None
    if not isinstance(doc, dict):
        raise InvalidInput("body: must be a JSON object with resourceSpans", field="body")
    request = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(_hex_ids_to_base64(doc), request, ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error) as exc:
        raise InvalidInput(f"body: not an OTLP JSON ExportTraceServiceRequest ({exc})",
                           field="body") from None
    return request


def decode_json(body: bytes) -> list[Span]:
    """Spans of an OTLP JSON ``ExportTraceServiceRequest``."""
    return spans_of(parse_json_request(body))
