"""Seed 003's iterations through the API: bulk ``record_iterations`` in, GraphQL
``Trace.iterations`` out, losslessly."""

from __future__ import annotations

from typing import Any

import orjson
from tracegraph.schema.iteration import Iteration

from tests.helpers.live import LiveServer

ITERATIONS: list[dict[str, Any]] = [
    {"iteration": 1, "timestamp": "2026-02-01T10:30:01Z",
     "thought": "I need to look up the ticket details.", "action": "lookup_ticket",
     "action_input": {"ticket_id": "TK-12345"},
     "observation": {"subject": "Billing Error", "status": "open", "priority": "high"},
     "success": True},
    {"iteration": 2, "timestamp": "2026-02-01T10:30:04.250000Z",
     "thought": "Refund the duplicate charge.", "action": "refund",
     "action_input": {"amount": 42.5, "items": [1, 2]}, "observation": "refund failed",
     "success": False},
    {"iteration": 3, "timestamp": "2026-02-01T10:30:09Z", "thought": "Escalate."},
    {"iteration": 4, "timestamp": "2026-02-01T10:30:10Z"},
]

QUERY = """query($id: ID!) { trace(traceId: $id) {
  iterations { iteration timestamp thought action actionInput observation success }
  steps { stepType } } }"""


def _bulk(server: LiveServer, tenant: str, *lines: dict[str, Any]) -> Any:
    body = b"\n".join(orjson.dumps(line) for line in lines)
    return server.http.post("/v1/ingest", content=body,
                            headers={"Content-Type": "application/x-ndjson",
                                     "X-Org-Id": tenant})


def test_iterations_round_trip(server: LiveServer, tenant: str) -> None:
    r = _bulk(server, tenant, {"op": "start_trace", "traceId": "it-1", "agentId": "support"},
              {"op": "record_iterations", "traceId": "it-1", "iterations": ITERATIONS})
    assert r.status_code == 200, r.text
    assert r.json()["steps"] == 3 + 3 + 1 + 1
    trace = server.gql(QUERY, {"id": "it-1"}, tenant=tenant)["trace"]
    out = [{"iteration": i["iteration"], "timestamp": i["timestamp"], "thought": i["thought"],
            "action": i["action"], "action_input": i["actionInput"],
            "observation": i["observation"], "success": i["success"]}
           for i in trace["iterations"]]
    assert [Iteration.model_validate(i) for i in out] == [
        Iteration.model_validate(i) for i in ITERATIONS]
    assert [s["stepType"] for s in trace["steps"][:3]] == ["Reasoning", "ToolCall",
                                                          "ToolResult"]


def test_bad_iteration_is_refused_naming_the_line_and_field(server: LiveServer,
                                                             tenant: str) -> None:
    r = _bulk(server, tenant, {"op": "start_trace", "traceId": "it-2"},
              {"op": "record_iterations", "traceId": "it-2",
               "iterations": [{"iteration": 0, "timestamp": "2026-02-01T10:30:01Z"}]})
    assert r.status_code == 400
    assert "line 2" in r.text and "iterations[0].iteration" in r.text


def test_trace_without_iterations_has_none(server: LiveServer, tenant: str) -> None:
    r = _bulk(server, tenant, {"op": "start_trace", "traceId": "it-3"},
              {"op": "record_steps", "traceId": "it-3", "steps": [{"stepType": "Reasoning"}]})
    assert r.status_code == 200, r.text
    assert server.gql(QUERY, {"id": "it-3"}, tenant=tenant)["trace"]["iterations"] == []
