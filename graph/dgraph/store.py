"""The Dgraph backend: hash-chain entries, their indexes and graph edges in Dgraph (gRPC, DQL).

An append is one Dgraph transaction (``writes.py``): a query reads the trace's chain head
and what the batch's ids and edges refer to, the append plan
(:mod:`tracegraph.graph.append_plan`) seals the items, and one N-Quads mutation stores every
entry, node and edge and rewrites the head (``trace.entry_count``, ``trace.head_hash``...)
with ``commit_now``. Dgraph aborts the later of two transactions that write the same key,
and every append to a trace writes that trace's head, so two appends can never both take
one seq: the loser gets ``AbortedError`` and is retried from the start (with backoff),
reading the new head. Retries are idempotent because every id is fixed before the first
attempt, and ``@upsert`` on the tenant-scoped keys (``trace.key``, ``entry.key``,
``node.key``, ``tomb.key``; ``keys.py``) makes concurrent writers of one id in one tenant
conflict too; every lookup by id goes through these keys, so tenants never share one.

Dgraph has no way to refuse a mutation of stored data (no triggers, no immutable
predicates), so sealed entries are protected by verification only: reads rebuild every
entry from its stored predicates and ``verify_entries`` recomputes the hashes.

Every trace this code starts is *packed* (``trace.packed``): its entries keep their record
in a few predicates (``codec.py``), which the alpha writes and reads back in a fraction of
the work of one predicate per field; traces started before keep their per-field layout.

Queries live in ``dql.py``; record fields map to predicates in ``codec.py``; result nodes
become rows in ``nodes.py``; paths and lineage are answered in ``graph_queries.py``; held
items (OTLP spans waiting for their parent) are kept by ``pending.py``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import orjson
import pydgraph
from tracegraph.graph.log_plan import LogHead
from tracegraph.graph.protocol import (
    Direction,
    Edge,
    LineageResult,
    NodeKind,
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
from tracegraph.schema.errors import BackendUnavailable, ChainConflict
from tracegraph.schema.merkle_leaf import EntryLeaf
from tracegraph.schema.merkle_tree import NodeId

from . import dql, graph_queries, log, writes
from . import pending as pend
from . import vectors as vec
from .keys import entry_key, keys, migrate
from .nodes import (
    EDGE_TYPE_OF,
    edge_order,
    entries_by_ref,
    entry_of,
    many,
    merged_entries,
    owner_of,
    trace_row,
)

T = TypeVar("T")
logger = logging.getLogger("tracegraph.graph.dgraph")

_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 512 * 1024 * 1024),
    ("grpc.max_send_message_length", 512 * 1024 * 1024),
]


def _unreachable(exc: Exception) -> bool:
    """True for errors that mean the alpha cannot be reached right now (down, restarting)."""
    if isinstance(exc, pydgraph.errors.ConnectionError):
        return True
    code = getattr(exc, "code", None)  # a grpc.RpcError: its StatusCode
    return callable(code) and getattr(code(), "name", None) == "UNAVAILABLE"


#: Alphas this process has applied the schema (and the key migration, ``keys.py``) to. An
#: alter waits for every pending transaction of the cluster to finish ("Pending transactions
#: found"), so a process that opens many stores (a server's workers, a test session) alters
#: once per alpha; the schema lives in the cluster and survives restarts.
_SCHEMA_APPLIED: set[str] = set()


class DgraphStore(pend.DgraphPending, vec.DgraphVectors):
    """GraphStore on a Dgraph cluster reached over gRPC at ``addr`` (an alpha)."""

    backend_name = "dgraph"

    def __init__(
        self,
        addr: str = "127.0.0.1:9080",
        *,
        timeout: float = 60.0,
        max_attempts: int = 200,
        retry_deadline: float = 120.0,
        reconnect_timeout: float = 30.0,
    ) -> None:
        """Connect to the alpha at ``addr`` and apply the schema (idempotent).

        ``timeout`` bounds each request; an append conflicting with concurrent appends is
        retried up to ``max_attempts`` times within ``retry_deadline`` seconds; an alpha that
        is unreachable (restarting) is waited for up to ``reconnect_timeout`` seconds before
        ``BackendUnavailable``.
        """
        self.addr = addr
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_deadline = retry_deadline
        self.reconnect_timeout = reconnect_timeout
        self._vector_count_cache: dict[tuple[str, str], tuple[int, int, float]] = {}
        self._stub = pydgraph.DgraphClientStub(addr, options=_GRPC_OPTIONS)
        self._client = pydgraph.DgraphClient(self._stub)
        if addr in _SCHEMA_APPLIED:
            return
        try:
            if not self._retrying(self._schema_in_place):
                self._retrying(lambda: self._client.alter(
                    pydgraph.Operation(schema=dql.SCHEMA), timeout=timeout))
            if not self._retrying(lambda: pend.schema_in_place(self._query)):  # held items
                self._retrying(lambda: self._client.alter(
                    pydgraph.Operation(schema=pend.SCHEMA), timeout=timeout))
            migrated = migrate(self._client, self._read, timeout)  # data from before the keys
            if migrated:
                logger.info("Dgraph at %s: keyed %d traces and tombstones by tenant",
                            addr, migrated)
            _SCHEMA_APPLIED.add(addr)
        except Exception as exc:
            self._stub.close()
            if isinstance(exc, BackendUnavailable):
                raise
            raise BackendUnavailable(
                f"Dgraph at {addr} refused the schema or its key migration "
                f"({type(exc).__name__}: {str(exc)[:300]})"
            ) from exc

    def close(self) -> None:
        self._stub.close()

    def _schema_in_place(self) -> bool:
        """True when the cluster already has our predicates and types exactly (reads only:
        an alter, even one that changes nothing, waits for every pending transaction)."""
        query = self._query
        have = {p.pop("predicate"): p for p in query(dql.SCHEMA_PREDICATES).get("schema", [])
                if not p["predicate"].startswith(vec.PREFIX)}  # (vectors: their own schema)
        for spec in have.values():
            if "tokenizer" in spec:
                spec["tokenizer"] = sorted(spec["tokenizer"])
        if have != dql.expected_predicates():
            return False
        types = {t["name"]: {f["name"] for f in t.get("fields", [])}
                 for t in query(dql.SCHEMA_TYPES).get("types", []) if t["name"] != vec.TYPE}
        return types == dql.expected_types()

    def _query(self, text: str) -> dict[str, Any]:
        """Run a read-only query without variables (a schema query), once."""
        resp = self._client.txn(read_only=True).query(text, timeout=self.timeout)
        got: dict[str, Any] = orjson.loads(resp.json)
        return got

    # -- transport ------------------------------------------------------------------------------
    def _read(self, query: str, values: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
        """Run a read-only query (linearizable: it sees every committed append)."""
        text, variables = dql.bind(query, values)
        resp = self._retrying(lambda: self._client.txn(read_only=True).query(
            text, variables=variables, timeout=self.timeout))
        result: dict[str, Any] = orjson.loads(resp.json)
        return result

    def _retrying(self, call: Callable[[], T]) -> T:
        """Run an idempotent call, retried while Dgraph says retry or cannot be reached."""
        deadline = time.monotonic() + self.reconnect_timeout
        delay = 0.01
        while True:
            try:
                return call()
            except Exception as exc:
                if not (_unreachable(exc) or isinstance(exc, pydgraph.errors.RetriableError)):
                    raise
                if time.monotonic() + delay > deadline:
                    raise self._unavailable(exc) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        details = getattr(exc, "details", None)  # a grpc.RpcError says why in one line
        why = " ".join(str(details() if callable(details) else exc).split())[:200]
        return BackendUnavailable(f"Dgraph at {self.addr} is unreachable ({why}); "
                                  "start one with: scripts/dgraph start")

    # -- writes ---------------------------------------------------------------------------------
    def append(
        self, tenant_id: str, trace_id: str, items: Sequence[tuple[str, dict[str, Any]]],
        *, expected_seq: int | None = None,
    ) -> list[ChainEntry]:
        if not items:
            return []
        return self._transact(trace_id, lambda txn: writes.append(
            txn, self.timeout, tenant_id, trace_id, items, expected_seq))

    def _transact(self, trace_id: str, body: Callable[[pydgraph.Txn], T]) -> T:
        """Run ``body`` in a fresh transaction until it commits without a conflict."""
        deadline = time.monotonic() + self.retry_deadline
        unreachable_since: float | None = None
        delay = 0.002
        for attempt in range(self.max_attempts):
            txn = self._client.txn()
            try:
                return body(txn)
            except (pydgraph.errors.AbortedError, pydgraph.errors.RetriableError):
                if attempt + 1 >= self.max_attempts or time.monotonic() > deadline:
                    break
                time.sleep(random.uniform(0, delay))
                delay = min(delay * 2, 0.25)
            except Exception as exc:
                # An unreachable (restarting) alpha: the same ids make the retry idempotent.
                if not _unreachable(exc):
                    raise
                now = time.monotonic()
                unreachable_since = unreachable_since or now
                if now - unreachable_since > self.reconnect_timeout:
                    raise self._unavailable(exc) from exc
                time.sleep(min(0.05 * 2 ** min(attempt, 5), 1.0))
            finally:
                with contextlib.suppress(Exception):  # a finished or dead txn
                    txn.discard(timeout=self.timeout)
        raise ChainConflict(f"trace {trace_id}: the write kept conflicting with concurrent "
                            f"writes ({self.max_attempts} attempts); retry")

    # -- retention ----------------------------------------------------------------------------
    def remove_trace(self, tenant_id: str, trace_id: str, tombstone: Tombstone) -> None:
        """Delete the trace and everything pointing to it, leave the tombstone
        (:func:`.writes.remove`), in one transaction."""
        self._transact(trace_id, lambda txn: writes.remove(
            txn, self.timeout, tenant_id, trace_id, tombstone))
        self._remove_vectors(tenant_id, trace_id)

    def restore_tombstone(self, tenant_id: str, removed: Sequence[EntryLeaf],
                          tombstone: Tombstone) -> bool:
        return self._transact(tombstone.trace_id, lambda txn: writes.restore_tombstone(
            txn, self.timeout, tenant_id, removed, tombstone))

    # -- the tenant Merkle log (LogStore; log.py, log_dql.py) ------------------------------------
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
        self._transact(tenant_id, lambda txn: log.add_checkpoint(
            txn, self.timeout, tenant_id, checkpoint))

    def checkpoints(self, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
        return log.checkpoints(self._read, tenant_id, limit)

    # -- reads ------------------------------------------------------------------------------------
    def get_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, TraceRow]:
        ids = list(dict.fromkeys(trace_ids))
        if not ids:
            return {}
        got = self._read(dql.GET_TRACES, {"keys": keys(tenant_id, ids)})
        rows = {n["trace.id"]: trace_row(n) for n in got.get("t", [])}
        return {t: rows[t] for t in ids if t in rows}

    def list_traces(
        self, tenant_id: str, flt: TraceFilter, limit: int, after: TraceCursor | None = None,
        *, ascending: bool = False,
    ) -> list[TraceRow]:
        values: dict[str, str | Sequence[str]] = {"tenant": tenant_id, "limit": str(limit)}
        used: list[str] = []
        for name, value in (("session", flt.session_id), ("parent", flt.parent_trace_id),
                            ("agent", flt.agent_id), ("model", flt.model_id),
                            ("status", flt.status), ("outcome", flt.outcome),
                            ("after", flt.created_after), ("before", flt.created_before)):
            if value is not None:
                used.append(name)
                values[name] = value
        if flt.roots_only:
            used.append("roots")
        if after is not None:
            used.append("cursor_asc" if ascending else "cursor")
            values["cur_time"] = after.created_at
            values["cur_id"] = after.trace_id
        if limit < 1:
            return []
        got = self._read(dql.list_traces_query(used, ascending=ascending), values)
        return [trace_row(n) for n in got.get("t", [])]

    def entries(
        self, tenant_id: str, trace_ids: Sequence[str], kinds: frozenset[str] | None = None
    ) -> Mapping[str, list[ChainEntry]]:
        ids = list(dict.fromkeys(trace_ids))
        out: dict[str, list[ChainEntry]] = {t: [] for t in ids}
        if not ids:
            return out
        got = self._read(dql.entries_query(kinds), {"keys": keys(tenant_id, ids)})
        for t in [*got.get("p", []), *got.get("t", [])]:
            trace_id = t["trace.id"]
            out[trace_id] = [
                entry_of(n, trace_id) for n in merged_entries(t)
                if kinds is None or n.get("entry.kind") in kinds
            ]
        return out

    def entries_at(
        self, tenant_id: str, refs: Sequence[tuple[str, int]]
    ) -> Mapping[tuple[str, int], ChainEntry]:
        wanted = list(dict.fromkeys(refs))
        if not wanted:
            return {}
        got = self._read(dql.ENTRIES_AT,
                         {"keys": [entry_key(tenant_id, t, s) for t, s in wanted]})
        return entries_by_ref(tenant_id, merged_entries(got), set(wanted))

    def children(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, list[str]]:
        ids = list(dict.fromkeys(trace_ids))
        out: dict[str, list[str]] = {t: [] for t in ids}
        if not ids:
            return out
        got = self._read(dql.CHILDREN, {"tenant": tenant_id, "keys": keys(tenant_id, ids)})
        for t in got.get("t", []):
            out[t["trace.id"]] = [k["trace.id"] for k in t.get("kids", [])]
        return out

    def resolve(self, tenant_id: str, node_ids: Sequence[str]) -> Mapping[str, NodeRef]:
        return {k: ref for k, (ref, _uid) in self._locate(tenant_id, node_ids).items()}

    def _locate(self, tenant_id: str, node_ids: Sequence[str]
                ) -> dict[str, tuple[NodeRef, str]]:
        """Where each id lives, and its Dgraph uid; chain records win over traces."""
        ids = list(dict.fromkeys(node_ids))
        if not ids:
            return {}
        got = self._read(dql.RESOLVE, {"keys": keys(tenant_id, ids)})
        out: dict[str, tuple[NodeRef, str]] = {}
        for t in got.get("t", []):
            if t.get("trace.tenant") == tenant_id:
                out[t["trace.id"]] = (NodeRef(t["trace.id"], "trace", t["trace.id"]), t["uid"])
        for n in got.get("n", []):
            owner = owner_of(n)
            if owner is None or owner[0] != tenant_id:
                continue
            kind: NodeKind
            if "entry.kind" in n:
                kind = n["entry.kind"]
                seq = n.get("entry.seq")
            else:
                kind = "alternative"
                seq = n["alt"][0].get("entry.seq")
            out[n["node.id"]] = (NodeRef(n["node.id"], kind, owner[1], seq), n["uid"])
        return {k: out[k] for k in ids if k in out}

    def edges(
        self, tenant_id: str, node_ids: Sequence[str], direction: Literal["out", "in"]
    ) -> Mapping[str, list[Edge]]:
        """Edges leaving or entering each node, in the order their entries were appended.

        The embedded store lists edges in insertion order; here each edge is ordered by the
        entry that made it (its ``created_at``, trace and seq, then its place among that
        entry's edges), which is the same order within a trace.
        """
        ids = list(dict.fromkeys(node_ids))
        out: dict[str, list[Edge]] = {n: [] for n in ids}
        if not ids:
            return out
        query = dql.EDGES_OUT if direction == "out" else dql.EDGES_IN
        got = self._read(query, {"keys": keys(tenant_id, ids)})
        found: dict[str, list[tuple[tuple[Any, ...], Edge]]] = {}
        for node in [*got.get("n", []), *got.get("t", [])]:
            owner = owner_of(node)
            if owner is None or owner[0] != tenant_id:
                continue
            me = node.get("node.id") or node["trace.id"]
            acc = found.setdefault(me, [])
            for pred, edge_type in EDGE_TYPE_OF.items():
                key = pred if direction == "out" else f"~{pred}"
                for other in many(node.get(key)):
                    o = owner_of(other)
                    if o is None or o[0] != tenant_id:
                        continue
                    other_id = other.get("node.id") or other.get("trace.id")
                    if other_id is None:
                        continue
                    src, dst = (node, other) if direction == "out" else (other, node)
                    edge = Edge(me if src is node else other_id,
                                other_id if src is node else me, edge_type)
                    acc.append((edge_order(edge, src, dst), edge))
        for n in ids:
            out[n] = [e for _, e in sorted(found.get(n, []), key=lambda x: x[0])]
        return out

    def tenants(self) -> list[str]:
        got = self._read(dql.TENANTS, {})
        found = {str(g[pred]) for name, pred in (("t", "trace.tenant"), ("x", "tomb.tenant"))
                 for block in got.get(name, []) for g in block.get("@groupby", [])
                 if g.get(pred)}
        return sorted(found)

    def tombstones(self, tenant_id: str, session_id: str) -> list[Tombstone]:
        got = self._read(dql.TOMBSTONES, {"tenant": tenant_id, "session": session_id})
        got["t"] = sorted(got.get("t", []), key=lambda t: (t.get("tomb.removed_at", ""),
                                                          t.get("tomb.trace_id", "")))
        return [
            Tombstone(
                tenant_id=t["tomb.tenant"], trace_id=t["tomb.trace_id"],
                session_id=t["tomb.session"], entry_count=t.get("tomb.entry_count", 0),
                final_hash=t.get("tomb.final_hash", ""), removed_at=t.get("tomb.removed_at", ""),
                hash=t.get("tomb.hash", ""),
            )
            for t in got.get("t", [])
        ]

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
        known = self._locate(tenant_id, [from_id, to_id])
        return graph_queries.paths(self._read, known, from_id, to_id, mode, max_length, limit)

    def lineage(
        self,
        tenant_id: str,
        node_id: str,
        direction: Direction = "BOTH",
        max_depth: int = 50,
        limit: int = 10_000,
    ) -> LineageResult:
        known = self._locate(tenant_id, [node_id])
        return graph_queries.lineage(self._read, known, node_id, direction, max_depth, limit)
