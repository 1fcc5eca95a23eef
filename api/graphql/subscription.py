"""GraphQL ``Subscription``: entries appended to a trace or a session, live and in order, and
the tenant's traces as they start.

An entry subscription first replays what is stored after ``afterSeq``, then delivers each new
entry as it is appended (woken at once by the service's event stream, by polling for
appends of other processes), with the same tenant scoping as queries.
Every event is resolved with fresh DataLoaders.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from tracegraph.api.service.traces import MAX_PAGE
from tracegraph.api.service.views import TraceQuery
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.views import TraceView

from .context import Info, TraceContext
from .dataloaders.loaders import Loaders
from .ids import checked_id
from .inputs.trace_filter import TraceFilterInput
from .types.trace import Trace
from .types.trace_event import TraceEvent


def _fresh(ctx: TraceContext) -> None:
    ctx.loaders = Loaders.create(ctx.service, ctx.tenant_id)


@strawberry.type(name="Subscription")
class Subscription:
    @strawberry.subscription(graphql_type=TraceEvent, description="Entries of a trace with "
                             "seq > afterSeq (all by default), then live until its completion "
                             "entry.")
    async def trace_events(
        self, info: Info, trace_id: strawberry.ID, after_seq: int = -1
    ) -> AsyncGenerator[ChainEntry, None]:
        ctx = info.context
        hub = ctx.events
        trace_id = strawberry.ID(checked_id(trace_id, "traceId"))
        next_seq = after_seq + 1
        with hub.watch(ctx.tenant_id, trace_id) as woken:
            while True:
                new = await ctx.call(ctx.service.entries_from, ctx.tenant_id, trace_id,
                                     next_seq)
                for entry in new:
                    _fresh(ctx)
                    yield entry
                    next_seq = entry.seq + 1
                    if entry.kind == EntryKind.TRACE_COMPLETED:
                        return
                if not new:
                    await hub.wait(woken)

    @strawberry.subscription(graphql_type=TraceEvent, description="Entries of every trace of "
                             "a session, each trace's in chain order, as traces start and grow; "
                             "stored entries first. The session may not exist yet. Runs until "
                             "the client stops it.")
    async def session_events(
        self, info: Info, session_id: strawberry.ID
    ) -> AsyncGenerator[ChainEntry, None]:
        ctx = info.context
        hub = ctx.events
        session_id = strawberry.ID(checked_id(session_id, "sessionId"))
        next_seq: dict[str, int] = {}
        with hub.watch(ctx.tenant_id) as woken:
            while True:
                traces = await ctx.call(ctx.service.session_traces, ctx.tenant_id, session_id)
                delivered = False
                for t in traces:
                    seq = next_seq.get(t.trace_id, 0)
                    if t.entry_count <= seq:
                        continue
                    for entry in await ctx.call(ctx.service.entries_from, ctx.tenant_id,
                                                t.trace_id, seq):
                        _fresh(ctx)
                        yield entry
                        next_seq[t.trace_id] = entry.seq + 1
                        delivered = True
                if not delivered:
                    await hub.wait(woken)

    @strawberry.subscription(graphql_type=Trace, description="Traces of the caller's tenant "
                             "that start after the subscription opens (those matching filter, "
                             "when given), oldest first, as they start: the live feed of a "
                             "trace list. New means newer in the list's order (createdAt, then "
                             "traceId) than the newest trace when it opened, so an import with "
                             "an older createdAt is not announced. Runs until the client stops "
                             "it.")
    async def traces_started(
        self, info: Info, filter: TraceFilterInput | None = None
    ) -> AsyncGenerator[TraceView, None]:
        ctx = info.context
        hub = ctx.events
        query = filter.to_query() if filter is not None else TraceQuery()
        with hub.watch(ctx.tenant_id) as woken:
            newest = await ctx.call(ctx.service.list_traces, ctx.tenant_id, query, first=1)
            cursor = newest.cursors[0] if newest.cursors else None
            while True:
                # The traces just newer than the cursor (all of them, oldest first, when
                # the tenant had none): one indexed page read per wake-up.
                page = await ctx.call(ctx.service.list_traces, ctx.tenant_id, query,
                                      last=MAX_PAGE, before=cursor)
                for view, view_cursor in zip(reversed(page.traces), reversed(page.cursors),
                                             strict=True):
                    _fresh(ctx)
                    yield view
                    cursor = view_cursor
                if not page.traces:
                    await hub.wait(woken)
