"""GraphQL ``Session``: a session replayed in order, its traces and all their steps."""

from __future__ import annotations

import strawberry
from tracegraph.api.service import SessionReplay
from tracegraph.schema.views import StepView, TraceView

from ..context import Info
from ..scalars import DateTime
from .step import Step
from .trace import Trace


@strawberry.type(name="Session", description="A session replay: traces oldest first and their "
                 "steps in order.")
class Session:
    session_id: strawberry.ID

    @strawberry.field(graphql_type=list[Trace], description="Traces of the session, oldest "
                      "first.")
    def traces(self, root: strawberry.Parent[SessionReplay]) -> list[TraceView]:
        return root.traces

    @strawberry.field(graphql_type=list[Step], description="Every step of every trace, trace "
                      "by trace in order.")
    def steps(self, root: strawberry.Parent[SessionReplay]) -> list[StepView]:
        return root.steps

    @strawberry.field(description="Number of steps in the session.")
    def step_count(self, root: strawberry.Parent[SessionReplay]) -> int:
        return len(root.steps)

    @strawberry.field(description="Agent of the session's first trace.")
    def agent_id(self, root: strawberry.Parent[SessionReplay]) -> strawberry.ID | None:
        agent = next((t.agent_id for t in root.traces if t.agent_id), None)
        return None if agent is None else strawberry.ID(agent)

    @strawberry.field(graphql_type=DateTime | None, description="Time of the first step.")
    def first_step_at(self, root: strawberry.Parent[SessionReplay]) -> str | None:
        return min((s.created_at for s in root.steps), default=None)

    @strawberry.field(graphql_type=DateTime | None, description="Time of the last step.")
    def last_step_at(self, root: strawberry.Parent[SessionReplay]) -> str | None:
        return max((s.created_at for s in root.steps), default=None)

    @strawberry.field(description="Whether every trace's hash chain in the session verifies.")
    async def chain_valid(self, root: strawberry.Parent[SessionReplay], info: Info) -> bool:
        ctx = info.context
        result = await ctx.call(ctx.service.verify_session, ctx.tenant_id, root.session_id)
        return result.valid
