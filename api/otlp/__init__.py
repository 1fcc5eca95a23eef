"""OpenTelemetry (OTLP/HTTP) trace ingest: spans of OpenInference and GenAI instrumented
agents become traces, steps and API calls through the service layer (see docs/otlp.md).

:mod:`.decode` reads an ``ExportTraceServiceRequest`` (protobuf or OTLP JSON) into
:class:`~.decode.Span` values, :mod:`.mapping` says what each span becomes, :mod:`.ingest`
places spans (holding children that arrive before their parents) and :mod:`.http` serves
``POST /v1/traces``.
"""

from __future__ import annotations

from .decode import Span, decode_json, decode_protobuf
from .ingest import IngestResult, OtlpIngestor

__all__ = ["IngestResult", "OtlpIngestor", "Span", "decode_json", "decode_protobuf"]
