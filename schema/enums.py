"""Enumerations of the trace model: step types, statuses, outcomes and chain entry kinds."""

from __future__ import annotations

from enum import StrEnum


class StepType(StrEnum):
    """The 12 ledger step types; any other non-empty type string is accepted as custom."""

    OBSERVATION = "Observation"
    HYPOTHESIS = "Hypothesis"
    TOOL_CALL = "ToolCall"
    TOOL_RESULT = "ToolResult"
    REASONING = "Reasoning"
    DECISION = "Decision"
    ACTION = "Action"
    ERROR = "Error"
    CORRECTION = "Correction"
    SUMMARY = "Summary"
    PLAN_STEP = "PlanStep"
    FINAL_ANSWER = "FinalAnswer"


LEDGER_STEP_TYPES: frozenset[str] = frozenset(t.value for t in StepType)

#: Step types that are always embedded for semantic search; others are sampled.
ALWAYS_EMBEDDED: frozenset[str] = frozenset(
    {"Decision", "Action", "Error", "Correction", "FinalAnswer"}
)


class TraceStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PAUSED = "paused"


class Outcome(StrEnum):
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILURE = "failure"


class EntryKind(StrEnum):
    """What a hash-chain entry records. Every trace's chain starts with TRACE_STARTED."""

    TRACE_STARTED = "trace_started"
    STEP = "step"
    API_CALL = "api_call"
    HUMAN_INPUT = "human_input"
    TRACE_COMPLETED = "trace_completed"


#: Status a trace gets when completed with an outcome (unless the caller names one).
STATUS_FOR_OUTCOME: dict[Outcome, TraceStatus] = {
    Outcome.SUCCESS: TraceStatus.COMPLETED,
    Outcome.PARTIAL: TraceStatus.COMPLETED,
    Outcome.FAILURE: TraceStatus.FAILED,
}
