"""GraphQL graph queries: paths, lineage, run trees and branches not taken.

Each is one :class:`tracegraph.api.service.GraphService` call; limits, tenant checks
and semantics are documented in docs/graph-queries.md.
"""

from __future__ import annotations

import strawberry
from tracegraph.api.service.graph import MAX_PATHS
from tracegraph.api.service.views import BranchSummaryView, LineageView, PathView, RunTree

from .context import Info
from .ids import checked_id
from .types.branch_summary import BranchSummaryType
from .types.enums import DirectionEnum, PathModeEnum
from .types.lineage import Lineage
from .types.path import Path
from .types.run_tree import RunTreeType


@strawberry.type(name="Query")
class GraphQuery:
    @strawberry.field(graphql_type=list[Path], description="Directed paths fromId -> toId "
                      "(cause to effect) over steps, traces, calls, inputs and alternatives: "
                      "SHORTEST gives one shortest path, ALL_SIMPLE up to `limit` simple paths "
                      "of at most maxLength (1..10) hops, by length then node ids.")
    async def path(
        self, info: Info, from_id: strawberry.ID, to_id: strawberry.ID,
        mode: PathModeEnum | None = PathModeEnum.SHORTEST, max_length: int | None = None,
        limit: int = MAX_PATHS,
    ) -> list[PathView]:
        ctx = info.context
        source = checked_id(from_id, "fromId", node=True)
        target = checked_id(to_id, "toId", node=True)
        found = await ctx.call(ctx.graph.path, ctx.tenant_id, source, target,
                               (mode or PathModeEnum.SHORTEST).value, max_length, limit)
        return found.paths

    @strawberry.field(graphql_type=Lineage, description="Ancestors (UP), descendants (DOWN) "
                      "or both of any node, across nesting, spawning and dependsOn, up to "
                      "maxDepth (1..50, default 50) hops.")
    async def lineage(
        self, info: Info, node_id: strawberry.ID,
        direction: DirectionEnum | None = DirectionEnum.BOTH, max_depth: int | None = None,
    ) -> LineageView:
        ctx = info.context
        start = checked_id(node_id, "nodeId", node=True)
        return await ctx.call(ctx.graph.lineage, ctx.tenant_id, start,
                              (direction or DirectionEnum.BOTH).value, max_depth)

    @strawberry.field(graphql_type=RunTreeType, description="The trace and every trace "
                      "nested under it at any depth (fromRoot: the whole run it belongs to).")
    async def run_tree(
        self, info: Info, trace_id: strawberry.ID, from_root: bool = False
    ) -> RunTree:
        ctx = info.context
        return await ctx.call(ctx.graph.run_tree, ctx.tenant_id,
                              checked_id(trace_id, "traceId"), from_root=from_root)

    @strawberry.field(graphql_type=BranchSummaryType, description="Branches not taken: the "
                      "alternatives each step considered but did not select, in the trace and "
                      "(subtree, the default) every trace nested under it.")
    async def branches(
        self, info: Info, trace_id: strawberry.ID, subtree: bool = True
    ) -> BranchSummaryView:
        ctx = info.context
        return await ctx.call(ctx.graph.branches, ctx.tenant_id,
                              checked_id(trace_id, "traceId"), subtree=subtree)
