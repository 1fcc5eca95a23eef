"""Seed 003's REST routes over a live server: a run's trace as iterations, its status with
and without the trace, runs listed by status and paged, tenants kept apart, errors naming
the parameter and limit, and the same API keys as GraphQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.api.auth import Authenticator
from tracegraph.api.keys import KeyStore
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.iteration import Iteration

from tests.helpers.live import LiveServer

from .conftest import ITERATIONS, Runs, store_runs

ACME = {"X-Org-Id": "acme"}


def test_trace_is_the_runs_iterations(runs: Runs) -> None:
    r = runs.server.http.get(f"/agents/{runs.done}/trace", headers=ACME)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agent_run_id"] == runs.done and body["status"] == "completed"
    assert body["objective"] == "Process support ticket TK-12345"
    assert body["iterations"] == 3
    assert [Iteration.model_validate(i) for i in body["reasoning_trace"]] == ITERATIONS
    first = body["reasoning_trace"][0]
    assert first == {"iteration": 1, "timestamp": "2026-02-01T10:30:01Z",
                     "thought": "I need to look up the ticket details.",
                     "action": "lookup_ticket", "action_input": {"ticket_id": "TK-12345"},
                     "observation": {"subject": "Billing Error", "status": "open"},
                     "success": True}


def test_status_with_and_without_the_trace(runs: Runs) -> None:
    r = runs.server.http.get(f"/agents/{runs.done}/status", headers=ACME)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "reasoning_trace" not in body
    assert body["status"] == "completed" and body["iterations"] == 3
    assert body["final_answer"] == "Refund processed." and body["confidence"] == 0.95
    assert body["triggered_runs"] == [{"agent_run_id": runs.child, "status": "running"}]
    assert body["completed_at"] >= body["created_at"] and body["error_details"] is None
    full = runs.server.http.get(f"/agents/{runs.done}/status",
                                params={"include_trace": "true"}, headers=ACME).json()
    assert {k: v for k, v in full.items() if k != "reasoning_trace"} == body
    assert [i["action"] for i in full["reasoning_trace"]] == [
        "lookup_ticket", "process_refund", "__complete__"]
    failed = runs.server.http.get(f"/agents/{runs.failed}/status", headers=ACME).json()
    assert (failed["status"], failed["error_details"]) == ("failed", "tool timed out")


def test_list_by_status_and_page(runs: Runs) -> None:
    http = runs.server.http

    def ids(**params: str | int) -> list[str]:
        r = http.get("/agents", params=params, headers=ACME)
        assert r.status_code == 200, r.text
        return [a["agent_run_id"] for a in r.json()["agents"]]

    assert ids(status="completed") == [runs.done]
    assert ids(status="failed") == [runs.failed]
    assert set(ids(status="running")) == {runs.child, runs.running}
    assert ids(status="paused") == []
    every = ids(limit=100)
    assert sorted(every) == sorted([runs.done, runs.failed, runs.child, runs.running])
    page = http.get("/agents", params={"limit": 2, "offset": 1}, headers=ACME).json()
    assert [a["agent_run_id"] for a in page["agents"]] == every[1:3]
    assert (page["limit"], page["offset"], page["has_more"]) == (2, 1, True)
    assert http.get("/agents", params={"offset": 3}, headers=ACME).json()["has_more"] is False
    assert ids() and http.get("/agents").json()["agents"] == []  # another tenant: nothing


@pytest.mark.parametrize(("url", "status", "field", "words"), [
    ("/agents?limit=0", 400, "limit", "1..100"),
    ("/agents?limit=101", 400, "limit", "1..100"),
    ("/agents?limit=ten", 400, "limit", "whole number"),
    ("/agents?offset=-1", 400, "offset", "0..10000"),
    ("/agents?offset=10001", 400, "offset", "0..10000"),
    ("/agents?status=waiting", 400, "status", "running, paused, completed, failed"),
    ("/agents/run-done/status?include_trace=yes", 400, "include_trace", "true or false"),
    ("/agents/bad%20id/trace", 400, "id", "not a valid agent run id"),
    ("/agents/nope/trace", 404, None, "no agent run nope"),
    ("/agents/run-done/status", 404, None, "no agent run"),  # another tenant's run
])
def test_errors_name_the_field_and_limit(runs: Runs, url: str, status: int,
                                          field: str | None, words: str) -> None:
    headers = {} if url.endswith("/status") else ACME
    r = runs.server.http.get(url, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert words in error["message"] and error.get("field") == field


def test_unknown_paths_and_methods_answer_json(runs: Runs) -> None:
    r = runs.server.http.get("/agents/run-done/nothing", headers=ACME)
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    r = runs.server.http.post("/agents", json={}, headers=ACME)
    assert r.status_code == 405 and r.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_openapi_and_docs_are_open(runs: Runs) -> None:
    doc = runs.server.http.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {"/agents", "/agents/{id}/trace", "/agents/{id}/status"}
    page = runs.server.http.get("/docs")
    assert page.status_code == 200 and "GET /agents/{id}/status" in page.text


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[LiveServer, str, str]]:
    store = EmbeddedStore(tmp_path)
    keys = KeyStore(tmp_path)
    acme, globex = keys.create("acme"), keys.create("globex")
    service = TraceService(store)
    store_runs(service, "acme")
    live = LiveServer(service, auth=Authenticator(keys))
    yield live, acme, globex
    live.stop()
    store.close()
    keys.close()


def test_api_keys_as_graphql(keyed: tuple[LiveServer, str, str]) -> None:
    live, acme, globex = keyed
    r = live.http.get("/agents/run-done/trace")
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED"
    assert r.headers["www-authenticate"].startswith("Bearer")
    ok = live.http.get("/agents/run-done/trace", headers={"Authorization": f"Bearer {acme}"})
    assert ok.status_code == 200 and ok.json()["iterations"] == 3
    other = live.http.get("/agents/run-done/trace",
                          headers={"Authorization": f"Bearer {globex}"})
    assert other.status_code == 404
    r = live.http.get("/agents", headers={"Authorization": f"Bearer {acme}",
                                           "X-Org-Id": "globex"})
    assert r.status_code == 403 and "X-Org-Id" in r.json()["error"]["message"]
    assert live.http.get("/openapi.json").status_code == 200  # holds no data


def test_browser_guards_apply(runs: Runs) -> None:
    """A page of another site cannot read runs: foreign Host (DNS rebinding) and foreign
    Origin are refused before any route runs, as on /graphql."""
    http = runs.server.http
    r = http.get("/agents", headers={**ACME, "Host": "evil.example"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_HOST"
    r = http.get(f"/agents/{runs.done}/trace", headers={**ACME, "Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN_ORIGIN"
    own = http.get("/agents", headers={**ACME, "Origin": runs.server.url})
    assert own.status_code == 200
