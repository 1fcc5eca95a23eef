"""The one storage interface: ``GraphStore``, and the rows it exchanges with the service layer.

A backend stores hash-chain entries (the only thing written) and keeps from them the
indexes and graph edges that reads need. Every method is scoped to one tenant: an id of
another tenant behaves exactly like an id that does not exist.

Append contract (``append``): the backend, inside one atomic transaction, reads the
trace's chain head, assigns consecutive ``seq`` numbers (and ``step_index`` to steps),
seals each item with :func:`tracegraph.schema.chain.seal_many`, stores entries, indexes and
edges, and moves the head; either every item is stored or none. Two appends can never get
the same seq. An item whose id (``step_id``, ``call_id``, ``input_id``) is already stored in
the same trace makes the whole call idempotent when every item is already there (it returns
the stored entries), and raises ``AlreadyExists`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from tracegraph.schema.chain import ChainEntry

EdgeType = Literal[
    "HAS_STEP", "NEXT", "DEPENDS_ON", "CHILD_OF", "SPAWNED", "CALLED", "CONSIDERED",
    "ASKED", "IN_SESSION", "BY_AGENT", "USED_MODEL",
]
NodeKind = Literal["trace", "step", "api_call", "human_input", "alternative"]


@dataclass(frozen=True, slots=True)
class TraceRow:
    """A trace as indexed: its start record, its completion record (if any) and chain head."""

    tenant_id: str
    trace_id: str
    status: str
    entry_count: int
    head_hash: str
    started: dict[str, Any]
    completed: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TraceFilter:
    """Filters for listing traces; ``None`` means no filter on that field."""

    session_id: str | None = None
    agent_id: str | None = None
    status: str | None = None
    outcome: str | None = None
    model_id: str | None = None
    parent_trace_id: str | None = None
    roots_only: bool = False
    created_after: str | None = None
    created_before: str | None = None


@dataclass(frozen=True, slots=True)
class TraceCursor:
    """Position in the trace listing order (newest first, then trace id descending)."""

    created_at: str
    trace_id: str


@dataclass(frozen=True, slots=True)
class NodeRef:
    """Where a node lives: its kind, its trace and (for chain records) its entry seq."""

    node_id: str
    kind: NodeKind
    trace_id: str
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    src: str
    dst: str
    type: EdgeType


@dataclass(frozen=True, slots=True)
class Tombstone:
    """What remains of a trace removed by retention: enough to explain the gap."""

    tenant_id: str
    trace_id: str
    session_id: str
    entry_count: int
    final_hash: str
    removed_at: str
    hash: str


@dataclass(frozen=True, slots=True)
class PathResult:
    nodes: list[str]
    edges: list[Edge] = field(default_factory=list)


@runtime_checkable
class GraphStore(Protocol):
    """Storage backend: an append-only journal of chain entries plus the graph built from it."""

    backend_name: str

    # -- writes -------------------------------------------------------------------------
    def append(
        self, tenant_id: str, trace_id: str, items: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[ChainEntry]:
        """Seal and store ``(kind, record)`` items at the end of the trace's chain.

        A ``trace_started`` item must come first and only for a new trace. Raises
        ``TraceNotFound``, ``TraceClosed`` (after ``trace_completed``), ``AlreadyExists``.
        """
        ...

    # -- reads ----------------------------------------------------------------------------
    def get_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, TraceRow]:
        """Trace rows by id; missing or foreign ids are absent from the result."""
        ...

    def list_traces(
        self, tenant_id: str, flt: TraceFilter, limit: int, after: TraceCursor | None = None
    ) -> list[TraceRow]:
        """Up to ``limit`` traces matching ``flt``, newest first, strictly after ``after``."""
        ...

    def entries(
        self,
        tenant_id: str,
        trace_ids: Sequence[str],
        kinds: frozenset[str] | None = None,
    ) -> Mapping[str, list[ChainEntry]]:
        """Chain entries of each trace in stored seq order, optionally only some kinds."""
        ...

    def children(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, list[str]]:
        """Ids of the traces nested directly under each trace, oldest first."""
        ...

    def resolve(self, tenant_id: str, node_ids: Sequence[str]) -> Mapping[str, NodeRef]:
        """Where each id lives (trace, step, API call, human input, alternative)."""
        ...

    def entries_at(
        self, tenant_id: str, refs: Sequence[tuple[str, int]]
    ) -> Mapping[tuple[str, int], ChainEntry]:
        """Entries by ``(trace_id, seq)``: how steps and calls are fetched by id."""
        ...

    def edges(
        self, tenant_id: str, node_ids: Sequence[str], direction: Literal["out", "in"]
    ) -> Mapping[str, list[Edge]]:
        """Edges leaving (``out``) or entering (``in``) each node."""
        ...

    def tombstones(self, tenant_id: str, session_id: str) -> list[Tombstone]:
        """Tombstones of traces of a session removed by retention."""
        ...

    def close(self) -> None:
        """Release connections; the store can be reopened from the same location."""
        ...
