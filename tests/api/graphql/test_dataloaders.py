"""No N+1: every relation is fetched through a per-request DataLoader, so the number of store
calls of a request grows with the query's depth, not with the number of rows."""

from __future__ import annotations

import pytest
from tracegraph.api.service import TraceService
from tracegraph.schema.enums import Outcome
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

from tests.helpers.live import CountingStore, LiveServer

TOTALS = "stepCount apiCallCount inputTokens costUsd"
TREE = f"""
query Tree($agent: ID!) {{
  traces(filter: {{agentId: $agent}}, first: 100) {{
    edges {{ node {{
      traceId pathTaken modelIdsUsed
      steps {{ stepId dependsOn alternatives {{ text selected }} apiCalls {{ callId }} }}
      apiCalls {{ callId costUsd }}
      humanInputs {{ inputId }}
      totals {{ {TOTALS} }}
      subtreeTotals {{ {TOTALS} }}
      children {{
        traceId parent {{ traceId }}
        steps {{ stepId apiCalls {{ callId }} }}
        apiCalls {{ callId }}
        totals {{ {TOTALS} }}
        children {{ traceId steps {{ stepId }} }}
      }}
    }} }}
  }}
}}"""


def _populate(service: TraceService, tenant: str, n: int) -> None:
    """``n`` root traces (agent ``root``), each with steps, alternatives, an API call, a human
    input and one nested trace with a step and an API call; half of them completed."""
    for i in range(n):
        root = service.start_trace(tenant, StartTraceInput(agent_id="root")).trace_id
        steps = service.record_steps(tenant, root, [
            StepInput(step_type="Observation", model_id="m1", input_tokens=1),
            StepInput(step_type="Decision", alternatives_considered=["a", "b"],
                      selected_alternative="a", model_id="m2"),
        ])
        service.record_steps(tenant, root, [
            StepInput(step_type="Action", depends_on=[steps[0].step_id, steps[1].step_id])])
        service.record_api_call(tenant, root, ApiCallInput(step_id=steps[1].step_id,
                                                           cost_usd=0.01))
        service.record_human_input(tenant, root, HumanInputInput(question="ok?", answer="yes"))
        child = service.start_trace(tenant, StartTraceInput(
            agent_id="child", parent_trace_id=root, spawned_by_step_id=steps[1].step_id)).trace_id
        kid_step = service.record_steps(tenant, child, [StepInput(step_type="ToolCall")])[0]
        service.record_api_call(tenant, child, ApiCallInput(step_id=kid_step.step_id,
                                                            cost_usd=0.02))
        if i % 2:
            service.complete_trace(tenant, child, CompleteTraceInput(outcome=Outcome.SUCCESS))
            service.complete_trace(tenant, root, CompleteTraceInput(outcome=Outcome.SUCCESS))


def _calls_for(server: LiveServer, store: CountingStore, tenant: str, n: int) -> int:
    _populate(TraceService(store.inner), tenant, n)
    store.reset()
    data = server.gql(TREE, {"agent": "root"}, tenant=tenant)
    calls = store.total()
    edges = data["traces"]["edges"]
    assert len(edges) == n
    for e in edges:
        node = e["node"]
        assert len(node["steps"]) == 3 and len(node["apiCalls"]) == 1
        assert len(node["humanInputs"]) == 1
        assert node["steps"][1]["apiCalls"] == [{"callId": node["apiCalls"][0]["callId"]}]
        assert len(node["children"]) == 1
        assert node["pathTaken"] == ["Observation", "Decision", "Action"]
        assert node["modelIdsUsed"] == ["m1", "m2"]
        assert node["totals"]["stepCount"] == 3
        assert node["subtreeTotals"]["stepCount"] == 4
        assert node["subtreeTotals"]["costUsd"] == pytest.approx(0.03)
        (child,) = node["children"]
        assert child["parent"] == {"traceId": node["traceId"]}
        assert len(child["steps"]) == 1 and len(child["steps"][0]["apiCalls"]) == 1
    return calls


def test_store_calls_do_not_grow_with_rows(server: LiveServer,
                                           counting_store: CountingStore) -> None:
    few = _calls_for(server, counting_store, "loader-5", 5)
    many = _calls_for(server, counting_store, "loader-50", 50)
    assert few == many
    # one listing, then per level one batch for each relation: steps, API calls, human
    # inputs, children, traces by id, totals, and the subtree walk (children per level)
    assert many <= 16, counting_store.calls


def test_calls_are_batched_by_kind(server: LiveServer, counting_store: CountingStore) -> None:
    _populate(TraceService(counting_store.inner), "loader-kinds", 20)
    counting_store.reset()
    server.gql("query($a: ID!) { traces(filter: {agentId: $a}, first: 100) "
               "{ edges { node { steps { stepId } apiCalls { callId } } } } }",
               {"a": "root"}, tenant="loader-kinds")
    assert dict(counting_store.calls) == {"list_traces": 1, "entries": 2}


def test_one_trace_fetch(server: LiveServer, counting_store: CountingStore) -> None:
    _populate(TraceService(counting_store.inner), "loader-one", 1)
    tid = server.gql('{ traces(first: 1) { edges { node { traceId } } } }',
                     tenant="loader-one")["traces"]["edges"][0]["node"]["traceId"]
    counting_store.reset()
    server.gql("query($t: ID!) { trace(traceId: $t) { traceId steps { stepId } "
               "children { traceId } } }", {"t": tid}, tenant="loader-one")
    assert dict(counting_store.calls) == {"get_traces": 1, "entries": 1, "children": 1}
