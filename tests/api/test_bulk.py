"""Bulk NDJSON ingest (``POST /v1/ingest``): lines become queryable traces; a bad line is
refused with a 4xx that names the line and the field, and nothing of the request is stored."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.helpers.live import LiveServer, new_tenant

RUN = """
query Run($id: ID!) {
  trace(traceId: $id) {
    traceId status outcome finalAnswer entryCount
    steps { stepId stepIndex stepType dependsOn alternatives { text selected } }
    apiCalls { callId stepId }
    humanInputs { question answer }
    children { traceId parentTraceId spawnedByStepId status steps { stepId dependsOn } }
  }
  verifyTrace(traceId: $id) { valid entriesChecked }
}"""

EXISTS = "query Exists($id: ID!) { trace(traceId: $id) { traceId } }"


def ndjson(*lines: dict[str, Any]) -> bytes:
    return b"\n".join(orjson.dumps(line) for line in lines) + b"\n"


def post(server: LiveServer, body: bytes, tenant: str) -> httpx.Response:
    return server.http.post("/v1/ingest", content=body, headers={
        "X-Org-Id": tenant, "Content-Type": "application/x-ndjson"})


def run_lines(root: str) -> list[dict[str, Any]]:
    child = f"{root}-child"
    return [
        {"op": "start_trace", "traceId": root, "sessionId": f"{root}-s", "agentId": "planner",
         "goal": "compare regions"},
        {"op": "record_steps", "traceId": root, "steps": [
            {"stepId": f"{root}-0", "stepType": "Observation", "content": "the user asks"},
            {"stepId": f"{root}-1", "stepType": "Decision", "content": "delegate",
             "alternativesConsidered": ["ask", "delegate"], "selectedAlternative": "delegate",
             "dependsOn": [f"{root}-0"], "confidence": 0.8},
        ]},
        {"op": "start_trace", "traceId": child, "parentTraceId": root,
         "spawnedByStepId": f"{root}-1", "agentId": "worker"},
        # snake_case keys are accepted as well
        {"op": "record_steps", "trace_id": child, "steps": [
            {"step_id": f"{child}-0", "step_type": "ToolCall", "depends_on": [f"{root}-0"]}]},
        {"op": "record_api_call", "traceId": child,
         "call": {"callId": f"{child}-call", "stepId": f"{child}-0", "costUsd": 0.01}},
        {"op": "record_api_calls", "traceId": root, "calls": [
            {"callId": f"{root}-call-0", "stepId": f"{root}-0"},
            {"callId": f"{root}-call-1", "stepId": f"{root}-1", "latencyMs": 12.5}]},
        {"op": "complete_trace", "traceId": child, "outcome": "success"},
        {"op": "record_human_input", "traceId": root,
         "input": {"question": "Send it?", "answer": "yes", "answeredBy": "alice"}},
        {"op": "complete_trace", "traceId": root, "outcome": "success", "finalAnswer": "done"},
    ]


def test_lines_are_ingested_and_queryable(server: LiveServer, tenant: str) -> None:
    r = post(server, ndjson(*run_lines("bulk-a")), tenant)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {k: body[k] for k in ("lines", "traces", "steps", "apiCalls", "humanInputs",
                                 "completed")} == {
        "lines": 9, "traces": 2, "steps": 3, "apiCalls": 3, "humanInputs": 1, "completed": 2}
    assert set(body["heads"]) == {"bulk-a", "bulk-a-child"}

    data = server.gql(RUN, {"id": "bulk-a"}, tenant=tenant)
    trace = data["trace"]
    assert (trace["status"], trace["outcome"], trace["finalAnswer"]) == (
        "COMPLETED", "SUCCESS", "done")
    assert [s["stepId"] for s in trace["steps"]] == ["bulk-a-0", "bulk-a-1"]
    assert trace["steps"][1]["dependsOn"] == ["bulk-a-0"]
    assert [(a["text"], a["selected"]) for a in trace["steps"][1]["alternatives"]] == [
        ("ask", False), ("delegate", True)]
    assert trace["humanInputs"] == [{"question": "Send it?", "answer": "yes"}]
    assert trace["apiCalls"] == [{"callId": "bulk-a-call-0", "stepId": "bulk-a-0"},
                                 {"callId": "bulk-a-call-1", "stepId": "bulk-a-1"}]
    (child,) = trace["children"]
    assert (child["parentTraceId"], child["spawnedByStepId"], child["status"]) == (
        "bulk-a", "bulk-a-1", "COMPLETED")
    assert child["steps"] == [{"stepId": "bulk-a-child-0", "dependsOn": ["bulk-a-0"]}]
    assert data["verifyTrace"] == {"valid": True, "entriesChecked": trace["entryCount"]}
    # the tenant comes from the same resolver as GraphQL: another tenant sees nothing
    assert server.gql(EXISTS, {"id": "bulk-a"}, tenant=new_tenant())["trace"] is None


@pytest.mark.parametrize(("line", "change", "field", "says"), [
    (2, lambda ls: ls[1]["steps"][1].update(confidence=2), "steps[1].confidence",
     "less than or equal to 1"),
    (4, lambda ls: ls[3]["steps"][0].pop("step_type"), "steps[0].stepType", "Field required"),
    (5, lambda ls: ls[4]["call"].update(surprise=1), "call.surprise", "Extra inputs"),
    (9, lambda ls: ls[8].update(outcome="maybe"), "outcome", "'success'"),
    (6, lambda ls: ls[5]["calls"][1].update(latencyMs=-1), "calls[1].latencyMs",
     "greater than or equal to 0"),
    (3, lambda ls: ls[2].update(traceId="not an id!"), "traceId", "pattern"),
], ids=["range", "missing", "unknown-field", "enum", "calls-range", "id-format"])
def test_invalid_line_is_refused_and_nothing_is_stored(
    server: LiveServer, tenant: str, line: int, change: Any, field: str, says: str,
) -> None:
    lines = run_lines("bulk-b")
    change(lines)
    r = post(server, ndjson(*lines), tenant)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["line"] == line
    assert error["field"] == field
    assert error["message"].startswith(f"line {line}: ")
    assert field in error["message"] and says in error["message"]
    assert r.json()["stored"]["lines"] == 0
    # all or nothing: not even the lines before the bad one were stored
    assert server.gql(EXISTS, {"id": "bulk-b"}, tenant=tenant)["trace"] is None


@pytest.mark.parametrize(("raw", "says"), [
    (b'{"op": "start_trace", "traceId": ', "not valid JSON"),
    (b'["start_trace"]', "JSON object"),
    (b'{"op": "delete_trace", "traceId": "x"}', "is not one of"),
])
def test_unreadable_line_is_named(server: LiveServer, tenant: str, raw: bytes,
                                  says: str) -> None:
    body = ndjson({"op": "start_trace", "traceId": "bulk-c"}) + b"\n" + raw + b"\n"
    r = post(server, body, tenant)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["line"] == 3  # the blank line 2 is skipped but counted
    assert says in error["message"]
    assert server.gql(EXISTS, {"id": "bulk-c"}, tenant=tenant)["trace"] is None


def test_line_failing_when_it_runs_stops_there(server: LiveServer, tenant: str) -> None:
    """Valid lines run in order, each atomic: a dependsOn naming no stored step fails its
    line (nothing of that batch is stored); the lines before it are stored and counted."""
    lines = run_lines("bulk-d")
    lines[3]["steps"].insert(0, {"step_id": "bulk-d-child-x", "step_type": "Reasoning"})
    lines[3]["steps"][1]["depends_on"] = ["no-such-step"]
    r = post(server, ndjson(*lines), tenant)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"]["line"] == 4
    assert "steps[1].dependsOn[0]" in body["error"]["message"]
    assert body["stored"]["lines"] == 3
    data = server.gql(RUN, {"id": "bulk-d"}, tenant=tenant)["trace"]
    assert [s["stepId"] for s in data["steps"]] == ["bulk-d-0", "bulk-d-1"]
    assert data["children"][0]["steps"] == []


def test_api_call_batch_is_all_or_nothing(server: LiveServer, tenant: str) -> None:
    lines = run_lines("bulk-e")
    lines[5]["calls"][1]["stepId"] = "bulk-e-child-0"  # a step of another trace
    r = post(server, ndjson(*lines), tenant)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"]["line"] == 6
    assert "calls[1].stepId" in body["error"]["message"]
    assert body["stored"]["lines"] == 5
    data = server.gql(RUN, {"id": "bulk-e"}, tenant=tenant)["trace"]
    assert data["apiCalls"] == []  # not even the batch's first, valid call


def test_empty_body_is_refused(server: LiveServer, tenant: str) -> None:
    r = post(server, b"\n\n", tenant)
    assert r.status_code == 400
    assert "no lines" in r.json()["error"]["message"]
