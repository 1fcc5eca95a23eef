"""A real ``tracegraph serve`` process for the browser tests, and the seeded runs they read."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.processes import wait_until_serving

STEPS_Q = """mutation($t: ID!, $s: [StepInput!]!) {
  recordSteps(traceId: $t, steps: $s) { stepId } }"""
START_Q = """mutation($i: StartTraceInput!) { startTrace(input: $i) { traceId } }"""
CALLS_Q = """mutation($t: ID!, $c: [ApiCallInput!]!) { recordApiCalls(traceId: $t, calls: $c) {
  callId } }"""
HUMAN_Q = """mutation($t: ID!, $i: HumanInputInput!) { recordHumanInput(traceId: $t, input: $i) {
  inputId } }"""
COMPLETE_Q = """mutation($t: ID!, $o: Outcome!, $a: String) {
  completeTrace(traceId: $t, outcome: $o, finalAnswer: $a) { status } }"""


class ServedProcess:
    """``tracegraph serve`` on a free loopback port over an embedded store in ``data_dir``,
    with its own checkpoint signing key (next to ``data_dir``, never the user's) and
    checkpoints signed only on demand (``createCheckpoint``)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        exe = Path(sys.executable).with_name("tracegraph")
        self.log = (data_dir / "serve.log").open("wb")
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--data-dir", str(data_dir), "--port", str(self.port),
             "--key-dir", str(data_dir.with_name(f"{data_dir.name}-keys")),
             "--checkpoint-interval", "0"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=self.url, timeout=60)
        wait_until_serving(self.url, self.proc, log=data_dir / "serve.log")

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        r = self.http.post("/graphql", json={"query": query, "variables": variables or {}})
        body: dict[str, Any] = r.json()
        assert r.status_code == 200 and "errors" not in body, r.text
        return body["data"]  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()

    @property
    def database(self) -> Path:
        found = sorted(self.data_dir.glob("*.sqlite3"))
        stores = [p for p in found if p.name != "control.sqlite3"]
        assert len(stores) == 1, found
        return stores[0]


def seed_run(served: ServedProcess, run: str, *, choice: str, tool: str,
             tokens: int) -> None:
    """A nested run: root (planner) -> researcher -> fetcher, with a decision choosing
    ``choice`` among three, a cross-trace dependsOn, tool calls, a human input."""
    root, child, grandchild = run, f"{run}-research", f"{run}-fetch"
    served.gql(START_Q, {"i": {"traceId": root, "sessionId": f"{run}-session",
                               "agentId": "planner", "goal": "Plan a trip to Rome"}})
    served.gql(STEPS_Q, {"t": root, "s": [
        {"stepId": f"{root}-observe", "stepType": "Observation",
         "content": "User wants Rome, Friday", "inputData": {"to": "FCO"}},
        {"stepId": f"{root}-decide", "stepType": "Decision", "content": "Pick a source",
         "alternativesConsidered": ["search", "ask-user", "guess"],
         "selectedAlternative": choice, "confidence": 0.8, "modelId": "gpt-4o",
         "inputTokens": tokens, "outputTokens": 40, "dependsOn": [f"{root}-observe"]},
    ]})
    served.gql(START_Q, {"i": {"traceId": child, "parentTraceId": root, "agentId": "researcher",
                               "spawnedByStepId": f"{root}-decide", "goal": "Find flights"}})
    served.gql(STEPS_Q, {"t": child, "s": [
        {"stepId": f"{child}-call", "stepType": "ToolCall", "content": f"call {tool}",
         "dependsOn": [f"{root}-observe"]},
        {"stepId": f"{child}-result", "stepType": "ToolResult", "content": "3 flights",
         "outputData": {"cheapest": 89}, "dependsOn": [f"{child}-call"]},
    ]})
    served.gql(CALLS_Q, {"t": child, "c": [
        {"stepId": f"{child}-call", "apiType": "tool", "endpoint": tool, "costUsd": 0.002,
         "latencyMs": 120}]})
    served.gql(START_Q, {"i": {"traceId": grandchild, "parentTraceId": child,
                               "agentId": "fetcher", "spawnedByStepId": f"{child}-call"}})
    served.gql(STEPS_Q, {"t": grandchild, "s": [
        {"stepId": f"{grandchild}-get", "stepType": "Action", "content": "GET /flights",
         "modelId": "small-model", "inputTokens": 10, "outputTokens": 5}]})
    served.gql(HUMAN_Q, {"t": grandchild, "i": {"question": "Economy?", "answer": "yes",
                                                 "stepId": f"{grandchild}-get"}})
    served.gql(COMPLETE_Q, {"t": grandchild, "o": "SUCCESS"})
    served.gql(COMPLETE_Q, {"t": child, "o": "SUCCESS", "a": "DY1870"})
    served.gql(STEPS_Q, {"t": root, "s": [
        {"stepId": f"{root}-answer", "stepType": "FinalAnswer", "content": "Book DY1870",
         "dependsOn": [f"{root}-decide", f"{child}-result"]}]})
    served.gql(CALLS_Q, {"t": root, "c": [
        {"stepId": f"{root}-decide", "apiType": "llm", "endpoint": "openai", "costUsd": 0.01,
         "requestTokens": tokens, "responseTokens": 40}]})
    served.gql(COMPLETE_Q, {"t": root, "o": "SUCCESS", "a": "Book DY1870"})
