"""``tracegraph serve`` storage and request limits as a real subprocess: --max-text-bytes and
--max-json-bytes truncate with a marker, --agent-without-reasoning keeps step contents out,
--max-body-bytes answers 413."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers.processes import SCRIPT, free_port


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("serve-options")
    port = free_port()
    proc = subprocess.Popen(
        [SCRIPT, "serve", "--port", str(port), "--data-dir", str(data),
         "--max-text-bytes", "1024", "--max-json-bytes", "2048", "--max-body-bytes", "65536",
         "--agent-without-reasoning", "quiet", "--agent-without-reasoning", "silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
        time.sleep(0.05)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def _gql(url: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    r = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}},
                   timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body, body
    return body["data"]


STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ content inputData alternatives { text } } }")


def _trace(url: str, agent: str) -> str:
    return str(_gql(url, "mutation($a: ID) { startTrace(input: {agentId: $a}) "
                         "{ traceId } }", {"a": agent})["startTrace"]["traceId"])


def test_text_and_json_are_truncated_with_a_marker(url: str) -> None:
    long_text = "é" * 2000  # 4000 UTF-8 bytes
    payload = {"rows": ["x" * 100] * 40}
    (step,) = _gql(url, STEPS, {"t": _trace(url, "chatty"), "s": [
        {"stepType": "Reasoning", "content": long_text, "inputData": payload}]})["recordSteps"]
    digest = hashlib.sha256(long_text.encode()).hexdigest()
    assert step["content"].endswith(f"[TRUNCATED original_bytes=4000 sha256={digest}]")
    assert len(step["content"].encode()) <= 1024
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    assert step["inputData"]["_truncated"] is True
    assert step["inputData"]["original_bytes"] == len(raw)
    assert step["inputData"]["sha256"] == hashlib.sha256(raw).hexdigest()


def test_agents_without_reasoning_keep_no_content(url: str) -> None:
    for agent, stored in (("quiet", False), ("silent", False), ("chatty", True)):
        (step,) = _gql(url, STEPS, {"t": _trace(url, agent), "s": [
            {"stepType": "Reasoning", "content": "private", "inputData": {"q": 1},
             "alternativesConsidered": ["a", "b"], "selectedAlternative": "a"}]}
                       )["recordSteps"]
        assert (step["content"] == "private") is stored, (agent, step)
        assert (step["alternatives"] != []) is stored, (agent, step)


def test_body_over_the_configured_limit_is_413(url: str) -> None:
    r = httpx.post(f"{url}/graphql", json={"query": "{ __typename }", "pad": "x" * 70_000},
                   timeout=30)
    assert r.status_code == 413
    assert "65536 bytes (64 KiB)" in r.json()["errors"][0]["message"]
