"""The Dgraph backend: hash-chain entries, their indexes and graph edges in Dgraph (gRPC, DQL).

An append is one Dgraph transaction: a query reads the trace's chain head and what the
batch's ids and edges refer to, the items are sealed, and one N-Quads mutation stores every
entry, node and edge and rewrites the head (``trace.entry_count``, ``trace.head_hash``...)
with ``commit_now``. Dgraph aborts the later of two transactions that write the same key,
and every append to a trace writes that trace's head, so two appends can never both take
one seq: the loser gets ``AbortedError`` and is retried from the start (with backoff),
reading the new head. Retries are idempotent because every id is fixed before the first
attempt, and ``@upsert`` on ``trace.id``, ``entry.key`` and ``node.id`` makes concurrent
writers of one id conflict too.

Dgraph has no way to refuse a mutation of stored data (no triggers, no immutable
predicates), so sealed entries are protected by verification only: reads rebuild every
entry from its stored predicates and ``verify_chain`` recomputes the hashes.

Every trace this code starts is *packed* (``trace.packed``): its entries keep their record
in a few predicates (``codec.py``), which the alpha writes and reads back in a fraction of
the work of one predicate per field; traces started before keep their per-field layout.

Queries live in ``dql.py``; record fields map to predicates in ``codec.py``.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import networkx as nx
import orjson
import pydgraph
from pydgraph.proto import api_pb2 as api
from tracegraph.graph import algorithms
from tracegraph.graph.algorithms.flow import add_flow_edges
from tracegraph.graph.protocol import (
    Direction,
    Edge,
    EdgeType,
    LineageResult,
    NodeKind,
    NodeRef,
    PathMode,
    PathSearch,
    Tombstone,
    TraceCursor,
    TraceFilter,
    TraceRow,
)
from tracegraph.schema.chain import GENESIS_PREV_HASH, ChainEntry, seal_many
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.errors import (
    AlreadyExists,
    BackendUnavailable,
    ChainConflict,
    InvalidInput,
    TraceClosed,
    TraceNotFound,
)

from . import dql
from .codec import decode_record
from .nquads import NQuads, node_ref

T = TypeVar("T")

_ID_FIELD = {
    EntryKind.STEP: "step_id",
    EntryKind.API_CALL: "call_id",
    EntryKind.HUMAN_INPUT: "input_id",
}
_NODE_TYPE = {
    EntryKind.STEP: "Step",
    EntryKind.API_CALL: "ApiCall",
    EntryKind.HUMAN_INPUT: "HumanInput",
}
_EDGE_TYPE_OF: dict[str, EdgeType] = {p: t for t, p in dql.EDGE_PREDICATES.items()}
#: A flow-view predicate read from the cause side -> (stored type, stored src is the cause).
_FLOW_STORED: dict[str, tuple[EdgeType, bool]] = {
    p.lstrip("~"): (_EDGE_TYPE_OF[p.lstrip("~")], not p.startswith("~")) for p in dql.FLOW_DOWN
}
_FLOW_PREDS = tuple(p for p in dql.FLOW_DOWN)
#: Position of an edge type among the edges one entry makes (``edges_for`` order).
_EDGE_RANK: dict[str, int] = {
    "CHILD_OF": 0, "SPAWNED": 1, "HAS_STEP": 0, "NEXT": 1, "DEPENDS_ON": 2, "CONSIDERED": 3,
    "CALLED": 0, "ASKED": 0,
}
#: A huge @recurse depth: no bound (loop: false stops the walk when no new edge is left).
_UNBOUNDED = 1 << 30
#: Depths an unbounded shortest-path search tries before the unbounded one.
_SHORTEST_DEPTHS = (8, 64, 512)
_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 512 * 1024 * 1024),
    ("grpc.max_send_message_length", 512 * 1024 * 1024),
]


def _uid(ref: str) -> dict[str, str]:
    return {"uid": ref}


def _unreachable(exc: Exception) -> bool:
    """True for errors that mean the alpha cannot be reached right now (down, restarting)."""
    if isinstance(exc, pydgraph.errors.ConnectionError):
        return True
    code = getattr(exc, "code", None)  # a grpc.RpcError: its StatusCode
    return callable(code) and getattr(code(), "name", None) == "UNAVAILABLE"


def _many(value: Any) -> list[dict[str, Any]]:
    """Nodes of a uid predicate as a list (Dgraph returns a single uid predicate as an object)."""
    if not value:
        return []
    return [value] if isinstance(value, dict) else list(value)


def _entry(node: dict[str, Any], trace_id: str) -> ChainEntry:
    """Rebuild a chain entry from the predicates of its node (missing ones fail verification)."""
    return ChainEntry(
        tenant_id=node.get("entry.tenant", ""),
        trace_id=trace_id,
        seq=node.get("entry.seq", -1),
        prev_hash=node.get("entry.prev_hash", ""),
        kind=node.get("entry.kind", ""),
        record=decode_record(node),
        hash=node.get("entry.hash", ""),
        version=node.get("entry.version", 0),
    )


def _merged_entries(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Entry nodes of the per-type blocks (``e_*``) of a result, in stored seq order."""
    nodes = [n for key, block in result.items() if key.startswith("e_") for n in block]
    nodes.sort(key=lambda n: (n.get("entry.seq", -1), int(n["uid"], 16)))
    return nodes


