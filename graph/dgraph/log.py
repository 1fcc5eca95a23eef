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
from tracegraph.schema.merkle_leaf import LogLeaf
from tracegraph.schema.merkle_tree import NodeId

from ..log_plan import LogHead, plan_log_append
from ..log_rows import (
    LeafRun,
    leaf_runs,
    leaf_spans,
    leaves_in,
    node_hashes,
    nodes_to_store,
    rebuilt_nodes,
    run_from_columns,
    split_node_ids,
)
from ..protocol import StoredCheckpoint, StoredLeaf
from . import dql, log_dql
from .nquads import NQuads, node_ref

Reader = Callable[[str, Mapping[str, str | Sequence[str]]], dict[str, Any]]


def leaf_key(tenant_id: str, index: int) -> str:
    """``lrun.key`` of a run whose first leaf is ``index`` (zero-padded: key order is index
    order).

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


def run_row(tenant_id: str, run: LeafRun) -> str:
    """``lrun.row``: the run's columns and the tenant as one JSON object."""
    return orjson.dumps({"tenant_id": tenant_id, **run.columns()}).decode("utf-8")


def add_leaves(q: NQuads, tenant_id: str, got: Mapping[str, Any],
               leaves: Sequence[LogLeaf]) -> None:
    """Add to mutation ``q`` the leaf rows, tree nodes and new head of appending ``leaves``
    to the log whose head ``got`` (the transaction's query answer) holds."""
    if not leaves:
        return
    head, uid = head_of(got)
    plan = plan_log_append(head, leaves)
    for run in leaf_runs(plan.leaves):
        me = f"_:lrun{run.first_index}"
        q.value(me, "lrun.key", leaf_key(tenant_id, run.first_index))
        q.value(me, "lrun.trace_key", f"{tenant_id}/{run.trace_id}")
        q.value(me, "lrun.row", run_row(tenant_id, run))
        if run.first_leaf:
            q.value(me, "lrun.session_key", f"{tenant_id}/{run.session_id}")
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
    """Stored nodes by key; lower ones rebuilt from their leaves (one range read per group
    of nearby leaves)."""
    if not ids:
        return []
    upper, leaf_indexes = split_node_ids(ids)
    keys = {node_key(tenant_id, level, idx): (level, idx) for level, idx in upper}
    found: dict[NodeId, bytes] = {}
    if keys:
        got = read(log_dql.NODES, {"keys": list(keys)})
        found.update({keys[n["lnode.key"]]: bytes.fromhex(n["lnode.hash"])
                      for n in got.get("n", []) if n.get("lnode.key") in keys
                      and "lnode.hash" in n})
    hashes = {x.leaf_index: x.leaf.hash() for start, stop in leaf_spans(leaf_indexes)
              for x in log_leaves(read, tenant_id, start, stop)}
    found.update(rebuilt_nodes(ids, hashes))
    return node_hashes(tenant_id, ids, found)


def _runs(tenant_id: str, nodes: Sequence[Mapping[str, Any]]) -> list[LeafRun]:
    """The runs of ``tenant_id`` among query answer nodes (a key names one tenant's run: the
    tenant is all of it before the last "/"; other tenants' runs are dropped)."""
    out: list[LeafRun] = []
    prefix = f"{tenant_id}/"
    for n in nodes:
        key = str(n.get("lrun.key", ""))
        index = key[len(prefix):]
        if not key.startswith(prefix) or len(index) != log_dql.INDEX_DIGITS \
                or not index.isdigit():
            continue
        try:
            row = orjson.loads(n.get("lrun.row", ""))
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"log run {key!r}: lrun.row is no JSON") from exc
        if row.get("tenant_id") != tenant_id or row.get("first_index") != int(index):
            raise ValueError(f"log run {key!r}: lrun.row names another run")
        out.append(run_from_columns(tenant_id, row))
    return out


def log_leaves(read: Reader, tenant_id: str, start: int, stop: int) -> list[StoredLeaf]:
    start = max(start, 0)
    if stop <= start:
        return []
    got = read(log_dql.RUNS_IN, {"floor": leaf_key(tenant_id, 0),
                                 "start": leaf_key(tenant_id, start),
                                 "hi": leaf_key(tenant_id, stop - 1)})
    before = _runs(tenant_id, got.get("a", []))[:1]  # (the last one at or before start)
    runs = {r.first_index: r for r in [*before, *_runs(tenant_id, got.get("l", []))]}
    return leaves_in(tenant_id, list(runs.values()), start, stop)


def _trace_leaves(read: Reader, tenant_id: str, ids: Sequence[str]) -> list[StoredLeaf]:
    keys = [f"{tenant_id}/{t}" for t in ids]
    got = read(log_dql.RUNS_OF_TRACES, {"keys": keys})
    wanted = set(ids)
    return [x for run in _runs(tenant_id, got.get("l", [])) if run.trace_id in wanted
            for x in run.leaves(tenant_id)]


def leaves_of_traces(read: Reader, tenant_id: str, trace_ids: Sequence[str]
                     ) -> list[StoredLeaf]:
    ids = list(dict.fromkeys(trace_ids))
    return _trace_leaves(read, tenant_id, ids) if ids else []


def leaves_of_session(read: Reader, tenant_id: str, session_id: str) -> list[StoredLeaf]:
    """The session's traces from their first (and tombstone) runs, then their leaves."""
    got = read(log_dql.SESSION_TRACES, {"key": f"{tenant_id}/{session_id}"})
    traces = list(dict.fromkeys(r.trace_id for r in _runs(tenant_id, got.get("l", []))
                                if r.session_id == session_id))
    if not traces:
        return []
    return [x for x in _trace_leaves(read, tenant_id, traces)
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

