"""GraphQL ``ApiCall``: an LLM, database, tool or HTTP call recorded in a trace's chain."""

from __future__ import annotations

import strawberry
from tracegraph.schema.views import ApiCallView

from ..scalars import DateTime
from .node import Node, global_id


@strawberry.type(name="ApiCall", description="A call made during a trace, optionally tied to "
                 "a step.")
class ApiCall(Node):
    @classmethod
    def is_type_of(cls, obj: object, _info: object) -> bool:
        return isinstance(obj, ApiCallView)

    @strawberry.field(description="Global id, for node(id:).")
    def id(self, root: strawberry.Parent[ApiCallView]) -> strawberry.ID:
        return global_id("ApiCall", root.trace_id, root.call_id)

    call_id: strawberry.ID
    trace_id: strawberry.ID
    step_id: strawberry.ID | None
    api_type: str
    endpoint: str | None
    method: str | None
    status_code: int | None
    latency_ms: float | None
    request_tokens: int | None
    response_tokens: int | None
    cost_usd: float | None
    error: str | None
    created_at: DateTime
    seq: int = strawberry.field(description="Position in the trace's hash chain.")
    hash: str = strawberry.field(description="SHA-256 of this chain entry.")
