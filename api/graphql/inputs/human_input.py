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
    answers_input_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The question (an earlier human input of the "
        "trace) this input answers; with an answer, a paused trace resumes.")


@validated_by(inputs.AnswerInput)
@strawberry.input(name="AnswerInput", description="A human's answer to the question a paused "
                  "trace waits on.")
class AnswerInputType:
    answer: str
    answered_by: str | None = strawberry.UNSET
    answered_at: DateTime | None = strawberry.UNSET
