"""The client on both transports: traces, steps, API calls, human inputs, nesting, decorators."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError
from tracegraph.schema.errors import TraceClosed
from tracegraph.sdk import Client
from tracegraph.sdk.http import HttpTransport
from tracegraph.sdk.inprocess import InProcessTransport


def attachments(client: Client, trace_id: str) -> dict[str, list[str | None]]:
    """The step each API call and human input of a trace is tied to, read back."""
    t = client.transport
    if isinstance(t, HttpTransport):
        got = t.query("query($t: ID!) { trace(traceId: $t) { apiCalls { stepId } "
                      "humanInputs { stepId } } }", {"t": trace_id})["trace"]
        return {"calls": [c["stepId"] for c in got["apiCalls"]],
                "inputs": [h["stepId"] for h in got["humanInputs"]]}
    assert isinstance(t, InProcessTransport)
    tenant = str(t.tenant_id)
    return {"calls": [c.step_id for c in t.service.api_calls(tenant, [trace_id])[trace_id]],
            "inputs": [h.step_id for h in t.service.human_inputs(tenant, [trace_id])[trace_id]]}


def test_a_run_is_stored_in_order_with_its_nesting(any_client: Client) -> None:
    tg = any_client
    with tg.trace(goal="Find a flight", agent_id="travel", metadata={"k": 1}) as t:
        seen = t.step("Observation", "OSL to FCO", input_data={"from": "OSL"})
        call = t.api_call(endpoint="https://llm.example/v1", request_tokens=12,
                          response_tokens=3, cost_usd=0.01)
        decided = t.step("Decision", "Norwegian", depends_on=[seen],
                         alternatives_considered=["SAS", "Norwegian"],
                         selected_alternative="Norwegian", model_id="gpt-4o",
                         input_tokens=420, output_tokens=96, thinking_tokens=7)
        t.human_input("Book it?", "yes", answered_by="ana")
        with tg.trace(goal="Book the seat", agent_id="booker") as child:
            child.step("Action", "booked", depends_on=[decided])
        t.step("FinalAnswer", "Booked DY1870", depends_on=[seen, decided])
    assert tg.flush(30)
    assert tg.stats.delivered == tg.stats.enqueued == 10 and tg.stats.dropped == 0

    session = tg.session(t.session_id)
    assert [v.trace_id for v in session.traces] == [t.trace_id, child.trace_id]
    assert [s.step_type for s in session.steps] == ["Observation", "Decision", "FinalAnswer",
                                                    "Action"]
    assert [s.step_index for s in session.steps] == [0, 1, 2, 0]
    assert session.steps[2].depends_on == [seen, decided]
    root = tg.get_trace(t.trace_id)
    assert root is not None and root.status == "completed" and root.outcome == "success"
    assert root.metadata == {"k": 1} and root.totals is not None
    assert (root.totals.input_tokens, root.totals.thinking_tokens, root.totals.api_call_count,
            root.totals.cost_usd) == (420 + 12, 7, 1, 0.01)  # the call's request tokens too
    nested = tg.get_trace(child.trace_id)
    assert nested is not None
    assert (nested.parent_trace_id, nested.spawned_by_step_id, nested.session_id) == (
        t.trace_id, decided, t.session_id)
    assert attachments(tg, t.trace_id) == {"calls": [seen], "inputs": [decided]}
    assert call != seen
    verified = tg.verify_session(t.session_id)
    assert verified.valid and verified.entries_checked == 9 + 1  # 7 + 3 entries, one start each


def test_an_exception_completes_the_trace_as_failed(any_client: Client) -> None:
    with pytest.raises(KeyError), any_client.trace(goal="explode") as t:
        t.step("Reasoning", "about to fail")
        raise KeyError("no such city")
    assert any_client.flush(30)
    view = any_client.get_trace(t.trace_id)
    assert view is not None and (view.status, view.outcome) == ("failed", "failure")
    assert view.error_details == "KeyError: 'no such city'"


def test_an_explicit_completion_is_kept_and_cannot_repeat(any_client: Client) -> None:
    with any_client.trace(goal="partial") as t:
        t.complete("partial", final_answer="half of it", confidence=0.4)
        with pytest.raises(TraceClosed):
            t.complete("success")
    assert any_client.flush(30)
    view = any_client.get_trace(t.trace_id)
    assert view is not None and (view.outcome, view.final_answer) == ("partial", "half of it")


def test_decorators_on_sync_and_async_functions_nest_under_the_caller(any_client: Client
                                                                      ) -> None:
    tg = any_client

    @tg.traced
    def lookup(city: str) -> str:
        return city.upper()

    @tg.traced(goal="ask the model", agent_id="llm", capture_result=True)
    async def ask(question: str) -> str:
        await asyncio.sleep(0)
        return f"answer to {question}"

    with tg.trace(goal="plan") as t:
        assert lookup("rome") == "ROME"
        assert asyncio.run(ask("why")) == "answer to why"
    assert tg.flush(30)
    kids = tg.list_traces(parent_trace_id=t.trace_id)
    by_goal = {k.goal: k for k in kids}
    assert set(by_goal) == {"test_decorators_on_sync_and_async_functions_nest_under_the_caller"
                            ".<locals>.lookup", "ask the model"}
    asked = by_goal["ask the model"]
    assert (asked.agent_id, asked.final_answer, asked.status) == ("llm", "answer to why",
                                                                  "completed")


def test_bad_input_raises_on_the_callers_thread_and_queues_nothing(any_client: Client) -> None:
    t = any_client.trace(goal="strict")
    before = any_client.stats.enqueued
    with pytest.raises(ValidationError, match="confidence"):
        t.step("Reasoning", "sure", confidence=1.5)
    with pytest.raises(ValidationError, match="step_type"):
        t.step("not a type!", "x")
    assert any_client.stats.enqueued == before


def test_listing_filters_limit_and_offset(any_client: Client) -> None:
    agent = f"lister-{id(any_client)}"
    ids = []
    for i in range(5):
        with any_client.trace(goal=f"g{i}", agent_id=agent) as t:
            t.step("Reasoning", "x", model_id="m-1" if i % 2 else "m-2")
            if i == 4:
                t.complete("failure")
        ids.append(t.trace_id)
    assert any_client.flush(30)
    newest_first = list(reversed(ids))

    def listed(**kw: Any) -> list[str]:
        return [v.trace_id for v in any_client.list_traces(agent_id=agent, **kw)]

    assert listed() == newest_first
    assert listed(limit=2, offset=1) == newest_first[1:3]
    assert listed(status="failed") == [ids[4]]
    assert listed(status="completed", model_id="m-1") == [ids[3], ids[1]]
    assert listed(outcome="success", offset=3) == [ids[0]]
