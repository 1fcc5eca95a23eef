"""GraphQL ``RunTree``: a trace and every trace nested under it at any depth, flat."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import RunTree, RunTreeNode
from tracegraph.schema.views import TraceView

from .run_tree_node import RunTreeTrace
from .trace import Trace


@strawberry.type(name="RunTree", description="A run's nested traces in one flat list, so a "
                 "tree of any depth fits in a query of bounded depth: rebuild it with each "
                 "entry's parentTraceId and depth.")
class RunTreeType:
    @strawberry.field(graphql_type=Trace)
    def root(self, root: strawberry.Parent[RunTree]) -> TraceView:
        return root.root.trace

    @strawberry.field(graphql_type=list[RunTreeTrace], description="Breadth first, children "
                      "oldest first.")
    def traces(self, root: strawberry.Parent[RunTree]) -> list[RunTreeNode]:
        out: list[RunTreeNode] = []
        level = [root.root]
        while level:
            out.extend(level)
            level = [c for n in level for c in n.children]
        return out

    @strawberry.field(description="Deepest nesting level below the root (0: none).")
    def depth(self, root: strawberry.Parent[RunTree]) -> int:
        return root.depth

    @strawberry.field(description="The run holds more traces than the limit (10,000).")
    def truncated(self, root: strawberry.Parent[RunTree]) -> bool:
        return root.truncated
