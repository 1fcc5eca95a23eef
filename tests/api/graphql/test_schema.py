"""The schema: the committed ``schema.graphql`` matches the live schema, and the names of
SPEC.md's GraphQL contract exist with their types."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, get_introspection_query, get_named_type, is_enum_type
from tracegraph.api.graphql.schema import build_schema, sdl

from tests.helpers.live import LiveServer

ROOT = Path(__file__).parents[3]


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def test_committed_sdl_matches_the_live_schema() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == sdl(), ("schema.graphql is out of date: run "
                                "`tracegraph schema > schema.graphql` and commit it")


def names(words: str) -> list[str]:
    return words.split()


def _field_types(schema: GraphQLSchema, type_name: str) -> dict[str, str]:
    t = schema.get_type(type_name)
    assert t is not None, type_name
    return {name: str(f.type) for name, f in t.fields.items()}  # type: ignore[attr-defined]


def _args(schema: GraphQLSchema, type_name: str, field: str) -> dict[str, str]:
    t = schema.get_type(type_name)
    return {n: str(a.type) for n, a in t.fields[field].args.items()}  # type: ignore[union-attr]


def test_contract_operations(schema: GraphQLSchema) -> None:
    mutation = _field_types(schema, "Mutation")
    assert mutation["startTrace"] == "Trace!"
    assert mutation["recordSteps"] == "[Step!]!"
    assert mutation["recordApiCall"] == "ApiCall!"
    assert mutation["recordHumanInput"] == "HumanInput!"
    assert mutation["completeTrace"] == "Trace!"
    assert _args(schema, "Mutation", "startTrace") == {"input": "StartTraceInput!"}
    assert _args(schema, "Mutation", "recordSteps") == {"traceId": "ID!", "steps": "[StepInput!]!"}
    assert _args(schema, "Mutation", "recordApiCall") == {"traceId": "ID!",
                                                          "call": "ApiCallInput!"}
    assert _args(schema, "Mutation", "recordHumanInput") == {"traceId": "ID!",
                                                             "input": "HumanInputInput!"}
    complete = _args(schema, "Mutation", "completeTrace")
    assert complete["traceId"] == "ID!" and complete["outcome"] == "Outcome!"
    assert complete["finalAnswer"] == "String"
    query = _field_types(schema, "Query")
    assert query["trace"] == "Trace" and query["traces"] == "TraceConnection!"
    assert query["session"] == "Session"
    assert query["verifyTrace"] == query["verifySession"] == "ChainVerification!"
    assert _args(schema, "Query", "traces") == {"filter": "TraceFilter", "first": "Int",
                                                "after": "String", "last": "Int",
                                                "before": "String"}


def test_contract_types(schema: GraphQLSchema) -> None:
    assert _field_types(schema, "ChainVerification").items() >= {
        "valid": "Boolean!", "entriesChecked": "Int!", "firstBrokenSeq": "Int",
        "reason": "String"}.items()
    trace = _field_types(schema, "Trace")
    for name in names("traceId parentTraceId spawnedByStepId tenantId sessionId agentId actorUrn "
                 "goal status outcome finalAnswer confidence errorDetails createdAt "
                 "completedAt metadata steps apiCalls humanInputs children parent pathTaken "
                 "modelIdsUsed totals subtreeTotals entryCount headHash"):
        assert name in trace, name
    assert trace["metadata"] == "JSON" and trace["status"] == "TraceStatus!"
    step = _field_types(schema, "Step")
    for name in names("stepId traceId stepIndex seq stepType content reasoningHash inputData "
                 "outputData inputSummary outputSummary alternativesConsidered "
                 "selectedAlternative confidence durationMs modelId inputTokens outputTokens "
                 "thinkingTokens dependsOn metadata createdAt prevHash hash hasEmbedding "
                 "apiCalls alternatives"):
        assert name in step, name
    assert step["inputData"] == "JSON" and step["dependsOn"] == "[ID!]!"
    assert set(_field_types(schema, "Alternative")) >= {"text", "selected", "index"}
    assert set(_field_types(schema, "Totals")) >= {
        "thinkingTokens", "inputTokens", "outputTokens", "costUsd", "durationMs"}
    assert _field_types(schema, "TraceConnection") == {"edges": "[TraceEdge!]!",
                                                       "pageInfo": "PageInfo!"}
    assert _field_types(schema, "TraceEdge") == {"cursor": "String!", "node": "Trace!"}
    assert {"hasNextPage", "endCursor"} <= set(_field_types(schema, "PageInfo"))
    session = _field_types(schema, "Session")
    assert {"traces", "steps", "stepCount", "chainValid"} <= set(session)


def test_contract_inputs(schema: GraphQLSchema) -> None:
    def fields(name: str) -> set[str]:
        return set(schema.get_type(name).fields)  # type: ignore[union-attr]

    assert fields("StepInput") >= set(
        names("stepType content inputData outputData inputSummary outputSummary "
         "alternativesConsidered selectedAlternative confidence durationMs modelId inputTokens "
         "outputTokens thinkingTokens dependsOn metadata"))
    assert fields("ApiCallInput") >= set(
        names("stepId apiType endpoint method statusCode latencyMs requestTokens responseTokens "
         "costUsd error"))
    assert fields("HumanInputInput") >= {"stepId", "question", "answer", "answeredBy"}
    assert fields("StartTraceInput") >= {"sessionId", "agentId", "goal", "parentTraceId",
                                         "spawnedByStepId", "actorUrn", "metadata"}


def test_enums_are_lowercase_values_behind_graphql_names(schema: GraphQLSchema) -> None:
    status = get_named_type(schema.get_type("TraceStatus"))
    outcome = get_named_type(schema.get_type("Outcome"))
    assert is_enum_type(status) and is_enum_type(outcome)
    assert list(status.values) == ["ACTIVE", "COMPLETED", "FAILED", "CANCELLED", "PAUSED"]  # type: ignore[union-attr]
    assert list(outcome.values) == ["SUCCESS", "PARTIAL", "FAILURE"]  # type: ignore[union-attr]


def test_graphiql_introspection_passes_the_query_limits(server: LiveServer) -> None:
    query = get_introspection_query(descriptions=True, specified_by_url=True,
                                    directive_is_repeatable=True, schema_description=True,
                                    input_value_deprecation=True)
    data = server.gql(query)
    names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Trace", "Step", "StepInput", "TraceConnection", "Subscription"} <= names
