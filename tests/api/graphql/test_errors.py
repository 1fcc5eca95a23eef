"""Errors over HTTP: typed errors keep their message and carry ``extensions.code``; invalid
input names the field and the limit and stores nothing; query limits name the limit;
unexpected errors are masked outside debug mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import BackendUnavailable, StorageFull

from tests.helpers.live import LiveServer

START = "mutation($i: StartTraceInput!) { startTrace(input: $i) { traceId } }"
STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ stepId } }")
COUNT = "query($t: ID!) { trace(traceId: $t) { entryCount steps { stepId } } }"
COMPLETE = ("mutation($t: ID!) { completeTrace(traceId: $t, outcome: SUCCESS) "
            "{ status } }")


def _trace(server: LiveServer, tenant: str) -> str:
    tid: str = server.gql(START, {"i": {}}, tenant=tenant)["startTrace"]["traceId"]
    return tid


def _nothing_stored(server: LiveServer, tenant: str, tid: str) -> None:
    got = server.gql(COUNT, {"t": tid}, tenant=tenant)["trace"]
    assert got == {"entryCount": 1, "steps": []}


def test_bad_confidence_names_field_and_limit_and_stores_nothing(
    server: LiveServer, tenant: str
) -> None:
    tid = _trace(server, tenant)
    steps = [{"stepType": "Reasoning"} for _ in range(5)]
    steps[3] = {"stepType": "Decision", "confidence": 1.5}
    err = server.gql_error(STEPS, {"t": tid, "s": steps}, tenant=tenant)
    assert err["message"] == "steps[3].confidence: Input should be less than or equal to 1"
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "steps[3].confidence"}
    assert err["path"] == ["recordSteps"]
    _nothing_stored(server, tenant, tid)


def test_every_failing_field_of_the_first_bad_step_is_named(
    server: LiveServer, tenant: str
) -> None:
    tid = _trace(server, tenant)
    steps = [{"stepType": "Reasoning"},
             {"stepType": "Action", "durationMs": -5, "stepId": "not an id!"},
             {"stepType": "Reasoning", "inputTokens": -1}]
    err = server.gql_error(STEPS, {"t": tid, "s": steps}, tenant=tenant)
    assert err["message"].startswith(
        "steps[1].durationMs: Input should be greater than or equal to 0; "
        "steps[1].stepId: String should match pattern")
    assert err["extensions"]["field"] == "steps[1].durationMs"
    _nothing_stored(server, tenant, tid)


def test_json_payload_limits_are_named(server: LiveServer, tenant: str) -> None:
    tid = _trace(server, tenant)
    deep: Any = "leaf"
    for _ in range(40):
        deep = {"d": deep}
    err = server.gql_error(STEPS, {"t": tid, "s": [{"stepType": "Reasoning", "inputData": deep}]},
                           tenant=tenant)
    assert err["message"].startswith("steps[0].inputData: ")
    assert "nested deeper than 32 levels (limit)" in err["message"]
    _nothing_stored(server, tenant, tid)


def test_unknown_dependency_rejects_the_whole_batch(server: LiveServer, tenant: str) -> None:
    tid = _trace(server, tenant)
    err = server.gql_error(STEPS, {"t": tid, "s": [
        {"stepType": "Reasoning", "stepId": "ok-1"},
        {"stepType": "Decision", "dependsOn": ["ok-1", "ghost"]},
    ]}, tenant=tenant)
    assert err["extensions"]["code"] == "BAD_USER_INPUT"
    assert "steps[1].dependsOn[1]: step ghost not found" in err["message"]
    _nothing_stored(server, tenant, tid)


def test_batch_size_limit(server: LiveServer, tenant: str) -> None:
    tid = _trace(server, tenant)
    err = server.gql_error(STEPS, {"t": tid, "s": [{"stepType": "Reasoning"}] * 1001},
                           tenant=tenant)
    assert err["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "1001 steps exceed the limit of 1000" in err["message"]
    _nothing_stored(server, tenant, tid)


def test_wrong_graphql_type_is_a_bad_user_input(server: LiveServer, tenant: str) -> None:
    tid = _trace(server, tenant)
    err = server.gql_error(STEPS, {"t": tid, "s": [{"stepType": "Reasoning",
                                                    "confidence": "high"}]}, tenant=tenant)
    assert err["extensions"]["code"] == "BAD_USER_INPUT"
    assert "confidence" in err["message"]
    _nothing_stored(server, tenant, tid)


@pytest.mark.parametrize("first", [101, 0, -1])
def test_page_size_outside_1_to_100_names_the_limit(
    server: LiveServer, tenant: str, first: int
) -> None:
    err = server.gql_error("query($f: Int) { traces(first: $f) { edges { cursor } } }",
                           {"f": first}, tenant=tenant)
    assert err["message"] == f"first: {first} is outside 1..100"
    assert err["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_foreign_cursor_is_rejected(server: LiveServer, tenant: str) -> None:
    err = server.gql_error('{ traces(after: "!!not-a-cursor") { edges { cursor } } }',
                           tenant=tenant)
    assert err["extensions"]["code"] == "BAD_USER_INPUT"
    assert "is not a cursor this server issued" in err["message"]


def test_unknown_trace(server: LiveServer, tenant: str) -> None:
    assert server.gql('{ trace(traceId: "ghost") { traceId } }', tenant=tenant) == {
        "trace": None}
    for query in ('{ verifyTrace(traceId: "ghost") { valid } }',
                  'mutation { recordSteps(traceId: "ghost", steps: [{stepType: "Reasoning"}]) '
                  '{ stepId } }',
                  'mutation { recordApiCall(traceId: "ghost", call: {costUsd: 1}) { callId } }',
                  'mutation { completeTrace(traceId: "ghost", outcome: FAILURE) { status } }'):
        err = server.gql_error(query, tenant=tenant)
        assert err["extensions"]["code"] == "NOT_FOUND", query
        assert "trace ghost not found" in err["message"]


def test_unknown_parent_trace(server: LiveServer, tenant: str) -> None:
    err = server.gql_error(START, {"i": {"parentTraceId": "ghost"}}, tenant=tenant)
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "parentTraceId"}


def test_appending_to_a_completed_trace_is_trace_closed(server: LiveServer, tenant: str) -> None:
    tid = _trace(server, tenant)
    assert server.gql(COMPLETE, {"t": tid}, tenant=tenant) == {
        "completeTrace": {"status": "COMPLETED"}}
    for query, variables in (
        (STEPS, {"t": tid, "s": [{"stepType": "Reasoning"}]}),
        ("mutation($t: ID!) { recordApiCall(traceId: $t, call: {}) { callId } }", {"t": tid}),
        ('mutation($t: ID!) { recordHumanInput(traceId: $t, input: {question: "q"}) '
         '{ inputId } }', {"t": tid}),
        (COMPLETE, {"t": tid}),
    ):
        err = server.gql_error(query, variables, tenant=tenant)
        assert err["extensions"]["code"] == "TRACE_CLOSED", query
        assert "is completed" in err["message"]


def test_taken_trace_id_is_already_exists(server: LiveServer, tenant: str) -> None:
    server.gql(START, {"i": {"traceId": "fixed-id"}}, tenant=tenant)
    err = server.gql_error(START, {"i": {"traceId": "fixed-id", "goal": "again"}},
                           tenant=tenant)
    assert err["extensions"]["code"] == "ALREADY_EXISTS"


def test_completion_input_is_validated(server: LiveServer, tenant: str) -> None:
    tid = _trace(server, tenant)
    err = server.gql_error("mutation($t: ID!) { completeTrace(traceId: $t, outcome: SUCCESS, "
                           "confidence: 2) { status } }", {"t": tid}, tenant=tenant)
    assert err["message"] == "confidence: Input should be less than or equal to 1"
    err = server.gql_error("mutation($t: ID!) { completeTrace(traceId: $t, outcome: SUCCESS, "
                           "status: ACTIVE) { status } }", {"t": tid}, tenant=tenant)
    assert err["message"].startswith("status: ")
    assert server.gql(COUNT, {"t": tid}, tenant=tenant)["trace"]["entryCount"] == 1


def test_depth_limit_names_the_limit(server: LiveServer, tenant: str) -> None:
    query = "{ trace(traceId: \"x\") { " + "children { " * 15 + "traceId" + " }" * 16 + " }"
    err = server.gql_error(query, tenant=tenant)
    assert "exceeds maximum operation depth of 15" in err["message"]
    assert err["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_alias_limit_names_the_limit(server: LiveServer, tenant: str) -> None:
    query = "{ " + " ".join(f'a{i}: trace(traceId: "x") {{ traceId }}' for i in range(31)) + " }"
    err = server.gql_error(query, tenant=tenant)
    assert err["message"] == "31 aliases found. Allowed: 30"
    assert err["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_token_limit_names_the_limit(server: LiveServer, tenant: str) -> None:
    steps = ", ".join('{stepType: "Reasoning", content: "x"}' for _ in range(700))
    err = server.gql_error(f'mutation {{ recordSteps(traceId: "x", steps: [{steps}]) '
                           "{ stepId } }", tenant=tenant)
    assert "more than 5000 tokens" in err["message"]
    assert err["extensions"]["code"] == "LIMIT_EXCEEDED"


def test_syntax_and_validation_errors(server: LiveServer, tenant: str) -> None:
    err = server.gql_error("{ trace(", tenant=tenant)
    assert err["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    err = server.gql_error("{ nope }", tenant=tenant)
    assert err["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Cannot query field 'nope'" in err["message"]
    err = server.gql_error('{ traces(filter: {createdAfter: "yesterday"}) { edges { cursor } } }',
                           tenant=tenant)
    assert "not an ISO 8601 date-time: yesterday" in err["message"]


def test_invalid_ids_are_refused_without_echoing_them(server: LiveServer, tenant: str) -> None:
    long_id = "x" * 100_000
    for query, field in (
        ("query($i: ID!) { trace(traceId: $i) { traceId } }", "traceId"),
        ("query($i: ID!) { verifyTrace(traceId: $i) { valid } }", "traceId"),
        ("query($i: ID!) { verifySession(sessionId: $i) { valid } }", "sessionId"),
        ("query($i: ID!) { lineage(nodeId: $i) { truncated } }", "nodeId"),
        ('mutation($i: ID!) { recordSteps(traceId: $i, steps: [{stepType: "x"}]) '
         "{ stepId } }", "traceId"),
    ):
        r = server.post(query, {"i": long_id}, tenant=tenant)
        err = r.json()["errors"][0]
        assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
        assert f"{field}: 'xxxx" in err["message"] and "is not a valid id" in err["message"]
        assert len(r.text) < 1000
    err = server.gql_error('{ lineage(nodeId: "a#altX") { truncated } }', tenant=tenant)
    assert err["extensions"]["code"] == "BAD_USER_INPUT"


def test_invalid_tenant_header_is_refused(server: LiveServer) -> None:
    r = server.post("{ traces { edges { cursor } } }", tenant="not a tenant!")
    assert r.status_code == 403
    assert "X-Org-Id" in r.text


def test_healthz(server: LiveServer) -> None:
    r = server.http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "backend": "embedded"}


def test_graphiql_is_served(server: LiveServer) -> None:
    r = server.http.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()


class FaultyStore(EmbeddedStore):
    """A store whose listing fails with an unexpected error holding a secret detail."""

    def list_traces(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire at /secret/path")


@pytest.fixture(params=[False, True], ids=["masked", "debug"])
def faulty_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    store = FaultyStore(tmp_path)
    live = LiveServer(TraceService(store), debug=request.param)
    yield live
    live.stop()
    store.close()


def test_unexpected_errors_are_masked_outside_debug(faulty_server: LiveServer) -> None:
    r = faulty_server.post("{ traces { edges { cursor } } }")
    err = r.json()["errors"][0]
    assert err["extensions"]["code"] == "INTERNAL"
    if faulty_server.debug:
        assert err["message"] == "disk on fire at /secret/path"
        assert err["extensions"]["exception"] == "RuntimeError"
    else:
        assert err["message"] == "Internal server error."
        assert "secret" not in r.text
    # typed errors are shown in both modes
    typed = faulty_server.gql_error('{ verifyTrace(traceId: "ghost") { valid } }')
    assert typed["extensions"]["code"] == "NOT_FOUND"


CALLS = ("mutation($t: ID!, $c: [ApiCallInput!]!) { recordApiCalls(traceId: $t, calls: $c) "
         "{ callId } }")


def test_a_bad_api_call_names_its_index_and_stores_none_of_the_batch(
    server: LiveServer, tenant: str
) -> None:
    tid = _trace(server, tenant)
    err = server.gql_error(CALLS, {"t": tid, "c": [{"costUsd": 0.1}, {"costUsd": -1}]},
                           tenant=tenant)
    assert err["message"] == "calls[1].costUsd: Input should be greater than or equal to 0"
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "calls[1].costUsd"}
    err = server.gql_error(CALLS, {"t": tid, "c": [{"costUsd": 0.1}, {"stepId": "ghost"}]},
                           tenant=tenant)
    assert "calls[1].stepId: step ghost not found" in err["message"]
    _nothing_stored(server, tenant, tid)


class DownStore(EmbeddedStore):
    """A store whose database went away under it, as the stores report it: listing is
    BackendUnavailable (Neo4j or Dgraph down), appending StorageFull (a full disk)."""

    def list_traces(self, *args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable("Dgraph at 127.0.0.1:1 is unreachable (connection refused)")

    def append(self, *args: Any, **kwargs: Any) -> Any:
        raise StorageFull("embedded store at /data: the disk is full; nothing was stored")


@pytest.fixture
def down_server(tmp_path: Path) -> Iterator[LiveServer]:
    store = DownStore(tmp_path)
    live = LiveServer(TraceService(store))
    yield live
    live.stop()
    store.close()


def test_a_store_that_cannot_serve_is_the_http_status_of_the_answer(
        down_server: LiveServer) -> None:
    r = down_server.post("{ traces { edges { cursor } } }")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    err = r.json()["errors"][0]
    assert err["extensions"]["code"] == "BACKEND_UNAVAILABLE"
    assert err["message"].startswith("Dgraph at 127.0.0.1:1 is unreachable")
    full = down_server.post(START, {"i": {}})
    assert full.status_code == 507 and "retry-after" not in full.headers
    assert full.json()["errors"][0]["extensions"]["code"] == "STORAGE_FULL"
    # other errors keep the GraphQL answer's 200
    missing = down_server.post('{ verifyTrace(traceId: "ghost") { valid } }')
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
