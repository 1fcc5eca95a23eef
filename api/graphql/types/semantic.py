"""GraphQL types of semantic search: ranked steps and runs, and the step search filter."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.search import RunHit, StepHit, StepHitPage, StepSearch
from tracegraph.schema.views import StepView, TraceView

from ..ids import checked_id
from ..scalars import DateTime
from .page_info import PageInfo
from .step import Step
from .trace import Trace


@strawberry.type(name="StepMatch", description="A step and how similar it is (cosine "
                 "similarity of the embeddings, -1..1).")
class StepMatch:
    cursor: str
    score: float
    node: StepView = strawberry.field(graphql_type=Step)

    @classmethod
    def of(cls, hit: StepHit) -> StepMatch:
        return cls(cursor=hit.cursor, score=hit.score, node=hit.step)


@strawberry.type(name="StepSearchConnection", description="A page of steps, most similar "
                 "first.")
class StepSearchConnection:
    edges: list[StepMatch]
    page_info: PageInfo

    @classmethod
    def of(cls, page: StepHitPage) -> StepSearchConnection:
        edges = [StepMatch.of(h) for h in page.hits]
        return cls(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))


@strawberry.type(name="RunMatch", description="A run whose reasoning follows a similar "
                 "course: the mean cosine similarity of the two runs' embedded steps "
                 "aligned by order.")
class RunMatch:
    score: float
    aligned_steps: int
    trace: TraceView = strawberry.field(graphql_type=Trace)

    @classmethod
    def of(cls, hit: RunHit) -> RunMatch:
        return cls(score=hit.score, aligned_steps=hit.aligned_steps, trace=hit.trace)


@strawberry.input(name="StepSearchFilter", description="Every given field must match.")
class StepSearchFilter:
    step_types: list[str] | None = strawberry.field(
        default=None, description="Steps of any of these types.")
    agent_id: strawberry.ID | None = None
    session_id: strawberry.ID | None = None
    trace_id: strawberry.ID | None = None
    created_after: DateTime | None = strawberry.field(default=None,
                                                      description="Created at or after.")
    created_before: DateTime | None = strawberry.field(default=None,
                                                       description="Created at or before.")

    def to_search(self) -> StepSearch:
        return StepSearch(
            step_types=tuple(self.step_types or ()),
            agent_id=None if self.agent_id is None else checked_id(self.agent_id, "agentId"),
            session_id=None if self.session_id is None else checked_id(self.session_id,
                                                                        "sessionId"),
            trace_id=None if self.trace_id is None else checked_id(self.trace_id, "traceId"),
            created_after=self.created_after, created_before=self.created_before)
