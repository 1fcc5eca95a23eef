"""The seeds' call shapes over both transports: seed 001's ledger, seed 002's thinking traces."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from tracegraph.schema.errors import InvalidInput
from tracegraph.sdk import (
    AsyncClient,
    Client,
    Dropped,
    Ledger,
    ThinkingStep,
    ThinkingTraces,
    TokenUsage,
)

from .serve import free_port


def _session() -> str:
    return f"revenue-analysis-{uuid.uuid4().hex[:8]}"


def test_seed_001_usage_example(any_client: Client) -> None:
    agent = Ledger(any_client, agent_id="analyst")
    session_id = _session()
    logged = [
        agent.log_reasoning_step(session_id=session_id, step_type="Observation",
                                 content="User asked for Q4 revenue breakdown by segment"),
        agent.log_reasoning_step(
            session_id=session_id, step_type="ToolCall", content="Querying orders table",
            input_data={"sql": "SELECT segment, SUM(revenue) FROM orders GROUP BY 1"},
            output_data={"enterprise": 4500000, "smb": 890000}),
        agent.log_reasoning_step(session_id=session_id, step_type="Reasoning",
                                 content="Enterprise grew 23% QoQ while SMB declined 5%.",
                                 confidence=0.88, model="gpt-4o"),
        agent.log_reasoning_step(session_id=session_id, step_type="FinalAnswer",
                                 content="Q4 revenue was $7.49M, up 15% QoQ.", confidence=0.95),
    ]
    assert [s["step_index"] for s in logged] == [0, 1, 2, 3]
    assert {s["status"] for s in logged} == {"stored"}
    assert len({s["trace_id"] for s in logged}) == 1

    trace = agent.replay_decision(session_id, verify_chain=True)
    assert trace["chain_valid"] is True
    assert (trace["session_id"], trace["agent_id"], trace["step_count"]) == (
        session_id, "analyst", 4)
    assert [s["current_hash"] for s in trace["steps"]] == [s["current_hash"] for s in logged]
    assert [s["step_type"] for s in trace["steps"]] == ["Observation", "ToolCall", "Reasoning",
                                                        "FinalAnswer"]
    assert trace["steps"][1]["output_data"] == {"enterprise": 4500000, "smb": 890000}
    assert trace["steps"][2]["model"] == "gpt-4o"
    assert trace["steps"][1]["prev_hash"] == logged[0]["current_hash"]

    # another ledger (another process) continues the session's active trace
    again = Ledger(any_client, agent_id="analyst").log_reasoning_step(
        session_id, "Correction", "SMB declined 4%, not 5%.")
    assert (again["trace_id"], again["step_index"]) == (logged[0]["trace_id"], 4)
    assert agent.replay_decision(session_id, verify_chain=False)["chain_valid"] is None

    (history,) = [h for h in agent.get_session_history(limit=50)
                  if h["session_id"] == session_id]
    assert history["step_count"] == 5 and history["chain_valid"] is True
    assert history["first_step_at"] is not None and history["last_step_at"] is not None
    assert history["first_step_at"] <= history["last_step_at"]


def test_a_step_the_store_refuses_raises_from_log_reasoning_step(local_client: Client) -> None:
    ledger = Ledger(local_client, agent_id="analyst")
    with pytest.raises(Dropped, match="no-such-step"):
        ledger.log_reasoning_step(_session(), "Reasoning", "x", depends_on=["no-such-step"])


def test_log_reasoning_step_returns_pending_when_the_server_is_down() -> None:
    client = Client.http(f"http://127.0.0.1:{free_port()}", backoff=(0.01, 0.05))
    ledger = Ledger(client, agent_id="analyst", wait=0.2)
    logged = ledger.log_reasoning_step("s-down", "Observation", "offline")
    assert logged["status"] == "pending" and logged["step_index"] is None
    assert client.stats.pending == 2
    client.close(timeout=0.1)


def test_seed_002_thinking_trace_lifecycle(transport_name: str, any_client: Client) -> None:
    session_id = f"sess-{uuid.uuid4().hex[:8]}"

    async def main() -> None:
        service = ThinkingTraces(AsyncClient(any_client))
        trace_id = await service.start_thinking_trace(
            tenant_id="acme", session_id=session_id,
            actor_urn="urn:matih:agent:acme:bi-agent", agent_id="bi-agent",
            goal="Show me total sales by region")
        first = await service.record_thinking_step(trace_id, ThinkingStep(
            step_type="INTENT_ANALYSIS",
            reasoning="User wants aggregated sales data grouped by region",
            confidence=0.95, model_id="gpt-4",
            token_usage=TokenUsage(input_tokens=150, output_tokens=50, thinking_tokens=200)))
        await service.record_api_call(trace_id, "llm", endpoint="chat/completions",
                                      method="POST", status_code=200, latency_ms=812.5,
                                      request_tokens=150, response_tokens=50, cost_usd=0.002)
        await service.record_thinking_step(trace_id, ThinkingStep(
            step_type="QUERY_GENERATION", reasoning="SELECT region, SUM(amount) ...",
            alternatives_considered=["by region", "by country"],
            selected_alternative="by region", depends_on=[first], model_id="gpt-4",
            token_usage=TokenUsage(input_tokens=300, output_tokens=80)))
        await service.complete_thinking_trace(trace_id, outcome="success",
                                              final_answer="EMEA leads")
        other = await service.start_thinking_trace(session_id=session_id,
                                                   goal="still thinking")
        failed = await service.start_thinking_trace(session_id=session_id, goal="gave up")
        await service.complete_thinking_trace(failed, outcome="failure")

        traces = await service.query_thinking_traces(
            tenant_id="acme", session_id=session_id, status="completed", limit=50, offset=0)
        assert [t.trace_id for t in traces] == [trace_id]
        (done,) = traces
        assert done.actor_urn == "urn:matih:agent:acme:bi-agent"
        assert done.totals is not None
        assert (done.totals.thinking_tokens, done.totals.input_tokens,
                done.totals.output_tokens, done.totals.cost_usd) == (200, 450, 130, 0.002)
        # (the call is tied to the first step, which reported its usage: not counted twice)
        assert done.model_ids_used == ["gpt-4"]
        assert done.path_taken == ["INTENT_ANALYSIS", "QUERY_GENERATION"]
        everything = await service.query_thinking_traces(session_id=session_id)
        assert [t.trace_id for t in everything] == [failed, other, trace_id]
        paged = await service.query_thinking_traces(session_id=session_id, limit=1, offset=1)
        assert [t.trace_id for t in paged] == [other]
        assert [t.trace_id for t in await service.query_thinking_traces(
            session_id=session_id, status="failed")] == [failed]
        assert [t.trace_id for t in await service.query_thinking_traces(
            session_id=session_id, status="active")] == [other]
        if transport_name == "in-process":  # over HTTP the API key names the tenant
            with pytest.raises(InvalidInput, match="tenant_id"):
                await service.query_thinking_traces(tenant_id="globex")

    asyncio.run(main())
