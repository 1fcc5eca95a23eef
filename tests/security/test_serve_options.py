"""``tracegraph serve`` storage and request limits as a real subprocess: --max-text-bytes and
--max-json-bytes truncate with a marker, --agent-without-reasoning keeps step contents out,
--max-body-bytes answers 413, --max-future-skew and --max-past-skew (the latter from the
environment) bound client-given times, --allowed-host and --allowed-origin widen what web
pages may reach."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.processes import SCRIPT, free_port, wait_until_serving

PAST_SKEW = 400 * 24 * 3600  # (the tests below use dates of this year)
DATA: dict[str, Path] = {}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("serve-options") / "data"  # created by serve
    DATA["dir"] = data
    port = free_port()
    proc = subprocess.Popen(
        [SCRIPT, "serve", "--port", str(port), "--data-dir", str(data),
         "--max-text-bytes", "1024", "--max-json-bytes", "2048", "--max-body-bytes", "65536",
         "--agent-without-reasoning", "quiet", "--agent-without-reasoning", "silent",
         "--max-future-skew", "60", "--allowed-host", "tracegraph.internal",
         "--allowed-origin", "https://ui.example.com"],
        env={**os.environ, "TRACEGRAPH_MAX_PAST_SKEW": str(PAST_SKEW)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base, proc)
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


def _started_at(url: str, when: datetime) -> dict[str, Any]:
    r = httpx.post(f"{url}/graphql", json={
        "query": "mutation($t: DateTime) { startTrace(input: {createdAt: $t}) { traceId } }",
        "variables": {"t": when.isoformat()}}, timeout=30)
    body: dict[str, Any] = r.json()
    return body


def test_configured_clock_window(url: str) -> None:
    now = datetime.now(UTC)
    assert "errors" not in _started_at(url, now + timedelta(seconds=30))
    ahead = _started_at(url, now + timedelta(seconds=120))["errors"][0]["message"]
    assert "createdAt: " in ahead and "more than 60 seconds ahead" in ahead
    assert "errors" not in _started_at(url, now - timedelta(days=399))
    behind = _started_at(url, now - timedelta(days=401))["errors"][0]["message"]
    assert "more than 9600 hours behind" in behind and "--max-past-skew" in behind


def test_configured_hosts_and_origins(url: str) -> None:
    query = {"query": "{ __typename }"}
    port = url.rsplit(":", 1)[1]
    for headers, status in [({"Host": f"tracegraph.internal:{port}"}, 200),
                            ({"Host": f"other.internal:{port}"}, 400),
                            ({"Origin": "https://ui.example.com"}, 200),
                            ({"Origin": "https://evil.example"}, 403)]:
        assert httpx.post(f"{url}/graphql", json=query, headers=headers,
                          timeout=30).status_code == status, headers


def test_data_files_are_private(url: str) -> None:
    _gql(url, "mutation { startTrace(input: {}) { traceId } }")
    data = DATA["dir"]
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("tracegraph.sqlite3", "tracegraph.sqlite3-wal", "tracegraph.sqlite3-shm",
                 "control.sqlite3"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
