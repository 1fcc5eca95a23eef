"""The one storage interface: ``GraphStore``, and the rows it exchanges with the service layer.

A backend stores hash-chain entries (the only thing written) and keeps from them the
indexes and graph edges that reads need. Every method is scoped to one tenant: an id of
another tenant behaves exactly like an id that does not exist.

Append contract (``append``): the backend, inside one atomic transaction, reads the
trace's chain head, assigns consecutive ``seq`` numbers (and ``step_index`` to steps),
seals each item with :func:`tracegraph.schema.chain.seal_encoded`, stores entries, indexes
and edges, and moves the head; either every item is stored or none. Every rule of it is
written once, in :func:`tracegraph.graph.append_plan.plan_append`: a backend reads what the
plan needs and writes the rows it returns. Two appends can never get
the same seq. An item whose id (``step_id``, ``call_id``, ``input_id``) is already stored in
the same trace makes the whole call idempotent when every item is already there (it returns
the stored entries), and raises ``AlreadyExists`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf
from tracegraph.schema.merkle_tree import NodeId

from .log_plan import LogHead

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
class ChainHead:
    """A trace's chain as indexed: the entry count and head hash its last append recorded."""

    trace_id: str
    entry_count: int
    head_hash: str


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


class Edge(NamedTuple):
    """A stored graph edge (a tuple: every append derives a few per step)."""

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


PathMode = Literal["SHORTEST", "ALL_SIMPLE"]
Direction = Literal["UP", "DOWN", "BOTH"]

#: Which stored edge names a hop when two stored edges join the same pair of nodes in the
#: flow view (a step that depends on the step right before it: NEXT and DEPENDS_ON); the
#: first type in this order wins. See :func:`tracegraph.graph.algorithms.flow.flow_edge`.
FLOW_EDGE_PRECEDENCE: tuple[EdgeType, ...] = (
    "HAS_STEP", "NEXT", "DEPENDS_ON", "SPAWNED", "CHILD_OF", "CALLED", "CONSIDERED", "ASKED",
)


@dataclass(frozen=True, slots=True)
class PathResult:
    """One directed path of the flow view.

    ``nodes`` runs from the start to the end; ``edges[i]`` is the *stored* edge that joins
    ``nodes[i]`` and ``nodes[i + 1]``, with its stored type and direction: ``src ==
    nodes[i]`` for HAS_STEP, NEXT, SPAWNED, CALLED, CONSIDERED and ASKED, and ``src ==
    nodes[i + 1]`` for DEPENDS_ON and CHILD_OF, which the flow view follows backwards.
    A path of length 0 (start equals end) has one node and no edges.
    """

    nodes: list[str]
    edges: list[Edge] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PathSearch:
    """Paths found by :meth:`GraphStore.paths`, in order; ``truncated`` when more exist."""

    paths: list[PathResult]
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class LineageNode:
    """A node reached by a lineage query: ``depth`` is its fewest hops from the start node."""

    node_id: str
    depth: int
    direction: Literal["UP", "DOWN"]


@dataclass(frozen=True, slots=True)
class LineageResult:
    """Ancestors and/or descendants of ``node_id`` in the flow view.

    ``nodes`` is sorted by ``(depth, direction, node_id)`` ("UP" before "DOWN") and never
    holds the start node itself; ``edges`` are the stored edges whose two ends are both the
    start node or in ``nodes``, sorted by ``(src, dst, type)``; ``truncated`` says that
    more nodes than the limit were within ``max_depth`` and only the first ``limit`` are
    listed.
    """

    node_id: str
    nodes: list[LineageNode]
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False


