"""GraphQL ``Lineage``: ancestors and descendants of a node across nesting, spawning and
dependsOn, and the stored edges among them."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import EdgeView, LineageEntry, LineageView, NodeView

from .enums import DirectionEnum
from .graph_edge import GraphEdge
from .graph_node import GraphNode
from .lineage_node import LineageNode


@strawberry.type(name="Lineage", description="Nodes ordered by (depth, direction, id), UP "
                 "before DOWN; never the start node itself.")
class Lineage:
    @strawberry.field(graphql_type=GraphNode, description="The start node.")
    def node(self, root: strawberry.Parent[LineageView]) -> NodeView:
        return root.node

    @strawberry.field
    def direction(self, root: strawberry.Parent[LineageView]) -> DirectionEnum:
        return DirectionEnum(root.direction)

    @strawberry.field
    def max_depth(self, root: strawberry.Parent[LineageView]) -> int:
        return root.max_depth

    @strawberry.field(graphql_type=list[LineageNode])
    def nodes(self, root: strawberry.Parent[LineageView]) -> list[LineageEntry]:
        return root.nodes

    @strawberry.field(graphql_type=list[LineageNode], description="The UP nodes.")
    def ancestors(self, root: strawberry.Parent[LineageView]) -> list[LineageEntry]:
        return root.ancestors

    @strawberry.field(graphql_type=list[LineageNode], description="The DOWN nodes.")
    def descendants(self, root: strawberry.Parent[LineageView]) -> list[LineageEntry]:
        return root.descendants

    @strawberry.field(graphql_type=list[GraphEdge], description="Stored edges whose two ends "
                      "are the start node or listed nodes, by (src, dst, type).")
    def edges(self, root: strawberry.Parent[LineageView]) -> list[EdgeView]:
        return root.edges

    @strawberry.field(description="More nodes than the limit were within maxDepth.")
    def truncated(self, root: strawberry.Parent[LineageView]) -> bool:
        return root.truncated
