"""The tenant Merkle log on Neo4j: its Cypher statements, the writes an append or a removal
adds, and the reads of :class:`~tracegraph.graph.protocol.LogStore`.

The graph (docs/dev/merkle-integration.md, section 2):

* ``(:LogHead {tenant_id, size, edge})`` — one per tenant: the log's size and right edge
  (the compact-range hashes, 32 bytes each, as one byte array). Unique on ``tenant_id``.
* ``(:LogRun {tenant_id, first_index, count, leaf_kind, session_id, trace_id, first_seq,
  kinds, hashes, entry_count, final_hash, removed_at})`` — the leaves of one append to one
  trace, or one tombstone leaf (:class:`tracegraph.graph.log_rows.LeafRun`): unique on
  ``(tenant_id, first_index)``, indexed by ``(tenant_id, trace_id)``; a trace's first run
  (seq 0) and tombstone runs also have the label ``:LogFirst``, indexed by
  ``(tenant_id, session_id)``: a session's traces.
* ``(:LogNode {tenant_id, level, idx, hash})`` — every perfect subtree of at least 16
  leaves (``log_rows.LOWEST_STORED_LEVEL``; a smaller one is rebuilt from its leaf rows),
  unique on ``(tenant_id, level, idx)``.
* ``(:LogCheckpoint {tenant_id, size, note, created_at})`` — signed checkpoints.

An append's first statement (``cypher.BEGIN_APPEND``) MERGEs the tenant's head and writes a
property of it before reading its size: Neo4j's exclusive lock on the head is held until
commit, so a second server's append to the same tenant waits there and then reads the
committed size. The runs, nodes and new head are written by :data:`WRITE_LOG`, which
runs at the start of the append's one write statement. The uniqueness constraint on a
run's first index refuses a double assignment even if that lock were bypassed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import neo4j
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import NodeId

from ..log_plan import LogAppend, LogHead, plan_log_append
from ..log_rows import (
    COLUMNS,
    leaf_runs,
    leaf_spans,
    leaves_in,
    node_hashes,
    nodes_to_store,
    rebuilt_nodes,
    run_from_columns,
    split_node_ids,
)
from ..protocol import StoredCheckpoint, StoredLeaf, Tombstone

SCHEMA: Final[tuple[str, ...]] = (
    "CREATE CONSTRAINT tracegraph_log_head IF NOT EXISTS "
    "FOR (h:LogHead) REQUIRE h.tenant_id IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_log_run IF NOT EXISTS "
    "FOR (r:LogRun) REQUIRE (r.tenant_id, r.first_index) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_log_node IF NOT EXISTS "
    "FOR (n:LogNode) REQUIRE (n.tenant_id, n.level, n.idx) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_log_checkpoint IF NOT EXISTS "
    "FOR (c:LogCheckpoint) REQUIRE (c.tenant_id, c.size, c.note) IS UNIQUE",
    "CREATE INDEX tracegraph_log_run_trace IF NOT EXISTS "
    "FOR (r:LogRun) ON (r.tenant_id, r.trace_id)",
    # A session's traces from their first runs (and tombstones) only: one index entry per
    # trace (a session's leaves are then found by trace).
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
#: What one append adds to the log (:func:`write_params`): ``$log_runs`` (``{props,
#: first}``: a run's columns, whether it is a first run), ``$log_nodes`` (``{level, idx,
#: hash}``), the new ``$log_size`` and ``$log_edge``. Unit subqueries: the statement it
#: begins keeps its one row.
WRITE_LOG: Final = """
CALL () {
  UNWIND $log_runs AS row
  CREATE (r:LogRun)
  SET r = row.props
  FOREACH (_ IN CASE WHEN row.first THEN [1] ELSE [] END | SET r:LogFirst)
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
_RUN = "RETURN " + ", ".join(f"r.{c} AS {c}" for c in COLUMNS) + "\nORDER BY r.first_index\n"
#: The runs holding leaves ``$start <= leaf_index < $stop``: the last run beginning at or
#: before ``$start``, and every later run beginning before ``$stop``.
RUNS_IN: Final = """
CALL () {
  MATCH (r:LogRun)
  WHERE r.tenant_id = $tenant AND r.first_index <= $start
  RETURN r.first_index AS low
  ORDER BY r.first_index DESC
  LIMIT 1
}
MATCH (r:LogRun)
WHERE r.tenant_id = $tenant AND r.first_index >= low AND r.first_index < $stop
""" + _RUN
RUNS_OF_TRACES: Final = """
MATCH (r:LogRun)
WHERE r.tenant_id = $tenant AND r.trace_id IN $trace_ids
""" + _RUN
RUNS_OF_SESSION: Final = """
MATCH (f:LogFirst)
WHERE f.tenant_id = $tenant AND f.session_id = $session
WITH collect(DISTINCT f.trace_id) AS trace_ids
MATCH (r:LogRun)
WHERE r.tenant_id = $tenant AND r.trace_id IN trace_ids AND r.session_id = $session
""" + _RUN
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
    runs = [{"props": {"tenant_id": tenant_id, **run.columns()}, "first": run.first_leaf}
            for run in leaf_runs(plan.leaves)]
    return {"log_runs": runs,
            "log_nodes": [{"level": level, "idx": idx, "hash": h}
                          for (level, idx), h in nodes_to_store(plan.nodes)],
            "log_size": plan.head.size, "log_edge": plan.head.encode_edge()}


def plan_params(tenant_id: str, head: LogHead, leaves: Sequence[LogLeaf]) -> dict[str, Any]:
    """:func:`write_params` of appending ``leaves`` to a log whose locked head is ``head``."""
    return write_params(tenant_id, plan_log_append(head, leaves))


def append_tombstone(tx: neo4j.ManagedTransaction, t: Tombstone,
                     removed: Sequence[EntryLeaf] = ()) -> None:
    """Add the leaf of a retention tombstone (inside the transaction that removes the
    trace; after the log records of its ``removed`` entries when an import restores it):
    lock and read the head, write the leaves, their nodes and the new head."""
    head = head_of(tx.run(LOCK_HEAD, tenant=t.tenant_id).single())
    leaf = TombstoneLeaf(t.tenant_id, t.session_id, t.trace_id, t.entry_count, t.final_hash,
                         t.removed_at, t.hash)
    tx.run(WRITE_LOG_ALONE, tenant=t.tenant_id,
           **plan_params(t.tenant_id, head, [*removed, leaf])).consume()


# -- LogStore reads --------------------------------------------------------------------------
def log_head(read: Reader, tenant_id: str) -> LogHead:
    records = read(HEAD, tenant=tenant_id)
    return head_of(records[0] if records else None)


def log_nodes(read: Reader, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
    """Stored nodes by ``(tenant, level, idx)``; lower ones rebuilt from their leaves (one
    range read per group of nearby leaves)."""
    upper, leaf_indexes = split_node_ids(ids)
    found: dict[NodeId, bytes] = {}
    if upper:
        found.update({(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in read(
            NODES, tenant=tenant_id, ids=[list(i) for i in upper])})
    hashes = {x.leaf_index: x.leaf.hash() for start, stop in leaf_spans(leaf_indexes)
              for x in log_leaves(read, tenant_id, start, stop)}
    found.update(rebuilt_nodes(ids, hashes))
    return node_hashes(tenant_id, ids, found)


def _leaves(read: Reader, tenant_id: str, query: str, **params: Any) -> list[StoredLeaf]:
    runs = [run_from_columns(tenant_id, dict(r))
            for r in read(query, tenant=tenant_id, **params)]
    return [x for run in runs for x in run.leaves(tenant_id)]


def log_leaves(read: Reader, tenant_id: str, start: int, stop: int) -> list[StoredLeaf]:
    start = max(start, 0)
    if stop <= start:
        return []
    runs = [run_from_columns(tenant_id, dict(r))
            for r in read(RUNS_IN, tenant=tenant_id, start=start, stop=stop)]
    return leaves_in(tenant_id, runs, start, stop)


def leaves_of_traces(read: Reader, tenant_id: str, trace_ids: Sequence[str]
                     ) -> list[StoredLeaf]:
    ids = list(dict.fromkeys(trace_ids))
    return _leaves(read, tenant_id, RUNS_OF_TRACES, trace_ids=ids) if ids else []


def leaves_of_session(read: Reader, tenant_id: str, session_id: str) -> list[StoredLeaf]:
    return _leaves(read, tenant_id, RUNS_OF_SESSION, session=session_id)


def checkpoints(read: Reader, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
    if limit < 1:
        return []
    return [StoredCheckpoint(int(r["size"]), str(r["note"]), str(r["created_at"]))
            for r in read(CHECKPOINTS, tenant=tenant_id, limit=limit)]