def _trace_row(node: dict[str, Any]) -> TraceRow:
    trace_id = node["trace.id"]
    start = node.get("trace.start")
    end = node.get("trace.end")
    return TraceRow(
        tenant_id=node["trace.tenant"],
        trace_id=trace_id,
        status=node.get("trace.status", ""),
        entry_count=node.get("trace.entry_count", 0),
        head_hash=node.get("trace.head_hash", GENESIS_PREV_HASH),
        started=decode_record(start) if start else {},
        completed=decode_record(end) if end else None,
    )


def _owner(node: dict[str, Any]) -> tuple[str, str] | None:
    """(tenant, trace id) of a node read with ``entry.trace`` / ``trace.tenant`` / ``alt``."""
    if "trace.id" in node and "trace.tenant" in node:
        return node["trace.tenant"], node["trace.id"]
    owner = node.get("entry.trace")
    if owner is None and node.get("alt"):
        owner = node["alt"][0].get("entry.trace")
    if owner and "trace.tenant" in owner:
        return owner["trace.tenant"], owner["trace.id"]
    return None


#: Alphas this process has applied the schema to. An alter waits for every pending
#: transaction of the cluster to finish ("Pending transactions found"), so a process that
#: opens many stores (a server's workers, a test session) alters once per alpha; the schema
#: lives in the cluster and survives restarts.
_SCHEMA_APPLIED: set[str] = set()


