"""diffRuns over GraphQL and ``tracegraph diff`` on the CLI: the same answer, one function."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner
from tracegraph.api.cli import main
from tracegraph.api.service import TraceService
from tracegraph.schema.inputs import ApiCallInput, StartTraceInput, StepInput

from tests.helpers.live import CountingStore, LiveServer

DIFF = """query($a: ID!, $b: ID!) { diffRuns(a: $a, b: $b) {
  a b steps { status agentId stepType aStepId bStepId changes }
  decisions { aStepId bStepId aSelected bSelected aAlternatives bAlternatives }
  addedToolCalls { apiType endpoint count } removedToolCalls { apiType endpoint count }
  totalsA { inputTokens costUsd } totalsB { inputTokens costUsd }
  delta { inputTokens outputTokens costUsd stepCount apiCallCount } } }"""


def seed(service: TraceService, tenant: str, run: str, choice: str, tool: str,
         tokens: int) -> None:
    service.start_trace(tenant, StartTraceInput(trace_id=run, agent_id="planner"))
    service.record_steps(tenant, run, [StepInput(
        step_id=f"{run}-d", step_type="Decision", alternatives_considered=["x", "y"],
        selected_alternative=choice, input_tokens=tokens)])
    child = f"{run}-c"
    service.start_trace(tenant, StartTraceInput(trace_id=child, agent_id="tool-user",
                                                parent_trace_id=run))
    service.record_steps(tenant, child, [StepInput(step_id=f"{child}-t", step_type="ToolCall")])
    service.record_api_call(tenant, child, ApiCallInput(step_id=f"{child}-t", api_type="tool",
                                                        endpoint=tool, cost_usd=0.5))


def test_diff_runs_reports_the_changed_decision_tool_calls_and_deltas(
        server: LiveServer, tenant: str) -> None:
    seed(server.service, tenant, f"{tenant}-a", "x", "search", 100)
    seed(server.service, tenant, f"{tenant}-b", "y", "browse", 130)
    d = server.gql(DIFF, {"a": f"{tenant}-a", "b": f"{tenant}-b"}, tenant=tenant)["diffRuns"]
    assert d["decisions"] == [{"aStepId": f"{tenant}-a-d", "bStepId": f"{tenant}-b-d",
                               "aSelected": "x", "bSelected": "y",
                               "aAlternatives": ["x", "y"], "bAlternatives": ["x", "y"]}]
    assert [s["status"] for s in d["steps"]] == ["changed", "same"]
    assert d["steps"][0]["changes"] == ["selected_alternative"]
    assert d["addedToolCalls"] == [{"apiType": "tool", "endpoint": "browse", "count": 1}]
    assert d["removedToolCalls"] == [{"apiType": "tool", "endpoint": "search", "count": 1}]
    assert d["delta"] == {"inputTokens": 30, "outputTokens": 0, "costUsd": 0.0,
                          "stepCount": 0, "apiCallCount": 0}


def test_diff_runs_of_an_unknown_trace_is_not_found(server: LiveServer, tenant: str) -> None:
    seed(server.service, tenant, f"{tenant}-a", "x", "search", 100)
    err = server.gql_error(DIFF, {"a": f"{tenant}-a", "b": "missing"}, tenant=tenant)
    assert err["extensions"]["code"] == "NOT_FOUND"
    assert "missing" in err["message"]


def test_cli_diff_prints_what_diff_runs_answers(
        server: LiveServer, counting_store: CountingStore, tenant: str) -> None:
    seed(server.service, tenant, f"{tenant}-a", "x", "search", 100)
    seed(server.service, tenant, f"{tenant}-b", "y", "browse", 130)
    data_dir = counting_store.inner.path.parent
    out = CliRunner().invoke(main, ["diff", f"{tenant}-a", f"{tenant}-b", "--tenant", tenant,
                                    "--data-dir", str(data_dir)])
    assert out.exit_code == 0, out.output
    cli: dict[str, Any] = json.loads(out.output)
    gql = server.gql(DIFF, {"a": f"{tenant}-a", "b": f"{tenant}-b"}, tenant=tenant)["diffRuns"]
    assert [(d["a_selected"], d["b_selected"]) for d in cli["decisions"]] == [
        (d["aSelected"], d["bSelected"]) for d in gql["decisions"]]
    assert [s["status"] for s in cli["steps"]] == [s["status"] for s in gql["steps"]]
    assert cli["delta"]["input_tokens"] == gql["delta"]["inputTokens"] == 30
    assert [c["endpoint"] for c in cli["added_tool_calls"]] == ["browse"]
