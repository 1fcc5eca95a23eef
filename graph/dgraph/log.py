"""The tenant Merkle log on Dgraph: what an append or a removal adds to its mutation, and the
reads of :class:`~tracegraph.graph.protocol.LogStore` (schema and queries in ``log_dql.py``).

The head is read by the transaction's own query (``log_dql.HEAD_BLOCK`` is part of the
append context and of the removal query) and rewritten by its one mutation: Dgraph aborts
the later of two concurrent commits that write ``log.size`` of one head, and the store
reruns the whole transaction, which reads the committed head. So the leaf index always
comes from the database, and each tenant's indexes stay dense and unique across servers.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
import pydgraph
from pydgraph.proto import api_pb2 as api
from tracegraph.schema.merkle_leaf import LogLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import NodeId

from ..log_plan import LogHead, plan_log_append
from ..log_rows import (
    leaf_columns,
    node_hashes,
    nodes_to_store,
    rebuilt_nodes,
    split_node_ids,
    stored_leaf,
)
from ..protocol import StoredCheckpoint, StoredLeaf
from . import dql, log_dql
from .nquads import NQuads, node_ref

Reader = Callable[[str, Mapping[str, str | Sequence[str]]], dict[str, Any]]


def leaf_key(tenant_id: str, index: int) -> str:
    """``leaf.key`` of leaf ``index`` (zero-padded: key order is index order).

    >>> leaf_key("t1", 5)
    't1/000000000000005'
    """
    return f"{tenant_id}/{index:0{log_dql.INDEX_DIGITS}d}"


def node_key(tenant_id: str, level: int, idx: int) -> str:
    """``lnode.key`` of the node at ``level`` and ``idx``."""
    return f"{tenant_id}/{level}/{idx}"


def head_of(got: Mapping[str, Any]) -> tuple[LogHead, str | None]:
    """The head in a query answer with ``log_dql.HEAD_BLOCK``, and its uid (``None``: no
    head yet)."""
    found = got.get("log", [])
    if not found:
        return LogHead(), None
    node = found[0]
    edge = base64.b64decode(node.get("log.edge", ""))
    return LogHead.decode(int(node.get("log.size", 0)), edge), str(node["uid"])


def leaf_row(tenant_id: str, index: int, leaf: LogLeaf) -> str:
    """``leaf.row``: the leaf row's columns and the tenant as one JSON object."""
    columns = {k: v for k, v in leaf_columns(index, leaf).items() if v is not None}
    return orjson.dumps({"tenant_id": tenant_id, **columns}).decode("utf-8")


def add_leaves(q: NQuads, tenant_id: str, got: Mapping[str, Any],
               leaves: Sequence[LogLeaf]) -> None:
    """Add to mutation ``q`` the leaf rows, tree nodes and new head of appending ``leaves``
    to the log whose head ``got`` (the transaction's query answer) holds."""
    if not leaves:
        return
    head, uid = head_of(got)
    plan = plan_log_append(head, leaves)
    for r in plan.leaves:
        me = f"_:leaf{r.leaf_index}"
        leaf = r.leaf
        q.value(me, "leaf.key", leaf_key(tenant_id, r.leaf_index))
        q.value(me, "leaf.trace_key", f"{tenant_id}/{leaf.trace_id}")
        q.value(me, "leaf.row", leaf_row(tenant_id, r.leaf_index, leaf))
        if isinstance(leaf, TombstoneLeaf) or leaf.seq == 0:  # (a trace's first leaf)
            q.value(me, "leaf.session_key", f"{tenant_id}/{leaf.session_id}")
    for (level, idx), h in nodes_to_store(plan.nodes):
        me = f"_:lnode{level}_{idx}"
        q.value(me, "lnode.key", node_key(tenant_id, level, idx))
        q.value(me, "lnode.hash", h.hex())
    if uid is None:
        subject = "_:loghead"
        q.value(subject, "dgraph.type", "LogHead")
        q.value(subject, "log.tenant", tenant_id)
    else:
        subject = node_ref(uid)
    q.value(subject, "log.size", plan.head.size)
    q.value(subject, "log.edge", base64.b64encode(plan.head.encode_edge()).decode("ascii"))


# -- LogStore reads --------------------------------------------------------------------------
def log_head(read: Reader, tenant_id: str) -> LogHead:
    return head_of(read(log_dql.HEAD, {"tenant": tenant_id}))[0]


