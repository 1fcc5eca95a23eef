"""The GraphQL documents the benchmark sends: the run fetch, a lineage walk, the count that
tells when ingest is queryable, and one mutation per operation kind."""

from __future__ import annotations

FETCH_QUERY = """
fragment S on Step {
  stepId stepIndex stepType content confidence modelId dependsOn
  inputTokens outputTokens hash createdAt
  alternatives { text selected }
}
fragment T on Trace { traceId agentId status goal createdAt }
query Run($id: ID!) {
  trace(traceId: $id) {
    ...T steps { ...S }
    children {
      ...T steps { ...S }
      children { ...T steps { ...S } children { ...T steps { ...S } } }
    }
  }
}
"""

LINEAGE_QUERY = """
query Lineage($id: ID!) {
  lineage(nodeId: $id, direction: BOTH, maxDepth: 3) { nodes { depth } }
}
"""

COUNT_QUERY = """
query Count($id: ID!) {
  trace(traceId: $id) {
    entryCount
    children { entryCount children { entryCount } }
  }
}
"""

MUTATIONS = {
    "start_trace": "mutation($input: StartTraceInput!) { startTrace(input: $input) { traceId } }",
    "record_steps": "mutation($traceId: ID!, $steps: [StepInput!]!) "
                    "{ recordSteps(traceId: $traceId, steps: $steps) { stepId } }",
    "record_api_calls": "mutation($traceId: ID!, $calls: [ApiCallInput!]!) "
                        "{ recordApiCalls(traceId: $traceId, calls: $calls) { callId } }",
    "record_human_input": "mutation($traceId: ID!, $input: HumanInputInput!) "
                          "{ recordHumanInput(traceId: $traceId, input: $input) { inputId } }",
    "complete_trace": "mutation($traceId: ID!, $finalAnswer: String) { completeTrace("
                      "traceId: $traceId, outcome: SUCCESS, finalAnswer: $finalAnswer) "
                      "{ status } }",
}
