"""The deployment-wide ledger switch (seed 001 "CoT enabled", seed 003's per-deployment
opt-out) over a ``tracegraph serve`` subprocess: with ``TRACEGRAPH_REASONING_LEDGER=false``
steps keep their type, tokens and model but no reasoning content, for every agent."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.processes import SCRIPT, free_port, wait_until_serving


def _gql(base: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    r = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                   timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


def test_ledger_off_keeps_metadata_not_content(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [SCRIPT, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        env={**os.environ, "TRACEGRAPH_REASONING_LEDGER": "false"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc)
        trace = _gql(base, 'mutation { startTrace(input: {agentId: "chatty", '
                     "includeReasoningTrace: true}) { traceId includeReasoningTrace } }"
                     )["startTrace"]
        assert trace["includeReasoningTrace"] is False
        (step,) = _gql(base, "mutation($t: ID!) { recordSteps(traceId: $t, steps: [{stepType: "
                       '"Reasoning", content: "private", inputData: {q: 1}, inputTokens: 5, '
                       'modelId: "m1"}]) { stepType content inputData inputTokens modelId } }',
                       {"t": trace["traceId"]})["recordSteps"]
        assert step == {"stepType": "Reasoning", "content": None, "inputData": None,
                        "inputTokens": 5, "modelId": "m1"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
