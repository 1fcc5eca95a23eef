"""The README's GraphQL example works exactly as written: its ```graphql blocks run in order
against a live server, each without errors."""

from __future__ import annotations

import re
from pathlib import Path

from .live import LiveServer, new_tenant

README = Path(__file__).parents[2] / "README.md"


def graphql_blocks() -> list[str]:
    text = README.read_text()
    section = text.split("## GraphQL example", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)


def test_readme_example_runs_in_order(server: LiveServer) -> None:
    blocks = graphql_blocks()
    assert len(blocks) == 5
    tenant = new_tenant()
    results = [server.gql(block, tenant=tenant) for block in blocks]
    started, recorded, call, completed, read = results
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
