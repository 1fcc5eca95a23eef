"""GraphQL ``LineageNode``: an ancestor or descendant and its fewest hops from the start."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import LineageEntry, NodeView

from .enums import DirectionEnum
from .graph_node import GraphNode


@strawberry.type(name="LineageNode", description="A node of a lineage answer.")
class LineageNode:
    @strawberry.field(graphql_type=GraphNode)
    def node(self, root: strawberry.Parent[LineageEntry]) -> NodeView:
        return root.node

    @strawberry.field(description="Fewest hops from the start node in this direction.")
    def depth(self, root: strawberry.Parent[LineageEntry]) -> int:
        return root.depth

    @strawberry.field(description="UP (ancestor) or DOWN (descendant).")
    def direction(self, root: strawberry.Parent[LineageEntry]) -> DirectionEnum:
        return DirectionEnum(root.direction)
