"""OTLP/gRPC trace export: ``opentelemetry.proto.collector.trace.v1.TraceService/Export`` on
its own port (4317 by convention), the same ingest as ``POST /v1/traces``.

``tracegraph serve --otlp-grpc-port 4317`` starts it beside the HTTP server, sharing one
:class:`~.ingest.OtlpIngestor` (so spans held for their parents are the same whichever way
they came). Tenancy is the HTTP API's: ``authorization: Bearer <key>`` metadata, or in local
mode ``x-org-id`` (``default`` without one). Rejected spans are counted in the response's
``partial_success``; a request that cannot be read gets ``INVALID_ARGUMENT``, a caller
without a valid key ``UNAUTHENTICATED`` (``PERMISSION_DENIED`` for a foreign ``x-org-id``).
gzip-compressed requests are inflated by gRPC itself.
"""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from tracegraph.schema.errors import TraceGraphError

from ..auth import Authenticator
from .decode import spans_of
from .http import MAX_BODY_BYTES, response_for
from .ingest import OtlpIngestor

#: The OTLP/gRPC port receivers conventionally listen on.
OTLP_GRPC_PORT = 4317


class TraceExportService:
    """The ``TraceService`` servicer: ``Export`` places a request's spans."""

    def __init__(self, ingestor: OtlpIngestor, auth: Authenticator | None = None) -> None:
        self.ingestor = ingestor
        self.auth = auth or Authenticator(keys=None)  # (local mode)

    def Export(self, request: ExportTraceServiceRequest,  # (the rpc's name)
               context: Any) -> ExportTraceServiceResponse:
        headers = {k.lower(): v for k, v in context.invocation_metadata()
                   if isinstance(v, str)}
        try:
            tenant_id = self.auth.tenant(headers)
        except TraceGraphError as exc:
            context.abort(grpc.StatusCode.UNAUTHENTICATED if exc.http_status == 401
                          else grpc.StatusCode.PERMISSION_DENIED, str(exc))
            raise  # (abort raises; this is for the type checker)
        try:
            spans = spans_of(request)
        except TraceGraphError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise
        return response_for(self.ingestor.ingest(tenant_id, spans))


def start_grpc_server(ingestor: OtlpIngestor, auth: Authenticator | None, host: str,
                      port: int = OTLP_GRPC_PORT, *, workers: int = 4) -> tuple[grpc.Server, int]:
    """Serve ``TraceService/Export`` on ``host:port`` (0: a free port) in background threads;
    returns the server (stop it with ``server.stop(grace)``) and the port it listens on.
    Raises ``RuntimeError`` when the port cannot be bound."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers),
                         options=[("grpc.max_receive_message_length", MAX_BODY_BYTES)])
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
        TraceExportService(ingestor, auth), server)
    shown = f"[{host}]" if ":" in host else host
    bound = server.add_insecure_port(f"{shown}:{port}")
    if bound == 0:
        raise RuntimeError(f"OTLP/gRPC: cannot listen on {shown}:{port}")
    server.start()
    return server, bound
