"""The tenant Merkle log on Neo4j: its Cypher statements, the writes an append or a removal
adds, and the reads of :class:`~tracegraph.graph.protocol.LogStore`.

The graph (docs/dev/merkle-integration.md, section 2):

* ``(:LogHead {tenant_id, size, edge})`` — one per tenant: the log's size and right edge
  (the compact-range hashes, 32 bytes each, as one byte array). Unique on ``tenant_id``.
* ``(:LogLeaf {tenant_id, leaf_index, leaf_kind, session_id, trace_id, seq, kind,
  record_hash, entry_count, final_hash, removed_at})`` — one per entry or tombstone, unique
  on ``(tenant_id, leaf_index)`` (columns: :mod:`tracegraph.graph.log_rows`), indexed by
  ``(tenant_id, trace_id)``; a trace's first leaf (seq 0) and tombstone leaves also have
  the label ``:LogFirst``, indexed by ``(tenant_id, session_id)``: a session's traces.
* ``(:LogNode {tenant_id, level, idx, hash})`` — every perfect subtree of at least 16
  leaves (``log_rows.LOWEST_STORED_LEVEL``; a smaller one is rebuilt from its leaf rows),
  unique on ``(tenant_id, level, idx)``.
* ``(:LogCheckpoint {tenant_id, size, note, created_at})`` — signed checkpoints.

An append's first statement (``cypher.BEGIN_APPEND``) MERGEs the tenant's head and writes a
property of it before reading its size: Neo4j's exclusive lock on the head is held until
commit, so a second server's append to the same tenant waits there and then reads the
committed size. The leaves, nodes and new head are written by :data:`WRITE_LOG`, which
runs at the start of the append's one write statement. The uniqueness constraint on
``leaf_index`` refuses a double assignment even if that lock were bypassed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import neo4j
from tracegraph.schema.merkle_leaf import LogLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import NodeId

from ..log_plan import LogAppend, LogHead, plan_log_append
from ..log_rows import (
    COLUMNS,
    leaf_columns,
    node_hashes,
    nodes_to_store,
    rebuilt_nodes,
    split_node_ids,
    stored_leaf,
)
from ..protocol import StoredCheckpoint, StoredLeaf, Tombstone

SCHEMA: Final[tuple[str, ...]] = (
    "CREATE CONSTRAINT tracegraph_log_head IF NOT EXISTS "
    "FOR (h:LogHead) REQUIRE h.tenant_id IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_log_leaf IF NOT EXISTS "
    "FOR (l:LogLeaf) REQUIRE (l.tenant_id, l.leaf_index) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_log_node IF NOT EXISTS "
    "FOR (n:LogNode) REQUIRE (n.tenant_id, n.level, n.idx) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_log_checkpoint IF NOT EXISTS "
    "FOR (c:LogCheckpoint) REQUIRE (c.tenant_id, c.size, c.note) IS UNIQUE",
    "CREATE INDEX tracegraph_log_leaf_trace IF NOT EXISTS "
    "FOR (l:LogLeaf) ON (l.tenant_id, l.trace_id)",
    # A session's traces from their first leaves (and tombstone leaves) only: one index
    # entry per trace, not per leaf (a session's leaves are then found by trace).
    "DROP INDEX tracegraph_log_leaf_session IF EXISTS",
    "CREATE INDEX tracegraph_log_first_session IF NOT EXISTS "
    "FOR (l:LogFirst) ON (l.tenant_id, l.session_id)",
)

#: The tenant's head, created empty if absent, read after a property write has taken its
#: lock (the head lock of a removal; an append takes it in ``cypher.BEGIN_APPEND``).
LOCK_HEAD: Final = """
MERGE (h:LogHead {tenant_id: $tenant})
ON CREATE SET h.size = 0
SET h._lock = true
RETURN h.size AS log_size, h.edge AS log_edge
"""
#: What one append adds to the log (:func:`write_params`): ``$log_leaves`` (leaf rows),
#: ``$log_nodes`` (``{level, idx, hash}``), the new ``$log_size`` and ``$log_edge``. Unit
#: subqueries: the statement it begins keeps its one row.
WRITE_LOG: Final = """
CALL () {
  UNWIND $log_leaves AS row
  CREATE (l:LogLeaf)
  SET l = row
  FOREACH (_ IN CASE WHEN row.seq = 0 OR row.seq IS NULL THEN [1] ELSE [] END |
    SET l:LogFirst)
}
CALL () {
  UNWIND $log_nodes AS row
  CREATE (:LogNode {tenant_id: $tenant, level: row.level, idx: row.idx, hash: row.hash})
}
CALL () {
  MATCH (h:LogHead {tenant_id: $tenant})
  SET h.size = $log_size, h.edge = $log_edge
}
"""
#: :data:`WRITE_LOG` on its own (a removal's tombstone leaf).
WRITE_LOG_ALONE: Final = WRITE_LOG + "RETURN 1 AS done\n"

# -- reads -------------------------------------------------------------------------------------
HEAD: Final = """
MATCH (h:LogHead {tenant_id: $tenant})
RETURN h.size AS log_size, h.edge AS log_edge
"""
NODES: Final = """
UNWIND $ids AS id
MATCH (n:LogNode {tenant_id: $tenant, level: id[0], idx: id[1]})
RETURN n.level AS level, n.idx AS idx, n.hash AS hash
"""
#: Leaf rows at the indexes ``$indexes`` (what rebuilds the nodes that are not stored).
LEAVES_AT: Final = """
UNWIND $indexes AS i
MATCH (l:LogLeaf {tenant_id: $tenant, leaf_index: i})
""" + "RETURN " + ", ".join(f"l.{c} AS {c}" for c in COLUMNS) + "\n"
_LEAF = "RETURN " + ", ".join(f"l.{c} AS {c}" for c in COLUMNS) + "\nORDER BY l.leaf_index\n"
LEAVES: Final = """
MATCH (l:LogLeaf)
WHERE l.tenant_id = $tenant AND l.leaf_index >= $start AND l.leaf_index < $stop
""" + _LEAF
LEAVES_OF_TRACES: Final = """
MATCH (l:LogLeaf)
WHERE l.tenant_id = $tenant AND l.trace_id IN $trace_ids
""" + _LEAF
LEAVES_OF_SESSION: Final = """
MATCH (f:LogFirst)
WHERE f.tenant_id = $tenant AND f.session_id = $session
WITH collect(DISTINCT f.trace_id) AS trace_ids
MATCH (l:LogLeaf)
WHERE l.tenant_id = $tenant AND l.trace_id IN trace_ids AND l.session_id = $session
""" + _LEAF
ADD_CHECKPOINT: Final = """
MERGE (c:LogCheckpoint {tenant_id: $tenant, size: $size, note: $note})
ON CREATE SET c.created_at = $created_at
"""
CHECKPOINTS: Final = """
MATCH (c:LogCheckpoint {tenant_id: $tenant})
RETURN c.size AS size, c.note AS note, c.created_at AS created_at
ORDER BY c.size DESC, c.created_at DESC
LIMIT $limit
"""

Reader = Callable[..., list[neo4j.Record]]


def head_of(record: neo4j.Record | None) -> LogHead:
    """The head a :data:`LOCK_HEAD` / :data:`HEAD` / ``BEGIN_APPEND`` record holds."""
    if record is None or record["log_size"] is None:
        return LogHead()
    edge = record["log_edge"]
    return LogHead.decode(int(record["log_size"]), bytes(edge) if edge is not None else None)


def write_params(tenant_id: str, plan: LogAppend) -> dict[str, Any]:
    """The parameters of :data:`WRITE_LOG` for what :func:`plan_log_append` returned."""
    leaves = []
    for r in plan.leaves:
        row = {k: v for k, v in leaf_columns(r.leaf_index, r.leaf).items() if v is not None}
        row["tenant_id"] = tenant_id
        leaves.append(row)
    return {"log_leaves": leaves,
            "log_nodes": [{"level": level, "idx": idx, "hash": h}
                          for (level, idx), h in nodes_to_store(plan.nodes)],
            "log_size": plan.head.size, "log_edge": plan.head.encode_edge()}


def plan_params(tenant_id: str, head: LogHead, leaves: Sequence[LogLeaf]) -> dict[str, Any]:
    """:func:`write_params` of appending ``leaves`` to a log whose locked head is ``head``."""
    return write_params(tenant_id, plan_log_append(head, leaves))


def append_tombstone(tx: neo4j.ManagedTransaction, t: Tombstone) -> None:
    """Add the leaf of a retention tombstone (inside the transaction that removes the
    trace): lock and read the head, write the leaf, its nodes and the new head."""
    head = head_of(tx.run(LOCK_HEAD, tenant=t.tenant_id).single())
    leaf = TombstoneLeaf(t.tenant_id, t.session_id, t.trace_id, t.entry_count, t.final_hash,
                         t.removed_at, t.hash)
    tx.run(WRITE_LOG_ALONE, tenant=t.tenant_id,
           **plan_params(t.tenant_id, head, [leaf])).consume()


# -- LogStore reads --------------------------------------------------------------------------
def log_head(read: Reader, tenant_id: str) -> LogHead:
    records = read(HEAD, tenant=tenant_id)
    return head_of(records[0] if records else None)


def log_nodes(read: Reader, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
    """Stored nodes by ``(tenant, level, idx)``; lower ones rebuilt from their leaf rows."""
    upper, leaf_indexes = split_node_ids(ids)
    found: dict[NodeId, bytes] = {}
    if upper:
        found.update({(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in read(
            NODES, tenant=tenant_id, ids=[list(i) for i in upper])})
    if leaf_indexes:
        rows = leaves(read, tenant_id, LEAVES_AT, indexes=leaf_indexes)
        found.update(rebuilt_nodes(ids, {x.leaf_index: x.leaf.hash() for x in rows}))
    return node_hashes(tenant_id, ids, found)


def leaves(read: Reader, tenant_id: str, query: str, **params: Any) -> list[StoredLeaf]:
    return [stored_leaf(tenant_id, dict(r)) for r in read(query, tenant=tenant_id, **params)]


def checkpoints(read: Reader, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
    if limit < 1:
        return []
    return [StoredCheckpoint(int(r["size"]), str(r["note"]), str(r["created_at"]))
            for r in read(CHECKPOINTS, tenant=tenant_id, limit=limit)]

