"""Paused runs through GraphQL and REST over a live server: a question recorded without an
answer (or pauseTrace) pauses the trace, listable by status PAUSED and ``/agents?status=
paused``; the answer (resumeTrace, or a human input answering it) makes it ACTIVE again."""

from __future__ import annotations

from tests.helpers.live import LiveServer

START = "mutation { startTrace(input: {goal: \"refund\"}) { traceId status } }"
PAUSE = """mutation($t: ID!, $q: String!) { pauseTrace(traceId: $t, input: {question: $q}) {
  inputId question awaitingAnswer answersInputId } }"""
RESUME = """mutation($t: ID!, $a: String!) { resumeTrace(traceId: $t, input: {answer: $a,
  answeredBy: "alice"}) { inputId question answer answeredBy awaitingAnswer answersInputId } }"""
ASK = """mutation($t: ID!, $i: HumanInputInput!) { recordHumanInput(traceId: $t, input: $i) {
  inputId awaitingAnswer answersInputId } }"""
LIST = """query($s: TraceStatus) { traces(filter: {status: $s}, first: 50) {
  edges { node { traceId status } } } }"""


def _listed(server: LiveServer, tenant: str, status: str) -> list[str]:
    edges = server.gql(LIST, {"s": status}, tenant=tenant)["traces"]["edges"]
    return [e["node"]["traceId"] for e in edges]


def _rest(server: LiveServer, tenant: str, status: str) -> list[str]:
    r = server.http.get("/agents", params={"status": status}, headers={"X-Org-Id": tenant})
    assert r.status_code == 200, r.text
    return [a["agent_run_id"] for a in r.json()["agents"]]


def test_pause_and_resume_mutations(server: LiveServer, tenant: str) -> None:
    trace = server.gql(START, tenant=tenant)["startTrace"]["traceId"]
    asked = server.gql(PAUSE, {"t": trace, "q": "Refund 49.99?"}, tenant=tenant)["pauseTrace"]
    assert asked["awaitingAnswer"] is True and asked["answersInputId"] is None
    assert _listed(server, tenant, "PAUSED") == [trace]
    assert _listed(server, tenant, "ACTIVE") == []
    assert _rest(server, tenant, "paused") == [trace] and _rest(server, tenant, "running") == []
    status = server.http.get(f"/agents/{trace}/status", headers={"X-Org-Id": tenant}).json()
    assert status["status"] == "paused"
    answer = server.gql(RESUME, {"t": trace, "a": "yes"}, tenant=tenant)["resumeTrace"]
    assert answer == {"inputId": answer["inputId"], "question": "Refund 49.99?",
                      "answer": "yes", "answeredBy": "alice", "awaitingAnswer": False,
                      "answersInputId": asked["inputId"]}
    assert _listed(server, tenant, "PAUSED") == [] and _listed(server, tenant, "ACTIVE") == [trace]
    assert _rest(server, tenant, "running") == [trace]
    err = server.gql_error(RESUME, {"t": trace, "a": "again"}, tenant=tenant)
    assert "not paused" in err["message"] and err["extensions"]["field"] == "traceId"


def test_question_and_answer_by_record_human_input(server: LiveServer, tenant: str) -> None:
    trace = server.gql(START, tenant=tenant)["startTrace"]["traceId"]
    asked = server.gql(ASK, {"t": trace, "i": {"question": "ok?"}},
                       tenant=tenant)["recordHumanInput"]
    assert asked["awaitingAnswer"] is True and _listed(server, tenant, "PAUSED") == [trace]
    answer = server.gql(ASK, {"t": trace, "i": {"question": "ok?", "answer": "ok",
                                                "answersInputId": asked["inputId"]}},
                        tenant=tenant)["recordHumanInput"]
    assert answer["answersInputId"] == asked["inputId"] and not answer["awaitingAnswer"]
    assert _listed(server, tenant, "ACTIVE") == [trace]
    err = server.gql_error(ASK, {"t": trace, "i": {"question": "?", "answer": "x",
                                                   "answersInputId": "nope"}}, tenant=tenant)
    assert "answersInputId" in err["message"]
