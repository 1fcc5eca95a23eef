"""GraphQL ``GraphEdge``: a stored edge, in the direction its type reads."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import EdgeView

from .enums import EdgeTypeEnum


@strawberry.type(name="GraphEdge", description="A stored edge from src to dst (step "
                 "DEPENDS_ON dependency, child CHILD_OF parent, trace HAS_STEP step...).")
class GraphEdge:
    @strawberry.field
    def src(self, root: strawberry.Parent[EdgeView]) -> strawberry.ID:
        return strawberry.ID(root.src)

    @strawberry.field
    def dst(self, root: strawberry.Parent[EdgeView]) -> strawberry.ID:
        return strawberry.ID(root.dst)

    @strawberry.field
    def type(self, root: strawberry.Parent[EdgeView]) -> EdgeTypeEnum:
        return EdgeTypeEnum(root.type)
