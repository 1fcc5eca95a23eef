"""OTLP/gRPC: the real opentelemetry-sdk gRPC exporter sends an agent run to a running
``tracegraph serve --otlp-grpc-port``; the run reads back as the HTTP exporter's does."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from tests.helpers.processes import SCRIPT, free_port, wait_until_serving

from .test_otlp_http import TRACE_TREE, agent_run, check_run


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    data = tmp_path_factory.mktemp("otlp-grpc") / "data"
    port, grpc_port = free_port(), free_port()
    proc = subprocess.Popen([SCRIPT, "serve", "--port", str(port), "--data-dir", str(data),
                             "--otlp-grpc-port", str(grpc_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, proc)
        yield url, grpc_port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _traces(url: str, tenant: str) -> dict[str, dict[str, Any]]:
    r = httpx.post(f"{url}/graphql", json={"query": TRACE_TREE, "variables": {"f": None}},
                   headers={"X-Org-Id": tenant}, timeout=30)
    return {e["node"]["agentId"]: e["node"] for e in r.json()["data"]["traces"]["edges"]}


@pytest.mark.parametrize("compression", [None, grpc.Compression.Gzip])
def test_sdk_grpc_exporter(serving: tuple[str, int], compression: Any) -> None:
    url, grpc_port = serving
    tenant = f"grpc-{compression is not None}"
    exporter = OTLPSpanExporter(endpoint=f"localhost:{grpc_port}", insecure=True,
                                headers={"x-org-id": tenant}, compression=compression)
    tp = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    tp.add_span_processor(BatchSpanProcessor(exporter))
    agent_run(tp)
    assert tp.force_flush(30_000)
    tp.shutdown()
    check_run(_traces(url, tenant))


def test_grpc_errors(serving: tuple[str, int]) -> None:
    _, grpc_port = serving
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        export = TraceServiceStub(channel).Export  # type: ignore[no-untyped-call]
        bad = ExportTraceServiceRequest()
        bad.resource_spans.add().scope_spans.add().spans.append(
            Span(trace_id=b"short", span_id=b"12345678", name="x"))
        with pytest.raises(grpc.RpcError) as info:
            export(bad, timeout=30)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "traceId must be 16 bytes" in str(info.value.details())
        with pytest.raises(grpc.RpcError) as info:
            export(ExportTraceServiceRequest(), metadata=[("x-org-id", "not an id!")],
                   timeout=30)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # nothing to place: an empty answer, no partial success
        assert export(ExportTraceServiceRequest(), timeout=30).ByteSize() == 0
