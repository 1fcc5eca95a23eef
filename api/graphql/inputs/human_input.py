"""GraphQL ``HumanInputInput``, built into ``schema.inputs.HumanInputInput``."""

from __future__ import annotations

import strawberry
from tracegraph.schema import inputs

from ..scalars import DateTime
from .validated import validated_by


@validated_by(inputs.HumanInputInput)
@strawberry.input(name="HumanInputInput", description="A human-in-the-loop exchange: the "
                  "agent's question and the human's answer.")
class HumanInputInputType:
    question: str
    step_id: strawberry.ID | None = strawberry.UNSET
    answer: str | None = strawberry.UNSET
    answered_by: str | None = strawberry.UNSET
    answered_at: DateTime | None = strawberry.UNSET
    input_id: strawberry.ID | None = strawberry.UNSET
