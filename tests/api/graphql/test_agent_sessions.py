"""GraphQL ``agentSessions`` (an agent's sessions with step counts, first and last step times
and chain validity, paged) and ``step(stepId)``, over a live server, tenants kept apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.sessions import log_session_step
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import StepInput

from tests.helpers.live import LiveServer

SESSIONS = ("query($a: ID!, $n: Int, $c: String) { agentSessions(agentId: $a, first: $n, "
            "after: $c) { edges { cursor node { sessionId stepCount firstStepAt lastStepAt "
            "chainValid } } pageInfo { hasNextPage hasPreviousPage endCursor } } }")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    store = EmbeddedStore(tmp_path)
    live = LiveServer(TraceService(store))
    yield live
    live.stop()
    store.close()


def test_sessions_of_an_agent_paged(server: LiveServer) -> None:
    svc = server.service
    for session, count in (("s-old", 3), ("s-mid", 1), ("s-new", 2)):
        for i in range(count):
            log_session_step(svc, "default", session,
                             StepInput(step_type="Reasoning", content=f"{session} {i}"),
                             agent_id="analyst")
    log_session_step(svc, "default", "other", StepInput(step_type="Reasoning"), agent_id="b")
    log_session_step(svc, "acme", "s-acme", StepInput(step_type="Reasoning"),
                     agent_id="analyst")
    page = server.gql(SESSIONS, {"a": "analyst", "n": 2})["agentSessions"]
    nodes = [e["node"] for e in page["edges"]]
    assert [(n["sessionId"], n["stepCount"], n["chainValid"]) for n in nodes] == [
        ("s-new", 2, True), ("s-mid", 1, True)]
    assert nodes[0]["firstStepAt"] < nodes[0]["lastStepAt"]
    assert nodes[1]["firstStepAt"] == nodes[1]["lastStepAt"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = server.gql(SESSIONS, {"a": "analyst", "n": 2, "c": page["pageInfo"]["endCursor"]}
                      )["agentSessions"]
    assert [e["node"]["sessionId"] for e in rest["edges"]] == ["s-old"]
    assert rest["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True,
                                "endCursor": rest["edges"][0]["cursor"]}
    acme = server.gql(SESSIONS, {"a": "analyst"}, tenant="acme")["agentSessions"]
    assert [e["node"]["sessionId"] for e in acme["edges"]] == ["s-acme"]


def test_bad_paging_names_the_field(server: LiveServer) -> None:
    err = server.gql_error(SESSIONS, {"a": "analyst", "n": 101})
    assert "first" in err["message"] and "100" in err["message"]
    err = server.gql_error(SESSIONS, {"a": "analyst", "c": "bm90IGEgY3Vyc29y"})
    assert "after" in err["message"]


def test_step_by_its_id(server: LiveServer) -> None:
    logged = log_session_step(server.service, "default", "s",
                              StepInput(step_type="Decision", content="go"), agent_id="a")
    q = "query($s: ID!) { step(stepId: $s) { stepId stepType content hash } }"
    step = server.gql(q, {"s": logged.step.step_id})["step"]
    assert step == {"stepId": logged.step.step_id, "stepType": "Decision", "content": "go",
                    "hash": logged.step.hash}
    assert server.gql(q, {"s": logged.trace_id})["step"] is None  # a trace, not a step
    assert server.gql(q, {"s": logged.step.step_id}, tenant="acme")["step"] is None
