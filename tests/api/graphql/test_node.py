"""Relay ``node(id:)``: every trace, step, API call and human input has a global id that
fetches it again, only for its own tenant."""

from __future__ import annotations

from tracegraph.api.graphql.types.node import decode_global_id, global_id

from tests.helpers.live import LiveServer, new_tenant

NODE = """query($id: ID!) { node(id: $id) {
  __typename id
  ... on Trace { traceId goal }
  ... on Step { stepId stepType traceId }
  ... on ApiCall { callId costUsd }
  ... on HumanInput { inputId question }
} }"""


def test_global_ids_round_trip(server: LiveServer) -> None:
    tenant = new_tenant()
    t = server.gql('mutation { startTrace(input: {goal: "g"}) { id traceId } }',
                   tenant=tenant)["startTrace"]
    tid = t["traceId"]
    (step,) = server.gql('mutation($t: ID!) { recordSteps(traceId: $t, steps: [{stepType: '
                         '"Decision", stepId: "n-s1"}]) { id stepId } }', {"t": tid},
                         tenant=tenant)["recordSteps"]
    call = server.gql('mutation($t: ID!) { recordApiCall(traceId: $t, call: {stepId: "n-s1", '
                      'costUsd: 0.2}) { id callId } }', {"t": tid}, tenant=tenant)
    human = server.gql('mutation($t: ID!) { recordHumanInput(traceId: $t, input: '
                       '{question: "q?"}) { id inputId } }', {"t": tid}, tenant=tenant)
    call, human = call["recordApiCall"], human["recordHumanInput"]

    def node(gid: str, who: str = tenant) -> object:
        return server.gql(NODE, {"id": gid}, tenant=who)["node"]

    assert node(t["id"]) == {"__typename": "Trace", "id": t["id"], "traceId": tid, "goal": "g"}
    assert node(step["id"]) == {"__typename": "Step", "id": step["id"], "stepId": "n-s1",
                                "stepType": "Decision", "traceId": tid}
    assert node(call["id"]) == {"__typename": "ApiCall", "id": call["id"],
                                "callId": call["callId"], "costUsd": 0.2}
    assert node(human["id"]) == {"__typename": "HumanInput", "id": human["id"],
                                 "inputId": human["inputId"], "question": "q?"}
    assert len({t["id"], step["id"], call["id"], human["id"]}) == 4
    # the same ids mean nothing to another tenant
    for gid in (t["id"], step["id"], call["id"], human["id"]):
        assert node(gid, "another-tenant") is None


def test_ids_are_stable_across_reads(server: LiveServer) -> None:
    tenant = new_tenant()
    tid = server.gql("mutation { startTrace(input: {}) { traceId } }",
                     tenant=tenant)["startTrace"]["traceId"]
    (step,) = server.gql('mutation($t: ID!) { recordSteps(traceId: $t, steps: [{stepType: '
                         '"Action"}]) { id stepId } }', {"t": tid}, tenant=tenant)["recordSteps"]
    q = "query($t: ID!) { trace(traceId: $t) { id steps { id } } }"
    expected = {"id": global_id("Trace", tid),
                "steps": [{"id": global_id("Step", tid, step["stepId"])}]}
    assert step["id"] == expected["steps"][0]["id"]  # the id a mutation returns is kept
    for _ in range(2):  # and every later read gives the same ids
        assert server.gql(q, {"t": tid}, tenant=tenant)["trace"] == expected
    assert decode_global_id(expected["steps"][0]["id"]) == ("Step", tid, step["stepId"])


def test_foreign_global_id_is_a_bad_user_input(server: LiveServer) -> None:
    for bad in ("nonsense", "U3RlcDp0MQ==", "VHJhY2U6dDEvczE="):  # Step:t1, Trace:t1/s1
        err = server.gql_error(NODE, {"id": bad})
        assert err["extensions"]["code"] == "BAD_USER_INPUT", bad
        assert "is not a global id this server issued" in err["message"]
