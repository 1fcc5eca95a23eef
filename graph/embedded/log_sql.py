"""The tenant Merkle log's tables and statements on SQLite (all parameterized constants).

One head row per tenant (size and right edge, rewritten by every append), one row per leaf
(what rebuilds the leaf record, so the log still names a trace and seq after retention
deleted the entry), one row per perfect-subtree node (level 0: the leaf hashes), and the
signed checkpoints. Leaf and node rows never change (triggers refuse it: a speed bump only;
verification recomputes the tree from the hashed records and compares it with a signed
checkpoint). See docs/dev/merkle-integration.md.
"""

from __future__ import annotations

#: ``leaf_kind`` of an entry leaf and of a tombstone leaf.
ENTRY = "e"
TOMBSTONE = "t"

SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS log_heads (
  tenant_id TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  edge BLOB NOT NULL
) WITHOUT ROWID""",
    # Level 0 of the tree (the leaf hashes) is not kept in log_nodes: a proof needs at most
    # one leaf hash, rebuilt from its leaf row. Entry leaves: seq, kind and hash (32 bytes)
    # of the entry. Tombstone leaves: the tombstone's entry_count, final_hash and
    # removed_at, its hash in record_hash.
    """CREATE TABLE IF NOT EXISTS log_leaves (
  tenant_id TEXT NOT NULL,
  leaf_index INTEGER NOT NULL,
  leaf_kind TEXT NOT NULL,
  session_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  seq INTEGER,
  kind TEXT,
  record_hash BLOB NOT NULL,
  entry_count INTEGER,
  final_hash TEXT,
  removed_at TEXT,
  PRIMARY KEY (tenant_id, leaf_index)
) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS log_leaves_by_trace ON log_leaves (tenant_id, trace_id)",
    # The traces each session's leaves name (one row per trace, not an index entry per leaf):
    # a session's traces are listed from the log, so a trace deleted whole is still found.
    """CREATE TABLE IF NOT EXISTS log_sessions (
  tenant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, session_id, trace_id)
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS log_nodes (
  tenant_id TEXT NOT NULL,
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (tenant_id, level, idx)
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
  tenant_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  note TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, size, note)
) WITHOUT ROWID""",
    """CREATE TRIGGER IF NOT EXISTS log_leaves_no_update BEFORE UPDATE ON log_leaves
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: log leaves are append-only (UPDATE refused)');
END""",
    """CREATE TRIGGER IF NOT EXISTS log_leaves_no_delete BEFORE DELETE ON log_leaves
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: log leaves are append-only (DELETE refused)');
END""",
    """CREATE TRIGGER IF NOT EXISTS log_nodes_no_update BEFORE UPDATE ON log_nodes
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: log nodes are append-only (UPDATE refused)');
END""",
    """CREATE TRIGGER IF NOT EXISTS log_nodes_no_delete BEFORE DELETE ON log_nodes
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: log nodes are append-only (DELETE refused)');
END""",
)

SELECT_ANY_LEAF = "SELECT 1 FROM log_leaves LIMIT 1"
SELECT_HEAD = "SELECT size, edge FROM log_heads WHERE tenant_id = ?"
UPSERT_HEAD = """
INSERT INTO log_heads (tenant_id, size, edge) VALUES (?, ?, ?)
ON CONFLICT (tenant_id) DO UPDATE SET size = excluded.size, edge = excluded.edge
"""
INSERT_LEAF = """
INSERT INTO log_leaves (tenant_id, leaf_index, leaf_kind, session_id, trace_id, seq, kind,
  record_hash, entry_count, final_hash, removed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_NODE = "INSERT INTO log_nodes (tenant_id, level, idx, hash) VALUES (?, ?, ?, ?)"

SELECT_LEAVES_RANGE = """
SELECT leaf_index, leaf_kind, session_id, trace_id, seq, kind, record_hash, entry_count,
  final_hash, removed_at FROM log_leaves
WHERE tenant_id = ? AND leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index
"""
#: Leaves naming any trace of a JSON array of trace ids (INDEXED BY: without statistics the
#: planner would rather walk all the tenant's leaves in primary-key order).
SELECT_LEAVES_OF_TRACES = """
SELECT l.leaf_index, l.leaf_kind, l.session_id, l.trace_id, l.seq, l.kind, l.record_hash,
  l.entry_count, l.final_hash, l.removed_at
FROM log_leaves l INDEXED BY log_leaves_by_trace
WHERE l.tenant_id = ? AND l.trace_id IN (SELECT value FROM json_each(?))
ORDER BY l.leaf_index
"""
SELECT_LEAVES_OF_SESSION = """
SELECT l.leaf_index, l.leaf_kind, l.session_id, l.trace_id, l.seq, l.kind, l.record_hash,
  l.entry_count, l.final_hash, l.removed_at
FROM log_sessions s
CROSS JOIN log_leaves l INDEXED BY log_leaves_by_trace
  ON l.tenant_id = s.tenant_id AND l.trace_id = s.trace_id
WHERE s.tenant_id = :tenant AND s.session_id = :session AND l.session_id = :session
ORDER BY l.leaf_index
"""
#: Leaves by a JSON array of leaf indexes (level 0 of the tree, for proofs).
SELECT_LEAVES_AT = """
SELECT leaf_index, leaf_kind, session_id, trace_id, seq, kind, record_hash, entry_count,
  final_hash, removed_at FROM log_leaves
WHERE tenant_id = ? AND leaf_index IN (SELECT value FROM json_each(?))
"""
INSERT_SESSION = """
INSERT OR IGNORE INTO log_sessions (tenant_id, session_id, trace_id) VALUES (?, ?, ?)
"""
#: Node hashes of a JSON array of ``[level, idx]`` pairs.
SELECT_NODES = """
SELECT level, idx, hash FROM log_nodes
WHERE tenant_id = :tenant AND (level, idx) IN (
  SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:ids))
"""

INSERT_CHECKPOINT = """
INSERT OR IGNORE INTO checkpoints (tenant_id, size, note, created_at) VALUES (?, ?, ?, ?)
"""
SELECT_CHECKPOINTS = """
SELECT size, note, created_at FROM checkpoints WHERE tenant_id = ?
ORDER BY size DESC, created_at DESC LIMIT ?
"""

#: Every tenant's entries in the order a log built afterwards gives them leaves (journal
#: order), with their session: the backfill of a file made before the log.
SELECT_BACKFILL_ENTRIES = """
SELECT e.tenant_id, t.session_id, e.trace_id, e.seq, e.kind, e.hash
FROM entries e JOIN traces t ON t.tenant_id = e.tenant_id AND t.trace_id = e.trace_id
ORDER BY e.rowid
"""
SELECT_BACKFILL_TOMBSTONES = """
SELECT tenant_id, session_id, trace_id, entry_count, final_hash, removed_at, hash
FROM tombstones ORDER BY removed_at, tenant_id, trace_id
"""
