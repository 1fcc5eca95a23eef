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
from tracegraph.schema.merkle import tree_hash
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf, leaf_hashes
from tracegraph.schema.merkle_tree import CompactRange, MissingNode, NodeId

from ..log_plan import LeafRow, LogAppend, LogHead, entry_leaves, plan_log_append
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
    """Write the leaf runs, nodes and head of :func:`plan_log_append`'s answer."""
    db.executemany(log_sql.INSERT_RUN, list(_runs(tenant_id, plan.leaves)))
    db.executemany(log_sql.INSERT_NODE, [(tenant_id, level, idx, h)
                                         for (level, idx), h in plan.nodes
                                         if level >= LOWEST_STORED_LEVEL])
    db.executemany(log_sql.INSERT_SESSION, {(tenant_id, r.leaf.session_id, r.leaf.trace_id)
                                            for r in plan.leaves})
    db.execute(log_sql.UPSERT_HEAD, (tenant_id, plan.head.size, plan.head.encode_edge()))


def _runs(tenant_id: str, rows: Sequence[LeafRow]) -> Iterator[tuple[Any, ...]]:
    """Run rows: consecutive entry leaves of one trace and session with consecutive seqs
    make one; each tombstone leaf is one."""
    i = 0
    while i < len(rows):
        first = rows[i].leaf
        if isinstance(first, TombstoneLeaf):
            yield (tenant_id, rows[i].leaf_index, 1, log_sql.TOMBSTONE, first.session_id,
                   first.trace_id, None, None, bytes.fromhex(first.tombstone_hash),
                   first.entry_count, first.final_hash, first.removed_at)
            i += 1
            continue
        j = i + 1
        while j < len(rows):
            leaf = rows[j].leaf
            if not (isinstance(leaf, EntryLeaf) and leaf.trace_id == first.trace_id
                    and leaf.session_id == first.session_id
                    and leaf.seq == first.seq + (j - i)):
                break
            j += 1
        run = [r.leaf for r in rows[i:j] if isinstance(r.leaf, EntryLeaf)]
        yield (tenant_id, rows[i].leaf_index, j - i, log_sql.ENTRY, first.session_id,
               first.trace_id, first.seq, ",".join(str(e.kind) for e in run),
               bytes.fromhex("".join(e.entry_hash for e in run)), None, None, None)
        i = j


def _expand(tenant_id: str, row: tuple[Any, ...], start: int = 0,
            stop: int | None = None) -> Iterator[StoredLeaf]:
    """The leaves of one run row (those with ``start <= leaf_index < stop``)."""
    first, count, leaf_kind, session, trace, seq, kinds, hashes, n, final, removed = row
    raw = bytes(hashes)
    if leaf_kind == log_sql.TOMBSTONE:
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
    if lower:  # one range read per run of overlapping or adjacent spans
        hashes: dict[int, bytes] = {}
        spans = sorted((idx << level, (idx + 1) << level) for level, idx in lower)
        begin, end = spans[0]
        for b, e in [*spans[1:], (-1, -1)]:
            if 0 <= b <= end:
                end = max(end, e)
                continue
            got = leaves_in(db, tenant_id, begin, end)
            hashes.update(zip((s.leaf_index for s in got),
                              leaf_hashes([s.leaf for s in got]), strict=True))
            begin, end = b, e
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


