"""GraphQL ``RunDiff``: two runs' steps aligned, changed decisions, tool calls, deltas."""

from __future__ import annotations

import strawberry

from .totals import TotalsType


@strawberry.type(name="AlignedStep", description="A step of run a, of run b, or of both "
                 "(aligned on agent and step type, in run order).")
class AlignedStepType:
    status: str = strawberry.field(description="same, changed, added (b only) or removed "
                                   "(a only).")
    agent_id: strawberry.ID | None
    step_type: str
    a_step_id: strawberry.ID | None
    b_step_id: strawberry.ID | None
    changes: list[str] = strawberry.field(description="Fields that differ (snake_case): "
                                          "content, selected_alternative, "
                                          "alternatives_considered, model_id, input_data, "
                                          "output_data.")


@strawberry.type(name="DecisionChange", description="An aligned step that selected a "
                 "different alternative in run b than in run a.")
class DecisionChangeType:
    a_step_id: strawberry.ID
    b_step_id: strawberry.ID
    agent_id: strawberry.ID | None
    step_type: str
    a_selected: str | None
    b_selected: str | None
    a_alternatives: list[str]
    b_alternatives: list[str]


@strawberry.type(name="ToolCallChange", description="API calls other than llm of one (type, "
                 "method, endpoint), present count more times in one run than the other.")
class ToolCallChangeType:
    api_type: str
    method: str | None
    endpoint: str | None
    count: int


@strawberry.type(name="RunDiff", description="What changed from run a to run b (each run: "
                 "the trace and every trace nested under it).")
class RunDiffType:
    a: strawberry.ID
    b: strawberry.ID
    steps: list[AlignedStepType]
    decisions: list[DecisionChangeType]
    added_tool_calls: list[ToolCallChangeType]
    removed_tool_calls: list[ToolCallChangeType]
    totals_a: TotalsType = strawberry.field(description="Subtree totals of run a.")
    totals_b: TotalsType = strawberry.field(description="Subtree totals of run b.")
    delta: TotalsType = strawberry.field(description="totalsB minus totalsA, field by field.")