class DgraphStore:
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
        self._stub = pydgraph.DgraphClientStub(addr, options=_GRPC_OPTIONS)
        self._client = pydgraph.DgraphClient(self._stub)
        if addr in _SCHEMA_APPLIED:
            return
        try:
            if not self._retrying(self._schema_in_place):
                self._retrying(lambda: self._client.alter(
                    pydgraph.Operation(schema=dql.SCHEMA), timeout=timeout))
            _SCHEMA_APPLIED.add(addr)
        except Exception as exc:
            self._stub.close()
            if isinstance(exc, BackendUnavailable):
                raise
            raise BackendUnavailable(
                f"Dgraph at {addr} refused the schema ({type(exc).__name__}: {str(exc)[:300]})"
            ) from exc

    def close(self) -> None:
        self._stub.close()

    def _schema_in_place(self) -> bool:
        """True when the cluster already has our predicates and types exactly (reads only:
        an alter, even one that changes nothing, waits for every pending transaction)."""
        def query(text: str) -> dict[str, Any]:
            resp = self._client.txn(read_only=True).query(text, timeout=self.timeout)
            got: dict[str, Any] = orjson.loads(resp.json)
            return got

        have = {p.pop("predicate"): p for p in query(dql.SCHEMA_PREDICATES).get("schema", [])}
        for spec in have.values():
            if "tokenizer" in spec:
                spec["tokenizer"] = sorted(spec["tokenizer"])
        if have != dql.expected_predicates():
            return False
        types = {t["name"]: {f["name"] for f in t.get("fields", [])}
                 for t in query(dql.SCHEMA_TYPES).get("types", [])}
        return types == dql.expected_types()

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
        plan = _AppendPlan(tenant_id, trace_id, items, expected_seq)
        return self._transact(trace_id, lambda txn: plan.run(self, txn))

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

    def _query_txn(self, txn: pydgraph.Txn, query: str,
                   values: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
        text, variables = dql.bind(query, values)
        resp = txn.query(text, variables=variables, timeout=self.timeout)
        result: dict[str, Any] = orjson.loads(resp.json)
        return result

    def _commit(self, txn: pydgraph.Txn, objects: list[dict[str, Any]],
                deletions: list[dict[str, Any]] | None = None) -> None:
        """One request: delete ``deletions``, set ``objects`` and commit (JSON mutations)."""
        mutations = []
        if deletions:
            mutations.append(api.Mutation(delete_json=orjson.dumps(deletions)))
        mutations.append(api.Mutation(set_json=orjson.dumps(objects)))
        request = txn.create_request(mutations=mutations, commit_now=True)
        txn.do_request(request, timeout=self.timeout)

    def _commit_nquads(self, txn: pydgraph.Txn, quads: NQuads) -> None:
        """Set the N-Quads and commit, in one request."""
        mutation = api.Mutation(set_nquads=quads.text())
        txn.do_request(txn.create_request(mutations=[mutation], commit_now=True),
                       timeout=self.timeout)

    # -- retention ----------------------------------------------------------------------------
    def remove_trace(self, tenant_id: str, trace_id: str, tombstone: Tombstone) -> None:
        """Delete the trace, its entries, nodes and every edge touching them; add the tombstone.

        One transaction: a query finds the nodes and the edges that reach them from outside
        the trace (a dependent step elsewhere, a child trace, the spawning step), one request
        deletes them all and sets the tombstone, and commits.
        """

        def remove(txn: pydgraph.Txn) -> None:
            got = self._query_txn(txn, dql.REMOVAL, {"trace": trace_id})
            traces = [t for t in got.get("t", []) if t.get("trace.tenant") == tenant_id]
            if not traces:
                raise TraceNotFound(f"trace {trace_id} not found")
            trace = traces[0]
            doomed = [trace["uid"]]
            inbound: list[tuple[str, str, str]] = []  # (src uid, predicate, dst uid)
            for pred in dql.EDGE_PREDICATES.values():
                inbound.extend((src["uid"], pred, trace["uid"])
                               for src in _many(trace.get(f"~{pred}")))
            for e in _many(trace.get("e")):
                doomed.append(e["uid"])
                doomed.extend(a["uid"] for a in _many(e.get("edge.considered")))
                for pred in dql.EDGE_PREDICATES.values():
                    inbound.extend((src["uid"], pred, e["uid"])
                                   for src in _many(e.get(f"~{pred}")))
            gone = set(doomed)
            deletions: list[dict[str, Any]] = [{"uid": u} for u in doomed]
            deletions.extend({"uid": src, pred: [_uid(dst)]}
                             for src, pred, dst in inbound if src not in gone)
            t = tombstone
            self._commit(txn, [{
                "uid": "_:tomb", "dgraph.type": "Tombstone", "tomb.trace_id": t.trace_id,
                "tomb.tenant": t.tenant_id, "tomb.session": t.session_id,
                "tomb.entry_count": t.entry_count, "tomb.final_hash": t.final_hash,
                "tomb.removed_at": t.removed_at, "tomb.hash": t.hash,
            }], deletions)

        self._transact(trace_id, remove)

    # -- reads ------------------------------------------------------------------------------------
    def get_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, TraceRow]:
        ids = list(dict.fromkeys(trace_ids))
        if not ids:
            return {}
        got = self._read(dql.GET_TRACES, {"tenant": tenant_id, "ids": ids})
        rows = {n["trace.id"]: _trace_row(n) for n in got.get("t", [])}
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
        return [_trace_row(n) for n in got.get("t", [])]

    def entries(
        self, tenant_id: str, trace_ids: Sequence[str], kinds: frozenset[str] | None = None
    ) -> Mapping[str, list[ChainEntry]]:
        ids = list(dict.fromkeys(trace_ids))
        out: dict[str, list[ChainEntry]] = {t: [] for t in ids}
        if not ids:
            return out
        got = self._read(dql.entries_query(kinds), {"tenant": tenant_id, "ids": ids})
        for t in [*got.get("p", []), *got.get("t", [])]:
            trace_id = t["trace.id"]
            out[trace_id] = [
                _entry(n, trace_id) for n in _merged_entries(t)
                if kinds is None or n.get("entry.kind") in kinds
            ]
        return out

    def entries_at(
        self, tenant_id: str, refs: Sequence[tuple[str, int]]
    ) -> Mapping[tuple[str, int], ChainEntry]:
        wanted = list(dict.fromkeys(refs))
        if not wanted:
            return {}
        got = self._read(dql.ENTRIES_AT, {"keys": [f"{t}:{s}" for t, s in wanted]})
        return self._entries_by_ref(tenant_id, _merged_entries(got), set(wanted))

    @staticmethod
    def _entries_by_ref(tenant_id: str, nodes: list[dict[str, Any]],
                        wanted: set[tuple[str, int]]) -> dict[tuple[str, int], ChainEntry]:
        out: dict[tuple[str, int], ChainEntry] = {}
        for n in nodes:
            owner = _owner(n)
            if owner is None or owner[0] != tenant_id:
                continue
            trace_id, _, seq = n["entry.key"].rpartition(":")
            ref = (trace_id, int(seq))
            if ref in wanted and trace_id == owner[1]:
                out[ref] = _entry(n, trace_id)
        return out

    def children(self, tenant_id: str, trace_ids: Sequence[str]) -> Mapping[str, list[str]]:
        ids = list(dict.fromkeys(trace_ids))
        out: dict[str, list[str]] = {t: [] for t in ids}
        if not ids:
            return out
        got = self._read(dql.CHILDREN, {"tenant": tenant_id, "ids": ids})
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
        got = self._read(dql.RESOLVE, {"ids": ids})
        out: dict[str, tuple[NodeRef, str]] = {}
        for t in got.get("t", []):
            if t.get("trace.tenant") == tenant_id:
                out[t["trace.id"]] = (NodeRef(t["trace.id"], "trace", t["trace.id"]), t["uid"])
        for n in got.get("n", []):
            owner = _owner(n)
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
        got = self._read(query, {"ids": ids})
        found: dict[str, list[tuple[tuple[Any, ...], Edge]]] = {}
        for node in [*got.get("n", []), *got.get("t", [])]:
            owner = _owner(node)
            if owner is None or owner[0] != tenant_id:
                continue
            me = node.get("node.id") or node["trace.id"]
            acc = found.setdefault(me, [])
            for pred, edge_type in _EDGE_TYPE_OF.items():
                key = pred if direction == "out" else f"~{pred}"
                for other in _many(node.get(key)):
                    o = _owner(other)
                    if o is None or o[0] != tenant_id:
                        continue
                    other_id = other.get("node.id") or other.get("trace.id")
                    if other_id is None:
                        continue
                    src, dst = (node, other) if direction == "out" else (other, node)
                    edge = Edge(me if src is node else other_id,
                                other_id if src is node else me, edge_type)
                    acc.append((_edge_order(edge, src, dst), edge))
        for n in ids:
            out[n] = [e for _, e in sorted(found.get(n, []), key=lambda x: x[0])]
        return out

    def tenants(self) -> list[str]:
        groups = [g for block in self._read(dql.TENANTS, {}).get("t", [])
                  for g in block.get("@groupby", [])]
        return sorted(str(g["trace.tenant"]) for g in groups if g.get("trace.tenant"))

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
    # Dgraph finds the nodes (``@recurse`` with a depth, deepening for an unbounded shortest
    # path); the answer is then computed by the reference functions of
    # tracegraph.graph.algorithms on that fetched subgraph, because DQL cannot express the
    # tie-break order (paths by node id sequence) nor the lineage node order. The subgraph
    # holds every node within the bound with every flow edge among them, so breadth-first
    # depths and the paths within the bound are the same as on the whole graph.
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
        trivial = algorithms.trivial_paths(known, from_id, to_id)
        if trivial is not None:
            return trivial
        src, dst = known[from_id][1], known[to_id][1]
        if (max_length is not None and max_length < 1) or mode not in ("SHORTEST", "ALL_SIMPLE") \
                or limit < 1:  # the reference says what is wrong, or that nothing fits
            return algorithms.find_paths(algorithms.nodes_only(from_id, to_id), from_id, to_id,
                                         mode, max_length, limit)
        if max_length is not None:
            depths = [max_length]
        elif mode == "SHORTEST":
            # Unbounded: subgraphs of growing depth until one holds a path. A subgraph of
            # depth L holds every path of length <= L, so the first path found there is the
            # reference's shortest. (Not Dgraph's ``shortest``: it enumerates equal paths,
            # and a ladder of 30 rungs, 2**29 shortest paths, ran past a 60 s deadline.)
            depths = [*_SHORTEST_DEPTHS, _UNBOUNDED]
        else:
            depths = [_UNBOUNDED]
        for depth in depths:
            got = self._read(dql.PATH_SUBGRAPH, {"from": src, "to": dst, "depth": str(depth)})
            graph = _flow_subgraph(got.get("nodes", []))
            graph.add_nodes_from((from_id, to_id))
            found = algorithms.find_paths(graph, from_id, to_id, mode, max_length, limit)
            if found.paths:
                break
        return found

    def lineage(
        self,
        tenant_id: str,
        node_id: str,
        direction: Direction = "BOTH",
        max_depth: int = 50,
        limit: int = 10_000,
    ) -> LineageResult:
        known = self._locate(tenant_id, [node_id])
        if node_id not in known:
            return LineageResult(node_id, [], [], False)
        query = dql.LINEAGE.get(direction)
        if query is None or max_depth < 1 or limit < 1:  # the reference says what is wrong
            return algorithms.lineage(algorithms.nodes_only(node_id), node_id, direction,
                                      max_depth, limit)
        got = self._read(query, {"start": known[node_id][1], "depth": str(max_depth)})
        graph = _flow_subgraph(got.get("nodes", []))
        graph.add_node(node_id)
        return algorithms.lineage(graph, node_id, direction, max_depth, limit)