@runtime_checkable
class GraphStore(Protocol):
    """Storage backend: an append-only journal of chain entries plus the graph built from it."""

    backend_name: str

    # -- writes -------------------------------------------------------------------------
    def append(
        self, tenant_id: str, trace_id: str, items: Sequence[tuple[str, dict[str, Any]]],
        *, expected_seq: int | None = None,
    ) -> list[ChainEntry]:
        """Seal and store ``(kind, record)`` items at the end of the trace's chain.

        A ``trace_started`` item must come first and only for a new trace. Raises
        ``TraceNotFound``, ``TraceClosed`` (after ``trace_completed``), ``AlreadyExists``.
        With ``expected_seq`` the append is conditional: when the chain's next seq is not
        ``expected_seq`` (someone appended since the caller read the chain) nothing is stored
        and ``ChainConflict`` is raised. The service seals completions this way, so that their
        rollup covers exactly the entries before them.
        """
        ...

    # -- reads ----------------------------------------------------------------------------
    def get_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, TraceRow]:
        """Trace rows by id; missing or foreign ids are absent from the result."""
        ...

    def list_traces(
        self, tenant_id: str, flt: TraceFilter, limit: int, after: TraceCursor | None = None,
        *, ascending: bool = False,
    ) -> list[TraceRow]:
        """Up to ``limit`` traces matching ``flt``, strictly after ``after``.

        Newest first (created_at, then trace id, descending); with ``ascending`` oldest first
        (both ascending), and ``after`` is then a position in that ascending order.
        """
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

    # -- graph queries ---------------------------------------------------------------------
    # Both run over the *flow view* of the stored edges, where every edge points from
    # cause to effect: trace -> step (HAS_STEP), step -> next step (NEXT), dependency ->
    # dependent step (DEPENDS_ON, followed backwards), spawning step -> child trace
    # (SPAWNED), parent trace -> child trace (CHILD_OF, followed backwards), step -> API
    # call (CALLED), step -> alternative (CONSIDERED), step -> human input (ASKED). Other
    # edge types (IN_SESSION, BY_AGENT, USED_MODEL) are not part of it. Only the tenant's
    # own edges are in its view: an id of another tenant finds nothing. Results must be
    # identical on every backend; docs/graph-queries.md is the reference and
    # ``tracegraph.graph.algorithms`` the reference implementation.
    def paths(
        self,
        tenant_id: str,
        from_id: str,
        to_id: str,
        mode: PathMode = "SHORTEST",
        max_length: int | None = None,
        limit: int = 100,
    ) -> PathSearch:
        """Directed paths ``from_id`` -> ``to_id`` of at most ``max_length`` edges.

        (Named ``paths``, not ``path``: the embedded store's ``path`` is its database file.)

        Paths are ordered by length, then by their node id sequences compared element by
        element (string order). ``SHORTEST`` returns the first of them only (one shortest
        path, ties broken by that order); ``ALL_SIMPLE`` returns the first ``limit`` simple
        paths (no repeated node) with ``truncated`` set when more exist. ``max_length=None``
        means no bound. ``from_id == to_id`` gives the one path of length 0. An unknown or
        foreign id, or no path, gives no paths.
        """
        ...

    def lineage(
        self,
        tenant_id: str,
        node_id: str,
        direction: Direction = "BOTH",
        max_depth: int = 50,
        limit: int = 10_000,
    ) -> LineageResult:
        """Ancestors (``UP``), descendants (``DOWN``) or both of a node, to ``max_depth`` hops.

        Each node comes with its fewest hop count from ``node_id`` in that direction; see
        :class:`LineageResult` for order, edges and truncation. An unknown or foreign id
        gives an empty result.
        """
        ...

    def tombstones(self, tenant_id: str, session_id: str) -> list[Tombstone]:
        """Tombstones of traces of a session removed by retention."""
        ...

    def tenants(self) -> list[str]:
        """Ids of the tenants that have at least one stored trace or tombstone (so a log),
        sorted. A tenant whose traces retention removed stays: its log grew by their
        tombstones and still wants checkpoints and streaming.

        The one read across tenants: for operators (``tracegraph retention apply
        --all-tenants``), never reachable from a tenant's request.
        """
        ...

    # -- retention -----------------------------------------------------------------------------
    def remove_trace(self, tenant_id: str, trace_id: str, tombstone: Tombstone) -> None:
        """Remove a whole trace and store its tombstone, in one atomic step.

        Removes the trace's entries, its indexes, its nodes (steps, API calls, human inputs,
        alternatives) and every edge that touches them. The only delete tracegraph ever
        does: a backend that refuses deletes at the storage level lets this one through
        because the tombstone is written first. Raises ``TraceNotFound``.
        """
        ...

    def close(self) -> None:
        """Release connections; the store can be reopened from the same location."""
        ...


