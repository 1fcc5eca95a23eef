"""GraphQL ``TraceConnection``: a Relay page of traces, newest first."""

from __future__ import annotations

import strawberry
from tracegraph.api.service import TracePage

from .page_info import PageInfo
from .trace_edge import TraceEdge


@strawberry.type(name="TraceConnection", description="A page of traces, newest first.")
class TraceConnection:
    edges: list[TraceEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: TracePage) -> TraceConnection:
        edges = [TraceEdge(cursor=c, node=t)
                 for c, t in zip(page.cursors, page.traces, strict=True)]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=page.start_cursor,
                end_cursor=page.end_cursor,
            ),
        )
