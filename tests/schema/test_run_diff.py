"""diff_runs: alignment, changed decisions, tool calls added and removed, total deltas."""

from __future__ import annotations

from typing import Any

from tracegraph.schema.records import Totals
from tracegraph.schema.run_diff import RunSide, diff_runs
from tracegraph.schema.views import ApiCallView, StepView, TraceView


def trace(tid: str, agent: str, parent: str | None = None) -> TraceView:
    return TraceView(trace_id=tid, tenant_id="t", session_id="s", status="completed",
                     created_at="", entry_count=1, head_hash="", agent_id=agent,
                     parent_trace_id=parent)


def step(tid: str, i: int, kind: str, **fields: Any) -> StepView:
    return StepView(step_id=f"{tid}-{i}", trace_id=tid, tenant_id="t", step_index=i,
                    step_type=kind, seq=i + 1, hash="", prev_hash="", created_at="", **fields)


def call(tid: str, n: int, api_type: str, endpoint: str) -> ApiCallView:
    return ApiCallView(call_id=f"{tid}-c{n}", trace_id=tid, seq=100 + n, hash="",
                       created_at="", api_type=api_type, endpoint=endpoint)


def run(prefix: str, *, choice: str = "search", extra_step: bool = False,
        tools: tuple[str, ...] = ("flights",), tokens: int = 100, cost: float = 0.01) -> RunSide:
    root, child = f"{prefix}-root", f"{prefix}-child"
    child_steps = [step(child, 0, "ToolCall", content="call"),
                   step(child, 1, "ToolResult", content="3 flights")]
    if extra_step:
        child_steps.insert(1, step(child, 1, "Reasoning", content="retry"))
    return RunSide(
        trace_id=root, traces=[trace(root, "planner"), trace(child, "researcher", root)],
        steps={root: [step(root, 0, "Observation", content="Rome"),
                      step(root, 1, "Decision", alternatives_considered=["search", "ask"],
                           selected_alternative=choice),
                      step(root, 2, "FinalAnswer", content="DY1870")],
               child: child_steps},
        api_calls={root: [call(root, 0, "llm", "openai")],
                   child: [call(child, i, "tool", t) for i, t in enumerate(tools)]},
        totals=Totals(input_tokens=tokens, output_tokens=10, cost_usd=cost, step_count=5,
                      api_call_count=1 + len(tools)))


def test_identical_runs_align_every_step_as_same_with_zero_deltas() -> None:
    d = diff_runs(run("a"), run("b"))
    assert [s.status for s in d.steps] == ["same"] * 5
    assert [(s.a_step_id, s.b_step_id) for s in d.steps][1] == ("a-root-1", "b-root-1")
    assert d.decisions == [] and d.added_tool_calls == [] and d.removed_tool_calls == []
    assert d.delta == Totals()


def test_a_decision_that_chose_differently_is_reported_with_its_alternatives() -> None:
    d = diff_runs(run("a"), run("b", choice="ask"))
    [dec] = d.decisions
    assert (dec.a_step_id, dec.b_step_id, dec.a_selected, dec.b_selected) == (
        "a-root-1", "b-root-1", "search", "ask")
    assert dec.a_alternatives == dec.b_alternatives == ["search", "ask"]
    assert dec.agent_id == "planner"
    changed = [s for s in d.steps if s.status == "changed"]
    assert [(s.a_step_id, s.changes) for s in changed] == [("a-root-1", ["selected_alternative"])]
    assert d.changed_steps == 1


def test_a_step_only_in_one_run_is_added_or_removed_in_run_order() -> None:
    d = diff_runs(run("a"), run("b", extra_step=True))
    assert [(s.status, s.step_type) for s in d.steps] == [
        ("same", "Observation"), ("same", "Decision"), ("same", "FinalAnswer"),
        ("same", "ToolCall"), ("added", "Reasoning"), ("same", "ToolResult")]
    back = diff_runs(run("b", extra_step=True), run("a"))
    assert [s.status for s in back.steps].count("removed") == 1
    assert next(s for s in back.steps if s.status == "removed").a_step_id == "b-child-1"


def test_steps_align_on_agent_as_well_as_type() -> None:
    a, b = run("a"), run("b")
    renamed = b.model_copy(update={"traces": [b.traces[0], trace("b-child", "other", "b-root")]})
    d = diff_runs(a, renamed)
    assert sorted(s.status for s in d.steps) == ["added", "added", "removed", "removed",
                                                  "same", "same", "same"]


def test_tool_calls_are_compared_as_a_multiset_and_llm_calls_are_not_tools() -> None:
    d = diff_runs(run("a", tools=("flights", "hotels")),
                  run("b", tools=("flights", "flights", "trains")))
    assert [(c.endpoint, c.count) for c in d.added_tool_calls] == [("flights", 1), ("trains", 1)]
    assert [(c.endpoint, c.count) for c in d.removed_tool_calls] == [("hotels", 1)]
    assert all(c.api_type == "tool" for c in d.added_tool_calls + d.removed_tool_calls)


def test_deltas_are_b_minus_a() -> None:
    d = diff_runs(run("a", tokens=100, cost=0.01), run("b", tokens=250, cost=0.004))
    assert d.totals_a.input_tokens == 100 and d.totals_b.input_tokens == 250
    assert d.delta.input_tokens == 150
    assert d.delta.cost_usd == -0.006
    assert d.delta.output_tokens == 0
