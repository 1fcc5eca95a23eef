"""Pydantic models of what callers send: trace start, steps, API calls, human input, completion.

Every model accepts snake_case or camelCase names, rejects unknown fields and names the
field and the limit in its error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from .enums import LEDGER_STEP_TYPES, Outcome, TraceStatus
from .ids import ID_PATTERN
from .limits import (
    MAX_COST_USD,
    MAX_DURATION_MS,
    MAX_LIST_ITEMS,
    MAX_SHORT_TEXT,
    MAX_TEXT_BYTES,
    MAX_TOKENS,
    check_json,
    check_text,
)
from .redaction import Redactor

#: Finds secrets in ids and step type names, which are stored as given (never redacted).
_SECRET_FINDER = Redactor()


@lru_cache(maxsize=16_384)
def _holds_secret(value: str) -> bool:
    # an id comes back many times (a trace id on each of its steps, depends_on targets): the
    # answer for a string never changes, and the finder is the fixed default Redactor
    return _SECRET_FINDER.holds_secret(value)


#: Ids that :func:`vouch_ids` found free of secrets (cleared when it grows past 65,536).
_VOUCHED: set[str] = set()


def vouch_ids(ids: Sequence[str]) -> None:
    """Look for secrets in many ids at once, before the inputs holding them are validated
    (an adapter that derives the ids of a whole request, as OTLP ingest does).

    One :meth:`~.redaction.Redactor.clean` scan of all of them; when it finds no candidate
    secret at all, each of them would pass the secret check alone (``clean`` vouches for
    every string in the text it scans), so the check later skips them. Otherwise nothing is
    vouched for and each id is checked alone, as without this. The ids are separated by
    numbers in the scanned text, so no two of them are read as one token cut in two."""
    if len(_VOUCHED) > 65_536:
        _VOUCHED.clear()
    new = [i for i in ids if i not in _VOUCHED]
    if not new:
        return
    try:
        encoded = orjson.dumps([x for i in new for x in (i, 0)])
    except orjson.JSONEncodeError:
        return  # (a lone surrogate: each id is checked alone, and refused)
    if _SECRET_FINDER.clean(encoded):
        _VOUCHED.update(new)


def _not_a_secret(value: str) -> str:
    if value not in _VOUCHED and _holds_secret(value):
        raise ValueError("looks like a secret (it matches a secret pattern); ids and step "
                         "types are stored as given, so it is refused")
    return value


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN), AfterValidator(_not_a_secret)]
StepTypeName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.:\-]{0,63}$"),
    AfterValidator(_not_a_secret),
]
Tokens = Annotated[int, Field(ge=0, le=MAX_TOKENS)]
DurationMs = Annotated[float, Field(ge=0, le=MAX_DURATION_MS, allow_inf_nan=False)]
CostUsd = Annotated[float, Field(ge=0, le=MAX_COST_USD, allow_inf_nan=False)]
Confidence = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _json_field(value: Any, info: ValidationInfo) -> Any:
    return check_json(value, field=info.field_name or "json")


def _long_text(value: str, info: ValidationInfo) -> str:
    return check_text(value, field=info.field_name or "text", max_bytes=MAX_TEXT_BYTES)


def _short_text(value: str, info: ValidationInfo) -> str:
    return check_text(value, field=info.field_name or "text", max_bytes=MAX_SHORT_TEXT)


JSONPayload = Annotated[Any, AfterValidator(_json_field)]
JSONObject = Annotated[dict[str, Any], AfterValidator(_json_field)]
LongText = Annotated[str, AfterValidator(_long_text)]
ShortText = Annotated[str, AfterValidator(_short_text)]

_LEDGER_BY_LOWER = {t.lower(): t for t in LEDGER_STEP_TYPES}


class InputModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_max_length=MAX_TEXT_BYTES,
    )


class StartTraceInput(InputModel):
    """Start a trace: one agent handling one request."""

    session_id: Id | None = None
    agent_id: Id | None = None
    goal: LongText | None = None
    parent_trace_id: Id | None = None
    spawned_by_step_id: Id | None = None
    actor_urn: Annotated[str, StringConstraints(max_length=512)] | None = None
    metadata: JSONObject | None = None
    trace_id: Id | None = None
    created_at: datetime | None = None
    #: False: record the lifecycle and rollups, never step contents (per-agent opt-out).
    include_reasoning_trace: bool = True


class StepInput(InputModel):
    """One reasoning step. ``step_type`` is one of the 12 ledger types or a custom name."""

    step_type: StepTypeName
    content: LongText | None = None
    input_data: JSONPayload | None = None
    output_data: JSONPayload | None = None
    input_summary: ShortText | None = None
    output_summary: ShortText | None = None
    alternatives_considered: Annotated[list[ShortText], Field(max_length=MAX_LIST_ITEMS)] = Field(
        default_factory=list)
    selected_alternative: ShortText | None = None
    confidence: Confidence | None = None
    duration_ms: DurationMs | None = None
    model_id: Annotated[str, StringConstraints(max_length=256)] | None = None
    input_tokens: Tokens | None = None
    output_tokens: Tokens | None = None
    thinking_tokens: Tokens | None = None
    depends_on: Annotated[list[Id], Field(max_length=MAX_LIST_ITEMS)] = Field(default_factory=list)
    metadata: JSONObject | None = None
    step_id: Id | None = None
    created_at: datetime | None = None

    @field_validator("step_type")
    @classmethod
    def _ledger_case(cls, v: str) -> str:
        """Ledger types match case-insensitively and are stored in their canonical case."""
        return _LEDGER_BY_LOWER.get(v.lower(), v)


class ApiCallInput(InputModel):
    """An LLM, database, tool or HTTP call made during a trace, optionally tied to a step."""

    step_id: Id | None = None
    api_type: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "llm"
    endpoint: ShortText | None = None
    method: Annotated[str, StringConstraints(max_length=16)] | None = None
    status_code: Annotated[int, Field(ge=0, le=999)] | None = None
    latency_ms: DurationMs | None = None
    request_tokens: Tokens | None = None
    response_tokens: Tokens | None = None
    cost_usd: CostUsd | None = None
    error: LongText | None = None
    call_id: Id | None = None
    created_at: datetime | None = None


class HumanInputInput(InputModel):
    """A human-in-the-loop exchange: the agent's question and the human's answer."""

    step_id: Id | None = None
    question: LongText
    answer: LongText | None = None
    answered_by: Annotated[str, StringConstraints(max_length=256)] | None = None
    answered_at: datetime | None = None
    input_id: Id | None = None
    #: The question (an earlier human input of the trace) this input answers.
    answers_input_id: Id | None = None


class AnswerInput(InputModel):
    """A human's answer to the question a paused trace waits on."""

    answer: LongText
    answered_by: Annotated[str, StringConstraints(max_length=256)] | None = None
    answered_at: datetime | None = None


class CompleteTraceInput(InputModel):
    """Complete a trace. Status defaults from the outcome (failure -> failed)."""

    outcome: Outcome
    final_answer: LongText | None = None
    confidence: Confidence | None = None
    error_details: LongText | None = None
    status: TraceStatus | None = None

    @field_validator("status")
    @classmethod
    def _final_status(cls, v: TraceStatus | None) -> TraceStatus | None:
        if v in (TraceStatus.ACTIVE, TraceStatus.PAUSED):
            raise ValueError("a completed trace's status is completed, failed or cancelled")
        return v


def utc_iso(dt: datetime | None = None) -> str:
    """ISO 8601 UTC timestamp with microseconds and a ``Z`` suffix."""
    if dt is None:  # now: isoformat is several times faster than strftime, same text
        return datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z"
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    elif dt.tzinfo is not UTC:  # (already UTC, the usual case: nothing to convert)
        dt = dt.astimezone(UTC)
    if dt.year >= 1000:  # (isoformat pads years to 4 digits, strftime's %Y does not)
        return dt.isoformat(timespec="microseconds")[:-6] + "Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
