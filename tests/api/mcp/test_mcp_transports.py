"""The MCP server through the SDK's own client session (mcp.ClientSession), over stdio (a
``tracegraph mcp`` subprocess) and streamable HTTP (a ``tracegraph mcp --transport http``
subprocess with API keys): seed 001's tools with its inputs and outputs, and the read tools."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.helpers.processes import SCRIPT, free_port

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]
STEPS = [
    {"step_type": "Observation", "content": "User asked for Q4 revenue breakdown by segment"},
    {"step_type": "ToolCall", "content": "Querying orders table",
     "input_data": {"sql": "SELECT segment, SUM(revenue) FROM orders GROUP BY 1"}},
    {"step_type": "Reasoning", "content": "Enterprise grew 23% QoQ while SMB declined 5%.",
     "output_data": {"enterprise": 4500000}, "confidence": 0.88, "model": "gpt-4o"},
    {"step_type": "FinalAnswer", "content": "Q4 revenue was $7.49M, up 15% QoQ.",
     "confidence": 0.95},
]


async def _session(streams: AbstractAsyncContextManager[Any],
                   body: Callable[[Call], Awaitable[None]]) -> None:
    async with streams as (read, write), ClientSession(read, write) as session:
        await session.initialize()

        async def call(name: str, args: dict[str, Any]) -> Any:
            result = await session.call_tool(name, args)
            if result.is_error:
                return ("error", " ".join(getattr(c, "text", "") for c in result.content))
            data = result.structured_content
            return data["result"] if set(data) == {"result"} else data

        await body(call)


async def _ledger_round_trip(call: Call) -> None:
    """Seed 001's usage example, then the read tools over what it logged."""
    hashes = []
    for i, step in enumerate(STEPS):
        out = await call("log_reasoning_step", {"session_id": "revenue-analysis-q4",
                                                "agent_id": "analyst", **step})
        assert set(out) == {"trace_id", "step_index", "current_hash"}
        assert out["step_index"] == i
        hashes.append(out["current_hash"])
        trace_id = out["trace_id"]
    assert len(set(hashes)) == len(STEPS)
    replay = await call("replay_decision", {"session_id": "revenue-analysis-q4",
                                            "verify_chain": True})
    assert replay["chain_valid"] is True
    assert replay["session_id"] == "revenue-analysis-q4" and replay["agent_id"] == "analyst"
    assert replay["step_count"] == len(STEPS)
    assert [(s["step_index"], s["step_type"], s["content"]) for s in replay["steps"]] == [
        (i, s["step_type"], s["content"]) for i, s in enumerate(STEPS)]
    assert replay["steps"][-1]["current_hash"] == hashes[-1]
    await call("log_reasoning_step", {"session_id": "second", "agent_id": "analyst",
                                      "step_type": "Observation", "content": "again"})
    history = await call("get_session_history", {"agent_id": "analyst", "limit": 20})
    assert [h["session_id"] for h in history] == ["second", "revenue-analysis-q4"]
    first = history[1]
    assert set(first) == {"session_id", "step_count", "first_step_at", "last_step_at",
                          "chain_valid"}
    assert first["step_count"] == len(STEPS) and first["chain_valid"] is True
    assert first["first_step_at"] <= first["last_step_at"]
    assert await call("get_session_history", {"agent_id": "analyst", "limit": 1}) == history[:1]
    assert await call("get_session_history", {"agent_id": "nobody"}) == []

    verified = await call("verify_chain", {"trace_id": trace_id})
    assert verified["valid"] is True and verified["entries_checked"] == len(STEPS) + 1
    tree = await call("get_run_tree", {"trace_id": trace_id, "include_steps": True})
    assert tree["root"]["trace"]["trace_id"] == trace_id
    assert [s["step_type"] for s in tree["root"]["steps"]] == [s["step_type"] for s in STEPS]
    step_ids = [s["step_id"] for s in replay["steps"]]
    lineage = await call("get_lineage", {"node_id": step_ids[-1], "direction": "UP"})
    assert {n["node"]["node_id"] for n in lineage["nodes"]} >= set(step_ids[:-1])
    path = await call("find_path", {"from_id": step_ids[0], "to_id": step_ids[-1]})
    assert path["paths"] and path["paths"][0]["nodes"][-1]["node_id"] == step_ids[-1]

    bad = await call("log_reasoning_step", {"session_id": "s", "step_type": "Reasoning",
                                            "confidence": 1.5})
    assert bad[0] == "error" and "confidence" in bad[1]
    missing = await call("replay_decision", {"session_id": "no-such-session"})
    assert missing[0] == "error" and "no-such-session" in missing[1]


def test_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=SCRIPT, args=["mcp", "--data-dir", str(tmp_path / "data"), "--tenant", "acme"],
        env={k: v for k, v in os.environ.items() if k.startswith(("PATH", "HOME", "PYTHON"))})
    anyio.run(_session, stdio_client(params), _ledger_round_trip)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    data = tmp_path / "data"
    created = subprocess.run([SCRIPT, "keys", "create", "--tenant", "acme", "--data-dir",
                              str(data)], capture_output=True, text=True, check=True)
    key = created.stdout.splitlines()[0].strip()
    port = free_port()
    proc = subprocess.Popen([SCRIPT, "mcp", "--transport", "http", "--port", str(port),
                             "--data-dir", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            assert proc.poll() is None and time.monotonic() < deadline, "mcp did not start"
            time.sleep(0.05)
    yield url, key, data
    proc.terminate()
    proc.wait(timeout=30)


def test_streamable_http_with_an_api_key(http_server: tuple[str, str, Path]) -> None:
    url, key, _ = http_server
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    anyio.run(_session, streamable_http_client(url, http_client=client), _ledger_round_trip)


def test_http_without_a_key_is_401(http_server: tuple[str, str, Path]) -> None:
    url, _, _ = http_server
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        r = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                       headers={**headers, "Accept": "application/json, text/event-stream"},
                       timeout=10)
        assert r.status_code == 401, r.text
