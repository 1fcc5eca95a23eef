"""GraphQL ``StartTraceInput``, built into ``schema.inputs.StartTraceInput``."""

from __future__ import annotations

import strawberry
from tracegraph.schema import inputs

from ..scalars import JSON, DateTime
from .validated import validated_by


@validated_by(inputs.StartTraceInput)
@strawberry.input(name="StartTraceInput", description="Start a trace: one agent handling one "
                  "request. Without sessionId the trace starts a session of its own (a nested "
                  "trace joins its parent's session).")
class StartTraceInputType:
    session_id: strawberry.ID | None = strawberry.UNSET
    agent_id: strawberry.ID | None = strawberry.UNSET
    goal: str | None = strawberry.UNSET
    parent_trace_id: strawberry.ID | None = strawberry.UNSET
    spawned_by_step_id: strawberry.ID | None = strawberry.UNSET
    actor_urn: str | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET
    trace_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Client-chosen id (a new UUIDv7 when omitted).")
    created_at: DateTime | None = strawberry.UNSET
    include_reasoning_trace: bool | None = strawberry.field(
        default=strawberry.UNSET, description="false: record the trace's lifecycle, timings, "
        "tokens and rollups but never its step contents (per-agent opt-out).")
