"""The tenant Merkle log's tables and statements on SQLite (all parameterized constants).

One head row per tenant (size and right edge, rewritten by every append), one row per leaf
(what rebuilds the leaf record, so the log still names a trace and seq after retention
deleted the entry), one row per perfect-subtree node (level 0: the leaf hashes), and the
signed checkpoints. Leaf and node rows never change (triggers refuse it: a speed bump only;
verification recomputes the tree from the hashed records and compares it with a signed
checkpoint). See docs/dev/merkle-integration.md.
"""

from __future__ import annotations

SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS log_heads (
  tenant_id TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  edge BLOB NOT NULL
) WITHOUT ROWID""",
    # Leaves are kept as runs: consecutive leaves of one append to one trace (entry leaves,
    # their seqs consecutive too) make one row: the first leaf index, the count, the first
    # seq, the entry kinds (comma-separated) and the entry hashes (32 bytes each). A
    # tombstone leaf is a run of one, with the tombstone's members. An append of 500 steps
    # writes one row, not 500. Level 0 of the tree (the leaf hashes) is not in log_nodes:
    # a proof needs at most one 16-leaf span of leaf hashes, rebuilt from the runs.
    """CREATE TABLE IF NOT EXISTS log_runs (
  tenant_id TEXT NOT NULL,
  first_index INTEGER NOT NULL,
  count INTEGER NOT NULL,
  leaf_kind TEXT NOT NULL,
  session_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  first_seq INTEGER,
  kinds TEXT,
  hashes BLOB NOT NULL,
  entry_count INTEGER,
  final_hash TEXT,
  removed_at TEXT,
  PRIMARY KEY (tenant_id, first_index)
) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS log_runs_by_trace ON log_runs (tenant_id, trace_id)",
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
    """CREATE TRIGGER IF NOT EXISTS log_runs_no_update BEFORE UPDATE ON log_runs
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: log leaves are append-only (UPDATE refused)');
END""",
    """CREATE TRIGGER IF NOT EXISTS log_runs_no_delete BEFORE DELETE ON log_runs
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

SELECT_ANY_LEAF = "SELECT 1 FROM log_runs LIMIT 1"
SELECT_HEAD = "SELECT size, edge FROM log_heads WHERE tenant_id = ?"
UPSERT_HEAD = """
INSERT INTO log_heads (tenant_id, size, edge) VALUES (?, ?, ?)
ON CONFLICT (tenant_id) DO UPDATE SET size = excluded.size, edge = excluded.edge
"""
INSERT_RUN = """
INSERT INTO log_runs (tenant_id, first_index, count, leaf_kind, session_id, trace_id,
  first_seq, kinds, hashes, entry_count, final_hash, removed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_NODE = "INSERT INTO log_nodes (tenant_id, level, idx, hash) VALUES (?, ?, ?, ?)"

#: The runs holding leaves ``?3 <= leaf_index < ?2``: the run the first one is in, and every
#: run that begins before the stop.
SELECT_RUNS_RANGE = """
SELECT first_index, count, leaf_kind, session_id, trace_id, first_seq, kinds, hashes,
  entry_count, final_hash, removed_at FROM log_runs
WHERE tenant_id = ?1 AND first_index < ?2 AND first_index >= COALESCE(
  (SELECT MAX(first_index) FROM log_runs WHERE tenant_id = ?1 AND first_index <= ?3), 0)
ORDER BY first_index
"""
#: Runs naming any trace of a JSON array of trace ids (INDEXED BY: without statistics the
#: planner would rather walk all the tenant's runs in primary-key order).
SELECT_RUNS_OF_TRACES = """
SELECT first_index, count, leaf_kind, session_id, trace_id, first_seq, kinds, hashes,
  entry_count, final_hash, removed_at FROM log_runs INDEXED BY log_runs_by_trace
WHERE tenant_id = ? AND trace_id IN (SELECT value FROM json_each(?))
ORDER BY first_index
"""
SELECT_RUNS_OF_SESSION = """
SELECT r.first_index, r.count, r.leaf_kind, r.session_id, r.trace_id, r.first_seq, r.kinds,
  r.hashes, r.entry_count, r.final_hash, r.removed_at
FROM log_sessions s
CROSS JOIN log_runs r INDEXED BY log_runs_by_trace
  ON r.tenant_id = s.tenant_id AND r.trace_id = s.trace_id
WHERE s.tenant_id = :tenant AND s.session_id = :session AND r.session_id = :session
ORDER BY r.first_index
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
