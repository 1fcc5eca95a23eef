"""docs/rest.md works as written: its NDJSON run is ingested, each curl URL answers 200 and
the status answer is the one the page shows (but for the completion time); the paused-run
GraphQL blocks run in order and answer what the page says."""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson

from tests.helpers.doc_blocks import ROOT, graphql_blocks
from tests.helpers.live import LiveServer, new_tenant

PAGE = ROOT / "docs" / "rest.md"


def _block(lang: str, text: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.DOTALL)


def test_example_runs_as_written(server: LiveServer) -> None:
    text = PAGE.read_text()
    tenant = new_tenant()
    run = f"run-{uuid.uuid4().hex[:8]}"
    (ndjson,) = _block("ndjson", text)
    r = server.http.post("/v1/ingest", content=ndjson.replace("run-123", run).encode(),
                         headers={"Content-Type": "application/x-ndjson", "X-Org-Id": tenant})
    assert r.status_code == 200, r.text
    urls = re.findall(r'curl -s "http://127\.0\.0\.1:8000(/agents[^"]*)"', text)
    assert len(urls) == 3
    answers: list[Any] = []
    for url in urls:
        got = server.http.get(url.replace("run-123", run), headers={"X-Org-Id": tenant})
        assert got.status_code == 200, (url, got.text)
        answers.append(got.json())
    shown = orjson.loads(_block("json", text)[0].replace("run-123", run))
    status = answers[1]
    assert status["completed_at"] > status["created_at"]
    assert {k: v for k, v in status.items() if k != "completed_at"} == {
        k: v for k, v in shown.items() if k != "completed_at"}
    assert answers[0]["reasoning_trace"] == shown["reasoning_trace"]
    assert [a["agent_run_id"] for a in answers[2]["agents"]] == [run]


def test_paused_run_blocks(server: LiveServer) -> None:
    prefix = f"x{uuid.uuid4().hex[:12]}"
    blocks = graphql_blocks("docs/rest.md", "Paused runs", "demo", prefix)
    assert len(blocks) == 4
    tenant = new_tenant()
    started, paused, listed, resumed = [server.gql(b, tenant=tenant) for b in blocks]
    assert started["startTrace"] == {"status": "ACTIVE"}
    assert paused["pauseTrace"] == {"question": "Refund 249.99 EUR?", "awaitingAnswer": True}
    assert listed["traces"]["edges"] == [{"node": {"traceId": f"{prefix}-approval",
                                                   "status": "PAUSED"}}]
    assert resumed["resumeTrace"] == {"question": "Refund 249.99 EUR?", "answer": "Yes",
                                      "answeredBy": "alice", "awaitingAnswer": False}
