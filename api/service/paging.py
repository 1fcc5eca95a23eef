"""Trace listings page by page: Relay cursors, pages, and reading every page of a listing."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from tracegraph.graph.protocol import GraphStore, TraceCursor, TraceFilter, TraceRow
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.views import TraceView

from .views import TraceQuery

#: Rows per store call when a listing is read to its end.
READ_ALL_PAGE = 1000


@dataclass(frozen=True)
class TracePage:
    """A page of traces, newest first, with the cursor of each trace.

    ``has_next``: older traces follow the page; ``has_previous``: newer ones precede it.
    Paging forward (first/after) the page knows ``has_next`` for sure and reports
    ``has_previous`` when it started after a cursor; paging backward (last/before) the
    reverse.
    """

    traces: list[TraceView]
    cursors: list[str]
    has_next: bool
    has_previous: bool = False

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


def encode_cursor(view: TraceView) -> str:
    raw = f"{view.created_at}|{view.trace_id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str, field: str = "after") -> TraceCursor:
    try:
        created_at, trace_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{field}: {cursor[:64]!r} is not a cursor this server issued",
                           field=field) from None
    return TraceCursor(created_at, trace_id)


def store_filter(query: TraceQuery) -> TraceFilter:
    """The storage layer's filter for a service query."""
    return TraceFilter(
        session_id=query.session_id, agent_id=query.agent_id, status=query.status,
        outcome=query.outcome, model_id=query.model_id,
        parent_trace_id=query.parent_trace_id, roots_only=query.roots_only,
        created_after=query.created_after, created_before=query.created_before)


def every_trace_row(store: GraphStore, tenant_id: str, query: TraceQuery,
                    page: int = READ_ALL_PAGE) -> list[TraceRow]:
    """Every trace the query matches, newest first, read ``page`` rows per store call."""
    flt = store_filter(query)
    rows: list[TraceRow] = []
    cursor: TraceCursor | None = None
    while True:
        got = store.list_traces(tenant_id, flt, page, cursor)
        rows.extend(got)
        if len(got) < page:
            return rows
        last = got[-1]
        cursor = TraceCursor(str(last.started["created_at"]), last.trace_id)
