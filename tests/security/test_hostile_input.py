"""Hostile input over real HTTP: every bad request is a 4xx or a GraphQL error naming the
problem, never a 500 or an unmasked internal error, and a rejected batch stores nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tracegraph.api.bulk import BULK_PATH
from tracegraph.api.limits_http import DEFAULT_MAX_BODY_BYTES
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore

from tests.helpers.live import LiveServer

LIMIT = 64 * 1024
INGEST_LIMIT = 256 * 1024
TENANT = "hostile"
STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ stepId content inputData } }")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("hostile")))
    live = LiveServer(TraceService(store), max_body_bytes=LIMIT, max_ingest_bytes=INGEST_LIMIT)
    yield live
    live.stop()
    store.close()


@pytest.fixture
def trace_id(server: LiveServer) -> str:
    return str(server.gql("mutation { startTrace(input: {}) { traceId } }",
                          tenant=TENANT)["startTrace"]["traceId"])


def _entries(server: LiveServer, trace_id: str) -> int:
    return server.service.store.get_traces(TENANT, [trace_id])[trace_id].entry_count


def _raw(server: LiveServer, body: bytes, path: str = "/graphql") -> httpx.Response:
    content_type = "application/x-ndjson" if path == BULK_PATH else "application/json"
    r = server.http.post(path, content=body, headers={"Content-Type": content_type,
                                                     "X-Org-Id": TENANT})
    _never_internal(r)
    return r


def _never_internal(r: httpx.Response) -> None:
    assert r.status_code < 500, r.text
    assert "Internal server error" not in r.text, r.text
    assert "Traceback" not in r.text


def _error(r: httpx.Response) -> dict[str, Any]:
    """The first GraphQL error of a 200 answer that has errors."""
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("errors"), body
    err: dict[str, Any] = body["errors"][0]
    return err


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


# -- body limit ---------------------------------------------------------------------------------
def test_default_body_limit_is_8_mib() -> None:
    assert DEFAULT_MAX_BODY_BYTES == 8 * 1024 * 1024


def test_declared_body_over_the_limit_is_413(server: LiveServer, trace_id: str) -> None:
    big = "x" * LIMIT
    r = _raw(server, _body(STEPS, {"t": trace_id, "s": [{"stepType": "Reasoning",
                                                          "content": big}]}))
    assert r.status_code == 413
    (err,) = r.json()["errors"]
    assert err["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert err["extensions"]["limit"] == LIMIT
    assert f"limit of {LIMIT} bytes (64 KiB)" in err["message"]
    assert "--max-body-bytes" in err["message"]
    assert _entries(server, trace_id) == 1


def test_chunked_body_over_the_limit_is_413(server: LiveServer, trace_id: str) -> None:
    body = _body(STEPS, {"t": trace_id, "s": [{"stepType": "Reasoning", "content": "y" * LIMIT}]})

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        for i in range(0, len(body), 4096):
            yield body[i:i + 4096]

    r = server.http.post("/graphql", content=chunks(), headers={
        "Content-Type": "application/json", "X-Org-Id": TENANT})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 413, r.text
    assert f"more than {LIMIT} bytes" in r.json()["errors"][0]["message"]
    assert _entries(server, trace_id) == 1


def test_body_under_the_limit_is_served(server: LiveServer, trace_id: str) -> None:
    r = _raw(server, _body(STEPS, {"t": trace_id, "s": [{"stepType": "Reasoning",
                                                          "content": "z" * (LIMIT // 2)}]}))
    assert r.status_code == 200 and "errors" not in r.json()
    assert _entries(server, trace_id) == 2


def test_bulk_ingest_has_its_own_limit(server: LiveServer) -> None:
    line = json.dumps({"op": "start_trace", "goal": "g" * 1000}).encode() + b"\n"
    ok = _raw(server, line * ((LIMIT * 2) // len(line)), BULK_PATH)  # over LIMIT, under INGEST
    assert ok.status_code == 200, ok.text
    r = _raw(server, line * (INGEST_LIMIT // len(line) + 1), BULK_PATH)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert f"limit of {INGEST_LIMIT} bytes (256 KiB)" in r.json()["error"]["message"]
    assert r.json()["error"]["limit"] == INGEST_LIMIT  # (the SDK sends less from then on)


# -- malformed JSON bodies ----------------------------------------------------------------------
@pytest.mark.parametrize("body, named", [
    (b'{"query": "{ __typename }", "variables": {"x": NaN}}', "NaN"),
    (b'{"query": "{ __typename }", "variables": {"x": Infinity}}', "Infinity"),
    (b'{"query": "{ __typename }", "variables": {"x": -Infinity}}', "Infinity"),
    (b'{"query": "{ __typename }", "variables": {"x": 1e400}}', "infinity"),
    (b'{"query": "{ __typename }", "variables": {"x": "\\ud800"}}', "surrogate"),
    (b'{"query": "{ __typename }", "variables": {"x": "\\udfff tail"}}', "surrogate"),
    (b'{"query": "\xff\xfe"}', "UTF-8"),
    (b'{"query": "{ __typename }"', "line 1"),
    (b"", "line 1"),
    (b'"just a string"', "got a JSON string"),
    (b"42", "got a JSON number"),
    (b"null", "got a JSON null"),
    (b"[1, 2]", "Batching"),
    (b'{"query": 5}', "`query` must be a string"),
    (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be an object"),
    (b'{"query": "{ __typename }", "variables": ' + b"[" * 2000 + b"]" * 2000 + b"}", "depth"),
])
def test_malformed_json_is_400_naming_the_problem(server: LiveServer, body: bytes,
                                                  named: str) -> None:
    r = _raw(server, body)
    assert r.status_code == 400, r.text
    assert named in r.text


# -- ids, types, sizes ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad_id", [
    "", " ", "has space", "x" * 129, "a\x00b", "../etc/passwd", "a\u202eb", "\U0001f600",
    "-leading-dash", "x" * 50_000, "a\nb", "\ud800",
])
def test_invalid_ids_are_named(server: LiveServer, bad_id: str) -> None:
    body = json.dumps({"query": "query($t: ID!) { trace(traceId: $t) { goal } }",
                       "variables": {"t": bad_id}}).encode()  # ascii: \ud800 stays an escape
    r = _raw(server, body)
    if bad_id == "\ud800":
        assert r.status_code == 400 and "surrogate" in r.text
        return
    err = _error(r)
    assert err["extensions"]["code"] == "BAD_USER_INPUT"
    assert err["message"].startswith("traceId:") and "not a valid id" in err["message"]
    assert len(err["message"]) < 400  # never echoes an unbounded string


@pytest.mark.parametrize("steps, named", [
    ("not a list", "Expected value of type 'StepInput' to be an object"),
    ([{"stepType": 5}], "stepType"),
    ([{"stepType": "x", "confidence": "high"}], "confidence"),
    ([{"stepType": "x", "confidence": 1.5}], "confidence"),
    ([{"stepType": "x", "confidence": -0.1}], "confidence"),
    ([{"stepType": "x", "inputTokens": -1}], "inputTokens"),
    ([{"stepType": "x", "inputTokens": 2**40}], "inputTokens"),
    ([{"stepType": "x", "durationMs": "fast"}], "durationMs"),
    ([{"stepType": "x", "dependsOn": "s1"}], "dependsOn"),
    ([{"stepType": "x", "dependsOn": ["bad id"]}], "dependsOn"),
    ([{"stepType": "x", "dependsOn": [f"s{i}" for i in range(101)]}], "dependsOn"),
    ([{"stepType": "x", "alternativesConsidered": ["a"] * 101}], "alternativesConsidered"),
    ([{"stepType": "x", "inputData": {"n": 2**60}}], "inputData"),
    ([{"stepType": "x", "inputData": json.loads("[" * 40 + "]" * 40)}], "nested deeper"),
    ([{"stepType": "x", "outputData": [0] * 20_001}], "outputData"),
    ([{"stepType": "x", "unknownField": 1}], "unknownField"),
    ([{"stepType": "x"}] * 1001, "1000"),
    ([], "steps"),
    ([{"stepType": "x" * 10_000}], "stepType"),
])
def test_bad_steps_are_rejected_whole(server: LiveServer, trace_id: str, steps: Any,
                                      named: str) -> None:
    if isinstance(steps, list) and steps and steps != [{"stepType": "x"}] * 1001:
        steps = [{"stepType": "Reasoning", "content": "fine"}, *steps]  # a good one first
    err = _error(_raw(server, _body(STEPS, {"t": trace_id, "s": steps})))
    assert err["extensions"]["code"] in {"BAD_USER_INPUT", "LIMIT_EXCEEDED"}, err
    assert named in err["message"], err
    assert _entries(server, trace_id) == 1  # nothing of the batch is stored


def test_unknown_dependency_stores_nothing_of_the_batch(server: LiveServer,
                                                       trace_id: str) -> None:
    steps = [{"stepType": "Reasoning"}, {"stepType": "Decision", "dependsOn": ["nowhere"]}]
    err = _error(_raw(server, _body(STEPS, {"t": trace_id, "s": steps})))
    assert "nowhere" in err["message"] and "not found" in err["message"]
    assert _entries(server, trace_id) == 1


def test_rejected_bulk_request_stores_nothing(server: LiveServer) -> None:
    lines = [{"op": "start_trace", "traceId": "bulk-hostile"},
             {"op": "record_steps", "traceId": "bulk-hostile",
              "steps": [{"stepType": "Reasoning", "content": "ok"}]},
             {"op": "record_steps", "traceId": "bulk-hostile",
              "steps": [{"stepType": "Reasoning", "confidence": 7}]}]
    body = b"\n".join(json.dumps(x).encode() for x in lines)
    r = _raw(server, body, BULK_PATH)
    assert r.status_code == 400 and "line 3" in r.json()["error"]["message"]
    assert r.json()["stored"]["lines"] == 0
    assert server.service.store.get_traces(TENANT, ["bulk-hostile"]) == {}


# -- unicode --------------------------------------------------------------------------------------
def test_unicode_edge_cases_round_trip(server: LiveServer, trace_id: str) -> None:
    texts = ["nul \x00 inside", "rtl \u202e evil \u202c mark", "emoji \U0001f600\U0001f9e0",
             "zero width \u200b\ufeff", "combining e\u0301", "\u0000", "\U0001d518\U0001d52b",
             "line\u2028sep", "\x7f\x1b[31m ansi"]
    steps = [{"stepType": "Reasoning", "content": t, "inputData": {t: [t]}} for t in texts]
    r = _raw(server, _body(STEPS, {"t": trace_id, "s": steps}))
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    got = r.json()["data"]["recordSteps"]
    assert [s["content"] for s in got] == texts
    assert [s["inputData"] for s in got] == [{t: [t]} for t in texts]
    verified = server.gql("query($t: ID!) { verifyTrace(traceId: $t) { valid } }",
                          {"t": trace_id}, tenant=TENANT)
    assert verified == {"verifyTrace": {"valid": True}}


def test_lone_surrogate_in_graphql_literal(server: LiveServer, trace_id: str) -> None:
    query = ('mutation($t: ID!) { recordSteps(traceId: $t, steps: [{stepType: "x", '
             'content: "\\ud800"}]) { stepId } }')
    r = _raw(server, _body(query, {"t": trace_id}))
    _never_internal(r)
    if r.status_code == 200:
        assert r.json().get("errors"), r.text
    assert _entries(server, trace_id) == 1


# -- over-limit queries ---------------------------------------------------------------------------
@pytest.mark.parametrize("query, named", [
    ("{ traces(first: 1000) { edges { cursor } } }", "first: 1000 is outside 1..100"),
    ("{ traces(first: 0) { edges { cursor } } }", "first: 0 is outside 1..100"),
    ("{ traces(first: -1) { edges { cursor } } }", "first"),
    ("{ traces(first: 99999999999) { edges { cursor } } }", "Int cannot represent"),
    ("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }", "aliases"),
    ("{ __typename " + "__typename " * 5001 + "}", "tokens"),
    ("{ trace(traceId: \"t\") " + "{ children " * 16 + "{ traceId }" + " }" * 16 + " }",
     "depth"),
    ("query { a " + "{ a " * 3000 + "}" * 3001, "nested too deeply"),
    ('{ path(fromId: "a", toId: "b", mode: ALL_SIMPLE, maxLength: 11) { length } }',
     "maxLength"),
    ('{ lineage(nodeId: "a", maxDepth: 51) { direction } }', "maxDepth"),
    ('{ traces(after: "not-a-cursor") { edges { cursor } } }', "after"),
    ('{ traces(filter: {createdAfter: "yesterday"}) { edges { cursor } } }', "ISO 8601"),
    ('{ trace(traceId: ["a"]) { goal } }', "ID cannot represent"),
    ("{ nope }", "Cannot query field"),
    ("{", "Syntax Error"),
    ("subscription { __typename }", ""),
])
def test_over_limit_and_invalid_queries(server: LiveServer, query: str, named: str) -> None:
    r = _raw(server, _body(query))
    if r.status_code != 200:
        assert 400 <= r.status_code < 500 and named in r.text, r.text
        return
    err = _error(r)
    assert named in err["message"], err
    assert err["extensions"]["code"] != "INTERNAL", err


# -- numbers beyond ±(2**53-1), on every path ----------------------------------------------------
BIG = [2**64, -(2**64), 2**63 + 1, -(2**63) - 1, 2**53, 10**30]
I_JSON = "is outside ±(2**53-1), the I-JSON range"


def _steps_body(trace_id: str, step: dict[str, Any]) -> bytes:
    return _body(STEPS, {"t": trace_id, "s": [{"stepType": "Reasoning", **step}]})


def _big_number_error(r: httpx.Response) -> str:
    """The message of a refusal of a big integer, from GraphQL or bulk ingest."""
    if r.status_code == 400:
        message: str = r.json()["error"]["message"]
        return message
    return str(_error(r)["message"])


@pytest.mark.parametrize("number", BIG)
@pytest.mark.parametrize("field, place", [
    ("inputData", lambda n: {"x": n}), ("outputData", lambda n: [1, {"y": [n]}]),
    ("metadata", lambda n: {"deep": {"n": n}}), ("inputData", lambda n: n),
])
def test_big_integers_are_refused_the_same_way_on_every_path(
        server: LiveServer, trace_id: str, number: int, field: str, place: Any) -> None:
    value = place(number)
    literal = re.sub(r'"(\w+)":', r"\1:", json.dumps(value))  # a GraphQL object literal
    inline = (f'mutation {{ recordSteps(traceId: "{trace_id}", steps: [{{stepType: '
              f'"Reasoning", {field}: {literal}}}]) {{ stepId }} }}')
    line = json.dumps({"op": "record_steps", "traceId": trace_id,
                       "steps": [{"stepType": "Reasoning", field: value}]}).encode()
    answers = {
        "variables": _raw(server, _steps_body(trace_id, {field: value})),
        "inline literal": _raw(server, _body(inline)),
        "bulk NDJSON": _raw(server, line + b"\n", BULK_PATH),
    }
    for path, r in answers.items():
        message = _big_number_error(r)
        assert f"steps[0].{field}" in message and I_JSON in message, (path, message)
        assert str(number) in message, (path, message)  # exact: never a float
    assert _entries(server, trace_id) == 1


def test_largest_safe_integers_are_stored_exactly(server: LiveServer, trace_id: str) -> None:
    edge = {"max": 2**53 - 1, "min": -(2**53 - 1), "digits": "12345678901234567890123"}
    r = _raw(server, _steps_body(trace_id, {"inputData": edge}))
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert r.json()["data"]["recordSteps"][0]["inputData"] == edge


def test_big_integer_in_a_start_trace_line(server: LiveServer) -> None:
    line = b'{"op": "start_trace", "traceId": "big-meta", "metadata": {"n": %d}}\n' % 2**64
    r = _raw(server, line, BULK_PATH)
    assert r.status_code == 400 and "metadata.n" in r.json()["error"]["message"]
    assert I_JSON in r.json()["error"]["message"] and str(2**64) in r.text
    assert not server.service.store.get_traces(TENANT, ["big-meta"])


# -- client-given times -------------------------------------------------------------------------
def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


FUTURE = [timedelta(hours=25), timedelta(days=365 * 900)]


@pytest.mark.parametrize("ahead", FUTURE)
def test_times_too_far_ahead_are_refused(server: LiveServer, trace_id: str,
                                         ahead: timedelta) -> None:
    when = _iso(ahead)
    cases = [
        ("mutation($t: DateTime!) { startTrace(input: {createdAt: $t}) { traceId } }",
         {"t": when}, "createdAt"),
        (STEPS, {"t": trace_id, "s": [{"stepType": "Reasoning", "createdAt": when}]},
         "createdAt"),
        ("mutation($t: ID!, $w: DateTime!) { recordApiCall(traceId: $t, "
         "call: {createdAt: $w}) { callId } }", {"t": trace_id, "w": when}, "createdAt"),
        ("mutation($t: ID!, $w: DateTime!) { recordHumanInput(traceId: $t, "
         "input: {question: \"q\", answeredAt: $w}) { inputId } }", {"t": trace_id, "w": when},
         "answeredAt"),
    ]
    for query, variables, field in cases:
        err = _error(_raw(server, _body(query, variables)))
        assert err["extensions"]["code"] == "BAD_USER_INPUT", err
        assert f"{field}: " in err["message"] and "--max-future-skew" in err["message"], err
        assert "24 hours ahead" in err["message"]
    line = json.dumps({"op": "record_steps", "traceId": trace_id,
                       "steps": [{"stepType": "Reasoning", "createdAt": when}]}).encode()
    r = _raw(server, line + b"\n", BULK_PATH)
    assert r.status_code == 400 and "--max-future-skew" in r.json()["error"]["message"]
    assert _entries(server, trace_id) == 1


def test_times_within_the_window_are_stored(server: LiveServer, trace_id: str) -> None:
    for when in (_iso(timedelta(hours=23)), "1999-01-01T00:00:00Z"):  # the past: no limit
        r = _raw(server, _steps_body(trace_id, {"createdAt": when}))
        assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert _entries(server, trace_id) == 3


# -- a subscription sent over plain HTTP ------------------------------------------------------
SUB = "subscription($t: ID!) { traceEvents(traceId: $t) { seq } }"


def test_subscription_over_http_is_400(server: LiveServer, trace_id: str) -> None:
    r = _raw(server, _body(SUB, {"t": trace_id}))
    assert r.status_code == 400 and "over WebSocket" in r.text
    r = server.http.get("/graphql", params={"query": SUB, "variables": json.dumps(
        {"t": trace_id})}, headers={"X-Org-Id": TENANT})
    _never_internal(r)
    assert r.status_code == 400 and "over WebSocket" in r.text
    named = "query Q { __typename } subscription S($t: ID!) { traceEvents(traceId: $t) { seq } }"
    r = _raw(server, json.dumps({"query": named, "operationName": "Q"}).encode())
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}, r.text
    r = _raw(server, json.dumps({"query": named, "operationName": "S",
                                 "variables": {"t": trace_id}}).encode())
    assert r.status_code == 400
