"""GraphQL enums of trace status and outcome; values are the stored lowercase strings."""

from __future__ import annotations

from enum import StrEnum

import strawberry


@strawberry.enum(name="TraceStatus", description="Lifecycle state of a trace.")
class TraceStatusEnum(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


@strawberry.enum(name="Outcome", description="How a completed trace ended.")
class OutcomeEnum(StrEnum):
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILURE = "failure"
