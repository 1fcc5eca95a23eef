"""GraphQL ``StepInput``, built into ``schema.inputs.StepInput``."""

from __future__ import annotations

import strawberry
from tracegraph.schema import inputs

from ..scalars import JSON, DateTime
from .validated import validated_by


@validated_by(inputs.StepInput)
@strawberry.input(name="StepInput", description="One reasoning step. confidence is 0..1; "
                  "tokens, durations and costs are non-negative; dependsOn names earlier steps.")
class StepInputType:
    step_type: str = strawberry.field(description="One of the 12 ledger types (Observation, "
                                      "Hypothesis, ToolCall, ToolResult, Reasoning, Decision, "
                                      "Action, Error, Correction, Summary, PlanStep, "
                                      "FinalAnswer) or a custom type such as INTENT_ANALYSIS.")
    content: str | None = strawberry.UNSET
    input_data: JSON | None = strawberry.UNSET
    output_data: JSON | None = strawberry.UNSET
    input_summary: str | None = strawberry.UNSET
    output_summary: str | None = strawberry.UNSET
    alternatives_considered: list[str] | None = strawberry.UNSET
    selected_alternative: str | None = strawberry.UNSET
    confidence: float | None = strawberry.UNSET
    duration_ms: float | None = strawberry.UNSET
    model_id: str | None = strawberry.UNSET
    input_tokens: int | None = strawberry.UNSET
    output_tokens: int | None = strawberry.UNSET
    thinking_tokens: int | None = strawberry.UNSET
    depends_on: list[strawberry.ID] | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET
    step_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Client-chosen id (a new UUIDv7 when omitted); "
        "resending a batch with the same ids is idempotent.")
    created_at: DateTime | None = strawberry.UNSET
