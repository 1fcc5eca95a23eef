"""A whole trace lifecycle over GraphQL (start, steps, calls, inputs, completion) and the
queries that read it back; the lifecycle and backend tests run it."""

from __future__ import annotations

from typing import Any

from tests.helpers.live import LiveServer

START = """
mutation Start($input: StartTraceInput!) {
  startTrace(input: $input) {
    traceId parentTraceId spawnedByStepId tenantId sessionId agentId actorUrn goal status
    outcome metadata createdAt completedAt entryCount headHash
  }
}"""
RECORD_STEPS = """
mutation Record($traceId: ID!, $steps: [StepInput!]!) {
  recordSteps(traceId: $traceId, steps: $steps) {
    stepId traceId stepIndex seq stepType content reasoningHash inputData outputData
    alternativesConsidered selectedAlternative alternatives { alternativeId text selected index }
    confidence modelId inputTokens outputTokens thinkingTokens durationMs dependsOn metadata
    createdAt prevHash hash hasEmbedding
  }
}"""
RECORD_CALL = """
mutation Call($traceId: ID!, $call: ApiCallInput!) {
  recordApiCall(traceId: $traceId, call: $call) {
    callId traceId stepId apiType endpoint method statusCode latencyMs requestTokens
    responseTokens costUsd error seq hash createdAt
  }
}"""
RECORD_HUMAN = """
mutation Human($traceId: ID!, $input: HumanInputInput!) {
  recordHumanInput(traceId: $traceId, input: $input) {
    inputId traceId stepId question answer answeredBy seq hash
  }
}"""
COMPLETE = """
mutation Complete($traceId: ID!, $outcome: Outcome!, $finalAnswer: String,
                  $confidence: Float) {
  completeTrace(traceId: $traceId, outcome: $outcome, finalAnswer: $finalAnswer,
                confidence: $confidence) {
    traceId status outcome finalAnswer confidence completedAt entryCount headHash
  }
}"""
TOTALS = "thinkingTokens inputTokens outputTokens costUsd durationMs stepCount apiCallCount"
GET_TRACE = f"""
query Get($traceId: ID!) {{
  trace(traceId: $traceId) {{
    traceId status outcome finalAnswer entryCount headHash pathTaken modelIdsUsed
    steps {{ stepId stepIndex seq stepType dependsOn prevHash hash
             alternatives {{ text selected index }} apiCalls {{ callId }} }}
    apiCalls {{ callId stepId costUsd }}
    humanInputs {{ inputId question answer answeredBy }}
    children {{ traceId parentTraceId spawnedByStepId sessionId status
               parent {{ traceId }} steps {{ stepId }} totals {{ {TOTALS} }} }}
    parent {{ traceId }}
    totals {{ {TOTALS} }}
    subtreeTotals {{ {TOTALS} }}
  }}
  verifyTrace(traceId: $traceId) {{ valid entriesChecked firstBrokenSeq reason }}
}}"""
SESSION = """
query Replay($sessionId: ID!) {
  session(sessionId: $sessionId) {
    sessionId stepCount chainValid agentId firstStepAt lastStepAt
    traces { traceId }
    steps { stepId traceId stepIndex }
  }
  verifySession(sessionId: $sessionId) { valid entriesChecked firstBrokenSeq reason }
}"""


def run_lifecycle(server: LiveServer, tenant: str, p: str = "") -> dict[str, Any]:
    """Record a root trace with one nested trace; returns what the mutations returned.

    ``p`` prefixes the client-chosen ids (ids are unique per server, across tenants).
    """
    root = server.gql(START, {"input": {
        "sessionId": f"{p}sess-1", "agentId": "planner", "goal": "book a flight",
        "actorUrn": "urn:user:42", "metadata": {"channel": "chat", "n": [1, 2.5]},
    }}, tenant=tenant)["startTrace"]
    rid = root["traceId"]
    first = server.gql(RECORD_STEPS, {"traceId": rid, "steps": [
        {"stepId": f"{p}obs", "stepType": "Observation", "content": "user wants a flight",
         "inputData": {"text": "fly to Oslo"}, "modelId": "m-small", "inputTokens": 10,
         "outputTokens": 5, "thinkingTokens": 7, "durationMs": 12.5},
        {"stepId": f"{p}dec", "stepType": "decision", "content": "pick a carrier",
         "alternativesConsidered": ["SAS", "Norwegian", "train"],
         "selectedAlternative": "Norwegian", "confidence": 0.8, "dependsOn": [f"{p}obs"],
         "modelId": "m-large", "inputTokens": 20, "outputTokens": 8, "durationMs": 30},
    ]}, tenant=tenant)["recordSteps"]
    second = server.gql(RECORD_STEPS, {"traceId": rid, "steps": [
        {"stepId": f"{p}act", "stepType": "INTENT_ANALYSIS",
         "dependsOn": [f"{p}obs", f"{p}dec"],
         "outputData": [1, "two", None, {"three": 3}], "metadata": {"k": "v"}},
    ]}, tenant=tenant)["recordSteps"]
    call = server.gql(RECORD_CALL, {"traceId": rid, "call": {
        "stepId": f"{p}dec", "apiType": "llm", "endpoint": "https://llm.example/v1",
        "method": "POST",
        "statusCode": 200, "latencyMs": 250, "requestTokens": 100, "responseTokens": 40,
        "costUsd": 0.25,
    }}, tenant=tenant)["recordApiCall"]
    human = server.gql(RECORD_HUMAN, {"traceId": rid, "input": {
        "stepId": f"{p}dec", "question": "Norwegian ok?", "answer": "yes", "answeredBy": "alice",
    }}, tenant=tenant)["recordHumanInput"]
    child = server.gql(START, {"input": {
        "parentTraceId": rid, "spawnedByStepId": f"{p}dec", "agentId": "booker",
        "goal": "book Norwegian",
    }}, tenant=tenant)["startTrace"]
    cid = child["traceId"]
    server.gql(RECORD_STEPS, {"traceId": cid, "steps": [
        {"stepId": f"{p}book", "stepType": "ToolCall", "dependsOn": [f"{p}dec"], "inputTokens": 3,
         "outputTokens": 4, "thinkingTokens": 1, "durationMs": 100, "modelId": "m-small"},
    ]}, tenant=tenant)
    server.gql(RECORD_CALL, {"traceId": cid, "call": {"apiType": "http", "costUsd": 0.5}},
               tenant=tenant)
    child_done = server.gql(COMPLETE, {"traceId": cid, "outcome": "SUCCESS",
                                       "finalAnswer": "booked"}, tenant=tenant)["completeTrace"]
    done = server.gql(COMPLETE, {"traceId": rid, "outcome": "PARTIAL",
                                 "finalAnswer": "booked, no seat", "confidence": 0.7},
                      tenant=tenant)["completeTrace"]
    return {"root": root, "first": first, "second": second, "call": call, "human": human,
            "child": child, "child_done": child_done, "done": done}
