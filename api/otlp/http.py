"""``POST /v1/traces``: OTLP/HTTP trace export, binary protobuf or JSON.

The body is an ``ExportTraceServiceRequest`` (``Content-Type: application/x-protobuf`` or
``application/json``; ``Content-Encoding: gzip`` accepted); the answer an
``ExportTraceServiceResponse`` in the same encoding, with ``partialSuccess`` counting the
spans rejected and the first reasons. A body that cannot be decoded gets 400 with a
``google.rpc.Status`` message. Tenancy is the same as bulk ingest: API key, or local mode.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from tracegraph.schema.errors import InvalidInput, TraceGraphError

from ..auth import Authenticator
from ..auth_http import request_tenant
from .decode import Span, decode_json, decode_protobuf
from .ingest import IngestResult, OtlpIngestor

OTLP_TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
#: Largest (decompressed) export request accepted.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Most rejection reasons quoted in ``partialSuccess.errorMessage``.
MAX_REASONS = 5


def _decoder(content_type: str) -> tuple[str, Callable[[bytes], list[Span]]] | None:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in (PROTOBUF, "application/protobuf"):
        return PROTOBUF, decode_protobuf
    if media == JSON:
        return JSON, decode_json
    return None


def _encode(message: Any, media: str, status: int = 200) -> Response:
    if media == JSON:
        body = json_format.MessageToJson(message, indent=None).encode()
    else:
        body = message.SerializeToString()
    return Response(body, status_code=status, media_type=media)


def _status(code: int, message: str, media: str, http_status: int) -> Response:
    return _encode(Status(code=code, message=message), media, http_status)


def _inflate(body: bytes, encoding: str) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise InvalidInput(f"Content-Encoding: {encoding!r} is not supported (gzip or none)",
                           field="Content-Encoding")
    try:
        d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        out = d.decompress(body, MAX_BODY_BYTES + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise InvalidInput(f"body: not valid gzip ({exc})", field="body") from None
    if len(out) > MAX_BODY_BYTES:
        raise InvalidInput(f"body: more than {MAX_BODY_BYTES} bytes decompressed",
                           field="body")
    return out


def response_for(result: IngestResult) -> ExportTraceServiceResponse:
    response = ExportTraceServiceResponse()
    if result.rejected:
        response.partial_success.rejected_spans = result.rejected_count
        response.partial_success.error_message = "; ".join(result.rejected[:MAX_REASONS])
    return response


def otlp_traces_endpoint(
    ingestor: OtlpIngestor, auth: Authenticator | None = None,
) -> Callable[[Request], Any]:
    """The Starlette endpoint of ``POST /v1/traces`` over one :class:`OtlpIngestor`."""

    async def export(request: Request) -> Response:
        chosen = _decoder(request.headers.get("content-type", ""))
        if chosen is None:
            return _status(3, "Content-Type must be application/x-protobuf or "
                           "application/json", JSON, 415)
        media, decode = chosen
        try:
            tenant_id = request_tenant(request, auth)
        except TraceGraphError as exc:
            return _status(16 if exc.http_status == 401 else 7, str(exc), media,
                           exc.http_status)
        try:
            body = _inflate(await request.body(),
                            request.headers.get("content-encoding", "").strip().lower())
            spans = await run_in_threadpool(decode, body)
        except TraceGraphError as exc:
            return _status(3, str(exc), media, 400)
        result = await run_in_threadpool(ingestor.ingest, tenant_id, spans)
        return _encode(response_for(result), media)

    return export