@runtime_checkable
class EncodedChainStore(Protocol):
    """Optional capability of a store that keeps every entry's canonical bytes as they were
    hashed (the embedded store): verification hashes those bytes without decoding them
    (:func:`~tracegraph.schema.chain.stored_bytes_intact`) and decodes only the chains whose
    bytes do not pass."""

    def session_heads(self, tenant_id: str, session_id: str) -> list[ChainHead]:
        """The chain heads of a session's traces, oldest first (the order of
        ``list_traces(..., ascending=True)``), without their start and completion records."""
        ...

    def chains_with_intact_bytes(self, tenant_id: str, heads: Sequence[ChainHead]
                                 ) -> list[str]:
        """The traces among ``heads`` whose stored ``(seq, kind, hash, body)`` rows pass
        :func:`~tracegraph.schema.chain.stored_bytes_intact` against the recorded length and
        head; the caller verifies the others from decoded entries."""
        ...


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    """One leaf row of a tenant's Merkle log: its index and the record it was built from.

    The row as stored; verification never trusts it alone (it rebuilds entry leaves from the
    entry rows and compares the tree with a signed checkpoint)."""

    leaf_index: int
    leaf: LogLeaf


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint as a store keeps it: its size and the signed note's full text."""

    size: int
    note: str
    created_at: str


@runtime_checkable
class LogStore(Protocol):
    """The per-tenant Merkle log (RFC 6962) every backend keeps beside the chains (issue 14).

    Written only inside the transactions that write what it logs: ``append`` adds one entry
    leaf per sealed entry and ``remove_trace`` one tombstone leaf, each backend reading the
    tenant's :class:`~tracegraph.graph.log_plan.LogHead` under its own write lock and writing
    what :func:`~tracegraph.graph.log_plan.plan_log_append` returns. Leaf indexes are dense
    from 0 per tenant and never reused, whatever number of processes write to the database.
    See docs/dev/merkle-integration.md.
    """

    def log_head(self, tenant_id: str) -> LogHead:
        """The tenant log's stored size and right edge (``LogHead()`` for an empty log)."""
        ...

    def log_nodes(self, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
        """Stored tree node hashes in the order asked (a
        :class:`~tracegraph.schema.merkle_tree.NodeStore` read); raises ``MissingNode``."""
        ...

    def log_leaves(self, tenant_id: str, start: int, stop: int) -> list[StoredLeaf]:
        """Leaf rows with ``start <= leaf_index < stop``, in index order."""
        ...

    def leaves_of_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> list[StoredLeaf]:
        """The entry and tombstone leaves naming any of ``trace_ids``, in index order."""
        ...

    def leaves_of_session(self, tenant_id: str, session_id: str) -> list[StoredLeaf]:
        """The leaves naming ``session_id`` (so a trace deleted whole is still listed)."""
        ...

    def add_checkpoint(self, tenant_id: str, checkpoint: StoredCheckpoint) -> None:
        """Keep a signed checkpoint (idempotent for the same size and note)."""
        ...

    def checkpoints(self, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
        """The tenant's stored checkpoints, largest size first, at most ``limit``."""
        ...

    def restore_tombstone(self, tenant_id: str, removed: Sequence[EntryLeaf],
                          tombstone: Tombstone) -> bool:
        """Import of a trace retention removed before it was exported: store ``tombstone``
        and append the log records of its removed entries (``removed``, in seq order) then
        the tombstone's leaf to the tenant log, in one transaction. ``False`` (nothing
        written) when the tenant holds this very tombstone already; ``AlreadyExists`` when
        it holds the trace or another tombstone of its id."""
        ...


@runtime_checkable
class PendingStore(Protocol):
    """Optional capability: items an adapter holds until what they wait for is stored, kept
    across restarts (OTLP spans whose parent span has not arrived yet), by tenant and
    group. Plain rows beside the chains: nothing is hashed or logged, and a put of an id
    already held replaces its body. Stores without it leave the service to hold them in
    memory."""

    def pending_items(self, tenant_id: str, group: str) -> list[tuple[str, bytes]]:
        """The ``(item id, body)`` rows held in ``group``, in id order."""
        ...

    def update_pending(self, tenant_id: str, group: str, put: Sequence[tuple[str, bytes]],
                       remove: Sequence[str]) -> None:
        """Hold ``put`` in ``group`` and stop holding ``remove`` (ids not held are ignored),
        in one transaction."""
        ...

    def count_pending(self, skip_prefix: str = "") -> int:
        """How many items are held, over every tenant, leaving out the groups whose name
        starts with ``skip_prefix`` when one is given (rows kept there that are not waiting
        for anything, such as a stream's cursors)."""
        ...

