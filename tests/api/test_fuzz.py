"""Fuzzing the live GraphQL schema with hypothesis-graphql over real HTTP: queries and
mutations, valid ones and ones that break one rule of the schema, with any characters in
strings (NUL, lone surrogates as JSON escapes, RTL marks, emoji). No answer is a 500 and no
error is an unmasked or masked internal error: every problem is named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from tracegraph.api.graphql.errors import MASKED_MESSAGE
from tracegraph.api.graphql.schema import sdl
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import StartTraceInput, StepInput

from tests.helpers.live import LiveServer

TENANT = "fuzz"
SCHEMA = sdl()
FUZZ = settings(max_examples=200, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])


def _json_node(value: Any) -> graphql.ValueNode:
    """A GraphQL literal for a JSON value (the JSON scalar's input)."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    return nodes.Object([graphql.ObjectFieldNode(name=graphql.NameNode(value=k),
                                                 value=_json_node(v))
                         for k, v in value.items()])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), inner,
                      max_size=4),
    max_leaves=12,
)
DATE_TIMES = st.sampled_from(["2026-01-31T12:00:00Z", "2026-01-31T12:00:00.123456Z",
                              "2026-01-31", "yesterday", "", "9999-12-31T23:59:59Z",
                              "0001-01-01T00:00:00+14:00"]) | st.text(max_size=30)
#: Ids the seeded data holds (so resolvers past "not found" run too), or anything.
KNOWN_IDS = ["0", "a", "A", "c0", "00", "01", "a0", "a1", "A0", "00#alt0", "01#alt1", "zz"]
IDS = st.sampled_from(KNOWN_IDS).map(nodes.String) | st.text(max_size=12).map(nodes.String) | (
    st.integers().map(nodes.Int))
SCALARS = {"JSON": JSON_VALUES.map(_json_node), "DateTime": DATE_TIMES.map(nodes.String),
           "ID": IDS}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("fuzz")))
    service = TraceService(store)
    # some data for the ids the fuzzer may name ("0", "a"...), nested, with alternatives
    for trace_id in ("0", "a", "A"):
        t = service.start_trace(TENANT, StartTraceInput(trace_id=trace_id, session_id="0"))
        service.record_steps(TENANT, t.trace_id, [
            StepInput(step_id=f"{trace_id}0", step_type="Decision",
                      alternatives_considered=["", "x"], selected_alternative="x"),
            StepInput(step_id=f"{trace_id}1", step_type="Action",
                      depends_on=[f"{trace_id}0"])])
    service.start_trace(TENANT, StartTraceInput(trace_id="c0", parent_trace_id="0",
                                                spawned_by_step_id="01"))
    live = LiveServer(service)
    yield live
    live.stop()
    store.close()


def _check(server: LiveServer, query: str) -> None:
    # ASCII JSON: a lone surrogate the strategy put in a string travels as a \ud800 escape
    body = json.dumps({"query": query}, ensure_ascii=True).encode()
    r = server.http.post("/graphql", content=body, headers={
        "Content-Type": "application/json", "X-Org-Id": TENANT})
    assert r.status_code < 500, (query, r.text)
    if r.status_code != 200:
        assert r.text, query  # a 4xx says why
        return
    for err in r.json().get("errors") or []:
        code = (err.get("extensions") or {}).get("code")
        assert code != "INTERNAL" and err["message"] != MASKED_MESSAGE, (query, err)
        assert err["message"], (query, err)


@FUZZ
@given(query=queries(SCHEMA, custom_scalars=SCALARS, codec=None))
def test_fuzzed_queries_never_fail_inside(server: LiveServer, query: str) -> None:
    _check(server, query)


@FUZZ
@given(query=mutations(SCHEMA, custom_scalars=SCALARS, codec=None))
def test_fuzzed_mutations_never_fail_inside(server: LiveServer, query: str) -> None:
    _check(server, query)


@settings(FUZZ, max_examples=150)
@given(query=queries(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE)
       | mutations(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
def test_fuzzed_invalid_operations_are_named(server: LiveServer, query: str) -> None:
    _check(server, query)
