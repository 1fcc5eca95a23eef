"""GraphQL ``Query`` fields of seed 001's ledger reads: ``agentSessions`` (an agent's sessions
with step counts, first and last step times and chain validity) and ``step`` by step id."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.sessions import (
    SessionPage,
    SessionSummary,
    agent_sessions,
    step_trace_id,
)
from tracegraph.schema.views import StepView

from .context import Info
from .ids import checked_id
from .types.page_info import PageInfo
from .types.step import Step


@strawberry.type(name="AgentSession", description="One session of an agent.")
class AgentSession:
    session_id: strawberry.ID
    step_count: int = strawberry.field(description="Steps of every trace of the session.")
    first_step_at: str | None = strawberry.field(description="Time of the first step.")
    last_step_at: str | None = strawberry.field(description="Time of the last step.")
    chain_valid: bool = strawberry.field(description="Whether every trace's hash chain in "
                                         "the session verifies.")

    @classmethod
    def of(cls, s: SessionSummary) -> AgentSession:
        return cls(session_id=strawberry.ID(s.session_id), step_count=s.step_count,
                   first_step_at=s.first_step_at, last_step_at=s.last_step_at,
                   chain_valid=s.chain_valid)


@strawberry.type(name="AgentSessionEdge")
class AgentSessionEdge:
    cursor: str
    node: AgentSession


@strawberry.type(name="AgentSessionConnection",
                 description="A page of an agent's sessions, the most recently started first.")
class AgentSessionConnection:
    edges: list[AgentSessionEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: SessionPage, after: str | None) -> AgentSessionConnection:
        edges = [AgentSessionEdge(cursor=c, node=AgentSession.of(s))
                 for c, s in zip(page.cursors, page.sessions, strict=True)]
        return cls(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=after is not None,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None))


@strawberry.type(name="Query")
class SessionQuery:
    @strawberry.field(description="The agent's sessions, the most recently started first "
                      "(first 1..100, default 20, after a cursor): step counts, first and "
                      "last step times, chain validity.")
    async def agent_sessions(self, info: Info, agent_id: strawberry.ID, first: int | None = None,
                             after: str | None = None) -> AgentSessionConnection:
        ctx = info.context
        page = await ctx.call(agent_sessions, ctx.service, ctx.tenant_id,
                              checked_id(agent_id, "agentId"), first, after)
        return AgentSessionConnection.from_page(page, after)

    @strawberry.field(graphql_type=Step | None, description="A step by its step id (null "
                      "when the caller's tenant has no such step).")
    async def step(self, info: Info, step_id: strawberry.ID) -> StepView | None:
        ctx = info.context
        wanted = checked_id(step_id, "stepId")
        trace_id = await ctx.call(step_trace_id, ctx.service, ctx.tenant_id, wanted)
        if trace_id is None:
            return None
        return await ctx.loaders.step(trace_id, wanted)
