"""GraphQL ``TraceEdge``: one trace of a ``TraceConnection`` page and its cursor."""

from __future__ import annotations

import strawberry
from tracegraph.schema.views import TraceView

from .trace import Trace


@strawberry.type(name="TraceEdge", description="A trace and the cursor to page after it.")
class TraceEdge:
    cursor: str
    node: TraceView = strawberry.field(graphql_type=Trace)