def _flow_subgraph(nodes: list[dict[str, Any]]) -> nx.DiGraph:
    """The flow view of fetched nodes: their flow edges whose two ends were both fetched."""
    ids: dict[str, str] = {}
    for n in nodes:
        node_id = n.get("node.id") or n.get("trace.id")
        if node_id is not None:
            ids[n["uid"]] = node_id
    stored: list[Edge] = []
    for n in nodes:
        cause = ids.get(n["uid"])
        if cause is None:
            continue
        for pred in _FLOW_PREDS:
            targets = _many(n.get(pred))
            if not targets:
                continue
            edge_type, forward = _FLOW_STORED[pred.lstrip("~")]
            for t in targets:
                effect = ids.get(t["uid"])
                if effect is None:
                    continue
                stored.append(Edge(cause, effect, edge_type) if forward
                              else Edge(effect, cause, edge_type))
    graph = nx.DiGraph()
    graph.add_nodes_from(ids.values())
    add_flow_edges(graph, stored)
    return graph


def _made_by(node: dict[str, Any]) -> tuple[str, str, int]:
    """(created_at, trace id, seq) of the entry a node is (traces: their start entry)."""
    if "trace.id" in node:
        start = node.get("trace.start") or {}
        return start.get("rec.created_at", ""), node["trace.id"], start.get("entry.seq", 0)
    owner = _owner(node)
    return node.get("rec.created_at", ""), owner[1] if owner else "", node.get("entry.seq", 0)


