"""The GraphQL examples of README.md and docs/ work exactly as written: each page's
```graphql blocks run in order against a live server, each without errors, and answer what
the page says."""

from __future__ import annotations

import asyncio
import uuid

from tests.helpers.doc_blocks import example_blocks, graphql_blocks
from tests.helpers.live import LiveServer, new_tenant
from tests.helpers.ws import subscriber


def fresh_prefix() -> str:
    return f"x{uuid.uuid4().hex[:12]}"


def test_readme_first_trace_runs_in_order(server: LiveServer) -> None:
    p = fresh_prefix()
    blocks = graphql_blocks("README.md", "A first trace", "first", p)
    assert len(blocks) == 4
    tenant = new_tenant()
    started, recorded, completed, read = [server.gql(b, tenant=tenant) for b in blocks]
    assert started["startTrace"] == {"traceId": f"{p}-trace", "status": "ACTIVE"}
    assert [s["stepIndex"] for s in recorded["recordSteps"]] == [0, 1]
    assert completed["completeTrace"] == {"status": "COMPLETED",
                                          "pathTaken": ["Reasoning", "FinalAnswer"]}
    assert read["verifyTrace"] == {"valid": True, "entriesChecked": 4}
    assert read["trace"]["steps"] == [
        {"stepIndex": 0, "stepType": "Reasoning", "content": "The user said hello.",
         "dependsOn": []},
        {"stepIndex": 1, "stepType": "FinalAnswer", "content": "Hello!",
         "dependsOn": [f"{p}-think"]}]


def test_rollup_example_counts_what_the_page_says(server: LiveServer) -> None:
    blocks = graphql_blocks("docs/rollups.md", "One trace: `totals`", "rollup", fresh_prefix())
    assert len(blocks) == 4
    tenant = new_tenant()
    *_, completed = [server.gql(b, tenant=tenant) for b in blocks]
    assert completed["completeTrace"]["totals"] == {
        "inputTokens": 475, "outputTokens": 107, "costUsd": 0.0035, "stepCount": 2,
        "apiCallCount": 3}


def test_graphql_example_runs_in_order(server: LiveServer) -> None:
    blocks = example_blocks("demo")
    assert len(blocks) == 6
    tenant = new_tenant()
    results = [server.gql(block, tenant=tenant) for block in blocks]
    started, recorded, call, completed, read, explore = results
    assert started["startTrace"]["status"] == "ACTIVE"
    steps = recorded["recordSteps"]
    assert [s["stepIndex"] for s in steps] == [0, 1, 2]
    assert steps[1]["alternatives"] == [{"text": "SAS", "selected": False},
                                        {"text": "Norwegian", "selected": True},
                                        {"text": "train", "selected": False}]
    assert call["recordApiCall"]["seq"] == 4
    done = completed["completeTrace"]
    assert done["status"] == "COMPLETED" and done["outcome"] == "SUCCESS"
    assert done["pathTaken"] == ["Observation", "Decision", "FinalAnswer"]
    assert done["modelIdsUsed"] == ["gpt-4o"]
    assert done["totals"] == {"inputTokens": 420, "outputTokens": 96, "costUsd": 0.0031,
                              "stepCount": 3, "apiCallCount": 1}
    assert read["verifyTrace"] == {"valid": True, "entriesChecked": 6, "firstBrokenSeq": None,
                                   "reason": None}
    assert read["verifySession"] == {"valid": True, "entriesChecked": 6}
    trace = read["trace"]
    assert trace["status"] == "COMPLETED"
    assert trace["steps"][2]["dependsOn"] == ["demo-observe", "demo-decide"]
    assert trace["steps"][1]["apiCalls"] == [
        {"endpoint": "https://api.openai.com/v1/chat/completions", "costUsd": 0.0031}]
    assert trace["steps"][0]["content"] == "The user wants OSL to FCO on Friday, economy."
    paths = [[n["nodeId"] for n in p["nodes"]] for p in explore["path"]]
    assert paths == [["demo-observe", "demo-answer"],
                     ["demo-observe", "demo-decide", "demo-answer"]]
    assert explore["path"][0]["edges"] == [
        {"src": "demo-answer", "dst": "demo-observe", "type": "DEPENDS_ON"}]
    causes = {n["node"]["nodeId"]: n["depth"] for n in explore["lineage"]["nodes"]}
    assert causes == {"demo-decide": 1, "demo-observe": 1, "demo-trace": 1}
    assert explore["branches"]["notTaken"] == 2
    assert explore["branches"]["steps"] == [
        {"stepId": "demo-decide", "selected": "Norwegian",
         "notTaken": [{"text": "SAS"}, {"text": "train"}]}]
    assert explore["runTree"]["depth"] == 0
    assert [t["trace"]["traceId"] for t in explore["runTree"]["traces"]] == ["demo-trace"]


def test_subscription_replays_the_example_trace(server: LiveServer) -> None:
    tenant = new_tenant()
    for block in example_blocks(tenant)[:4]:  # start, steps, API call, complete
        server.gql(block, tenant=tenant)
    (follow,) = example_blocks(tenant, "Live subscriptions and global ids")

    async def replay() -> list[dict[str, object]]:
        async with subscriber(server.url, tenant) as sub:
            await sub.subscribe(follow)
            events = await sub.events(6)
            assert (await sub.receive())["type"] == "complete"
            return [e["traceEvents"] for e in events]  # type: ignore[misc]

    events = asyncio.run(replay())
    assert [e["kind"] for e in events] == ["TRACE_STARTED", "STEP", "STEP", "STEP",
                                           "API_CALL", "TRACE_COMPLETED"]
    assert events[4]["apiCall"] == {"endpoint": "https://api.openai.com/v1/chat/completions",
                                    "costUsd": 0.0031}
