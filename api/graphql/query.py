"""GraphQL ``Query``: traces, listings, session replay and chain verification."""

from __future__ import annotations

import strawberry
from tracegraph.api.service import SessionReplay
from tracegraph.api.service.diff import diff_stored_runs
from tracegraph.api.service.views import TraceQuery
from tracegraph.schema.run_diff import RunDiff
from tracegraph.schema.views import (
    ApiCallView,
    ChainVerification,
    CheckpointView,
    ConsistencyProofView,
    HumanInputView,
    InclusionProofView,
    StepView,
    TraceView,
)

from .context import Info
from .ids import checked_id
from .inputs.trace_filter import TraceFilterInput
from .types.chain_verification import (
    ChainVerificationType,
    CheckpointType,
    ConsistencyProofType,
    InclusionProofType,
)
from .types.node import Node, decode_global_id
from .types.run_diff import RunDiffType
from .types.session import Session
from .types.trace import Trace
from .types.trace_connection import TraceConnection

RecordView = TraceView | StepView | ApiCallView | HumanInputView


@strawberry.type(name="Query")
class Query:
    @strawberry.field(graphql_type=Trace | None, description="A trace by id (null when the "
                      "caller's tenant has no such trace).")
    async def trace(self, info: Info, trace_id: strawberry.ID) -> TraceView | None:
        return await info.context.loaders.traces.load(checked_id(trace_id, "traceId"))

    @strawberry.field(description="Traces newest first, filtered, in Relay pages: first "
                      "(1..100, default 20) after a cursor, or last (1..100) before one.")
    async def traces(
        self, info: Info, filter: TraceFilterInput | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> TraceConnection:
        ctx = info.context
        flt = filter.to_query() if filter is not None else TraceQuery()
        page = await ctx.call(ctx.service.list_traces, ctx.tenant_id, flt, first=first,
                              after=after, last=last, before=before)
        return TraceConnection.from_page(page)

    @strawberry.field(graphql_type=Session | None, description="Replay a session: its traces "
                      "oldest first and their steps in order (null when unknown).")
    async def session(self, info: Info, session_id: strawberry.ID) -> SessionReplay | None:
        ctx = info.context
        return await ctx.call(ctx.service.replay_session, ctx.tenant_id,
                              checked_id(session_id, "sessionId"))

    @strawberry.field(graphql_type=ChainVerificationType, description="Recompute a trace's "
                      "hash chain (every entry and every link) and check it against the "
                      "tenant's Merkle log and its latest signed checkpoint.")
    async def verify_trace(self, info: Info, trace_id: strawberry.ID) -> ChainVerification:
        ctx = info.context
        return await ctx.call(ctx.log.verify_trace, ctx.tenant_id,
                              checked_id(trace_id, "traceId"))

    @strawberry.field(graphql_type=ChainVerificationType, description="Verify every trace of "
                      "a session, listed from the log (a deleted trace is found; traces "
                      "removed by retention are reported, not broken).")
    async def verify_session(self, info: Info, session_id: strawberry.ID) -> ChainVerification:
        ctx = info.context
        return await ctx.call(ctx.log.verify_session, ctx.tenant_id,
                              checked_id(session_id, "sessionId"))

    @strawberry.field(graphql_type=ChainVerificationType, description="Verify every trace of "
                      "the caller's tenant and rebuild the whole Merkle log from the records "
                      "against the latest signed checkpoint's root.")
    async def verify_tenant(self, info: Info) -> ChainVerification:
        ctx = info.context
        return await ctx.call(ctx.log.verify_tenant, ctx.tenant_id)

    @strawberry.field(graphql_type=InclusionProofType, description="RFC 6962 inclusion proof "
                      "of entry seq of a trace in the tree of treeSize leaves (default: the "
                      "latest signed checkpoint's).")
    async def inclusion_proof(self, info: Info, trace_id: strawberry.ID, seq: int,
                              tree_size: int | None = None) -> InclusionProofView:
        ctx = info.context
        return await ctx.call(ctx.log.inclusion_proof, ctx.tenant_id,
                              checked_id(trace_id, "traceId"), seq, tree_size)

    @strawberry.field(graphql_type=ConsistencyProofType, description="RFC 6962 consistency "
                      "proof that the tree of toSize leaves (default: the latest signed "
                      "checkpoint's) extends the tree of fromSize.")
    async def consistency_proof(self, info: Info, from_size: int,
                                to_size: int | None = None) -> ConsistencyProofView:
        ctx = info.context
        return await ctx.call(ctx.log.consistency_proof, ctx.tenant_id, from_size, to_size)

    @strawberry.field(graphql_type=list[CheckpointType], description="The tenant's signed "
                      "checkpoints from the journal kept outside the database, oldest first.")
    async def checkpoints(self, info: Info) -> list[CheckpointView]:
        ctx = info.context
        return await ctx.call(ctx.log.checkpoints, ctx.tenant_id)

    @strawberry.field(graphql_type=Node | None, description="A trace, step, API call or human "
                      "input by its global id (null when the caller's tenant has none).")
    async def node(self, info: Info, id: strawberry.ID) -> RecordView | None:
        type_name, trace_id, record_id = decode_global_id(id)
        loaders = info.context.loaders
        if type_name == "Trace":
            return await loaders.traces.load(trace_id)
        assert record_id is not None
        if type_name == "Step":
            return await loaders.step(trace_id, record_id)
        if type_name == "ApiCall":
            return await loaders.api_call(trace_id, record_id)
        return await loaders.human_input(trace_id, record_id)

    @strawberry.field(graphql_type=RunDiffType, description="Diff of two runs (each the trace "
                      "and every trace nested under it): steps aligned, decisions that chose "
                      "differently, tool calls added or removed, token and cost deltas.")
    async def diff_runs(self, info: Info, a: strawberry.ID, b: strawberry.ID) -> RunDiff:
        ctx = info.context
        return await ctx.call(diff_stored_runs, ctx.service, ctx.tenant_id,
                              checked_id(a, "a"), checked_id(b, "b"))
