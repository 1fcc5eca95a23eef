"""The Neo4j backend: chain entries, traces and the graph as nodes and relationships (Bolt).

Appends run in managed write transactions (``Session.execute_write``, which retries
transient failures such as deadlocks). Each one first takes the trace node's write lock
and only then reads the chain head, so concurrent appends to one trace run one after the
other; the uniqueness constraint on ``(tenant_id, trace_id, seq)`` would refuse a forked
chain even if they did not. Ids are per tenant: each node is found by its tenant and id.
An append whose every record id is already stored in the trace returns the stored entries,
so a retried append is idempotent. Statements are in
:mod:`tracegraph.graph.neo4j.cypher`; how entries map to properties in
:mod:`tracegraph.graph.neo4j.codec`; held items (OTLP spans waiting for their parent) in
:mod:`tracegraph.graph.neo4j.pending`.

Append-only: Neo4j Community has no triggers and no property-level write privileges, so
the database itself cannot refuse a ``SET`` or ``DELETE`` of an entry. Tampering is found by
verification instead, which rebuilds every entry from its stored properties.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import neo4j
from neo4j import GraphDatabase, ManagedTransaction, RoutingControl
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, ServiceUnavailable
from tracegraph.graph import algorithms
from tracegraph.graph.append_plan import (
    Replay,
    SealedAppend,
    StoredHead,
    StoredId,
    batch_ids,
    plan_append,
)
from tracegraph.graph.log_plan import LogHead, entry_leaves
from tracegraph.graph.protocol import (
    Direction,
    Edge,
    LineageNode,
    LineageResult,
    NodeRef,
    PathMode,
    PathSearch,
    StoredCheckpoint,
    StoredLeaf,
    Tombstone,
    TraceCursor,
    TraceFilter,
    TraceRow,
)
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.errors import (
    AlreadyExists,
    BackendUnavailable,
    ChainConflict,
    TraceNotFound,
)
from tracegraph.schema.merkle_leaf import EntryLeaf
from tracegraph.schema.merkle_tree import NodeId

from . import cypher, log
from . import pending as pend
from . import vectors as vec
from .codec import entry_from_properties, entry_properties, record_from_properties

DEFAULT_URI = "bolt://127.0.0.1:7687"
#: The list of :data:`cypher.STORE_APPEND` each record kind's entries go to ...
_RECORD_ROWS = {
    EntryKind.API_CALL.value: "api_calls",
    EntryKind.HUMAN_INPUT.value: "human_inputs",
}
#: ... and of each edge type edges_for lists (HAS_STEP, NEXT and CONSIDERED come with the
#: steps).
_EDGE_ROWS = {
    "DEPENDS_ON": "depends_on",
    "CHILD_OF": "child_of",
    "SPAWNED": "spawned",
    "CALLED": "called",
    "ASKED": "asked",
}
#: Bound passed for "no bound" (``max_length=None``): longer than any path can be.
_UNBOUNDED = 2**31 - 1
#: Attempts at an append that hit a uniqueness constraint (a concurrent append took an id).
_CONSTRAINT_ATTEMPTS = 4
#: The append's write statement: the tenant log's leaves, nodes and head, then the chain.
_STORE_APPEND = log.WRITE_LOG + cypher.STORE_APPEND
T = TypeVar("T")


def _trace_row(rec: neo4j.Record) -> TraceRow:
    started, completed = rec["started"], rec["completed"]
    return TraceRow(
        tenant_id=rec["tenant_id"],
        trace_id=rec["trace_id"],
        status=rec["status"],
        entry_count=rec["entry_count"],
        head_hash=rec["head_hash"],
        started=record_from_properties(started) if started is not None else {},
        completed=record_from_properties(completed) if completed is not None else None,
    )


class Neo4jStore(vec.Neo4jVectors, pend.Neo4jPending):
    """GraphStore on a Neo4j 5 server (Community is enough), through the official driver."""

    backend_name = "neo4j"

    def __init__(
        self,
        uri: str = DEFAULT_URI,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        *,
        max_connection_pool_size: int = 100,
    ) -> None:
        self.uri = uri
        self.database = database
        self._vector_count_cache = {}
        auth = (user, password or "") if user is not None else None
        try:
            self._driver = GraphDatabase.driver(
                uri, auth=auth, max_connection_pool_size=max_connection_pool_size,
                notifications_min_severity="OFF",
            )
        except (ValueError, DriverError) as exc:  # not a URI the driver understands
            raise BackendUnavailable(f"cannot use Neo4j URI {uri!r}: {exc}") from exc
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError) as exc:
            self._driver.close()
            raise BackendUnavailable(
                f"cannot reach Neo4j at {uri}: {exc} (start one with `scripts/neo4j start`)"
            ) from exc
        self._bookmarks = self._driver.execute_query_bookmark_manager
        with self._errors():
            for statement in (*cypher.SCHEMA, *log.SCHEMA, *vec.SCHEMA, *pend.SCHEMA):
                self._driver.execute_query(statement, database_=database)
            self._driver.execute_query(cypher.AWAIT_INDEXES, database_=database)

    # -- plumbing -----------------------------------------------------------------------------
    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver failures that mean "no server" become ``BackendUnavailable``."""
        try:
            yield
        except ServiceUnavailable as exc:
            raise BackendUnavailable(f"Neo4j at {self.uri} is unavailable: {exc}") from exc

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]:
        with self._errors():
            records, _, _ = self._driver.execute_query(
                query, params, database_=self.database, routing_=RoutingControl.READ,
            )
        return records

    def _read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        """Several statements in one read transaction (a managed one: retried if transient)."""
        with self._errors(), self._driver.session(
            database=self.database, bookmark_manager=self._bookmarks,
            default_access_mode=neo4j.READ_ACCESS,
        ) as session:
            return session.execute_read(work)

    def _write(self, work: Callable[[ManagedTransaction], T]) -> T:
        with self._errors(), self._driver.session(
            database=self.database, bookmark_manager=self._bookmarks
        ) as session:
            return session.execute_write(work)

    def close(self) -> None:
        self._driver.close()

    # -- writes -------------------------------------------------------------------------------
    def append(
        self, tenant_id: str, trace_id: str, items: Sequence[tuple[str, dict[str, Any]]],
        *, expected_seq: int | None = None,
    ) -> list[ChainEntry]:
        if not items:
            return []
        for attempt in range(_CONSTRAINT_ATTEMPTS):
            try:
                return self._write(
                    lambda tx: _append(tx, tenant_id, trace_id, items, expected_seq))
            except ConstraintError as exc:
                # A concurrent append created the same trace or record id first: run again,
                # and the checks under the lock now see it (idempotent retry or AlreadyExists).
                if attempt == _CONSTRAINT_ATTEMPTS - 1:
                    raise ChainConflict(f"trace {trace_id}: concurrent appends kept "
                                        f"colliding ({exc.message}); retry") from exc
        raise AssertionError("unreachable")

    def remove_trace(self, tenant_id: str, trace_id: str, tombstone: Tombstone) -> None:
        def work(tx: ManagedTransaction) -> None:
            head = tx.run(cypher.LOCK_TRACE, tenant=tenant_id, trace_id=trace_id).single()
            if head is None:
                raise TraceNotFound(f"trace {trace_id} not found")
            t = tombstone
            tx.run(cypher.CREATE_TOMBSTONE, trace_id=t.trace_id, tenant=t.tenant_id,
                   session_id=t.session_id, entry_count=t.entry_count,
                   final_hash=t.final_hash, removed_at=t.removed_at, hash=t.hash).consume()
            log.append_tombstone(tx, t)
            for statement in (cypher.DELETE_TRACE_ALTERNATIVES, cypher.DELETE_TRACE_ENTRIES,
                              cypher.DELETE_TRACE):
                tx.run(statement, trace_id=trace_id, tenant=tenant_id).consume()
            tx.run(vec.DELETE_TRACES_VECTORS, trace_ids=[trace_id], tenant=tenant_id).consume()

        self._write(work)
        # and again once the removal is seen: a vector the embedding worker committed after
        # the delete above ran, but checked its trace before the removal committed, is
        # gone too (the worker removes those it finds removed: SemanticIndex._embed)
        self.remove_trace_vectors(tenant_id, [trace_id])

    def restore_tombstone(self, tenant_id: str, removed: Sequence[EntryLeaf],
                          tombstone: Tombstone) -> bool:
        t = tombstone

        def work(tx: ManagedTransaction) -> bool:
            if tx.run(cypher.LOCK_TRACE, tenant=tenant_id, trace_id=t.trace_id).single():
                raise AlreadyExists(f"trace {t.trace_id} is stored: its tombstone cannot be")
            held = tx.run(cypher.TOMBSTONE_HASH, tenant=tenant_id, trace_id=t.trace_id).single()
            if held is not None:
                if held["hash"] == t.hash:
                    return False
                raise AlreadyExists(f"trace {t.trace_id}: another tombstone is stored")
            tx.run(cypher.CREATE_TOMBSTONE, trace_id=t.trace_id, tenant=t.tenant_id,
                   session_id=t.session_id, entry_count=t.entry_count,
                   final_hash=t.final_hash, removed_at=t.removed_at, hash=t.hash).consume()
            log.append_tombstone(tx, t, removed)
            return True

        return self._write(work)

    # -- the tenant Merkle log (LogStore; statements in log.py) ---------------------------------
    def log_head(self, tenant_id: str) -> LogHead:
        return log.log_head(self._read, tenant_id)

    def log_nodes(self, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
        return log.log_nodes(self._read, tenant_id, ids)

    def log_leaves(self, tenant_id: str, start: int, stop: int) -> list[StoredLeaf]:
        return log.log_leaves(self._read, tenant_id, start, stop)

    def leaves_of_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> list[StoredLeaf]:
        return log.leaves_of_traces(self._read, tenant_id, trace_ids)

    def leaves_of_session(self, tenant_id: str, session_id: str) -> list[StoredLeaf]:
        return log.leaves_of_session(self._read, tenant_id, session_id)

    def add_checkpoint(self, tenant_id: str, checkpoint: StoredCheckpoint) -> None:
        c = checkpoint
        self._write(lambda tx: tx.run(log.ADD_CHECKPOINT, tenant=tenant_id, size=c.size,
                                      note=c.note, created_at=c.created_at).consume())

    def checkpoints(self, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
        return log.checkpoints(self._read, tenant_id, limit)

    # -- reads ----------------------------------------------------------------------------------
    def get_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, TraceRow]:
        ids = list(dict.fromkeys(trace_ids))
        if not ids:
            return {}
        out: dict[str, TraceRow] = {}
        for rec in self._read(cypher.GET_TRACES, tenant=tenant_id, trace_ids=ids):
            out.setdefault(rec["trace_id"], _trace_row(rec))
        return out

    def list_traces(
        self, tenant_id: str, flt: TraceFilter, limit: int, after: TraceCursor | None = None,
        *, ascending: bool = False,
    ) -> list[TraceRow]:
        if flt.session_id is not None:
            query = cypher.LIST_SESSION_TRACES_ASC if ascending else cypher.LIST_SESSION_TRACES
        elif flt.parent_trace_id is not None:
            query = cypher.LIST_CHILD_TRACES_ASC if ascending else cypher.LIST_CHILD_TRACES
        elif flt.agent_id is not None:
            query = cypher.LIST_AGENT_TRACES_ASC if ascending else cypher.LIST_AGENT_TRACES
        elif after is not None:  # (the seek starts at the cursor)
            query = cypher.LIST_TRACES_ASC_AFTER if ascending else cypher.LIST_TRACES_AFTER
        else:
            query = cypher.LIST_TRACES_ASC if ascending else cypher.LIST_TRACES
        records = self._read(
            query, tenant=tenant_id,
            session=flt.session_id, agent=flt.agent_id,
            status=flt.status, outcome=flt.outcome, parent=flt.parent_trace_id,
            roots=flt.roots_only, after=flt.created_after, before=flt.created_before,
            model=flt.model_id, cur_time=after.created_at if after else None,
            cur_id=after.trace_id if after else None, limit=limit,
        )
        return [_trace_row(r) for r in records]

    def entries(
        self, tenant_id: str, trace_ids: Sequence[str], kinds: frozenset[str] | None = None
    ) -> Mapping[str, list[ChainEntry]]:
        ids = list(dict.fromkeys(trace_ids))
        out: dict[str, list[ChainEntry]] = {t: [] for t in ids}
        if not ids:
            return out
        records = self._read(cypher.ENTRIES, tenant=tenant_id, trace_ids=ids,
                             kinds=sorted(kinds) if kinds is not None else None)
        for rec in records:
            out[rec["trace_id"]].extend(entry_from_properties(p) for p in rec["entries"])
        return out

    def entries_at(
        self, tenant_id: str, refs: Sequence[tuple[str, int]]
    ) -> Mapping[tuple[str, int], ChainEntry]:
        wanted = [[t, s] for t, s in dict.fromkeys(refs)]
        if not wanted:
            return {}
        out: dict[tuple[str, int], ChainEntry] = {}
        (rec,) = self._read(cypher.ENTRIES_AT, tenant=tenant_id, refs=wanted)
        for trace_id, seq, props in rec["entries"]:
            out.setdefault((trace_id, seq), entry_from_properties(props))
        return out

    def children(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, list[str]]:
        ids = list(dict.fromkeys(trace_ids))
        out: dict[str, list[str]] = {t: [] for t in ids}
        if ids:
            (rec,) = self._read(cypher.CHILDREN, tenant=tenant_id, trace_ids=ids)
            for parent, child in rec["children"]:
                out[parent].append(child)
        return out

    def resolve(self, tenant_id: str, node_ids: Sequence[str]) -> Mapping[str, NodeRef]:
        ids = list(dict.fromkeys(node_ids))
        out: dict[str, NodeRef] = {}
        if not ids:
            return out
        (rec,) = self._read(cypher.RESOLVE, tenant=tenant_id, ids=ids)
        for node_id, is_record, kind, record_trace, seq, is_trace in rec["nodes"]:
            if node_id in out:
                continue
            if is_record:
                out[node_id] = NodeRef(node_id, kind, record_trace, seq)
            elif is_trace:
                out[node_id] = NodeRef(node_id, "trace", node_id, None)
        return out

    def edges(
        self, tenant_id: str, node_ids: Sequence[str], direction: Literal["out", "in"]
    ) -> Mapping[str, list[Edge]]:
        """Edges leaving or entering each node, ordered by the other end's id, then type.

        (The embedded store lists them in insertion order; Neo4j keeps no such order.)
        """
        ids = list(dict.fromkeys(node_ids))
        out: dict[str, list[Edge]] = {n: [] for n in ids}
        if ids:
            query = cypher.EDGES_OUT if direction == "out" else cypher.EDGES_IN
            for rec in self._read(query, tenant=tenant_id, ids=ids):
                out[rec["node"]].append(Edge(rec["src"], rec["dst"], rec["type"]))
        return out

    def tenants(self) -> list[str]:
        return sorted(str(r["tenant_id"]) for r in self._read(cypher.TENANTS))

    def tombstones(self, tenant_id: str, session_id: str) -> list[Tombstone]:
        records = self._read(cypher.TOMBSTONES, tenant=tenant_id, session=session_id)
        return [
            Tombstone(r["tenant_id"], r["trace_id"], r["session_id"], r["entry_count"],
                      r["final_hash"], r["removed_at"], r["hash"])
            for r in records
        ]

    # -- graph queries (protocol semantics: graph/protocol.py, docs/graph-queries.md) ------
    def _flow_subgraph(self, tenant_id: str, node_ids: Sequence[str]) -> Any:
        """The flow view restricted to ``node_ids`` (a networkx DiGraph)."""
        ids = set(node_ids)
        (rec,) = self._read(cypher.EDGES_FROM, tenant=tenant_id, ids=list(ids))
        return algorithms.flow_graph(
            Edge(src, dst, kind) for src, dst, kind in rec["edges"] if dst in ids)

    def paths(
        self,
        tenant_id: str,
        from_id: str,
        to_id: str,
        mode: PathMode = "SHORTEST",
        max_length: int | None = None,
        limit: int = 100,
    ) -> PathSearch:
        """Paths as :func:`tracegraph.graph.algorithms.find_paths` orders them.

        Cypher's shortest-path searches give *a* shortest path, not the one with the
        smallest node ids, and enumerating every shortest or simple path in Cypher blows up
        on a DAG full of diamonds. So Cypher finds the bounded candidate set: the bound
        (for SHORTEST the shortest length, from a single-pair ``shortestPath`` search), the
        fewest hops from ``from_id`` to every node it reaches and from every node to
        ``to_id`` within the bound (breadth-first, a layer per statement). Every path of at
        most ``bound`` edges lies on the nodes whose two distances add up to at most
        ``bound``; the flow edges among them are fetched and the reference functions order
        the paths in Python, so the answer is the reference answer.
        """
        if mode not in ("SHORTEST", "ALL_SIMPLE"):
            raise ValueError(f"mode: {mode!r} is not SHORTEST or ALL_SIMPLE")
        if limit < 1:
            raise ValueError(f"limit: {limit} is not a positive number of paths")
        known = self.resolve(tenant_id, [from_id, to_id])
        trivial = algorithms.trivial_paths(known, from_id, to_id)
        if trivial is not None:
            return trivial
        bound = _UNBOUNDED if max_length is None else max_length
        if bound < 1:
            return PathSearch([], False)

        def candidates(tx: ManagedTransaction) -> list[str]:
            limit_to = bound
            if mode == "SHORTEST":
                found = tx.run(cypher.SHORTEST_LENGTH, tenant=tenant_id, from_id=from_id,
                               to_id=to_id, bound=bound).single()
                if found is None:
                    return []
                limit_to = found["length"]
            ahead = _layers(tx, tenant_id, from_id, cypher.FLOW_SUCCESSORS, limit_to)
            if to_id not in ahead:
                return []
            behind = _layers(tx, tenant_id, to_id, cypher.FLOW_PREDECESSORS, limit_to)
            return algorithms.path_candidates(ahead, behind, limit_to)

        useful = self._read_tx(candidates)
        if not useful:
            return PathSearch([], False)
        graph = self._flow_subgraph(tenant_id, useful)
        return algorithms.find_paths(graph, from_id, to_id, mode, max_length, limit)

    def lineage(
        self,
        tenant_id: str,
        node_id: str,
        direction: Direction = "BOTH",
        max_depth: int = 50,
        limit: int = 10_000,
    ) -> LineageResult:
        """Lineage as :func:`tracegraph.graph.algorithms.lineage` answers it.

        Cypher walks each direction breadth-first, a layer per statement, to ``max_depth``
        and stops after the layer that passes ``limit`` (as the reference does); Python
        merges the directions in lineage order, cuts at ``limit`` and adds the stored edges
        among the listed nodes.
        """
        algorithms.check_lineage(direction, limit)
        if max_depth < 1 or node_id not in self.resolve(tenant_id, [node_id]):
            return LineageResult(node_id, [], [], False)
        ways: list[tuple[Literal["UP", "DOWN"], str]] = []
        if direction in ("UP", "BOTH"):
            ways.append(("UP", cypher.FLOW_PREDECESSORS))
        if direction in ("DOWN", "BOTH"):
            ways.append(("DOWN", cypher.FLOW_SUCCESSORS))

        def walk(tx: ManagedTransaction) -> list[LineageNode]:
            out: list[LineageNode] = []
            for way, query in ways:
                depths = _layers(tx, tenant_id, node_id, query, max_depth, limit=limit)
                out.extend(LineageNode(n, d, way) for n, d in depths.items() if n != node_id)
            return out

        return algorithms.ranked_lineage(node_id, self._read_tx(walk), limit,
                                         lambda ids: self._flow_subgraph(tenant_id, ids))


def _layers(
    tx: ManagedTransaction, tenant_id: str, node_id: str, query: str, max_depth: int,
    *, limit: int | None = None,
) -> dict[str, int]:
    """Fewest hops from ``node_id`` (itself: 0) to every node within ``max_depth`` along
    ``query`` (successors or predecessors), breadth-first; with ``limit``, stops after the
    layer that brings the count of other nodes past it."""
    start = tx.run(cypher.FLOW_START, tenant=tenant_id, node_id=node_id).single(strict=True)
    frontier: list[str] = list(start["nodes"])
    seen = set(frontier)
    depth = {node_id: 0}
    level = 0
    while frontier and level < max_depth:
        level += 1
        layer = tx.run(query, tenant=tenant_id, frontier=frontier).single(strict=True)
        frontier = []
        for element_id, found in layer["next"]:
            if element_id in seen:
                continue
            seen.add(element_id)
            frontier.append(element_id)
            depth.setdefault(found, level)
        if limit is not None and len(depth) - 1 > limit:
            break
    return depth


# -- the append transaction ---------------------------------------------------------------------
def _append(
    tx: ManagedTransaction, tenant_id: str, trace_id: str,
    items: Sequence[tuple[str, dict[str, Any]]], expected_seq: int | None,
) -> list[ChainEntry]:
    """One append inside a write transaction: :data:`cypher.BEGIN_APPEND` locks the trace
    and the tenant's log head and reads what :func:`~tracegraph.graph.append_plan.plan_append`
    and :func:`~tracegraph.graph.log_plan.plan_log_append` need, and one statement
    (:data:`log.WRITE_LOG` + :data:`cypher.STORE_APPEND`) writes what they return."""
    starting = items[0][0] == EntryKind.TRACE_STARTED
    got = tx.run(cypher.BEGIN_APPEND, tenant=tenant_id, trace_id=trace_id, starting=starting,
                 ids=batch_ids(items)).single(strict=True)
    head = None
    if got["exists"]:
        head = StoredHead(got["entry_count"], got["step_count"],
                          got["head_hash"], got["last_step_id"], got["completed_seq"] is not None,
                          tuple(got["open_questions"] or ()))
    found: dict[str, dict[str, Any]] = dict(got["stored"])
    stored = {node_id: StoredId(p.get("trace_id"), p.get("seq"))
              for node_id, p in found.items()}
    plan = plan_append(tenant_id, trace_id, items, expected_seq, head=head,
                       tombstoned=got["removed"], stored=stored)
    if isinstance(plan, Replay):
        entries = [*(entry_from_properties(p) for p in found.values())]
        if got["first"] is not None:
            entries.append(entry_from_properties(got["first"]))
        return plan.entries({e.seq if e.stored_seq is None else e.stored_seq: e
                             for e in entries})
    session_id = plan.start.session_id if plan.start is not None else got["session_id"]
    params = _append_params(plan)
    params.update(log.plan_params(tenant_id, log.head_of(got),
                                  entry_leaves(str(session_id), plan.sealed())))
    tx.run(_STORE_APPEND, params).consume()
    return plan.sealed()


def _append_params(plan: SealedAppend) -> dict[str, Any]:
    """The parameters of :data:`cypher.STORE_APPEND`: the planned entries as node
    properties by kind, the edges (by type; HAS_STEP, NEXT and CONSIDERED are made with the
    steps), the trace's start, completion, models and new head."""
    rows: dict[str, Any] = {"start": [], "plain": [], "steps": [],
                            **{name: [] for name in _RECORD_ROWS.values()},
                            **{name: [] for name in _EDGE_ROWS.values()}}
    for p in plan.entries:
        e, node_id = p.entry, p.node_id
        props = entry_properties(e)
        if node_id is None:
            rows["plain"].append(props)
        else:
            props["node_id"] = node_id
            if e.kind == EntryKind.STEP:
                rows["steps"].append({"props": props, "alternatives": [
                    [a.node_id, a.index, a.text, a.selected] for a in p.alternatives()]})
            else:
                rows[_RECORD_ROWS[e.kind]].append(props)
        for edge in p.edge_list:
            name = _EDGE_ROWS.get(edge.type)
            if name is not None:
                rows[name].append([edge.src, edge.dst])
    if plan.start is not None:
        s = plan.start
        rows["start"].append({"session_id": s.session_id, "agent_id": s.agent_id,
                              "parent_trace_id": s.parent_trace_id,
                              "created_at": s.created_at})
    c = plan.completion
    rows["completed"] = None if c is None else {
        "status": c.status, "outcome": c.outcome, "completed_at": c.completed_at, "seq": c.seq}
    rows.update(trace_id=plan.trace_id, tenant=plan.tenant_id, models=plan.models,
                status=plan.status, open_questions=plan.open_questions or None,
                last_step_id=plan.previous_step_id, head_step_id=plan.last_step_id,
                entry_count=plan.entry_count, step_count=plan.step_count,
                head_hash=plan.head_hash)
    return rows
