"""The trace lifecycle end to end over HTTP: start, steps, API call, human input, nested
trace, completion, reads with rollups, session replay and verification."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lifecycle import GET_TRACE, RECORD_STEPS, SESSION, START, run_lifecycle
from tests.helpers.live import LiveServer


@pytest.fixture(scope="module")
def run(server: LiveServer) -> dict[str, Any]:
    tenant = "lifecycle"
    return {"tenant": tenant, **run_lifecycle(server, tenant)}


def test_start_trace_returns_the_stored_trace(run: dict[str, Any]) -> None:
    root = run["root"]
    assert root["status"] == "ACTIVE" and root["outcome"] is None
    assert root["tenantId"] == "lifecycle" and root["sessionId"] == "sess-1"
    assert root["agentId"] == "planner" and root["actorUrn"] == "urn:user:42"
    assert root["metadata"] == {"channel": "chat", "n": [1, 2.5]}
    assert root["entryCount"] == 1 and len(root["headHash"]) == 64
    assert root["createdAt"].endswith("Z") and root["completedAt"] is None
    child = run["child"]
    assert child["parentTraceId"] == root["traceId"] and child["spawnedByStepId"] == "dec"
    assert child["sessionId"] == "sess-1"  # a nested trace joins its parent's session


def test_record_steps_seals_a_chain_with_alternatives_and_dependencies(
    run: dict[str, Any],
) -> None:
    obs, dec = run["first"]
    (act,) = run["second"]
    assert [obs["stepIndex"], dec["stepIndex"], act["stepIndex"]] == [0, 1, 2]
    assert [obs["seq"], dec["seq"], act["seq"]] == [1, 2, 3]
    assert dec["prevHash"] == obs["hash"] and act["prevHash"] == dec["hash"]
    assert dec["stepType"] == "Decision"  # ledger types are stored in canonical case
    assert act["stepType"] == "INTENT_ANALYSIS"  # custom types as given
    assert dec["alternatives"] == [
        {"alternativeId": "dec#alt0", "text": "SAS", "selected": False, "index": 0},
        {"alternativeId": "dec#alt1", "text": "Norwegian", "selected": True, "index": 1},
        {"alternativeId": "dec#alt2", "text": "train", "selected": False, "index": 2},
    ]
    assert dec["selectedAlternative"] == "Norwegian" and dec["confidence"] == 0.8
    assert act["dependsOn"] == ["obs", "dec"]
    assert obs["inputData"] == {"text": "fly to Oslo"}
    assert act["outputData"] == [1, "two", None, {"three": 3}]
    assert act["metadata"] == {"k": "v"}
    assert len(obs["reasoningHash"]) == 64 and act["reasoningHash"] is None
    assert obs["durationMs"] == 12.5 and obs["thinkingTokens"] == 7


def test_api_call_and_human_input_are_chain_entries(run: dict[str, Any]) -> None:
    call, human = run["call"], run["human"]
    assert call["seq"] == 4 and human["seq"] == 5
    assert call["stepId"] == "dec" and call["costUsd"] == 0.25 and call["statusCode"] == 200
    assert human["question"] == "Norwegian ok?" and human["answeredBy"] == "alice"


def test_complete_trace_sets_status_and_outcome(run: dict[str, Any]) -> None:
    done = run["done"]
    assert done["status"] == "COMPLETED" and done["outcome"] == "PARTIAL"
    assert done["finalAnswer"] == "booked, no seat" and done["confidence"] == 0.7
    assert done["completedAt"] is not None and done["entryCount"] == 7


def test_get_trace_with_relations_and_rollups(server: LiveServer, run: dict[str, Any]) -> None:
    rid, cid = run["root"]["traceId"], run["child"]["traceId"]
    data = server.gql(GET_TRACE, {"traceId": rid}, tenant=run["tenant"])
    t = data["trace"]
    assert [s["stepId"] for s in t["steps"]] == ["obs", "dec", "act"]
    assert t["pathTaken"] == ["Observation", "Decision", "INTENT_ANALYSIS"]
    assert t["modelIdsUsed"] == ["m-small", "m-large"]
    assert t["steps"][1]["apiCalls"] == [{"callId": run["call"]["callId"]}]
    assert t["steps"][0]["apiCalls"] == []
    assert t["apiCalls"] == [{"callId": run["call"]["callId"], "stepId": "dec", "costUsd": 0.25}]
    assert t["humanInputs"] == [{"inputId": run["human"]["inputId"], "question": "Norwegian ok?",
                                 "answer": "yes", "answeredBy": "alice"}]
    assert t["parent"] is None
    (child,) = t["children"]
    assert child["traceId"] == cid and child["parent"] == {"traceId": rid}
    assert child["status"] == "COMPLETED" and child["steps"] == [{"stepId": "book"}]
    # the API call of step "dec" adds no tokens: the step already reported its usage
    assert t["totals"] == {"thinkingTokens": 7, "inputTokens": 30, "outputTokens": 13,
                           "costUsd": 0.25, "durationMs": 42.5, "stepCount": 3,
                           "apiCallCount": 1}
    assert child["totals"] == {"thinkingTokens": 1, "inputTokens": 3, "outputTokens": 4,
                               "costUsd": 0.5, "durationMs": 100.0, "stepCount": 1,
                               "apiCallCount": 1}
    assert t["subtreeTotals"] == {"thinkingTokens": 8, "inputTokens": 33, "outputTokens": 17,
                                  "costUsd": 0.75, "durationMs": 142.5, "stepCount": 4,
                                  "apiCallCount": 2}
    assert data["verifyTrace"] == {"valid": True, "entriesChecked": 7, "firstBrokenSeq": None,
                                   "reason": None}
    assert t["entryCount"] == 7 and t["headHash"] == run["done"]["headHash"]


def test_active_trace_rollups_are_live(server: LiveServer, tenant: str) -> None:
    tid = server.gql(START, {"input": {}}, tenant=tenant)["startTrace"]["traceId"]
    server.gql(RECORD_STEPS, {"traceId": tid, "steps": [
        {"stepType": "Reasoning", "modelId": "m1", "inputTokens": 2},
        {"stepType": "Action", "modelId": "m2", "outputTokens": 3},
    ]}, tenant=tenant)
    t = server.gql(GET_TRACE, {"traceId": tid}, tenant=tenant)["trace"]
    assert t["status"] == "ACTIVE" and t["pathTaken"] == ["Reasoning", "Action"]
    assert t["modelIdsUsed"] == ["m1", "m2"]
    assert t["totals"]["inputTokens"] == 2 and t["totals"]["outputTokens"] == 3
    assert t["subtreeTotals"] == t["totals"]


def test_session_replay_and_verification(server: LiveServer, run: dict[str, Any]) -> None:
    data = server.gql(SESSION, {"sessionId": "sess-1"}, tenant=run["tenant"])
    s = data["session"]
    assert s["sessionId"] == "sess-1" and s["agentId"] == "planner"
    assert [t["traceId"] for t in s["traces"]] == [run["root"]["traceId"],
                                                    run["child"]["traceId"]]
    assert [st["stepId"] for st in s["steps"]] == ["obs", "dec", "act", "book"]
    assert s["stepCount"] == 4 and s["chainValid"] is True
    assert s["firstStepAt"] <= s["lastStepAt"]
    assert data["verifySession"] == {"valid": True, "entriesChecked": 7 + 4,
                                     "firstBrokenSeq": None, "reason": None}


def test_unknown_session_is_null(server: LiveServer, tenant: str) -> None:
    data = server.gql("{ session(sessionId: \"nope\") { sessionId } }", tenant=tenant)
    assert data == {"session": None}


def test_tenants_are_isolated(server: LiveServer, run: dict[str, Any]) -> None:
    rid = run["root"]["traceId"]
    assert server.gql(GET_TRACE.replace("verifyTrace(traceId: $traceId) "
                                        "{ valid entriesChecked firstBrokenSeq reason }", ""),
                      {"traceId": rid}, tenant="someone-else") == {"trace": None}
    err = server.gql_error("query($t: ID!) { verifyTrace(traceId: $t) { valid } }",
                           {"t": rid}, tenant="someone-else")
    assert err["extensions"]["code"] == "NOT_FOUND"


def test_default_tenant_without_header(server: LiveServer) -> None:
    t = server.gql(START, {"input": {"goal": "no header"}})["startTrace"]
    assert t["tenantId"] == "default"
    got = server.gql("query($t: ID!) { trace(traceId: $t) { goal } }", {"t": t["traceId"]},
                     tenant="default")
    assert got == {"trace": {"goal": "no header"}}


def test_resending_a_batch_with_the_same_ids_is_idempotent(
    server: LiveServer, tenant: str
) -> None:
    tid = server.gql(START, {"input": {}}, tenant=tenant)["startTrace"]["traceId"]
    steps = [{"stepId": "x1", "stepType": "Reasoning"}, {"stepId": "x2", "stepType": "Action"}]
    first = server.gql(RECORD_STEPS, {"traceId": tid, "steps": steps}, tenant=tenant)
    again = server.gql(RECORD_STEPS, {"traceId": tid, "steps": steps}, tenant=tenant)
    assert first == again
    t = server.gql("query($t: ID!) { trace(traceId: $t) { entryCount } }", {"t": tid},
                   tenant=tenant)
    assert t == {"trace": {"entryCount": 3}}


RECORD_CALLS = """
mutation Calls($traceId: ID!, $calls: [ApiCallInput!]!) {
  recordApiCalls(traceId: $traceId, calls: $calls) { callId stepId apiType costUsd seq }
}"""


def test_record_api_calls_appends_a_batch_in_order(server: LiveServer, tenant: str) -> None:
    tid = server.gql(START, {"input": {}}, tenant=tenant)["startTrace"]["traceId"]
    server.gql(RECORD_STEPS, {"traceId": tid, "steps": [{"stepId": f"{tenant}-s",
                                                         "stepType": "ToolCall"}]},
               tenant=tenant)
    got = server.gql(RECORD_CALLS, {"traceId": tid, "calls": [
        {"stepId": f"{tenant}-s", "costUsd": 0.5, "callId": f"{tenant}-c1"},
        {"apiType": "http", "callId": f"{tenant}-c2"},
    ]}, tenant=tenant)["recordApiCalls"]
    assert got == [
        {"callId": f"{tenant}-c1", "stepId": f"{tenant}-s", "apiType": "llm", "costUsd": 0.5,
         "seq": 2},
        {"callId": f"{tenant}-c2", "stepId": None, "apiType": "http", "costUsd": None, "seq": 3},
    ]
    t = server.gql("query($t: ID!) { trace(traceId: $t) { entryCount apiCalls { callId } } }",
                   {"t": tid}, tenant=tenant)["trace"]
    assert t == {"entryCount": 4, "apiCalls": [{"callId": f"{tenant}-c1"},
                                               {"callId": f"{tenant}-c2"}]}
