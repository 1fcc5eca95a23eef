"""``searchSteps``, ``similarSteps`` and ``similarRuns`` over HTTP, on the default embedder:
ranking by meaning, filters, Relay pages, tenant scoping and errors naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tracegraph.api.embedding import MiniLMEmbedder
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.sampling import EmbeddingSampling, SamplingPolicy

from tests.helpers.live import LiveServer

START = "mutation($i: StartTraceInput!) { startTrace(input: $i) { traceId } }"
STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ stepId hasEmbedding } }")
SEARCH = """query($q: String!, $first: Int, $after: String, $f: StepSearchFilter) {
  searchSteps(query: $q, first: $first, after: $after, filter: $f) {
    edges { cursor score node { stepId stepType content traceId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

PRICING = [("Observation", "The customer asked for a quote on 500 enterprise seats."),
           ("Reasoning", "List price is 40 dollars per seat; volume tiers start at 250."),
           ("Decision", "Offer a 15% volume discount on the enterprise pricing."),
           ("FinalAnswer", "Quoted 17,000 dollars per year for 500 seats after discount.")]
OUTAGE = [("Observation", "Error rate on the checkout service rose to 30% at 09:12."),
          ("ToolCall", "Query the logs of the payments database for timeouts."),
          ("Decision", "Roll back the deploy of the connection pool change."),
          ("FinalAnswer", "Rolled back; the checkout error rate is back under 1%.")]
PRICING_AGAIN = [("Observation", "A client wants a price for 300 team licenses."),
                 ("Reasoning", "Team plan is 25 dollars a license; discounts from 200."),
                 ("Decision", "Give a 10% discount for the volume of licenses."),
                 ("FinalAnswer", "Quoted 6,750 dollars per year for 300 licenses.")]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMEmbedder
         ) -> Iterator[LiveServer]:
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("semantic")))
    service = TraceService(store, sampling=SamplingPolicy(default=EmbeddingSampling(rate=1.0)))
    service.enable_semantic(minilm)
    server = LiveServer(service)
    yield server
    server.stop()
    service.close()


def _run(live: LiveServer, tenant: str, agent: str, steps: list[tuple[str, str]]) -> str:
    t = live.gql(START, {"i": {"agentId": agent, "sessionId": f"s-{agent}"}},
                 tenant=tenant)["startTrace"]["traceId"]
    live.gql(STEPS, {"t": t, "s": [{"stepType": k, "content": c} for k, c in steps]},
             tenant=tenant)
    return str(t)


@pytest.fixture(scope="module")
def runs(live: LiveServer) -> dict[str, str]:
    ids = {"pricing": _run(live, "acme", "sales", PRICING),
           "outage": _run(live, "acme", "sre", OUTAGE),
           "pricing2": _run(live, "acme", "sales2", PRICING_AGAIN),
           "other": _run(live, "globex", "sales", PRICING)}
    semantic = live.service.semantic
    assert semantic is not None and semantic.drain(60)
    return ids


def _search(live: LiveServer, q: str, tenant: str = "acme", **kw: Any) -> dict[str, Any]:
    got: dict[str, Any] = live.gql(SEARCH, {"q": q, **kw}, tenant=tenant)["searchSteps"]
    return got


def test_decisions_about_pricing_are_found_by_meaning(live: LiveServer,
                                                      runs: dict[str, str]) -> None:
    got = _search(live, "decisions about pricing", first=2, f={"stepTypes": ["Decision"]})
    nodes = [e["node"] for e in got["edges"]]
    assert {n["traceId"] for n in nodes} == {runs["pricing"], runs["pricing2"]}
    assert all(n["stepType"] == "Decision" for n in nodes)
    scores = [e["score"] for e in got["edges"]]
    assert scores == sorted(scores, reverse=True)
    top = _search(live, "database timeouts in the logs", first=1)["edges"][0]["node"]
    assert top["traceId"] == runs["outage"] and top["stepType"] == "ToolCall"


def test_pages_walk_the_ranking_once(live: LiveServer, runs: dict[str, str]) -> None:
    whole = [e["node"]["stepId"] for e in _search(live, "price", first=12)["edges"]]
    assert len(whole) == 12  # every embedded step of the tenant, none of globex's
    seen: list[str] = []
    after = None
    while True:
        page = _search(live, "price", first=5, after=after)
        seen += [e["node"]["stepId"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == whole


def test_filters_by_agent_session_trace_and_time(live: LiveServer, runs: dict[str, str]
                                                 ) -> None:
    def traces(f: dict[str, Any]) -> set[str]:
        return {e["node"]["traceId"] for e in _search(live, "price", first=20, f=f)["edges"]}

    assert traces({"agentId": "sre"}) == {runs["outage"]}
    assert traces({"sessionId": "s-sales2"}) == {runs["pricing2"]}
    assert traces({"traceId": runs["pricing"]}) == {runs["pricing"]}
    assert traces({"createdAfter": "2999-01-01T00:00:00Z"}) == set()
    assert len(traces({"createdBefore": "2999-01-01T00:00:00Z"})) == 3


def test_tenants_never_see_each_others_steps(live: LiveServer, runs: dict[str, str]) -> None:
    got = _search(live, "price", tenant="globex", first=50)
    assert {e["node"]["traceId"] for e in got["edges"]} == {runs["other"]}
    assert _search(live, "price", tenant="nobody")["edges"] == []


def test_similar_steps_and_runs(live: LiveServer, runs: dict[str, str]) -> None:
    decision = next(e["node"]["stepId"] for e in _search(
        live, "volume discount", first=1, f={"traceId": runs["pricing"]})["edges"])
    similar = live.gql("query($s: ID!) { similarSteps(stepId: $s, first: 3) { score "
                       "node { stepId traceId } } }", {"s": decision}, tenant="acme")
    hits = similar["similarSteps"]
    assert decision not in {h["node"]["stepId"] for h in hits}
    assert hits[0]["node"]["traceId"] == runs["pricing2"]
    got = live.gql("query($t: ID!) { similarRuns(traceId: $t, first: 5) { score alignedSteps "
                   "trace { traceId } } }", {"t": runs["pricing"]}, tenant="acme")
    order = [r["trace"]["traceId"] for r in got["similarRuns"]]
    assert order == [runs["pricing2"], runs["outage"]]
    assert got["similarRuns"][0]["alignedSteps"] == 4
    assert got["similarRuns"][0]["score"] > got["similarRuns"][1]["score"]


@pytest.mark.parametrize(("query", "variables", "field"), [
    (SEARCH, {"q": "  "}, "query"),
    (SEARCH, {"q": "x", "first": 101}, "first"),
    (SEARCH, {"q": "x", "after": "bm90LWEtY3Vyc29y"}, "after"),
    (SEARCH, {"q": "x" * 2001}, "query"),
    ("query { similarSteps(stepId: \"nope\") { score } }", {}, "stepId"),
])
def test_bad_input_names_the_field(live: LiveServer, runs: dict[str, str], query: str,
                                   variables: dict[str, Any], field: str) -> None:
    body = live.post(query, variables, tenant="acme").json()
    assert body["data"] is None
    assert field in body["errors"][0]["message"]
