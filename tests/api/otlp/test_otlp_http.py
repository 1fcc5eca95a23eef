"""OTLP/HTTP ingest at /v1/traces from the real OpenTelemetry SDK exporter and OTLP JSON,
read back through GraphQL: traces, nested traces, steps, tokens, API calls."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from tests.helpers.live import LiveServer

TRACE_TREE = """
query($f: TraceFilter) { traces(filter: $f, first: 50) { edges { node {
  traceId parentTraceId spawnedByStepId agentId goal status outcome finalAnswer errorDetails
  sessionId
  steps { stepId stepType content modelId inputTokens outputTokens dependsOn inputData
          outputData }
  apiCalls { callId stepId apiType endpoint requestTokens responseTokens costUsd error }
  totals { inputTokens outputTokens }
} } } }
"""


def traces_of(server: LiveServer, tenant: str) -> dict[str, dict[str, Any]]:
    data = server.gql(TRACE_TREE, {"f": None}, tenant=tenant)
    return {e["node"]["agentId"]: e["node"] for e in data["traces"]["edges"]}


def provider(server: LiveServer, tenant: str, *, simple: bool = False) -> TracerProvider:
    exporter = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces",
                                headers={"X-Org-Id": tenant})
    tp = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    tp.add_span_processor(SimpleSpanProcessor(exporter) if simple
                          else BatchSpanProcessor(exporter))
    return tp


def agent_run(tp: TracerProvider) -> None:
    """A planner agent calling an LLM, then a tool, then a nested researcher agent that
    fails."""
    tracer = tp.get_tracer("test")
    with tracer.start_as_current_span("planner", attributes={
            "openinference.span.kind": "AGENT", "input.value": "refund order 42",
            "output.value": "refunded", "gen_ai.agent.name": "planner"}):
        with tracer.start_as_current_span("chat gpt-4o", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 30,
                "input.value": '{"q": "refund?"}', "input.mime_type": "application/json"}):
            pass
        with tracer.start_as_current_span("lookup", attributes={
                "openinference.span.kind": "TOOL", "tool.name": "lookup_order",
                "output.value": "order 42 found"}), tracer.start_as_current_span(
                    "researcher", attributes={"gen_ai.operation.name": "invoke_agent",
                                              "gen_ai.agent.name": "researcher"}) as sub:
            with tracer.start_as_current_span("llm", attributes={
                    "openinference.span.kind": "LLM", "llm.model_name": "claude",
                    "llm.token_count.prompt": 7, "llm.token_count.completion": 3,
                    "llm.cost.total": 0.25}):
                pass
            sub.set_status(Status(StatusCode.ERROR, "timed out"))


def check_run(traces: dict[str, dict[str, Any]]) -> None:
    assert set(traces) == {"planner", "researcher"}
    planner, researcher = traces["planner"], traces["researcher"]
    assert planner["parentTraceId"] is None
    assert planner["goal"] == "refund order 42"
    assert (planner["status"], planner["outcome"], planner["finalAnswer"]) == (
        "COMPLETED", "SUCCESS", "refunded")
    chat, lookup = planner["steps"]
    assert (chat["stepType"], chat["modelId"], chat["inputTokens"], chat["outputTokens"]) == (
        "Reasoning", "gpt-4o-2024-08-06", 120, 30)
    assert chat["inputData"] == {"q": "refund?"}
    assert (lookup["stepType"], lookup["outputData"]) == ("ToolCall", "order 42 found")
    assert lookup["dependsOn"] == []
    calls = {c["apiType"]: c for c in planner["apiCalls"]}
    assert calls["llm"]["stepId"] == chat["stepId"]
    assert calls["llm"]["requestTokens"] == 120
    assert (calls["tool"]["stepId"], calls["tool"]["endpoint"]) == (
        lookup["stepId"], "lookup_order")
    assert planner["totals"] == {"inputTokens": 120, "outputTokens": 30}
    # the nested agent: spawned by the tool step of the planner's trace
    assert researcher["parentTraceId"] == planner["traceId"]
    assert researcher["spawnedByStepId"] == lookup["stepId"]
    assert researcher["sessionId"] == planner["sessionId"]
    assert (researcher["status"], researcher["outcome"], researcher["errorDetails"]) == (
        "FAILED", "FAILURE", "timed out")
    (llm,) = researcher["steps"]
    assert (llm["modelId"], llm["inputTokens"], llm["outputTokens"]) == ("claude", 7, 3)
    assert researcher["apiCalls"][0]["costUsd"] == 0.25


def test_sdk_exporter_protobuf_one_request(server: LiveServer, tenant: str) -> None:
    tp = provider(server, tenant)
    agent_run(tp)
    tp.shutdown()
    check_run(traces_of(server, tenant))


def test_sdk_exporter_split_exports_children_first(server: LiveServer, tenant: str) -> None:
    """SimpleSpanProcessor exports each span alone when it ends: every child before its
    parent, over six requests; the tree becomes the same run."""
    tp = provider(server, tenant, simple=True)
    agent_run(tp)
    tp.shutdown()
    check_run(traces_of(server, tenant))


def test_resent_spans_are_not_duplicated(server: LiveServer, tenant: str) -> None:
    sent: list[bytes] = []

    class Recording(OTLPSpanExporter):
        def _export(self, serialized_data: bytes, timeout_sec: float | None = None
                    ) -> Any:
            sent.append(serialized_data)
            return super()._export(serialized_data, timeout_sec)

    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(Recording(
        endpoint=f"{server.url}/v1/traces", headers={"X-Org-Id": tenant})))
    agent_run(tp)
    tp.shutdown()
    before = traces_of(server, tenant)
    for body in reversed(sent):
        r = server.http.post("/v1/traces", content=body, headers={
            "Content-Type": "application/x-protobuf", "X-Org-Id": tenant})
        assert r.status_code == 200
        resp = ExportTraceServiceResponse.FromString(r.content)
        assert resp.partial_success.rejected_spans == 0
    assert traces_of(server, tenant) == before


def _json_span(span_id: str, name: str, parent: str | None = None,
               attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    def value(v: Any) -> dict[str, Any]:
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}  # OTLP JSON: int64 as a string
        return {"stringValue": v}
    span: dict[str, Any] = {
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id, "name": name,
        "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000001000000000",
        "kind": 1, "attributes": [{"key": k, "value": value(v)}
                                  for k, v in (attrs or {}).items()]}
    if parent:
        span["parentSpanId"] = parent
    return span


def _json_body(*spans: dict[str, Any]) -> dict[str, Any]:
    return {"resourceSpans": [{"resource": {"attributes": []},
                               "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]}


def test_otlp_json_child_before_parent(server: LiveServer, tenant: str) -> None:
    root = _json_span("eee19b7ec3c1b174", "agent", None, {"openinference.span.kind": "AGENT"})
    chain = _json_span("eee19b7ec3c1b175", "plan", "eee19b7ec3c1b174",
                       {"openinference.span.kind": "CHAIN"})
    llm = _json_span("eee19b7ec3c1b176", "llm", "eee19b7ec3c1b175",
                     {"openinference.span.kind": "LLM"})
    h = {"X-Org-Id": tenant}
    r = server.http.post("/v1/traces", json=_json_body(llm), headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {}
    assert traces_of(server, tenant) == {}  # held until its parents arrive
    server.http.post("/v1/traces", json=_json_body(chain), headers=h)
    r = server.http.post("/v1/traces", json=_json_body(root, chain), headers=h)
    assert r.status_code == 200 and r.json() == {}
    (run,) = traces_of(server, tenant).values()
    plan, call = run["steps"]
    assert (plan["stepType"], call["stepType"]) == ("PlanStep", "Reasoning")
    assert call["dependsOn"] == [plan["stepId"]]
    assert run["status"] == "COMPLETED"


def test_rejected_span_is_reported_in_partial_success(server: LiveServer,
                                                      tenant: str) -> None:
    root = _json_span("aaa19b7ec3c1b174", "agent", None)
    bad = _json_span("aaa19b7ec3c1b175", "llm", "aaa19b7ec3c1b174",
                     {"openinference.span.kind": "LLM",
                      "llm.token_count.prompt": -5})
    r = server.http.post("/v1/traces", json=_json_body(root, bad),
                         headers={"X-Org-Id": tenant})
    assert r.status_code == 200
    partial = r.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "aaa19b7ec3c1b175" in partial["errorMessage"]
    assert "input_tokens" in partial["errorMessage"]


@pytest.mark.parametrize(("body", "ctype", "expected"), [
    (b"not json", "application/json", "not valid JSON"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
     "application/json", "traceId"),
    (b"\xff\xff\xff", "application/x-protobuf", "not a protobuf"),
])
def test_bad_bodies_get_400_naming_the_problem(server: LiveServer, body: bytes, ctype: str,
                                               expected: str) -> None:
    r = server.http.post("/v1/traces", content=body, headers={"Content-Type": ctype})
    assert r.status_code == 400
    if ctype == "application/json":
        assert expected in r.json()["message"]


def test_other_content_type_gets_415(server: LiveServer) -> None:
    r = server.http.post("/v1/traces", content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415

