"""The embedded backend: SQLite in WAL mode as the append-only journal, no server needed.

Everything is on disk: a restart finds every acknowledged append. Appends run in
``BEGIN IMMEDIATE`` transactions, so writers in any thread or process are serialized by
SQLite's write lock, and a unique ``(tenant_id, trace_id, seq)`` index makes a forked chain
impossible. Triggers refuse UPDATE and DELETE of entries (DELETE only passes for a trace that
retention has tombstoned). Every id (trace, record, tombstone, edge end) is keyed by its
tenant: two tenants may use the same ids, and nothing one does reads the other's rows.
A file made with an older layout is migrated when it is opened (:mod:`.layout`).
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import orjson
from tracegraph.graph import algorithms
from tracegraph.graph.append_plan import (
    Replay,
    SealedAppend,
    StoredHead,
    StoredId,
    batch_ids,
    plan_append,
    stored_ids,
)
from tracegraph.graph.log_plan import LogHead
from tracegraph.graph.protocol import (
    ChainHead,
    Direction,
    Edge,
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
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorHit
from tracegraph.schema.chain import GENESIS_PREV_HASH, ChainEntry, hash_matches
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.errors import (
    AlreadyExists,
    BackendUnavailable,
    InvalidInput,
    StorageFull,
    TraceNotFound,
)
from tracegraph.schema.merkle_leaf import EntryLeaf
from tracegraph.schema.merkle_tree import NodeId
from tracegraph.schema.private_files import private_dir, private_sqlite_file

from . import layout, log, sql, walks
from .entry_cache import DEFAULT_BYTES, DecodedEntries, Row
from .vectors import EmbeddedVectors
from .verify_helper import VerifyHelper, chains_with_intact_bytes, share

_SYNC = {"off": "OFF", "normal": "NORMAL", "full": "FULL"}
#: Ids per ``resolve`` query (a JSON array bound once; SQLite has no parameter limit on it).
RESOLVE_CHUNK = 500


def _entry(tenant_id: str, trace_id: str, row: tuple[Any, ...]) -> ChainEntry:
    """Rebuild a chain entry from a journal row: content from the hashed body.

    The ``kind`` column indexes the body (reads filter by it). If it disagrees with the body,
    one of the two was altered behind the store's back; an intact body is then returned with
    the kind the index shows, so verification fails either way. The ``seq`` column orders
    the rows; when it is not the body's seq the entry carries it as ``stored_seq``, and
    verification reports the renumbering even where the order is unchanged.
    """
    seq, kind, hash_, body = row
    obj = orjson.loads(body)
    entry = ChainEntry(obj["tenant_id"], obj["trace_id"], obj["seq"], obj["prev_hash"],
                       obj["kind"], obj["record"], hash_, obj["version"],
                       stored_seq=seq if seq != obj["seq"] else None)
    if kind != entry.kind and hash_matches(entry):
        entry = dataclasses.replace(entry, kind=kind)
    return entry


def _delete_derived_rows(db: sqlite3.Connection, tenant_id: str, trace_id: str) -> None:
    """Delete a removed trace's nodes, model rows and the edges from or to it and its nodes,
    by the keys its entries derive (:func:`stored_ids`); by walking the tenant's rows when
    an entry does not read as one."""
    try:
        nodes, models = stored_ids(_entry(tenant_id, trace_id, r) for r in
                                   db.execute(sql.SELECT_ENTRIES, (tenant_id, trace_id)))
    except (orjson.JSONDecodeError, KeyError, TypeError):
        db.execute(sql.DELETE_TRACE_EDGES_WALK, {"tenant": tenant_id, "trace": trace_id})
        for stmt in (sql.DELETE_TRACE_NODES_WALK, sql.DELETE_TRACE_MODELS_WALK):
            db.execute(stmt, (tenant_id, trace_id))
        return
    db.execute(sql.DELETE_EDGES_OF, {"tenant": tenant_id,
                                     "ids": orjson.dumps([trace_id, *nodes])})
    db.execute(sql.DELETE_NODES_IN, (tenant_id, trace_id, orjson.dumps(nodes)))
    db.execute(sql.DELETE_MODELS_IN, (tenant_id, trace_id, orjson.dumps(models)))


def _trace_row(row: tuple[Any, ...]) -> TraceRow:
    trace_id, tenant_id, status, entry_count, head_hash, started, completed = row
    return TraceRow(
        tenant_id=tenant_id,
        trace_id=trace_id,
        status=status,
        entry_count=entry_count,
        head_hash=head_hash,
        started=orjson.loads(started)["record"] if started else {},
        completed=orjson.loads(completed)["record"] if completed else None,
    )


class EmbeddedStore:
    """GraphStore on one SQLite database file under ``data_dir``."""

    backend_name = "embedded"

    def __init__(self, data_dir: str | os.PathLike[str], *, durability: str = "normal",
                 read_cache_bytes: int = DEFAULT_BYTES) -> None:
        if durability not in _SYNC:
            raise InvalidInput(
                f"durability: {durability!r} is not one of {sorted(_SYNC)}", field="durability"
            )
        self.data_dir = private_dir(data_dir)
        self.path = private_sqlite_file(self.data_dir / "tracegraph.sqlite3")
        self._sync = _SYNC[durability]
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        with sqlite_errors(self.data_dir):
            layout.make_schema(self._conn(), self._tx, self.path)
        self._decoded = DecodedEntries(read_cache_bytes)
        self._helper = VerifyHelper(self.path)  # (a process only once a verification is large)
        self._vectors: EmbeddedVectors | None = None  # (its own file, opened when first used)
        self._vectors_lock = threading.Lock()

    # -- connections ------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            with sqlite_errors(self.data_dir):
                db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None,
                                     check_same_thread=False)
                for pragma in sql.PRAGMAS:
                    db.execute(pragma)
                db.execute(f"PRAGMA synchronous={self._sync}")
            self._local.db = db
            with self._all_lock:
                self._all.append(db)
        return db

    def _tx(self) -> _Transaction:
        return _Transaction(self._conn(), self.data_dir)

    def close(self) -> None:
        with self._all_lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()
        self._decoded.clear()
        self._helper.close()
        if self._vectors is not None:
            self._vectors.close()
            self._vectors = None

    # -- writes -------------------------------------------------------------------------------
    def append(
        self, tenant_id: str, trace_id: str, items: Sequence[tuple[str, dict[str, Any]]],
        *, expected_seq: int | None = None,
    ) -> list[ChainEntry]:
        """The append contract (:mod:`tracegraph.graph.append_plan`) in one ``BEGIN
        IMMEDIATE`` transaction: read what the plan needs, write the rows it returns."""
        if not items:
            return []
        with self._tx() as db:
            row = db.execute(sql.SELECT_HEAD, (tenant_id, trace_id)).fetchone()
            head, session_id = None, None
            if row is not None:
                (entry_count, step_count, head_hash, last_step_id, completed_seq, session_id,
                 waiting) = row
                head = StoredHead(entry_count, step_count, head_hash, last_step_id,
                                  completed_seq is not None,
                                  tuple(orjson.loads(waiting)) if waiting else ())
            tombstoned = head is None and items[0][0] == EntryKind.TRACE_STARTED and (
                db.execute(sql.SELECT_TOMBSTONE_EXISTS, (tenant_id, trace_id)).fetchone()
                is not None)
            ids = batch_ids(items)
            stored = {r[0]: StoredId(*r[1:]) for r in db.execute(
                sql.SELECT_NODES_IN, (tenant_id, orjson.dumps(ids).decode()))} if ids else {}
            plan = plan_append(tenant_id, trace_id, items, expected_seq, head=head,
                               tombstoned=tombstoned, stored=stored)
            if isinstance(plan, Replay):
                rows = (db.execute(sql.SELECT_ENTRY, (tenant_id, trace_id, seq)).fetchone()
                        for seq in plan.seqs)
                return plan.entries({r[0]: self._entry(tenant_id, trace_id, r)
                                     for r in rows if r is not None})
            self._store_rows(db, plan)
            if plan.start is not None:
                session_id = plan.start.session_id
            log.append_entries(db, tenant_id, str(session_id), [p.entry for p in plan.entries])
        for p in plan.entries:  # committed: reads of these rows need not decode them
            e = p.entry
            self._decoded.put(tenant_id, trace_id, (e.seq, e.kind, e.hash, p.body), e)
        return plan.sealed()

    @staticmethod
    def _store_rows(db: sqlite3.Connection, plan: SealedAppend) -> None:
        """Insert the planned entries (their canonical bytes as the body), nodes, edges and
        trace index changes, one ``executemany`` per table, and move the head."""
        tenant_id, trace_id = plan.tenant_id, plan.trace_id
        stored_type = sql.stored_type
        entry_rows: list[tuple[Any, ...]] = []
        node_rows: list[tuple[Any, ...]] = []
        edge_rows: list[tuple[str, ...]] = []
        for p in plan.entries:
            e = p.entry
            entry_rows.append((trace_id, e.seq, tenant_id, e.kind, e.hash, p.body))
            edge_rows.extend([(tenant_id, src, dst, stored_type(edge_type))
                              for src, dst, edge_type in p.edge_list])
            if p.node_id is not None:
                node_rows.append((p.node_id, tenant_id, e.kind, trace_id, e.seq))
                if "alternatives_considered" in e.record:
                    node_rows.extend((alt, tenant_id, "alternative", trace_id, e.seq)
                                     for alt in p.alternative_ids())
        if plan.start is not None:
            s = plan.start
            db.execute(sql.INSERT_TRACE, (trace_id, tenant_id, s.session_id, s.agent_id,
                                          s.parent_trace_id, s.created_at, GENESIS_PREV_HASH))
        db.executemany(sql.INSERT_ENTRY, entry_rows)
        db.executemany(sql.INSERT_NODE, node_rows)
        if plan.models:
            db.executemany(sql.INSERT_MODEL, [(tenant_id, m, trace_id) for m in plan.models])
        db.executemany(sql.INSERT_EDGE, edge_rows)
        if plan.status is not None:
            db.execute(sql.UPDATE_STATUS, (plan.status, layout.json_list(plan.open_questions),
                                           tenant_id, trace_id))
        if plan.completion is not None:
            c = plan.completion
            db.execute(sql.UPDATE_COMPLETED, (c.status, c.outcome, c.completed_at, c.seq,
                                              tenant_id, trace_id))
        db.execute(sql.UPDATE_HEAD, (plan.entry_count, plan.step_count, plan.head_hash,
                                     plan.last_step_id, tenant_id, trace_id))

    # -- held items (PendingStore) ---------------------------------------------------------------
    def pending_items(self, tenant_id: str, group: str) -> list[tuple[str, bytes]]:
        return [(r[0], bytes(r[1])) for r in self._conn().execute(
            sql.SELECT_PENDING, (tenant_id, group))]

    def update_pending(self, tenant_id: str, group: str, put: Sequence[tuple[str, bytes]],
                       remove: Sequence[str]) -> None:
        if not put and not remove:
            return
        with self._tx() as db:
            db.executemany(sql.PUT_PENDING, [(tenant_id, group, i, b) for i, b in put])
            db.executemany(sql.DELETE_PENDING, [(tenant_id, group, i) for i in remove])

    def count_pending(self, skip_prefix: str = "") -> int:
        return int(self._conn().execute(sql.COUNT_PENDING, (skip_prefix,)).fetchone()[0])

    # -- reads ----------------------------------------------------------------------------------
    def _entry(self, tenant_id: str, trace_id: str, row: Row) -> ChainEntry:
        """The entry of a journal row: kept decoded (:mod:`.entry_cache`) or decoded now."""
        entry = self._decoded.get(tenant_id, trace_id, row)
        if entry is None:
            entry = _entry(tenant_id, trace_id, row)
            self._decoded.put(tenant_id, trace_id, row, entry)
        return entry

    def get_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, TraceRow]:
        db = self._conn()
        out: dict[str, TraceRow] = {}
        for trace_id in dict.fromkeys(trace_ids):
            row = db.execute(sql.SELECT_TRACE, (tenant_id, trace_id)).fetchone()
            if row is not None:
                out[trace_id] = _trace_row(row)
        return out

    def list_traces(
        self, tenant_id: str, flt: TraceFilter, limit: int, after: TraceCursor | None = None,
        *, ascending: bool = False,
    ) -> list[TraceRow]:
        params = {
            "tenant": tenant_id, "session": flt.session_id, "agent": flt.agent_id,
            "status": flt.status, "outcome": flt.outcome, "parent": flt.parent_trace_id,
            "roots": int(flt.roots_only), "after": flt.created_after,
            "before": flt.created_before, "model": flt.model_id,
            "cur_time": after.created_at if after else None,
            "cur_id": after.trace_id if after else None, "limit": limit,
        }
        db = self._conn()
        lead = next((k for k in ("session", "parent", "agent", "status")
                     if params[k] is not None), None)  # (its index, not a walk of the tenant)
        if lead is None and flt.model_id is not None and db.execute(
                sql.COUNT_MODEL_TRACES, (tenant_id, flt.model_id, sql.MODEL_LED_MAX + 1)
                ).fetchone()[0] <= sql.MODEL_LED_MAX:
            lead = "model"
        query = sql.LISTINGS[lead, ascending, after is not None]
        return [_trace_row(r) for r in db.execute(query, params)]

    def entries(
        self, tenant_id: str, trace_ids: Sequence[str], kinds: frozenset[str] | None = None
    ) -> Mapping[str, list[ChainEntry]]:
        db = self._conn()
        out: dict[str, list[ChainEntry]] = {}
        for trace_id in dict.fromkeys(trace_ids):
            rows = db.execute(sql.SELECT_ENTRIES, (tenant_id, trace_id)).fetchall()
            out[trace_id] = [
                self._entry(tenant_id, trace_id, r) for r in rows if kinds is None or r[1] in kinds
            ]
        return out

    def session_heads(self, tenant_id: str, session_id: str) -> list[ChainHead]:
        rows = self._conn().execute(sql.SELECT_SESSION_HEADS, (tenant_id, session_id))
        return [ChainHead(*r) for r in rows]

    @property
    def helper_cpu_seconds(self) -> float:
        """CPU seconds the verify helper process has used, as of its last answer."""
        return self._helper.cpu_seconds

    def chains_with_intact_bytes(self, tenant_id: str, heads: Sequence[ChainHead]
                                 ) -> list[str]:
        """The chains among ``heads`` that verify from their stored bytes; a large request
        is shared with the helper process (:mod:`.verify_helper`), which runs the same
        check on the same rows."""
        mine, theirs = share(heads)
        sent = bool(theirs) and self._helper.send(tenant_id, theirs)
        if not sent:
            mine, theirs = list(heads), []
        db = self._conn()
        try:
            ok = chains_with_intact_bytes(db, tenant_id, mine)
        finally:
            got = self._helper.receive() if sent else []
        return ok + (chains_with_intact_bytes(db, tenant_id, theirs) if got is None else got)

    def entries_at(
        self, tenant_id: str, refs: Sequence[tuple[str, int]]
    ) -> Mapping[tuple[str, int], ChainEntry]:
        db = self._conn()
        out: dict[tuple[str, int], ChainEntry] = {}
        for trace_id, seq in dict.fromkeys(refs):
            row = db.execute(sql.SELECT_ENTRY, (tenant_id, trace_id, seq)).fetchone()
            if row is not None:
                out[(trace_id, seq)] = self._entry(tenant_id, trace_id, row)
        return out

    def children(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, list[str]]:
        db = self._conn()
        return {
            t: [r[0] for r in db.execute(sql.SELECT_CHILDREN, (tenant_id, t))]
            for t in dict.fromkeys(trace_ids)
        }

    def resolve(self, tenant_id: str, node_ids: Sequence[str]) -> Mapping[str, NodeRef]:
        db = self._conn()
        found: dict[str, NodeRef] = {}
        wanted = list(dict.fromkeys(node_ids))
        for i in range(0, len(wanted), RESOLVE_CHUNK):  # two queries per chunk, not per id
            ids = orjson.dumps(wanted[i:i + RESOLVE_CHUNK])
            for node_id, kind, trace_id, seq in db.execute(sql.SELECT_NODE_REFS_IN,
                                                           (tenant_id, ids)):
                found[node_id] = NodeRef(node_id, kind, trace_id, seq)
            for (trace_id,) in db.execute(sql.SELECT_TRACES_IN, (tenant_id, ids)):
                found.setdefault(trace_id, NodeRef(trace_id, "trace", trace_id, None))
        return {n: found[n] for n in wanted if n in found}  # (in the order asked)

    def edges(
        self, tenant_id: str, node_ids: Sequence[str], direction: Literal["out", "in"]
    ) -> Mapping[str, list[Edge]]:
        db = self._conn()
        wanted = list(dict.fromkeys(node_ids))
        out: dict[str, list[Edge]] = {n: [] for n in wanted}
        if len(wanted) == 1:  # the common single-node read keeps its plain index lookup
            stmt = sql.SELECT_EDGES_OUT if direction == "out" else sql.SELECT_EDGES_IN
            out[wanted[0]] = [Edge(s, d, sql.type_name(t))
                              for s, d, t in db.execute(stmt, (tenant_id, wanted[0]))]
            return out
        stmt = sql.SELECT_EDGES_OUT_IN if direction == "out" else sql.SELECT_EDGES_IN_IN
        for i in range(0, len(wanted), RESOLVE_CHUNK):  # one query per chunk, not per id
            ids = orjson.dumps(wanted[i:i + RESOLVE_CHUNK])
            for s, d, t in db.execute(stmt, (tenant_id, ids)):
                out[s if direction == "out" else d].append(Edge(s, d, sql.type_name(t)))
        return out


    # -- graph queries (protocol semantics: graph/protocol.py, docs/graph-queries.md) ------
    def paths(
        self,
        tenant_id: str,
        from_id: str,
        to_id: str,
        mode: PathMode = "SHORTEST",
        max_length: int | None = None,
        limit: int = 100,
    ) -> PathSearch:
        known = self.resolve(tenant_id, [from_id, to_id])
        trivial = algorithms.trivial_paths(known, from_id, to_id)
        if trivial is not None:
            return trivial
        return walks.find_paths(self._conn(), tenant_id, from_id, to_id, mode, max_length,
                                limit)

    def lineage(
        self,
        tenant_id: str,
        node_id: str,
        direction: Direction = "BOTH",
        max_depth: int = 50,
        limit: int = 10_000,
    ) -> LineageResult:
        if node_id not in self.resolve(tenant_id, [node_id]):
            return LineageResult(node_id, [], [], False)
        return walks.lineage(self._conn(), tenant_id, node_id, direction, max_depth, limit)

    def tombstones(self, tenant_id: str, session_id: str) -> list[Tombstone]:
        rows = self._conn().execute(sql.SELECT_TOMBSTONES, (tenant_id, session_id)).fetchall()
        return [Tombstone(*r) for r in rows]

    def tenants(self) -> list[str]:
        return [str(r[0]) for r in self._conn().execute(sql.SELECT_TENANTS)]

    def remove_trace(self, tenant_id: str, trace_id: str, tombstone: Tombstone) -> None:
        with self._tx() as db:
            if db.execute(sql.SELECT_TRACE_EXISTS, (tenant_id, trace_id)).fetchone() is None:
                raise TraceNotFound(f"trace {trace_id} not found")
            t = tombstone
            db.execute(sql.INSERT_TOMBSTONE, (t.trace_id, t.tenant_id, t.session_id,
                                              t.entry_count, t.final_hash, t.removed_at, t.hash))
            log.append_tombstone(db, t)
            _delete_derived_rows(db, tenant_id, trace_id)
            for stmt in (sql.DELETE_TRACE_ENTRIES, sql.DELETE_TRACE):
                db.execute(stmt, (tenant_id, trace_id))
        if (self.data_dir / "vectors.sqlite3").exists():  # (its vectors: after the commit)
            self._vector_file().remove_traces([(tenant_id, trace_id)])

    def restore_tombstone(self, tenant_id: str, removed: Sequence[EntryLeaf],
                          tombstone: Tombstone) -> bool:
        t = tombstone
        with self._tx() as db:
            if db.execute(sql.SELECT_TRACE_EXISTS, (tenant_id, t.trace_id)).fetchone():
                raise AlreadyExists(f"trace {t.trace_id} is stored: its tombstone cannot be")
            row = db.execute(sql.SELECT_TOMBSTONE_HASH, (tenant_id, t.trace_id)).fetchone()
            if row is not None:
                if row[0] == t.hash:
                    return False
                raise AlreadyExists(f"trace {t.trace_id}: another tombstone is stored")
            db.execute(sql.INSERT_TOMBSTONE, (t.trace_id, t.tenant_id, t.session_id,
                                              t.entry_count, t.final_hash, t.removed_at, t.hash))
            log.append_leaves(db, tenant_id, [*removed, log.tombstone_leaf(t)])
        return True

    # -- the tenant Merkle log (LogStore) -------------------------------------------------------
    def log_head(self, tenant_id: str) -> LogHead:
        return log.read_head(self._conn(), tenant_id)

    def log_nodes(self, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
        return log.nodes(self._conn(), tenant_id, ids)

    def log_leaves(self, tenant_id: str, start: int, stop: int) -> list[StoredLeaf]:
        return log.leaves_in(self._conn(), tenant_id, start, stop)

    def leaves_of_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> list[StoredLeaf]:
        return log.leaves_of_traces(self._conn(), tenant_id, trace_ids)

    def leaves_of_session(self, tenant_id: str, session_id: str) -> list[StoredLeaf]:
        return log.session_leaves(self._conn(), tenant_id, session_id)

    def add_checkpoint(self, tenant_id: str, checkpoint: StoredCheckpoint) -> None:
        with self._tx() as db:
            log.add_checkpoint(db, tenant_id, checkpoint)

    def checkpoints(self, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
        return log.checkpoints(self._conn(), tenant_id, limit)


    # -- vectors (VectorStore: graph/embedded/vectors.py) -------------------------------------
    def _vector_file(self) -> EmbeddedVectors:
        with self._vectors_lock:
            if self._vectors is None:
                with sqlite_errors(self.data_dir):
                    self._vectors = v = EmbeddedVectors(self.data_dir)
                    # (vectors of traces removed while a crash kept them: see remove_trace)
                    v.remove_traces([(str(a), str(b)) for a, b in self._conn().execute(
                        sql.SELECT_TOMBSTONED, (orjson.dumps(v.traces_with_vectors()),))])
            return self._vectors

    def put_vectors(self, tenant_id: str, model: str, rows: Sequence[StepVector]) -> None:
        with sqlite_errors(self.data_dir):
            self._vector_file().put_vectors(tenant_id, model, rows)

    def remove_trace_vectors(self, tenant_id: str, trace_ids: Sequence[str]) -> None:
        with sqlite_errors(self.data_dir):
            self._vector_file().remove_trace_vectors(tenant_id, trace_ids)

    def vector_ids(self, tenant_id: str, model: str, step_ids: Sequence[str]) -> set[str]:
        return self._vector_file().vector_ids(tenant_id, model, step_ids)

    def trace_vectors(self, tenant_id: str, model: str, trace_ids: Sequence[str]
                      ) -> Mapping[str, list[tuple[int, str, list[float]]]]:
        return self._vector_file().trace_vectors(tenant_id, model, trace_ids)

    def search_vectors(self, tenant_id: str, model: str, query: Sequence[float], k: int,
                       flt: VectorFilter) -> list[VectorHit]:
        return self._vector_file().search_vectors(tenant_id, model, query, k, flt)


@contextmanager
def sqlite_errors(data_dir: Path) -> Iterator[None]:
    """SQLite's operational failures as typed errors naming the cause: a full disk is
    :class:`StorageFull` (507), a read-only or unreachable data directory, a lock held too
    long or an I/O error :class:`BackendUnavailable` (503). Nothing is half written: the
    transaction is rolled back, and the next request succeeds once the cause is gone."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        why = str(exc)
        if "full" in why:
            raise StorageFull(f"embedded store at {data_dir}: the disk is full ({why}); "
                              "nothing was stored, retry once space is freed") from exc
        if "readonly" in why or "read-only" in why or "unable to open" in why:
            why = f"the data directory is read-only or not accessible ({why})"
        raise BackendUnavailable(f"embedded store at {data_dir}: {why}; nothing was stored")\
            from exc


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on error) on one connection;
    SQLite's failures leave it as :func:`sqlite_errors` says."""

    def __init__(self, db: sqlite3.Connection, data_dir: Path) -> None:
        self.db = db
        self.data_dir = data_dir

    def __enter__(self) -> sqlite3.Connection:
        with sqlite_errors(self.data_dir):
            self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        with sqlite_errors(self.data_dir):
            try:
                if exc_type is None:
                    self.db.execute("COMMIT")
            finally:
                if self.db.in_transaction:  # a failed COMMIT may have ended it already
                    self.db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):
            with sqlite_errors(self.data_dir):
                raise exc
