"""GraphQL queries of semantic search: ``searchSteps``, ``similarSteps``, ``similarRuns``.

Answered by the service's :class:`~tracegraph.api.service.search.SemanticSearch` for the
caller's tenant; an error names ``embedder`` when the server embeds nothing.
"""

from __future__ import annotations

import strawberry

from .context import Info
from .ids import checked_id
from .types.semantic import RunMatch, StepMatch, StepSearchConnection, StepSearchFilter


@strawberry.type(name="Query")
class SemanticQuery:
    @strawberry.field(description="Embedded steps most similar in meaning to the text "
                      "`query`, best first, in Relay pages (first 1..100, default 10).")
    async def search_steps(self, info: Info, query: str, first: int | None = None,
                           after: str | None = None, filter: StepSearchFilter | None = None,
                           ) -> StepSearchConnection:
        ctx = info.context
        search = ctx.service.semantic_search()
        page = await ctx.call(search.search_steps, ctx.tenant_id, query, first, after,
                              None if filter is None else filter.to_search())
        return StepSearchConnection.of(page)

    @strawberry.field(description="Embedded steps most similar to an embedded step "
                      "(itself excluded), best first.")
    async def similar_steps(self, info: Info, step_id: strawberry.ID,
                            first: int | None = None) -> list[StepMatch]:
        ctx = info.context
        search = ctx.service.semantic_search()
        hits = await ctx.call(search.similar_steps, ctx.tenant_id,
                              checked_id(step_id, "stepId"), first)
        return [StepMatch.of(h) for h in hits]

    @strawberry.field(description="Runs whose embedded steps, aligned by order, are most "
                      "similar to this run's, best first.")
    async def similar_runs(self, info: Info, trace_id: strawberry.ID,
                           first: int | None = None) -> list[RunMatch]:
        ctx = info.context
        search = ctx.service.semantic_search()
        hits = await ctx.call(search.similar_runs, ctx.tenant_id,
                              checked_id(trace_id, "traceId"), first)
        return [RunMatch.of(h) for h in hits]
