"""GraphQL ``HumanInput``: a human-in-the-loop question and answer in a trace's chain."""

from __future__ import annotations

import strawberry

from ..scalars import DateTime


@strawberry.type(name="HumanInput", description="The agent's question and the human's answer.")
class HumanInput:
    input_id: strawberry.ID
    trace_id: strawberry.ID
    step_id: strawberry.ID | None
    question: str
    answer: str | None
    answered_by: str | None
    answered_at: DateTime | None
    created_at: DateTime
    seq: int = strawberry.field(description="Position in the trace's hash chain.")
    hash: str = strawberry.field(description="SHA-256 of this chain entry.")