def log_nodes(read: Reader, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
    """Stored nodes by key; lower ones rebuilt from their leaf rows (one query for both)."""
    if not ids:
        return []
    upper, leaf_indexes = split_node_ids(ids)
    keys = {node_key(tenant_id, level, idx): (level, idx) for level, idx in upper}
    got = read(log_dql.NODES, {"keys": list(keys),
                               "leaves": [leaf_key(tenant_id, i) for i in leaf_indexes]})
    found = {keys[n["lnode.key"]]: bytes.fromhex(n["lnode.hash"]) for n in got.get("n", [])
             if n.get("lnode.key") in keys and "lnode.hash" in n}
    rows = _leaves(tenant_id, got)
    found.update(rebuilt_nodes(ids, {x.leaf_index: x.leaf.hash() for x in rows}))
    return node_hashes(tenant_id, ids, found)


def _leaves(tenant_id: str, got: Mapping[str, Any]) -> list[StoredLeaf]:
    """The leaves of ``tenant_id`` in a query answer's ``l`` block (a key names one tenant's
    leaf: the tenant is all of it before the last "/"; other tenants' rows are dropped)."""
    out: list[StoredLeaf] = []
    prefix = f"{tenant_id}/"
    for n in got.get("l", []):
        key = str(n.get("leaf.key", ""))
        index = key[len(prefix):]
        if not key.startswith(prefix) or len(index) != log_dql.INDEX_DIGITS \
                or not index.isdigit():
            continue
        try:
            row = orjson.loads(n.get("leaf.row", ""))
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"log leaf {key!r}: leaf.row is no JSON") from exc
        if row.get("tenant_id") != tenant_id or row.get("leaf_index") != int(index):
            raise ValueError(f"log leaf {key!r}: leaf.row names another leaf")
        out.append(stored_leaf(tenant_id, row))
    return out


def log_leaves(read: Reader, tenant_id: str, start: int, stop: int) -> list[StoredLeaf]:
    start = max(start, 0)
    if stop <= start:
        return []
    got = read(log_dql.LEAVES, {"lo": leaf_key(tenant_id, start),
                                "hi": leaf_key(tenant_id, stop - 1)})
    return _leaves(tenant_id, got)


def leaves_of_traces(read: Reader, tenant_id: str, trace_ids: Sequence[str]
                     ) -> list[StoredLeaf]:
    ids = list(dict.fromkeys(trace_ids))
    if not ids:
        return []
    keys = [f"{tenant_id}/{t}" for t in ids]
    return [x for x in _leaves(tenant_id, read(log_dql.LEAVES_OF_TRACES, {"keys": keys}))
            if x.leaf.trace_id in ids]


def leaves_of_session(read: Reader, tenant_id: str, session_id: str) -> list[StoredLeaf]:
    """The session's traces from their first (and tombstone) leaves, then their leaves."""
    got = read(log_dql.SESSION_TRACES, {"key": f"{tenant_id}/{session_id}"})
    firsts = _leaves(tenant_id, got)
    traces = [x.leaf.trace_id for x in firsts if x.leaf.session_id == session_id]
    return [x for x in leaves_of_traces(read, tenant_id, traces)
            if x.leaf.session_id == session_id]


def checkpoints(read: Reader, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
    if limit < 1:
        return []
    got = read(log_dql.CHECKPOINTS, {"tenant": tenant_id, "limit": str(limit)})
    return [StoredCheckpoint(int(c["cp.size"]), str(c["cp.note"]), str(c["cp.created_at"]))
            for c in got.get("c", [])]


# -- writes outside an append ------------------------------------------------------------------
def add_checkpoint(txn: pydgraph.Txn, timeout: float, tenant_id: str,
                   cp: StoredCheckpoint) -> None:
    """Store a checkpoint unless one with its tenant, size and note is stored (an upsert
    block; two concurrent adds conflict on ``cp.key`` and the rerun finds it)."""
    digest = hashlib.sha256(cp.note.encode("utf-8")).hexdigest()
    key = f"{tenant_id}/{cp.size}/{digest}"
    q = NQuads()
    q.value("_:cp", "dgraph.type", "LogCheckpoint")
    q.value("_:cp", "cp.key", key)
    q.value("_:cp", "cp.tenant", tenant_id)
    q.value("_:cp", "cp.size", cp.size)
    q.value("_:cp", "cp.note", cp.note)
    q.value("_:cp", "cp.created_at", cp.created_at)
    text, variables = dql.bind(log_dql.CHECKPOINT_BY_KEY, {"key": key})
    mutation = api.Mutation(set_nquads=q.text(), cond=log_dql.CHECKPOINT_ABSENT)
    txn.do_request(txn.create_request(query=text, variables=variables, mutations=[mutation],
                                      commit_now=True), timeout=timeout)

