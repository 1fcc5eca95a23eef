"""A real OpenInference instrumentation of a real agent library: the ``openai`` client,
instrumented by ``openinference-instrumentation-openai``, against a local stub server that
answers chat completions; its spans go through the real OTLP exporter to /v1/traces."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.helpers.live import LiveServer

from .test_otlp_http import TRACE_TREE

COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Refund approved."}}],
    "usage": {"prompt_tokens": 21, "completion_tokens": 4, "total_tokens": 25},
}


class _ChatStub(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(COMPLETION).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def chat_stub() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ChatStub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_openai_client_spans_become_a_run(server: LiveServer, tenant: str,
                                          chat_stub: str) -> None:
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces", headers={"X-Org-Id": tenant})))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tp)
    try:
        client = openai.OpenAI(base_url=chat_stub, api_key="test-key", max_retries=0)
        with tp.get_tracer("agent").start_as_current_span("support-agent", attributes={
                "openinference.span.kind": "AGENT", "input.value": "customer asks a refund"}):
            answer = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Refund?"}])
        assert answer.choices[0].message.content == "Refund approved."
    finally:
        instrumentor.uninstrument()
        tp.shutdown()
    data = server.gql(TRACE_TREE, {"f": None}, tenant=tenant)
    (edge,) = data["traces"]["edges"]
    run = edge["node"]
    assert (run["goal"], run["status"]) == ("customer asks a refund", "COMPLETED")
    (step,) = run["steps"]
    assert step["stepType"] == "Reasoning"
    assert step["modelId"] == "gpt-4o-mini-2024-07-18"
    assert (step["inputTokens"], step["outputTokens"]) == (21, 4)
    assert "Refund approved." in json.dumps(step["outputData"])
    (call,) = run["apiCalls"]
    assert (call["apiType"], call["stepId"], call["requestTokens"], call["responseTokens"]) == (
        "llm", step["stepId"], 21, 4)
    assert run["totals"] == {"inputTokens": 21, "outputTokens": 4}