def _edge_order(edge: Edge, src: dict[str, Any], dst: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key of an edge: the entry that made it, then its place among that entry's edges."""
    maker = src if edge.type in ("DEPENDS_ON", "CONSIDERED", "CHILD_OF") else dst
    place = 0
    if edge.type == "DEPENDS_ON":
        deps = orjson.loads(src.get("rec.depends_on", "[]"))
        place = deps.index(edge.dst) if edge.dst in deps else len(deps)
    elif edge.type == "CONSIDERED":
        place = int(edge.dst.rpartition("#alt")[2] or 0)
    return (*_made_by(maker), _EDGE_RANK[edge.type], place, edge.src, edge.dst)


class _AppendPlan:
    """One append: the items and what each attempt derives from the head it reads."""

    def __init__(self, tenant_id: str, trace_id: str,
                 items: Sequence[tuple[str, dict[str, Any]]], expected_seq: int | None) -> None:
        self.expected_seq = expected_seq
        self.tenant_id = tenant_id
        self.trace_id = trace_id
        self.items = [(EntryKind(kind), record) for kind, record in items]
        self.starting = self.items[0][0] == EntryKind.TRACE_STARTED
        self.ids: list[str] = []  # ids of chain records in the batch, in order
        for kind, record in self.items:
            key = _ID_FIELD.get(kind)
            if key is not None:
                self.ids.append(record[key])
        batch = set(self.ids)
        refs: dict[str, None] = {}
        self.parent: str | None = None
        for kind, record in self.items:
            if kind == EntryKind.TRACE_STARTED:
                self.parent = record.get("parent_trace_id")
                if "spawned_by_step_id" in record:
                    refs[record["spawned_by_step_id"]] = None
            elif kind == EntryKind.STEP:
                for dep in record.get("depends_on", ()):
                    if dep not in batch:
                        refs[dep] = None
            elif "step_id" in record and record["step_id"] not in batch:
                refs[record["step_id"]] = None
        self.refs = list(refs)

    def run(self, store: DgraphStore, txn: pydgraph.Txn) -> list[ChainEntry]:
        ctx = store._query_txn(txn, dql.APPEND_CONTEXT, {
            "trace": self.trace_id, "ids": self.ids, "refs": self.refs,
            "parent": self.parent or dql.NO_MATCH,
        })
        heads = ctx.get("head", [])
        head = heads[0] if heads else None
        tenant_id, trace_id = self.tenant_id, self.trace_id
        if head is None:
            if not self.starting:
                raise TraceNotFound(f"trace {trace_id} not found")
            if ctx.get("tomb"):
                raise AlreadyExists(f"trace {trace_id} existed and was removed by retention")
        elif head.get("trace.tenant") != tenant_id:
            if self.starting:
                raise AlreadyExists(f"trace id {trace_id} is already taken")
            raise TraceNotFound(f"trace {trace_id} not found")
        elif self.starting:
            stored = store._query_txn(txn, dql.ENTRIES_AT, {"keys": [f"{trace_id}:0"]})
            found = DgraphStore._entries_by_ref(tenant_id, _merged_entries(stored),
                                                {(trace_id, 0)})
            first = found.get((trace_id, 0))
            if first is not None and first.record == self.items[0][1] and len(self.items) == 1:
                return [first]  # idempotent retry
            raise AlreadyExists(f"trace {trace_id} already exists")
        if head is not None and head.get("trace.end"):
            raise TraceClosed(f"trace {trace_id} is completed; its chain accepts no entries")
        if head is not None and self.expected_seq is not None and (
            head.get("trace.entry_count", 0) != self.expected_seq
        ):
            raise ChainConflict(f"trace {trace_id}: next seq is {head.get('trace.entry_count')}, "
                                f"not {self.expected_seq}")
        replay = self._replayed(store, txn, ctx.get("have", []))
        if replay is not None:
            return replay
        return self._store(store, txn, head, ctx)

    def _replayed(self, store: DgraphStore, txn: pydgraph.Txn,
                  have: list[dict[str, Any]]) -> list[ChainEntry] | None:
        """Stored entries when every item's id is already in this trace (an idempotent retry)."""
        by_id = {n["node.id"]: n for n in have}
        refs: list[tuple[str, int]] = []
        for kind, record in self.items:
            key = _ID_FIELD.get(kind)
            if key is None:
                return None
            node = by_id.get(record[key])
            if node is None:
                if refs:
                    raise AlreadyExists("some records of this batch are already stored, "
                                        "others are not: retry with the same ids or new ones")
                return None
            if _owner(node) != (self.tenant_id, self.trace_id):
                raise AlreadyExists(f"{key} {record[key]} is already taken")
            refs.append((self.trace_id, node["entry.seq"]))
        got = store._query_txn(txn, dql.ENTRIES_AT, {"keys": [f"{t}:{s}" for t, s in refs]})
        found = DgraphStore._entries_by_ref(self.tenant_id, _merged_entries(got), set(refs))
        return [found[r] for r in refs]

    def _store(self, store: DgraphStore, txn: pydgraph.Txn, head: dict[str, Any] | None,
               ctx: dict[str, Any]) -> list[ChainEntry]:
        tenant_id, trace_id = self.tenant_id, self.trace_id
        taken = {n["node.id"] for n in ctx.get("have", [])}
        for node_id in self.ids:
            if node_id in taken:
                raise AlreadyExists(f"id {node_id} is already taken")
        if len(set(self.ids)) != len(self.ids):
            raise AlreadyExists("ids repeat within the batch")
        refs: dict[str, str] = {}
        for n in ctx.get("refs", []):
            owner = _owner(n)
            if owner is not None and owner[0] == tenant_id:
                refs[n["node.id"]] = n["uid"]
        if head is None:
            entry_count, step_count, head_hash = 0, 0, GENESIS_PREV_HASH
            last_step: str | None = None
            trace = "_:trace"
            packed = True
        else:
            packed = bool(head.get("trace.packed"))
            entry_count = head.get("trace.entry_count", 0)
            step_count = head.get("trace.step_count", 0)
            head_hash = head.get("trace.head_hash", GENESIS_PREV_HASH)
            last = head.get("trace.last_step")
            last_step = node_ref(last["uid"]) if last else None
            trace = node_ref(head["uid"])
        prepared: list[tuple[str, dict[str, Any]]] = []
        for kind, record in self.items:
            if kind == EntryKind.STEP:
                record = {**record, "step_index": step_count}
                step_count += 1
            prepared.append((kind.value, record))
        sealed = seal_many(tenant_id, trace_id, entry_count, head_hash, prepared)

        local: dict[str, str] = {}

        def ref(node_id: str) -> str:
            if node_id in local:
                return local[node_id]
            if node_id in refs:
                return node_ref(refs[node_id])
            raise InvalidInput(f"{node_id} not found: an edge would point to nothing",
                               field="id")

        q = NQuads()
        models: list[str] = []
        for e in sealed:
            r = e.record
            me = f"_:e{e.seq}"
            q.value(me, "entry.key", f"{trace_id}:{e.seq}")
            q.link(me, "entry.trace", trace)
            q.value(me, "entry.seq", e.seq)
            q.value(me, "entry.kind", e.kind)
            q.value(me, "entry.hash", e.hash)
            q.value(me, "entry.prev_hash", e.prev_hash)
            q.value(me, "entry.version", e.version)
            q.value(me, "entry.tenant", e.tenant_id)
            q.record(me, r, e.kind, packed=packed)
            kind = EntryKind(e.kind)
            if kind == EntryKind.TRACE_STARTED:
                q.value(me, "dgraph.type", "Entry")
                q.value(trace, "dgraph.type", "Trace")
                q.value(trace, "trace.id", trace_id)
                q.value(trace, "trace.tenant", tenant_id)
                q.value(trace, "trace.session", r["session_id"])
                q.value(trace, "trace.status", "active")
                q.value(trace, "trace.created_at", r["created_at"])
                q.value(trace, "trace.packed", True)
                q.link(trace, "trace.start", me)
                if "agent_id" in r:
                    q.value(trace, "trace.agent", r["agent_id"])
                if "parent_trace_id" in r:
                    parent = ctx.get("parent", [])
                    if not parent or parent[0].get("trace.tenant") != tenant_id:
                        raise InvalidInput(f"parent trace {r['parent_trace_id']} not found",
                                           field="parentTraceId")
                    q.value(trace, "trace.parent_id", r["parent_trace_id"])
                    q.link(trace, "edge.child_of", node_ref(parent[0]["uid"]))
                if "spawned_by_step_id" in r:
                    q.link(ref(r["spawned_by_step_id"]), "edge.spawned", trace)
            elif kind == EntryKind.TRACE_COMPLETED:
                q.value(me, "dgraph.type", "Entry")
                q.value(trace, "trace.status", r["status"])
                q.link(trace, "trace.end", me)
                if "outcome" in r:
                    q.value(trace, "trace.outcome", r["outcome"])
                if "completed_at" in r:
                    q.value(trace, "trace.completed_at", r["completed_at"])
            else:
                node_id = r[_ID_FIELD[kind]]
                q.value(me, "dgraph.type", _NODE_TYPE[kind])
                q.value(me, "node.id", node_id)
                local[node_id] = me
                if kind == EntryKind.STEP:
                    q.link(trace, "edge.has_step", me)
                    if last_step is not None:
                        q.link(last_step, "edge.next", me)
                    last_step = me
                    for dep in r.get("depends_on", ()):
                        q.link(me, "edge.depends_on", ref(dep))
                    for i in range(len(r.get("alternatives_considered", ()))):
                        alt = f"_:a{e.seq}_{i}"
                        q.value(alt, "dgraph.type", "Alternative")
                        q.value(alt, "node.id", algorithms.alternative_id(node_id, i))
                        q.link(me, "edge.considered", alt)
                    if "model_id" in r:
                        models.append(r["model_id"])
                elif "step_id" in r:
                    pred = "edge.called" if kind == EntryKind.API_CALL else "edge.asked"
                    q.link(ref(r["step_id"]), pred, me)
        for model in dict.fromkeys(models):
            q.value(trace, "trace.models", model)
        q.value(trace, "trace.entry_count", entry_count + len(sealed))
        q.value(trace, "trace.step_count", step_count)
        q.value(trace, "trace.head_hash", sealed[-1].hash)
        if last_step is not None:
            q.link(trace, "trace.last_step", last_step)
        store._commit_nquads(txn, q)
        return sealed
