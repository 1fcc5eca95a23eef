"""GraphQL ``RunTreeTrace``: one trace of a run tree and its nesting depth."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import RunTreeNode
from tracegraph.schema.views import TraceView

from .trace import Trace


@strawberry.type(name="RunTreeTrace", description="A trace of a run tree.")
class RunTreeTrace:
    @strawberry.field(description="0 for the root, 1 for its children...")
    def depth(self, root: strawberry.Parent[RunTreeNode]) -> int:
        return root.depth

    @strawberry.field(graphql_type=Trace)
    def trace(self, root: strawberry.Parent[RunTreeNode]) -> TraceView:
        return root.trace

    @strawberry.field(description="Ids of the traces nested directly under this one.")
    def child_ids(self, root: strawberry.Parent[RunTreeNode]) -> list[strawberry.ID]:
        return [strawberry.ID(c.trace.trace_id) for c in root.children]
