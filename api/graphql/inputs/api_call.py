"""GraphQL ``ApiCallInput``, built into ``schema.inputs.ApiCallInput``."""

from __future__ import annotations

import strawberry
from tracegraph.schema import inputs

from ..scalars import DateTime
from .validated import validated_by


@validated_by(inputs.ApiCallInput)
@strawberry.input(name="ApiCallInput", description="An LLM, database, tool or HTTP call made "
                  "during a trace, optionally tied to one of its steps.")
class ApiCallInputType:
    step_id: strawberry.ID | None = strawberry.UNSET
    api_type: str | None = strawberry.field(default=strawberry.UNSET,
                                            description="llm (default), database, tool, http...")
    endpoint: str | None = strawberry.UNSET
    method: str | None = strawberry.UNSET
    status_code: int | None = strawberry.UNSET
    latency_ms: float | None = strawberry.UNSET
    request_tokens: int | None = strawberry.UNSET
    response_tokens: int | None = strawberry.UNSET
    cost_usd: float | None = strawberry.UNSET
    error: str | None = strawberry.UNSET
    call_id: strawberry.ID | None = strawberry.UNSET
    created_at: DateTime | None = strawberry.UNSET
