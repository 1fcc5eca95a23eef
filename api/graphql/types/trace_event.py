"""GraphQL ``TraceEvent``: one entry appended to a trace's hash chain, delivered live."""

from __future__ import annotations

import strawberry
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.views import ApiCallView, HumanInputView, StepView, TraceView

from ..context import Info
from ..scalars import JSON
from .api_call import ApiCall
from .enums import EntryKindEnum
from .human_input import HumanInput
from .step import Step
from .trace import Trace


@strawberry.type(name="TraceEvent", description="An entry appended to a trace's hash chain "
                 "(start, step, API call, human input, completion), in chain order.")
class TraceEvent:
    @strawberry.field
    def trace_id(self, root: strawberry.Parent[ChainEntry]) -> strawberry.ID:
        return strawberry.ID(root.trace_id)

    @strawberry.field(description="Position in the trace's hash chain.")
    def seq(self, root: strawberry.Parent[ChainEntry]) -> int:
        return root.seq

    @strawberry.field
    def kind(self, root: strawberry.Parent[ChainEntry]) -> EntryKindEnum:
        return EntryKindEnum(root.kind)

    @strawberry.field(description="SHA-256 of this entry.")
    def hash(self, root: strawberry.Parent[ChainEntry]) -> str:
        return root.hash

    @strawberry.field(description="Hash of the previous entry.")
    def prev_hash(self, root: strawberry.Parent[ChainEntry]) -> str:
        return root.prev_hash

    @strawberry.field(description="The stored record, as hashed (snake_case keys).")
    def record(self, root: strawberry.Parent[ChainEntry]) -> JSON:
        return JSON(root.record)

    @strawberry.field(graphql_type=Step | None, description="The step, for step entries.")
    def step(self, root: strawberry.Parent[ChainEntry]) -> StepView | None:
        return StepView.from_entry(root) if root.kind == EntryKind.STEP else None

    @strawberry.field(graphql_type=ApiCall | None, description="The API call, for API call "
                      "entries.")
    def api_call(self, root: strawberry.Parent[ChainEntry]) -> ApiCallView | None:
        return ApiCallView.from_entry(root) if root.kind == EntryKind.API_CALL else None

    @strawberry.field(graphql_type=HumanInput | None, description="The human input, for "
                      "human input entries.")
    def human_input(self, root: strawberry.Parent[ChainEntry]) -> HumanInputView | None:
        return HumanInputView.from_entry(root) if root.kind == EntryKind.HUMAN_INPUT else None

    @strawberry.field(graphql_type=Trace | None, description="The trace as it is now.")
    async def trace(self, root: strawberry.Parent[ChainEntry], info: Info) -> TraceView | None:
        return await info.context.loaders.traces.load(root.trace_id)
