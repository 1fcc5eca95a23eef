"""The tenant Merkle log on SQLite: written inside the append's and retention's transactions,
read for checkpoints, proofs and verification (:class:`~tracegraph.graph.protocol.LogStore`).

The head is read under the ``BEGIN IMMEDIATE`` the caller holds: SQLite's one writer lock,
also across processes on one file, is what keeps each tenant's leaf indexes dense and unique.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import orjson
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.merkle import tree_hash
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import CompactRange, MissingNode, NodeId

from ..log_plan import LogAppend, LogHead, entry_leaves, plan_log_append
from ..protocol import StoredCheckpoint, StoredLeaf, Tombstone
from . import log_sql


def read_head(db: sqlite3.Connection, tenant_id: str) -> LogHead:
    row = db.execute(log_sql.SELECT_HEAD, (tenant_id,)).fetchone()
    return LogHead() if row is None else LogHead.decode(int(row[0]), bytes(row[1]))


def append_entries(db: sqlite3.Connection, tenant_id: str, session_id: str,
                   entries: Sequence[ChainEntry]) -> None:
    """Add one leaf per sealed entry of one trace (inside the append's transaction)."""
    append_leaves(db, tenant_id, entry_leaves(session_id, entries))


def append_tombstone(db: sqlite3.Connection, t: Tombstone) -> None:
    """Add the leaf of a retention tombstone (inside the transaction that removes the trace)."""
    append_leaves(db, t.tenant_id, [TombstoneLeaf(t.tenant_id, t.session_id, t.trace_id,
                                                  t.entry_count, t.final_hash, t.removed_at,
                                                  t.hash)])


def append_leaves(db: sqlite3.Connection, tenant_id: str, leaves: Sequence[LogLeaf]) -> None:
    if not leaves:
        return
    write_plan(db, tenant_id, plan_log_append(read_head(db, tenant_id), leaves))


def write_plan(db: sqlite3.Connection, tenant_id: str, plan: LogAppend) -> None:
    """Write the leaf rows, nodes and head of :func:`plan_log_append`'s answer."""
    db.executemany(log_sql.INSERT_LEAF, [_leaf_row(tenant_id, r.leaf_index, r.leaf)
                                         for r in plan.leaves])
    db.executemany(log_sql.INSERT_NODE, [(tenant_id, level, idx, h)
                                         for (level, idx), h in plan.nodes
                                         if level >= LOWEST_STORED_LEVEL])
    db.executemany(log_sql.INSERT_SESSION, {(tenant_id, r.leaf.session_id, r.leaf.trace_id)
                                            for r in plan.leaves})
    db.execute(log_sql.UPSERT_HEAD, (tenant_id, plan.head.size, plan.head.encode_edge()))


def _leaf_row(tenant_id: str, index: int, leaf: LogLeaf) -> tuple[Any, ...]:
    if isinstance(leaf, EntryLeaf):
        return (tenant_id, index, log_sql.ENTRY, leaf.session_id, leaf.trace_id, leaf.seq,
                str(leaf.kind), bytes.fromhex(leaf.entry_hash), None, None, None)
    return (tenant_id, index, log_sql.TOMBSTONE, leaf.session_id, leaf.trace_id, None, None,
            bytes.fromhex(leaf.tombstone_hash), leaf.entry_count, leaf.final_hash,
            leaf.removed_at)


def _stored(tenant_id: str, row: tuple[Any, ...]) -> StoredLeaf:
    index, leaf_kind, session_id, trace_id, seq, kind, record_hash, count, final, removed = row
    leaf: LogLeaf
    if leaf_kind == log_sql.ENTRY:
        leaf = EntryLeaf(tenant_id, session_id, trace_id, seq, kind, bytes(record_hash).hex())
    else:
        leaf = TombstoneLeaf(tenant_id, session_id, trace_id, count, final, removed,
                             bytes(record_hash).hex())
    return StoredLeaf(int(index), leaf)


def leaves(db: sqlite3.Connection, tenant_id: str, statement: str,
           params: tuple[Any, ...]) -> list[StoredLeaf]:
    return [_stored(tenant_id, r) for r in db.execute(statement, (tenant_id, *params))]


def leaves_of_traces(db: sqlite3.Connection, tenant_id: str,
                     trace_ids: Sequence[str]) -> list[StoredLeaf]:
    if not trace_ids:
        return []
    ids = orjson.dumps(list(dict.fromkeys(trace_ids))).decode()
    return leaves(db, tenant_id, log_sql.SELECT_LEAVES_OF_TRACES, (ids,))


#: The lowest tree level kept in ``log_nodes``: a node below it (a perfect subtree of fewer
#: than 16 leaves) is rebuilt from its leaf rows when a proof needs it, at most 15 leaf
#: hashes a level, so an append writes one node per 16 leaves instead of one per leaf.
LOWEST_STORED_LEVEL = 4


def nodes(db: sqlite3.Connection, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
    """Node hashes in the order asked; nodes below :data:`LOWEST_STORED_LEVEL` are the
    tree hash of their leaves, rebuilt from the leaf rows."""
    if not ids:
        return []
    wanted = list(dict.fromkeys(ids))
    upper = [list(i) for i in wanted if i[0] >= LOWEST_STORED_LEVEL]
    lower = [i for i in wanted if i[0] < LOWEST_STORED_LEVEL]
    found: dict[NodeId, bytes] = {}
    if upper:
        found.update({(int(level), int(idx)): bytes(h) for level, idx, h in db.execute(
            log_sql.SELECT_NODES, {"tenant": tenant_id, "ids": orjson.dumps(upper).decode()})})
    if lower:
        indexes = sorted({i for level, idx in lower
                          for i in range(idx << level, (idx + 1) << level)})
        hashes = {s.leaf_index: s.leaf.hash() for s in leaves(
            db, tenant_id, log_sql.SELECT_LEAVES_AT, (orjson.dumps(indexes).decode(),))}
        for level, idx in lower:
            span = [hashes.get(i) for i in range(idx << level, (idx + 1) << level)]
            if all(h is not None for h in span):
                found[(level, idx)] = tree_hash([h for h in span if h is not None])
    for level, idx in ids:
        if (level, idx) not in found:
            raise MissingNode(f"log node of tenant {tenant_id!r} at level {level}, "
                              f"index {idx} is not stored")
    return [found[i] for i in ids]


def add_checkpoint(db: sqlite3.Connection, tenant_id: str, cp: StoredCheckpoint) -> None:
    db.execute(log_sql.INSERT_CHECKPOINT, (tenant_id, cp.size, cp.note, cp.created_at))


def checkpoints(db: sqlite3.Connection, tenant_id: str, limit: int) -> list[StoredCheckpoint]:
    return [StoredCheckpoint(int(s), str(n), str(c))
            for s, n, c in db.execute(log_sql.SELECT_CHECKPOINTS, (tenant_id, limit))]


def backfill(db: sqlite3.Connection) -> None:
    """Give every entry and tombstone of a file made before the log its leaf: entries in
    journal order, then tombstones (whose entries are gone: the log cannot prove what they
    held, only that they were removed). Runs once, in the migrating transaction."""
    by_tenant: dict[str, list[LogLeaf]] = defaultdict(list)
    for tenant, session, trace, seq, kind, h in db.execute(log_sql.SELECT_BACKFILL_ENTRIES):
        by_tenant[tenant].append(EntryLeaf(tenant, session, trace, seq, kind, h))
    for t in db.execute(log_sql.SELECT_BACKFILL_TOMBSTONES).fetchall():
        by_tenant[t[0]].append(TombstoneLeaf(*t))
    for tenant, tenant_leaves in by_tenant.items():
        for start in range(0, len(tenant_leaves), 10_000):
            append_leaves(db, tenant, tenant_leaves[start:start + 10_000])


def root(head: LogHead) -> bytes:
    """The root hash of a log with this head (its compact range folded)."""
    return CompactRange(head.size, head.edge).root()



def session_leaves(db: sqlite3.Connection, tenant_id: str, session_id: str) -> list[StoredLeaf]:
    rows = db.execute(log_sql.SELECT_LEAVES_OF_SESSION, {"tenant": tenant_id,
                                                         "session": session_id})
    return [_stored(tenant_id, r) for r in rows]
