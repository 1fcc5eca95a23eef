"""Subscriptions over graphql-transport-ws: every appended entry of a trace or a session is
delivered live, in order, with the same tenant scoping as queries."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from tracegraph.schema.inputs import StartTraceInput, StepInput

from tests.helpers.live import LiveServer, new_tenant
from tests.helpers.ws import subscriber

TRACE_EVENTS = """
subscription($t: ID!, $after: Int) {
  traceEvents(traceId: $t, afterSeq: $after) {
    traceId seq kind hash prevHash
    step { stepId stepIndex alternatives { text selected } }
    apiCall { callId costUsd }
    humanInput { question answer }
    trace { status }
  }
}"""
SESSION_EVENTS = """
subscription($s: ID!) { sessionEvents(sessionId: $s) { traceId seq kind step { stepId } } }"""
START = "mutation($i: StartTraceInput!) { startTrace(input: $i) { traceId } }"
STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ stepId } }")


def _gql(server: LiveServer, tenant: str, query: str, **variables: Any) -> Any:
    return asyncio.to_thread(server.gql, query, variables, tenant=tenant)


def test_trace_events_replay_then_live_until_completion(server: LiveServer) -> None:
    tenant = new_tenant()
    tid = server.gql(START, {"i": {}}, tenant=tenant)["startTrace"]["traceId"]

    async def scenario() -> list[dict[str, Any]]:
        async with subscriber(server.url, tenant) as sub:
            op = await sub.subscribe(TRACE_EVENTS, {"t": tid})
            (started,) = await sub.events(1)  # the stored start entry is replayed
            assert started["traceEvents"]["kind"] == "TRACE_STARTED"
            await _gql(server, tenant, STEPS, t=tid, s=[
                {"stepId": "e1", "stepType": "Decision", "alternativesConsidered": ["x", "y"],
                 "selectedAlternative": "y"},
                {"stepId": "e2", "stepType": "Action"}])
            await _gql(server, tenant, 'mutation($t: ID!) { recordApiCall(traceId: $t, '
                       'call: {stepId: "e2", costUsd: 0.5, callId: "k1"}) { callId } }', t=tid)
            await _gql(server, tenant, 'mutation($t: ID!) { recordHumanInput(traceId: $t, '
                       'input: {question: "go?", answer: "yes"}) { inputId } }', t=tid)
            await _gql(server, tenant, 'mutation($t: ID!) { completeTrace(traceId: $t, '
                       'outcome: SUCCESS) { status } }', t=tid)
            live = await sub.events(5)
            done = await sub.receive()
            assert done == {"id": op, "type": "complete"}
            return [started, *live]

    events = [e["traceEvents"] for e in asyncio.run(scenario())]
    assert [e["seq"] for e in events] == [0, 1, 2, 3, 4, 5]
    assert [e["kind"] for e in events] == ["TRACE_STARTED", "STEP", "STEP", "API_CALL",
                                           "HUMAN_INPUT", "TRACE_COMPLETED"]
    assert all(b["prevHash"] == a["hash"] for a, b in itertools.pairwise(events))
    assert events[1]["step"] == {"stepId": "e1", "stepIndex": 0, "alternatives": [
        {"text": "x", "selected": False}, {"text": "y", "selected": True}]}
    assert events[3]["apiCall"] == {"callId": "k1", "costUsd": 0.5}
    assert events[4]["humanInput"] == {"question": "go?", "answer": "yes"}
    assert events[0]["step"] is None and events[5]["trace"] == {"status": "COMPLETED"}


def test_after_seq_and_appends_from_other_interfaces(server: LiveServer) -> None:
    """Appends that do not go through this server's mutations arrive by polling."""
    tenant = new_tenant()
    tid = server.gql(START, {"i": {}}, tenant=tenant)["startTrace"]["traceId"]
    server.gql(STEPS, {"t": tid, "s": [{"stepId": "p1", "stepType": "Reasoning"}]},
               tenant=tenant)

    async def scenario() -> tuple[list[dict[str, Any]], float]:
        async with subscriber(server.url, tenant) as sub:
            await sub.subscribe(TRACE_EVENTS, {"t": tid, "after": 0})
            first = await sub.events(1)
            t0 = time.monotonic()
            await asyncio.to_thread(server.service.record_steps, tenant, tid,
                                    [StepInput(step_id="p2", step_type="Action")])
            second = await sub.events(1)
            return first + second, time.monotonic() - t0

    events, waited = asyncio.run(scenario())
    assert [e["traceEvents"]["step"]["stepId"] for e in events] == ["p1", "p2"]
    assert waited < 2


