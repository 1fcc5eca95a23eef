"""``traces(filter, first, after, last, before)``: filters and Relay cursor pagination over
HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.live import LiveServer

LIST = """
query List($filter: TraceFilter, $first: Int, $after: String) {
  traces(filter: $filter, first: $first, after: $after) {
    edges { cursor node { traceId agentId status outcome sessionId parentTraceId createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
START = "mutation($i: StartTraceInput!) { startTrace(input: $i) { traceId createdAt } }"
STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ stepId } }")
COMPLETE = ("mutation($t: ID!, $o: Outcome!) { completeTrace(traceId: $t, outcome: $o) "
            "{ status } }")


@pytest.fixture(scope="module")
def listing(server: LiveServer) -> dict[str, Any]:
    """Seven root traces of agent a (in two sessions), three of agent b, one nested trace."""
    tenant = "listing"
    ids: dict[str, list[str]] = {"a": [], "b": []}
    created: list[str] = []
    for i in range(7):
        t = server.gql(START, {"i": {"agentId": "a", "sessionId": f"s{i % 2}"}},
                       tenant=tenant)["startTrace"]
        ids["a"].append(t["traceId"])
        created.append(t["createdAt"])
        server.gql(STEPS, {"t": t["traceId"], "s": [
            {"stepType": "Reasoning", "modelId": "gpt-x" if i < 2 else "claude-y"}]},
            tenant=tenant)
    for _ in range(3):
        ids["b"].append(server.gql(START, {"i": {"agentId": "b"}},
                                   tenant=tenant)["startTrace"]["traceId"])
    server.gql(COMPLETE, {"t": ids["a"][0], "o": "SUCCESS"}, tenant=tenant)
    server.gql(COMPLETE, {"t": ids["a"][1], "o": "FAILURE"}, tenant=tenant)
    server.gql(COMPLETE, {"t": ids["b"][0], "o": "SUCCESS"}, tenant=tenant)
    child = server.gql(START, {"i": {"agentId": "c", "parentTraceId": ids["a"][6]}},
                       tenant=tenant)["startTrace"]["traceId"]
    return {"tenant": tenant, "ids": ids, "created": created, "child": child}


def _ids(server: LiveServer, tenant: str, flt: dict[str, Any], first: int = 100) -> list[str]:
    data = server.gql(LIST, {"filter": flt, "first": first}, tenant=tenant)["traces"]
    return [e["node"]["traceId"] for e in data["edges"]]


def test_cursor_pagination_walks_every_trace_once_newest_first(
    server: LiveServer, listing: dict[str, Any]
) -> None:
    seen: list[str] = []
    pages = []
    after = None
    while True:
        data = server.gql(LIST, {"filter": {"agentId": "a"}, "first": 3, "after": after},
                          tenant=listing["tenant"])["traces"]
        pages.append(data)
        seen.extend(e["node"]["traceId"] for e in data["edges"])
        info = data["pageInfo"]
        assert info["hasPreviousPage"] == (after is not None)
        if data["edges"]:
            assert info["startCursor"] == data["edges"][0]["cursor"]
            assert info["endCursor"] == data["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert [len(p["edges"]) for p in pages] == [3, 3, 1]
    assert seen == list(reversed(listing["ids"]["a"]))  # newest first, no gaps, no repeats
    stamps = [e["node"]["createdAt"] for p in pages for e in p["edges"]]
    assert stamps == sorted(stamps, reverse=True)


def test_filters(server: LiveServer, listing: dict[str, Any]) -> None:
    tenant, a, b = listing["tenant"], listing["ids"]["a"], listing["ids"]["b"]
    assert set(_ids(server, tenant, {"agentId": "b"})) == set(b)
    assert set(_ids(server, tenant, {"sessionId": "s0", "agentId": "a"})) == set(a[0::2])
    assert _ids(server, tenant, {"status": "FAILED"}) == [a[1]]
    assert set(_ids(server, tenant, {"outcome": "SUCCESS"})) == {a[0], b[0]}
    assert set(_ids(server, tenant, {"status": "ACTIVE", "agentId": "a"})) == set(a[2:])
    assert set(_ids(server, tenant, {"modelId": "gpt-x"})) == {a[0], a[1]}
    assert _ids(server, tenant, {"parentTraceId": a[6]}) == [listing["child"]]
    assert listing["child"] not in _ids(server, tenant, {"rootsOnly": True})
    assert len(_ids(server, tenant, {"rootsOnly": True})) == 10
    assert len(_ids(server, tenant, {})) == 11
    middle = listing["created"][3]
    assert set(_ids(server, tenant, {"agentId": "a", "createdAfter": middle})) == set(a[3:])
    assert set(_ids(server, tenant, {"agentId": "a", "createdBefore": middle})) == set(a[:3])


def test_time_filters_accept_any_iso_offset(server: LiveServer, listing: dict[str, Any]) -> None:
    tenant = listing["tenant"]
    assert _ids(server, tenant, {"createdAfter": "2999-01-01T00:00:00+02:00"}) == []
    assert len(_ids(server, tenant, {"createdBefore": "2999-01-01T00:00:00"})) == 11


def test_other_tenants_see_nothing(server: LiveServer, listing: dict[str, Any]) -> None:
    assert _ids(server, "nobody-here", {}) == []


def test_default_page_is_twenty(server: LiveServer) -> None:
    tenant = "paging-default"
    for _ in range(21):
        server.gql(START, {"i": {}}, tenant=tenant)
    data = server.gql("{ traces { edges { cursor } pageInfo { hasNextPage } } }",
                      tenant=tenant)["traces"]
    assert len(data["edges"]) == 20 and data["pageInfo"]["hasNextPage"] is True


BACKWARD = """
query Back($filter: TraceFilter, $last: Int, $before: String) {
  traces(filter: $filter, last: $last, before: $before) {
    edges { cursor node { traceId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def test_last_before_pages_backward_to_the_newest(
    server: LiveServer, listing: dict[str, Any]
) -> None:
    tenant, newest_first = listing["tenant"], list(reversed(listing["ids"]["a"]))
    seen: list[str] = []
    pages = []
    before = None
    while True:
        data = server.gql(BACKWARD, {"filter": {"agentId": "a"}, "last": 3, "before": before},
                          tenant=tenant)["traces"]
        pages.append(data)
        seen[:0] = [e["node"]["traceId"] for e in data["edges"]]
        info = data["pageInfo"]
        assert info["hasNextPage"] == (before is not None)
        assert info["startCursor"] == data["edges"][0]["cursor"]
        assert info["endCursor"] == data["edges"][-1]["cursor"]
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert [len(p["edges"]) for p in pages] == [3, 3, 1]
    assert seen == newest_first  # the forward order, no gaps, no repeats
    err = server.gql_error(BACKWARD, {"last": 101}, tenant=tenant)
    assert err["message"] == "last: 101 is outside 1..100"
    assert err["extensions"]["code"] == "LIMIT_EXCEEDED"
    err = server.gql_error("query($c: String) { traces(first: 2, before: $c) { edges "
                           "{ cursor } } }", {"c": pages[0]["pageInfo"]["startCursor"]},
                           tenant=tenant)
    assert "before" in err["message"]
