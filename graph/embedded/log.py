"""The tenant Merkle log on SQLite: written inside the append's and retention's transactions,
read for checkpoints, proofs and verification (:class:`~tracegraph.graph.protocol.LogStore`).

The head is read under the ``BEGIN IMMEDIATE`` the caller holds: SQLite's one writer lock,
also across processes on one file, is what keeps each tenant's leaf indexes dense and unique.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf, leaf_hashes
from tracegraph.schema.merkle_tree import NodeId

from ..log_plan import LogAppend, LogHead, entry_leaves, plan_log_append
from ..log_rows import (
    TOMBSTONE,
    leaf_runs,
    leaf_spans,
    node_hashes,
    nodes_to_store,
    rebuilt_nodes,
    split_node_ids,
)
from ..protocol import StoredCheckpoint, StoredLeaf, Tombstone
from . import log_sql


def read_head(db: sqlite3.Connection, tenant_id: str) -> LogHead:
    row = db.execute(log_sql.SELECT_HEAD, (tenant_id,)).fetchone()
    return LogHead() if row is None else LogHead.decode(int(row[0]), bytes(row[1]))


def append_entries(db: sqlite3.Connection, tenant_id: str, session_id: str,
                   entries: Sequence[ChainEntry]) -> None:
    """Add one leaf per sealed entry of one trace (inside the append's transaction)."""
    append_leaves(db, tenant_id, entry_leaves(session_id, entries))


def tombstone_leaf(t: Tombstone) -> TombstoneLeaf:
    return TombstoneLeaf(t.tenant_id, t.session_id, t.trace_id, t.entry_count, t.final_hash,
                         t.removed_at, t.hash)


def append_tombstone(db: sqlite3.Connection, t: Tombstone) -> None:
    """Add the leaf of a retention tombstone (inside the transaction that removes the trace)."""
    append_leaves(db, t.tenant_id, [tombstone_leaf(t)])


def append_leaves(db: sqlite3.Connection, tenant_id: str, leaves: Sequence[LogLeaf]) -> None:
    if not leaves:
        return
    write_plan(db, tenant_id, plan_log_append(read_head(db, tenant_id), leaves))


def write_plan(db: sqlite3.Connection, tenant_id: str, plan: LogAppend) -> None:
    """Write the leaf runs (:func:`~tracegraph.graph.log_rows.leaf_runs`, hashes as bytes),
    the nodes a backend keeps, the sessions' traces and the head of :func:`plan_log_append`'s
    answer."""
    db.executemany(log_sql.INSERT_RUN, [
        (tenant_id, r.first_index, r.count, r.leaf_kind, r.session_id, r.trace_id, r.first_seq,
         r.kinds, bytes.fromhex(r.hashes), r.entry_count, r.final_hash, r.removed_at)
        for r in leaf_runs(plan.leaves)])
    db.executemany(log_sql.INSERT_NODE, [(tenant_id, level, idx, h)
                                         for (level, idx), h in nodes_to_store(plan.nodes)])
    db.executemany(log_sql.INSERT_SESSION, {(tenant_id, r.leaf.session_id, r.leaf.trace_id)
                                            for r in plan.leaves})
    db.execute(log_sql.UPSERT_HEAD, (tenant_id, plan.head.size, plan.head.encode_edge()))


def _expand(tenant_id: str, row: tuple[Any, ...], start: int = 0,
            stop: int | None = None) -> Iterator[StoredLeaf]:
    """The leaves of one run row (those with ``start <= leaf_index < stop``)."""
    first, count, leaf_kind, session, trace, seq, kinds, hashes, n, final, removed = row
    raw = bytes(hashes)
    if leaf_kind == TOMBSTONE:
        yield StoredLeaf(int(first), TombstoneLeaf(tenant_id, session, trace, n, final, removed,
                                                   raw.hex()))
        return
    names = str(kinds).split(",")
    lo = max(0, start - int(first))
    hi = len(names) if stop is None else min(len(names), stop - int(first))
    for k in range(lo, hi):
        yield StoredLeaf(int(first) + k, EntryLeaf(tenant_id, session, trace, int(seq) + k,
                                                   names[k], raw[32 * k:32 * k + 32].hex()))
    if len(raw) != 32 * int(count):
        raise ValueError(f"log run of tenant {tenant_id!r} at leaf {first}: {count} leaves "
                         f"but {len(raw)} bytes of hashes")


def leaves_in(db: sqlite3.Connection, tenant_id: str, start: int, stop: int
              ) -> list[StoredLeaf]:
    """Leaves with ``start <= leaf_index < stop``, in index order."""
    if stop <= start:
        return []
    rows = db.execute(log_sql.SELECT_RUNS_RANGE, (tenant_id, stop, start))
    return [s for r in rows for s in _expand(tenant_id, r, start, stop)
            if start <= s.leaf_index < stop]


def leaves_of_traces(db: sqlite3.Connection, tenant_id: str,
                     trace_ids: Sequence[str]) -> list[StoredLeaf]:
    if not trace_ids:
        return []
    ids = orjson.dumps(list(dict.fromkeys(trace_ids))).decode()
    rows = db.execute(log_sql.SELECT_RUNS_OF_TRACES, (tenant_id, ids))
    return [s for r in rows for s in _expand(tenant_id, r)]


def session_leaves(db: sqlite3.Connection, tenant_id: str, session_id: str) -> list[StoredLeaf]:
    rows = db.execute(log_sql.SELECT_RUNS_OF_SESSION, {"tenant": tenant_id,
                                                       "session": session_id})
    return [s for r in rows for s in _expand(tenant_id, r)]


def nodes(db: sqlite3.Connection, tenant_id: str, ids: Sequence[NodeId]) -> list[bytes]:
    """Node hashes in the order asked; nodes below
    :data:`~tracegraph.graph.log_rows.LOWEST_STORED_LEVEL` are the tree hash of their
    leaves, rebuilt from the leaf runs (one range read per group of nearby leaves)."""
    if not ids:
        return []
    upper, leaf_indexes = split_node_ids(ids)
    found: dict[NodeId, bytes] = {}
    if upper:
        found.update({(int(level), int(idx)): bytes(h) for level, idx, h in db.execute(
            log_sql.SELECT_NODES, {"tenant": tenant_id,
                                   "ids": orjson.dumps([list(i) for i in upper]).decode()})})
    hashes: dict[int, bytes] = {}
    for start, stop in leaf_spans(leaf_indexes):
        got = leaves_in(db, tenant_id, start, stop)
        hashes.update(zip((x.leaf_index for x in got), leaf_hashes([x.leaf for x in got]),
                          strict=True))
    found.update(rebuilt_nodes(ids, hashes))
    return node_hashes(tenant_id, ids, found)


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
