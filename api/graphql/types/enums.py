"""GraphQL enums: trace status and outcome (stored lowercase values), path modes, lineage
directions, node kinds, edge types and chain entry kinds."""

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


@strawberry.enum(name="PathMode", description="SHORTEST: one shortest path; ALL_SIMPLE: "
                 "every simple path up to maxLength.")
class PathModeEnum(StrEnum):
    SHORTEST = "SHORTEST"
    ALL_SIMPLE = "ALL_SIMPLE"


@strawberry.enum(name="Direction", description="UP: ancestors (causes); DOWN: descendants "
                 "(effects); BOTH.")
class DirectionEnum(StrEnum):
    UP = "UP"
    DOWN = "DOWN"
    BOTH = "BOTH"


@strawberry.enum(name="NodeKind", description="What a graph node is.")
class NodeKindEnum(StrEnum):
    TRACE = "trace"
    STEP = "step"
    API_CALL = "api_call"
    HUMAN_INPUT = "human_input"
    ALTERNATIVE = "alternative"


@strawberry.enum(name="EdgeType", description="Stored edge types, named in the direction "
                 "they read (step DEPENDS_ON dependency, child CHILD_OF parent).")
class EdgeTypeEnum(StrEnum):
    HAS_STEP = "HAS_STEP"
    NEXT = "NEXT"
    DEPENDS_ON = "DEPENDS_ON"
    CHILD_OF = "CHILD_OF"
    SPAWNED = "SPAWNED"
    CALLED = "CALLED"
    CONSIDERED = "CONSIDERED"
    ASKED = "ASKED"
    IN_SESSION = "IN_SESSION"
    BY_AGENT = "BY_AGENT"
    USED_MODEL = "USED_MODEL"


@strawberry.enum(name="EntryKind", description="What a hash-chain entry records.")
class EntryKindEnum(StrEnum):
    TRACE_STARTED = "trace_started"
    STEP = "step"
    API_CALL = "api_call"
    HUMAN_INPUT = "human_input"
    TRACE_COMPLETED = "trace_completed"
