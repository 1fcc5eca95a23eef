"""GraphQL ``Path``: one directed path of the flow view (cause to effect)."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import EdgeView, NodeView, PathView

from .graph_edge import GraphEdge
from .graph_node import GraphNode


@strawberry.type(name="Path", description="Nodes from the start to the end, and for each hop "
                 "the stored edge that joins them (DEPENDS_ON and CHILD_OF hops point back).")
class Path:
    @strawberry.field(graphql_type=list[GraphNode])
    def nodes(self, root: strawberry.Parent[PathView]) -> list[NodeView]:
        return root.nodes

    @strawberry.field(graphql_type=list[GraphEdge])
    def edges(self, root: strawberry.Parent[PathView]) -> list[EdgeView]:
        return root.edges

    @strawberry.field(description="Number of hops (edges).")
    def length(self, root: strawberry.Parent[PathView]) -> int:
        return root.length
