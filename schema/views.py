"""Read models: traces, steps, API calls and human inputs as callers see them."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from .chain import ChainEntry
from .records import Totals

V = TypeVar("V", bound="View")


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class StepView(View):
    step_id: str
    trace_id: str
    tenant_id: str
    step_index: int
    step_type: str
    seq: int
    hash: str
    prev_hash: str
    created_at: str
    content: str | None = None
    reasoning_hash: str | None = None
    input_data: Any = None
    output_data: Any = None
    input_summary: str | None = None
    output_summary: str | None = None
    alternatives_considered: list[str] = []
    selected_alternative: str | None = None
    confidence: float | None = None
    duration_ms: float | None = None
    model_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    thinking_tokens: int | None = None
    depends_on: list[str] = []
    metadata: dict[str, Any] | None = None
    has_embedding: bool = False

    @classmethod
    def from_entry(cls, e: ChainEntry) -> StepView:
        """The view of a step entry (as ``model_construct`` builds it, a few times faster:
        reads build hundreds of these per request), kept on the entry for the next read
        that gets the same entry object."""
        kept = e.view
        if type(kept) is cls:
            return kept
        values = _record_fields(cls, e.record)
        values.update(trace_id=e.trace_id, tenant_id=e.tenant_id, seq=e.seq, hash=e.hash,
                      prev_hash=e.prev_hash)
        view = _constructed(cls, values)
        e.keep_view(view)
        return view


class ApiCallView(View):
    call_id: str
    trace_id: str
    seq: int
    hash: str
    created_at: str
    step_id: str | None = None
    api_type: str = "llm"
    endpoint: str | None = None
    method: str | None = None
    status_code: int | None = None
    latency_ms: float | None = None
    request_tokens: int | None = None
    response_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None

    @classmethod
    def from_entry(cls, e: ChainEntry) -> ApiCallView:
        return cls.model_construct(
            trace_id=e.trace_id, seq=e.seq, hash=e.hash, **_with_defaults(cls, e.record)
        )


class HumanInputView(View):
    input_id: str
    trace_id: str
    seq: int
    hash: str
    created_at: str
    question: str | None = None
    step_id: str | None = None
    answer: str | None = None
    answered_by: str | None = None
    answered_at: str | None = None
    answers_input_id: str | None = None
    awaiting_answer: bool = False

    @classmethod
    def from_entry(cls, e: ChainEntry) -> HumanInputView:
        return cls.model_construct(
            trace_id=e.trace_id, seq=e.seq, hash=e.hash, **_with_defaults(cls, e.record)
        )


class TraceView(View):
    trace_id: str
    tenant_id: str
    session_id: str
    status: str
    created_at: str
    entry_count: int
    head_hash: str
    agent_id: str | None = None
    actor_urn: str | None = None
    goal: str | None = None
    parent_trace_id: str | None = None
    spawned_by_step_id: str | None = None
    metadata: dict[str, Any] | None = None
    include_reasoning_trace: bool = True
    outcome: str | None = None
    final_answer: str | None = None
    confidence: float | None = None
    error_details: str | None = None
    completed_at: str | None = None
    totals: Totals | None = None
    model_ids_used: list[str] = []
    path_taken: list[str] = []


class CheckpointView(View):
    """A signed checkpoint of a tenant's Merkle log: what it states and who signed it."""

    origin: str
    size: int
    root_hash: str
    timestamp: str
    key_id: str
    note: str


class VerificationProblem(View):
    """One thing verification found broken, with where (codes: docs/hash-chain.md)."""

    code: str
    message: str
    trace_id: str | None = None
    seq: int | None = None
    leaf_index: int | None = None


class ChainVerification(View):
    """What verifying a trace, a session or a tenant reports.

    ``checkpoint`` is the trusted signed checkpoint the log was checked against (``None``
    when none is configured or signed yet: then the records are checked against the log's
    leaves only); ``problems`` lists every break found, the first of them in ``reason``."""

    valid: bool
    entries_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    trace_id: str | None = None
    traces_checked: int = 1
    head_hash: str | None = None
    problems: list[VerificationProblem] = []
    checkpoint: CheckpointView | None = None
    verified_at: str | None = None
    entries_not_checkpointed: int = 0
    log_checked: bool = False


class InclusionProofView(View):
    """RFC 6962 inclusion proof of one leaf in the tree of ``tree_size`` leaves."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    hashes: list[str]
    trace_id: str | None = None
    seq: int | None = None
    #: The signed checkpoint of ``tree_size`` leaves, when the proof is against one.
    checkpoint: CheckpointView | None = None


class ConsistencyProofView(View):
    """RFC 6962 consistency proof that the tree of ``to_size`` extends ``from_size``."""

    from_size: int
    to_size: int
    from_root: str
    to_root: str
    hashes: list[str]


class VerificationBadge(View):
    """When a trace was last verified, against which checkpoint, and the verdict."""

    trace_id: str
    valid: bool
    verified_at: str
    checkpoint: CheckpointView | None = None
    reason: str | None = None


_TEMPLATES: dict[type[View], tuple[dict[str, Any], frozenset[str]]] = {}


def _record_fields(cls: type[View], record: dict[str, Any]) -> dict[str, Any]:
    """Every field of ``cls`` in declaration order: the record's value, else the field's
    default (``None`` for a required field, which the caller then sets). Like
    :func:`_with_defaults`, with each class's defaults computed once (they are immutable or
    never mutated: views are frozen)."""
    known = _TEMPLATES.get(cls)
    if known is None:
        template = {n: None if f.is_required() else f.default
                    for n, f in cls.model_fields.items()}
        known = _TEMPLATES[cls] = (template, frozenset(template))
    template, names = known
    if record.keys() <= names:  # the usual case: one C-level merge, order kept
        return {**template, **record}
    out = dict(template)
    for k, v in record.items():
        if k in names:
            out[k] = v
    return out


def _constructed(cls: type[V], values: dict[str, Any]) -> V:
    """``cls.model_construct(**values)`` for ``values`` that hold every field of ``cls`` in
    declaration order (what :func:`_record_fields` returns)."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _with_defaults(cls: type[View], record: dict[str, Any]) -> dict[str, Any]:
    """Record fields plus the model's defaults for fields the record omits (nulls)."""
    fields = cls.model_fields
    out = {name: f.default for name, f in fields.items() if not f.is_required()}
    for k, v in record.items():
        if k in fields:
            out[k] = v
    return out
