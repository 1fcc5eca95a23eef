"""GraphQL ``Step``: one reasoning step, sealed in its trace's hash chain."""

from __future__ import annotations

import strawberry
from tracegraph.api.service import step_alternatives
from tracegraph.api.service.views import AlternativeView
from tracegraph.schema.views import ApiCallView, StepView

from ..context import Info
from ..scalars import JSON, DateTime
from .alternative import Alternative
from .api_call import ApiCall
from .node import Node, global_id


@strawberry.type(name="Step", description="A reasoning step.")
class Step(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, StepView)

    @strawberry.field(description="Global id, for node(id:).")
    def id(self, root: strawberry.Parent[StepView]) -> strawberry.ID:
        return global_id("Step", root.trace_id, root.step_id)

    step_id: strawberry.ID
    trace_id: strawberry.ID
    step_index: int = strawberry.field(description="0-based order among the trace's steps.")
    seq: int = strawberry.field(description="Position in the trace's hash chain.")
    step_type: str = strawberry.field(description="One of the 12 ledger types or a custom type.")
    content: str | None
    reasoning_hash: str | None = strawberry.field(
        description="SHA-256 of ``content``, for finding duplicate reasoning.")
    input_data: JSON | None
    output_data: JSON | None
    input_summary: str | None
    output_summary: str | None
    alternatives_considered: list[str]
    selected_alternative: str | None
    confidence: float | None
    duration_ms: float | None
    model_id: str | None
    input_tokens: int | None
    output_tokens: int | None
    thinking_tokens: int | None
    depends_on: list[strawberry.ID] = strawberry.field(
        description="Ids of earlier steps (this or another trace) this step depends on.")
    metadata: JSON | None
    created_at: DateTime
    prev_hash: str
    hash: str = strawberry.field(description="SHA-256 of this chain entry.")

    @strawberry.field(description="Whether the step is embedded for semantic search (the "
                      "sampling policy selects it: Decision, Action, Error, Correction and "
                      "FinalAnswer always, others at the configured rate).")
    def has_embedding(self, root: strawberry.Parent[StepView], info: Info) -> bool:
        return info.context.service.step_embedded(root)

    @strawberry.field(graphql_type=list[Alternative], description="The alternatives "
                      "considered, the selected one flagged.")
    def alternatives(self, root: strawberry.Parent[StepView]) -> list[AlternativeView]:
        return step_alternatives(root)

    @strawberry.field(graphql_type=list[ApiCall], description="API calls tied to this step.")
    async def api_calls(self, root: strawberry.Parent[StepView], info: Info) -> list[ApiCallView]:
        calls = await info.context.loaders.api_calls.load(root.trace_id)
        return [c for c in calls if c.step_id == root.step_id]

