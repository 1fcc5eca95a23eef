"""GraphQL ``HumanInput``: a human-in-the-loop question and answer in a trace's chain."""

from __future__ import annotations

import strawberry
from tracegraph.schema.views import HumanInputView

from ..scalars import DateTime
from .node import Node, global_id


@strawberry.type(name="HumanInput", description="The agent's question and the human's answer.")
class HumanInput(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, HumanInputView)

    @strawberry.field(description="Global id, for node(id:).")
    def id(self, root: strawberry.Parent[HumanInputView]) -> strawberry.ID:
        return global_id("HumanInput", root.trace_id, root.input_id)

    input_id: strawberry.ID
    trace_id: strawberry.ID
    step_id: strawberry.ID | None
    question: str
    answer: str | None
    answered_by: str | None
    answered_at: DateTime | None
    answers_input_id: strawberry.ID | None = strawberry.field(
        description="The question this input answers.")
    awaiting_answer: bool = strawberry.field(
        description="A question waiting for its answer: its trace is paused until then.")
    created_at: DateTime
    seq: int = strawberry.field(description="Position in the trace's hash chain.")
    hash: str = strawberry.field(description="SHA-256 of this chain entry.")
