"""The same GraphQL flows on every backend: the API over the embedded store, Neo4j and
Dgraph answers alike. Servers come from the conformance harnesses (``tests/conformance/
backends``): a backend whose server is missing is skipped locally and fails under CI=true."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from tracegraph.api.service import TraceService

from tests.helpers.doc_blocks import example_blocks
from tests.helpers.lifecycle import GET_TRACE, SESSION, run_lifecycle
from tests.helpers.live import LiveServer, new_tenant

BACKENDS = ["embedded", "neo4j", "dgraph"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend_server(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    try:
        module = importlib.import_module(f"tests.conformance.backends.{request.param}")
    except ModuleNotFoundError as exc:
        pytest.skip(f"no conformance harness for {request.param}: {exc}")
    harness = module.make_harness(tmp_path_factory)
    live = LiveServer(TraceService(harness.open()))
    yield live
    live.stop()
    harness.close()


def test_lifecycle_reads_and_verification(backend_server: LiveServer) -> None:
    tenant = new_tenant()
    p = f"{tenant}-"
    run: dict[str, Any] = run_lifecycle(backend_server, tenant, p)
    rid, cid = run["root"]["traceId"], run["child"]["traceId"]
    data = backend_server.gql(GET_TRACE, {"traceId": rid}, tenant=tenant)
    t = data["trace"]
    assert [s["stepId"] for s in t["steps"]] == [f"{p}obs", f"{p}dec", f"{p}act"]
    assert [s["prevHash"] for s in t["steps"][1:]] == [s["hash"] for s in t["steps"][:2]]
    assert t["steps"][1]["alternatives"][1] == {"text": "Norwegian", "selected": True,
                                                "index": 1}
    assert [c["traceId"] for c in t["children"]] == [cid]
    assert t["subtreeTotals"]["stepCount"] == 4 and t["subtreeTotals"]["costUsd"] == 0.75
    assert t["pathTaken"] == ["Observation", "Decision", "INTENT_ANALYSIS"]
    assert data["verifyTrace"]["valid"] is True and data["verifyTrace"]["entriesChecked"] == 7
    replay = backend_server.gql(SESSION, {"sessionId": f"{p}sess-1"}, tenant=tenant)
    assert [s["stepId"].removeprefix(p) for s in replay["session"]["steps"]] == [
        "obs", "dec", "act", "book"]
    assert replay["verifySession"]["valid"] is True


def test_graphql_doc_example(backend_server: LiveServer) -> None:
    tenant = new_tenant()
    results = [backend_server.gql(block, tenant=tenant) for block in example_blocks(tenant)]
    read, explore = results[4], results[5]
    assert read["verifyTrace"]["valid"] is True
    assert [[n["nodeId"].removeprefix(tenant) for n in p["nodes"]] for p in explore["path"]] == [
        ["-observe", "-answer"], ["-observe", "-decide", "-answer"]]
    assert explore["branches"]["notTaken"] == 2


def test_paging_and_isolation(backend_server: LiveServer) -> None:
    tenant = new_tenant()
    made = [backend_server.gql("mutation { startTrace(input: {agentId: \"pager\"}) "
                               "{ traceId } }", tenant=tenant)["startTrace"]["traceId"]
            for _ in range(5)]
    seen: list[str] = []
    after = None
    while True:
        page = backend_server.gql(
            "query($a: String) { traces(filter: {agentId: \"pager\"}, first: 2, after: $a) "
            "{ edges { node { traceId } } pageInfo { hasNextPage endCursor } } }",
            {"a": after}, tenant=tenant)["traces"]
        seen += [e["node"]["traceId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(made) and len(seen) == 5
    assert backend_server.gql("query($t: ID!) { trace(traceId: $t) { traceId } }",
                              {"t": made[0]}, tenant=new_tenant()) == {"trace": None}
