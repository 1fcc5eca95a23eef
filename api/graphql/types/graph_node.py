"""GraphQL ``GraphNode``: a node reached by a path or lineage query, with its record."""

from __future__ import annotations

import strawberry
from tracegraph.api.service import alternative_parts, step_alternatives
from tracegraph.api.service.views import AlternativeView, NodeView
from tracegraph.schema.views import ApiCallView, HumanInputView, StepView, TraceView

from ..context import Info
from .alternative import Alternative
from .api_call import ApiCall
from .enums import NodeKindEnum
from .human_input import HumanInput
from .step import Step
from .trace import Trace


@strawberry.type(name="GraphNode", description="A node of the trace graph: its id, kind and "
                 "trace, and (for the matching kind) the record it stands for.")
class GraphNode:
    @strawberry.field(description="Trace, step, API call, human input or alternative id.")
    def node_id(self, root: strawberry.Parent[NodeView]) -> strawberry.ID:
        return strawberry.ID(root.node_id)

    @strawberry.field
    def kind(self, root: strawberry.Parent[NodeView]) -> NodeKindEnum:
        return NodeKindEnum(root.kind)

    @strawberry.field(description="The trace the node belongs to (itself for a trace).")
    def trace_id(self, root: strawberry.Parent[NodeView]) -> strawberry.ID:
        return strawberry.ID(root.trace_id)

    @strawberry.field(description="Chain seq of the node's entry (null for traces).")
    def seq(self, root: strawberry.Parent[NodeView]) -> int | None:
        return root.seq

    @strawberry.field(graphql_type=Trace | None, description="The node's trace.")
    async def trace(self, root: strawberry.Parent[NodeView], info: Info) -> TraceView | None:
        return await info.context.loaders.traces.load(root.trace_id)

    @strawberry.field(graphql_type=Step | None, description="The step, for step nodes; the "
                      "step that considered it, for alternatives.")
    async def step(self, root: strawberry.Parent[NodeView], info: Info) -> StepView | None:
        if root.kind == "step":
            return await info.context.loaders.step(root.trace_id, root.node_id)
        if root.kind == "alternative":
            return await info.context.loaders.step(root.trace_id, _step_of(root.node_id))
        return None

    @strawberry.field(graphql_type=ApiCall | None, description="The API call, for API call "
                      "nodes.")
    async def api_call(self, root: strawberry.Parent[NodeView], info: Info) -> ApiCallView | None:
        if root.kind != "api_call":
            return None
        return await info.context.loaders.api_call(root.trace_id, root.node_id)

    @strawberry.field(graphql_type=HumanInput | None, description="The human input, for human "
                      "input nodes.")
    async def human_input(
        self, root: strawberry.Parent[NodeView], info: Info
    ) -> HumanInputView | None:
        if root.kind != "human_input":
            return None
        return await info.context.loaders.human_input(root.trace_id, root.node_id)

    @strawberry.field(graphql_type=Alternative | None,
                      description="The alternative, for alternative nodes.")
    async def alternative(self, root: strawberry.Parent[NodeView], info: Info
                          ) -> AlternativeView | None:
        if root.kind != "alternative":
            return None
        step = await info.context.loaders.step(root.trace_id, _step_of(root.node_id))
        if step is None:
            return None
        return next((a for a in step_alternatives(step)
                     if a.node_id == root.node_id), None)



def _step_of(alt_id: str) -> str:
    """The step of an alternative node id."""
    parts = alternative_parts(alt_id)
    return parts[0] if parts is not None else alt_id