def test_subscriptions_are_scoped_to_the_tenant(server: LiveServer) -> None:
    tenant = new_tenant()
    tid = server.gql(START, {"i": {}}, tenant=tenant)["startTrace"]["traceId"]

    async def scenario() -> dict[str, Any]:
        async with subscriber(server.url, "someone-else") as sub:
            op = await sub.subscribe(TRACE_EVENTS, {"t": tid})
            msg = await sub.receive()
            assert msg["id"] == op
            return msg

    msg = asyncio.run(scenario())
    assert msg["type"] in {"error", "next"}
    errors = msg["payload"] if msg["type"] == "error" else msg["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert tid in errors[0]["message"]


def test_session_events_follow_new_and_nested_traces(server: LiveServer) -> None:
    tenant = new_tenant()

    async def scenario() -> list[dict[str, Any]]:
        async with subscriber(server.url, tenant) as sub:
            await sub.subscribe(SESSION_EVENTS, {"s": "live-session"})  # not started yet
            root = (await _gql(server, tenant, START,
                               i={"sessionId": "live-session", "traceId": "lr"}))
            assert root["startTrace"]["traceId"] == "lr"
            got = await sub.events(1)
            await _gql(server, tenant, STEPS, t="lr", s=[{"stepId": "ls1", "stepType": "Plan"}])
            got += await sub.events(1)
            await _gql(server, tenant, START, i={"parentTraceId": "lr", "traceId": "lc"})
            got += await sub.events(1)
            await _gql(server, tenant, STEPS, t="lc", s=[{"stepId": "lcs", "stepType": "Act"}])
            got += await sub.events(1)
            return got

    events = [e["sessionEvents"] for e in asyncio.run(scenario())]
    assert [(e["traceId"], e["seq"], e["kind"]) for e in events] == [
        ("lr", 0, "TRACE_STARTED"), ("lr", 1, "STEP"), ("lc", 0, "TRACE_STARTED"),
        ("lc", 1, "STEP")]
    assert events[3]["step"] == {"stepId": "lcs"}


def test_queries_over_websocket_see_fresh_data(server: LiveServer) -> None:
    tenant = new_tenant()
    tid = server.gql(START, {"i": {}}, tenant=tenant)["startTrace"]["traceId"]
    query = "query($t: ID!) { trace(traceId: $t) { entryCount } }"

    async def scenario() -> list[int]:
        async with subscriber(server.url, tenant) as sub:
            counts = []
            for _ in range(2):
                await sub.subscribe(query, {"t": tid})
                (data,) = await sub.events(1)
                counts.append(data["trace"]["entryCount"])
                assert (await sub.receive())["type"] == "complete"
                await _gql(server, tenant, STEPS, t=tid, s=[{"stepType": "Reasoning"}])
            return counts

    assert asyncio.run(scenario()) == [1, 2]


TRACES_STARTED = """
subscription($f: TraceFilter) { tracesStarted(filter: $f) { traceId agentId status } }"""


def test_traces_started_announces_new_traces_of_the_tenant_matching_the_filter(
        server: LiveServer) -> None:
    """Stored traces are not replayed; new ones arrive oldest first, through this server's
    mutations and from other interfaces alike, filtered, and only the caller's tenant's."""
    tenant = new_tenant()
    server.gql(START, {"i": {"traceId": "old", "agentId": "planner"}}, tenant=tenant)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with subscriber(server.url, tenant) as every, \
                subscriber(server.url, tenant) as planners:
            await every.subscribe(TRACES_STARTED, {})
            await planners.subscribe(TRACES_STARTED, {"f": {"agentId": "planner"}})
            await asyncio.sleep(0.5)  # both are open and past their first look
            await _gql(server, new_tenant(), START, i={"traceId": "elsewhere"})
            await _gql(server, tenant, START, i={"traceId": "n1", "agentId": "critic"})
            await _gql(server, tenant, START, i={"traceId": "n2", "agentId": "planner"})
            await asyncio.to_thread(server.service.start_trace, tenant, StartTraceInput(
                trace_id="n3", agent_id="planner"))
            await _gql(server, tenant, STEPS, t="n1", s=[{"stepType": "Plan"}])
            return await every.events(3), await planners.events(2)

    every, planners = asyncio.run(scenario())
    assert [e["tracesStarted"]["traceId"] for e in every] == ["n1", "n2", "n3"]
    assert [e["tracesStarted"]["traceId"] for e in planners] == ["n2", "n3"]
    assert every[0]["tracesStarted"] == {"traceId": "n1", "agentId": "critic",
                                         "status": "ACTIVE"}
