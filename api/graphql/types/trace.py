"""GraphQL ``Trace``: one agent handling one request, with its steps, calls and nested traces."""

from __future__ import annotations

import strawberry
from tracegraph.schema.iteration import Iteration, iterations_from_steps
from tracegraph.schema.records import Totals
from tracegraph.schema.views import (
    ApiCallView,
    HumanInputView,
    StepView,
    TraceView,
    VerificationBadge,
)

from ..context import Info
from ..scalars import JSON, DateTime
from .api_call import ApiCall
from .chain_verification import VerificationBadgeType
from .enums import OutcomeEnum, TraceStatusEnum
from .human_input import HumanInput
from .iteration import IterationType
from .node import Node, global_id
from .step import Step
from .totals import TotalsType


@strawberry.type(name="Trace", description="One agent handling one request, with its steps, "
                 "API calls, human inputs and nested traces.")
class Trace(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, TraceView)

    @strawberry.field(description="Global id, for node(id:).")
    def id(self, root: strawberry.Parent[TraceView]) -> strawberry.ID:
        return global_id("Trace", root.trace_id)

    trace_id: strawberry.ID
    parent_trace_id: strawberry.ID | None = strawberry.field(
        description="The trace this one is nested under.")
    spawned_by_step_id: strawberry.ID | None = strawberry.field(
        description="The parent's step that started this trace.")
    tenant_id: strawberry.ID
    session_id: strawberry.ID
    agent_id: strawberry.ID | None
    actor_urn: str | None
    goal: str | None
    status: TraceStatusEnum
    outcome: OutcomeEnum | None
    final_answer: str | None
    confidence: float | None
    error_details: str | None
    created_at: DateTime
    completed_at: DateTime | None
    metadata: JSON | None
    entry_count: int = strawberry.field(description="Entries in the trace's hash chain.")
    head_hash: str = strawberry.field(description="Hash of the chain's last entry.")
    include_reasoning_trace: bool = strawberry.field(
        description="False when step contents are not stored (the agent opted out).")

    @strawberry.field(graphql_type=list[Step], description="Steps in order.")
    async def steps(self, root: strawberry.Parent[TraceView], info: Info) -> list[StepView]:
        return await info.context.loaders.steps.load(root.trace_id)

    @strawberry.field(graphql_type=list[IterationType], description="The trace's steps as "
                      "iterations (think-act-observe rounds), for steps recorded as "
                      "iterations; steps without metadata.iteration are left out.")
    async def iterations(self, root: strawberry.Parent[TraceView], info: Info
                         ) -> list[Iteration]:
        return iterations_from_steps(await info.context.loaders.steps.load(root.trace_id))

    @strawberry.field(graphql_type=list[ApiCall], description="API calls in order.")
    async def api_calls(
        self, root: strawberry.Parent[TraceView], info: Info
    ) -> list[ApiCallView]:
        return await info.context.loaders.api_calls.load(root.trace_id)

    @strawberry.field(graphql_type=list[HumanInput], description="Human inputs in order.")
    async def human_inputs(
        self, root: strawberry.Parent[TraceView], info: Info
    ) -> list[HumanInputView]:
        return await info.context.loaders.human_inputs.load(root.trace_id)

    @strawberry.field(graphql_type=list["Trace"], description="Traces nested directly under "
                      "this one, oldest first.")
    async def children(self, root: strawberry.Parent[TraceView], info: Info) -> list[TraceView]:
        loaders = info.context.loaders
        ids = await loaders.children.load(root.trace_id)
        return [t for t in await loaders.traces.load_many(ids) if t is not None]

    @strawberry.field(graphql_type="Trace | None", description="The trace this one is "
                      "nested under.")
    async def parent(self, root: strawberry.Parent[TraceView], info: Info) -> TraceView | None:
        if root.parent_trace_id is None:
            return None
        return await info.context.loaders.traces.load(root.parent_trace_id)

    @strawberry.field(description="Step types in order (stored at completion, live before).")
    async def path_taken(self, root: strawberry.Parent[TraceView], info: Info) -> list[str]:
        if root.totals is not None:
            return root.path_taken
        return [s.step_type for s in await info.context.loaders.steps.load(root.trace_id)]

    @strawberry.field(description="Model ids in first-use order (stored at completion, live "
                      "before).")
    async def model_ids_used(self, root: strawberry.Parent[TraceView], info: Info) -> list[str]:
        if root.totals is not None:
            return root.model_ids_used
        steps = await info.context.loaders.steps.load(root.trace_id)
        return list(dict.fromkeys(s.model_id for s in steps if s.model_id is not None))

    @strawberry.field(graphql_type=TotalsType, description=(
        "Rollup of this trace alone (not its nested traces): sealed into its completion entry "
        "when it completed, computed from its entries while active. Rules: the Totals type, "
        "docs/rollups.md."))
    async def totals(self, root: strawberry.Parent[TraceView], info: Info) -> Totals:
        if root.totals is not None:
            return root.totals
        return await info.context.loaders.totals.load(root.trace_id)

    @strawberry.field(graphql_type=TotalsType, description=(
        "This trace's own totals plus those of every nested descendant at any depth (each "
        "counted once, by the rules of `totals`), computed at read time."))
    async def subtree_totals(self, root: strawberry.Parent[TraceView], info: Info) -> Totals:
        return await info.context.loaders.subtree_totals.load(root.trace_id)

    @strawberry.field(graphql_type=VerificationBadgeType | None, description=(
        "Badge data: the last verification of this trace (verifyTrace, verifySession, "
        "verifyTenant or tracegraph verify): when, against which signed checkpoint, and "
        "the verdict; null when it was never verified."))
    def last_verification(self, root: strawberry.Parent[TraceView],
                          info: Info) -> VerificationBadge | None:
        return info.context.log.last_verification(root.tenant_id, root.trace_id)
