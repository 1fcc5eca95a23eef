"""GraphQL ``TraceFilter``: which traces ``traces(filter:)`` lists."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import TraceQuery

from ..scalars import DateTime
from ..types.enums import OutcomeEnum, TraceStatusEnum


@strawberry.input(name="TraceFilter", description="Every given field must match.")
class TraceFilterInput:
    session_id: strawberry.ID | None = None
    agent_id: strawberry.ID | None = None
    status: TraceStatusEnum | None = None
    outcome: OutcomeEnum | None = None
    model_id: str | None = strawberry.field(default=None,
                                            description="Traces with a step using this model.")
    parent_trace_id: strawberry.ID | None = strawberry.field(
        default=None, description="Traces nested directly under this trace.")
    roots_only: bool = strawberry.field(default=False,
                                        description="Only traces not nested under another.")
    created_after: DateTime | None = strawberry.field(default=None,
                                                      description="Created at or after.")
    created_before: DateTime | None = strawberry.field(default=None,
                                                       description="Created before.")

    def to_query(self) -> TraceQuery:
        return TraceQuery(
            session_id=self.session_id, agent_id=self.agent_id,
            status=None if self.status is None else self.status.value,
            outcome=None if self.outcome is None else self.outcome.value,
            model_id=self.model_id, parent_trace_id=self.parent_trace_id,
            roots_only=self.roots_only, created_after=self.created_after,
            created_before=self.created_before,
        )
