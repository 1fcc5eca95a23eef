"""SQLite schema and every statement the embedded backend runs (all parameterized)."""

from __future__ import annotations

from typing import get_args

from tracegraph.graph.protocol import EdgeType

MMAP_PRAGMA = "PRAGMA mmap_size=2147418112"
#: Page size of a new database file (an existing file keeps the size it was made with, which
#: SQLite records in its header; every statement runs on either). A step's journal row is
#: about 1.4 KB: two fit in a 4 KB page with a quarter of it left empty, five in 8 KB with a
#: tenth. 8 KB pages store the benchmark's nested workload in 10% fewer bytes per step
#: (docs/performance.md); larger pages save little more and slow appends, whose random index
#: inserts (edges_to) then rewrite larger pages into the WAL.
PAGE_SIZE = 8192
PRAGMAS = (
    # Before journal_mode: a database in WAL mode can no longer change its page size.
    f"PRAGMA page_size={PAGE_SIZE}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-65536",
    # Checkpoint the WAL into the database every 64 MB instead of every 4 MB: fewer, larger
    # checkpoints (a quarter to a third more ingest throughput). Commits are as durable as
    # before; the WAL file is cut back to at most 64 MB after a checkpoint.
    "PRAGMA wal_autocheckpoint=16384",
    "PRAGMA journal_size_limit=67108864",
    # Read the first 2 GB of the database (SQLite's largest map) through a memory map instead
    # of copying pages into each connection's cache (every thread has its own connection):
    # verification and whole-run reads of a store larger than the 64 MB cache use a third
    # less CPU. Mapped pages are the file's own (clean, shared, given back under memory
    # pressure), though RSS counts those a process has touched.
    MMAP_PRAGMA,
)

#: Edge types as the edges table stores them: a letter instead of the name, which the table
#: and both its indexes repeat (67 B per step less on the benchmark's workload). Rows written
#: before hold the name and stay as they are: reads map both spellings to the name.
EDGE_TYPE_CODES: dict[EdgeType, str] = {
    "ASKED": "q", "CALLED": "a", "CHILD_OF": "c", "CONSIDERED": "o", "DEPENDS_ON": "d",
    "HAS_STEP": "h", "NEXT": "n", "SPAWNED": "s",
}
#: Stored spelling (letter or name) -> edge type.
EDGE_TYPE_NAMES: dict[str, EdgeType] = {
    **{name: name for name in get_args(EdgeType)},
    **{code: name for name, code in EDGE_TYPE_CODES.items()},
}


def stored_type(name: EdgeType) -> str:
    """How the edges table stores edge type ``name`` (a type without a letter: its name)."""
    return EDGE_TYPE_CODES.get(name, name)


def type_name(stored: str) -> EdgeType:
    """The edge type of a stored ``type`` value, either spelling."""
    return EDGE_TYPE_NAMES[stored]


def stored_types(names: frozenset[EdgeType]) -> str:
    """An SQL list of edge types ``names`` in both stored spellings, for ``type IN ...``."""
    spelled = sorted({*names, *(stored_type(n) for n in names)})
    return "(" + ", ".join(f"'{t}'" for t in spelled) + ")"


#: The layout version this code writes, kept in ``meta`` under ``schema_version``. Version 1
#: (files made before, which have no version row) kept trace, record, tombstone and edge ids
#: unique across tenants; version 2 keys each by the tenant and the id. Opening a version 1
#: file migrates it (:data:`MIGRATE_1_TO_2`). Version 3 adds the tenant Merkle log
#: (:mod:`.log_sql`), which opening an older file builds from its entries and tombstones.
#: Version 4 keeps the questions waiting for an answer on the trace row (``open_questions``,
#: a JSON array, NULL for none): opening an older file adds the column and fills it for its
#: paused traces from their human inputs (:data:`ADD_OPEN_QUESTIONS`).
SCHEMA_VERSION = 4
SELECT_SCHEMA_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
SET_SCHEMA_VERSION = "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)"
#: Whether the file has table ``?`` (a file with ``traces`` and no version row is version 1).
SELECT_HAS_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
#: Whether the journal is the WITHOUT ROWID table of the oldest files, keyed by
#: ``(trace_id, seq)`` (no rowid column).
SELECT_ENTRIES_WITHOUT_ROWID = """
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entries' AND sql LIKE '%WITHOUT ROWID%'
"""

#: Every statement that makes the schema (each idempotent), run in order in one transaction.
SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID""",
    # The journal: one row per hash-chain entry. body holds the canonical JSON of the hashed
    # object exactly as it was hashed. Rows are append-only (triggers below). A rowid table
    # (bodies are appended in rowid order) with a unique (tenant_id, trace_id, seq) index: no
    # two entries of a trace can share a seq.
    """CREATE TABLE IF NOT EXISTS entries (
  trace_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  hash TEXT NOT NULL,
  body BLOB NOT NULL
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_by_trace ON entries (tenant_id, trace_id, seq)",
    # Index of traces: derived from entries, updated in the same transaction as each append.
    # Ids are per tenant: the key is (tenant_id, trace_id).
    """CREATE TABLE IF NOT EXISTS traces (
  trace_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  agent_id TEXT,
  parent_trace_id TEXT,
  status TEXT NOT NULL,
  outcome TEXT,
  created_at TEXT NOT NULL,
  completed_at TEXT,
  entry_count INTEGER NOT NULL,
  step_count INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  last_step_id TEXT,
  completed_seq INTEGER,
  open_questions TEXT,
  PRIMARY KEY (tenant_id, trace_id)
) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS traces_by_time ON traces (tenant_id, created_at, trace_id)",
    "CREATE INDEX IF NOT EXISTS traces_by_session ON traces (tenant_id, session_id, created_at)",
    "CREATE INDEX IF NOT EXISTS traces_by_parent "
    "ON traces (tenant_id, parent_trace_id, created_at)",
    # (the listings led by an agent or a status: LISTINGS below. An older traces_by_agent on
    # the same columns went unused while the agent filter had only its NULL switch.)
    "DROP INDEX IF EXISTS traces_by_agent",
    "CREATE INDEX IF NOT EXISTS traces_by_agent_time ON traces (tenant_id, agent_id, created_at)",
    "CREATE INDEX IF NOT EXISTS traces_by_status ON traces (tenant_id, status, created_at)",
    """CREATE TABLE IF NOT EXISTS trace_models (
  tenant_id TEXT NOT NULL,
  model_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, model_id, trace_id)
) WITHOUT ROWID""",
    # Every chain record with an id (steps, API calls, human inputs) and alternatives, keyed
    # by (tenant_id, node_id).
    """CREATE TABLE IF NOT EXISTS nodes (
  node_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  seq INTEGER,
  PRIMARY KEY (tenant_id, node_id)
) WITHOUT ROWID""",
    # Graph edges; reads list a node's edges in insertion order (rowid). type is stored as
    # the letter of EDGE_TYPE_CODES (rows written before hold the name; reads take both).
    # Both indexes lead with the tenant: a walk never meets another tenant's node of the
    # same id.
    """CREATE TABLE IF NOT EXISTS edges (
  tenant_id TEXT NOT NULL,
  src TEXT NOT NULL,
  dst TEXT NOT NULL,
  type TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS edges_from ON edges (tenant_id, src, type)",
    "CREATE INDEX IF NOT EXISTS edges_to ON edges (tenant_id, dst, type)",
    # What retention leaves of a removed trace.
    # Items an adapter holds until what they wait for is stored (OTLP spans whose parent has
    # not arrived): plain rows, deleted when placed; not part of any chain.
    """CREATE TABLE IF NOT EXISTS pending_items (
  tenant_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  item_id TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (tenant_id, grp, item_id)
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS tombstones (
  trace_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  entry_count INTEGER NOT NULL,
  final_hash TEXT NOT NULL,
  removed_at TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, trace_id)
) WITHOUT ROWID""",
    # (a session's tombstones, read by every verification of it, without walking the
    # tenant's: retention leaves one per removed trace)
    "CREATE INDEX IF NOT EXISTS tombstones_by_session "
    "ON tombstones (tenant_id, session_id, removed_at)",
    """CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: chain entries are append-only (UPDATE refused)');
END""",
    """CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
WHEN NOT EXISTS (SELECT 1 FROM tombstones
                 WHERE tenant_id = OLD.tenant_id AND trace_id = OLD.trace_id)
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: chain entries are append-only (DELETE refused)');
END""",
    """CREATE TRIGGER IF NOT EXISTS tombstones_no_update BEFORE UPDATE ON tombstones
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: tombstones are append-only');
END""",
    """CREATE TRIGGER IF NOT EXISTS tombstones_no_delete BEFORE DELETE ON tombstones
BEGIN
  SELECT RAISE(ABORT, 'tracegraph: tombstones are append-only');
END""",
)

#: Version 1 -> 2, inside the transaction that opens the file: the old indexes and
#: triggers go, the tables keyed by a bare id are renamed aside (their rows copied into the
#: tables :data:`SCHEMA` makes, then dropped: :data:`MIGRATE_1_TO_2_COPY`). Rows, bodies and
#: hashes are copied as they are; nothing hashed changes.
MIGRATE_1_TO_2_ASIDE: tuple[str, ...] = (
    "DROP TRIGGER IF EXISTS entries_no_update",
    "DROP TRIGGER IF EXISTS entries_no_delete",
    "DROP TRIGGER IF EXISTS tombstones_no_update",
    "DROP TRIGGER IF EXISTS tombstones_no_delete",
    "DROP INDEX IF EXISTS entries_by_seq",
    "DROP INDEX IF EXISTS edges_out",
    "DROP INDEX IF EXISTS edges_in",
    "DROP INDEX IF EXISTS traces_by_time",
    "DROP INDEX IF EXISTS traces_by_session",
    "DROP INDEX IF EXISTS traces_by_parent",
    "ALTER TABLE traces RENAME TO traces_v1",
    "ALTER TABLE nodes RENAME TO nodes_v1",
    "ALTER TABLE tombstones RENAME TO tombstones_v1",
)
#: The oldest files' journal (WITHOUT ROWID, keyed by (trace_id, seq)) is rebuilt as well.
MIGRATE_1_TO_2_ENTRIES_ASIDE = "ALTER TABLE entries RENAME TO entries_v1"
#: (Column lists are constants: nothing of the data reaches these statements' text.)
_TRACE_COLUMNS = (
    "trace_id, tenant_id, session_id, agent_id, parent_trace_id, status, outcome, created_at,"
    " completed_at, entry_count, step_count, head_hash, last_step_id, completed_seq")
_TOMBSTONE_COLUMNS = (
    "trace_id, tenant_id, session_id, entry_count, final_hash, removed_at, hash")
MIGRATE_1_TO_2_COPY: tuple[str, ...] = (
    f"INSERT INTO traces ({_TRACE_COLUMNS}) SELECT {_TRACE_COLUMNS} FROM traces_v1",  # noqa: S608
    "INSERT INTO nodes (node_id, tenant_id, kind, trace_id, seq)"
    " SELECT node_id, tenant_id, kind, trace_id, seq FROM nodes_v1",
    f"INSERT INTO tombstones ({_TOMBSTONE_COLUMNS})"  # noqa: S608
    f" SELECT {_TOMBSTONE_COLUMNS} FROM tombstones_v1",
    "DROP TABLE traces_v1",
    "DROP TABLE nodes_v1",
    "DROP TABLE tombstones_v1",
)
MIGRATE_1_TO_2_ENTRIES_COPY: tuple[str, ...] = (
    "INSERT INTO entries (trace_id, seq, tenant_id, kind, hash, body)"
    " SELECT trace_id, seq, tenant_id, kind, hash, body FROM entries_v1 ORDER BY trace_id, seq",
    "DROP TABLE entries_v1",
)

SELECT_HEAD = """
SELECT entry_count, step_count, head_hash, last_step_id, completed_seq, session_id,
  open_questions
FROM traces WHERE tenant_id = ? AND trace_id = ?
"""
SELECT_TRACE_EXISTS = "SELECT 1 FROM traces WHERE tenant_id = ? AND trace_id = ?"
SELECT_TOMBSTONE_EXISTS = "SELECT 1 FROM tombstones WHERE tenant_id = ? AND trace_id = ?"
SELECT_TOMBSTONE_HASH = "SELECT hash FROM tombstones WHERE tenant_id = ? AND trace_id = ?"
INSERT_ENTRY = """
INSERT INTO entries (trace_id, seq, tenant_id, kind, hash, body) VALUES (?, ?, ?, ?, ?, ?)
"""
INSERT_TRACE = """
INSERT INTO traces (trace_id, tenant_id, session_id, agent_id, parent_trace_id, status,
  created_at, entry_count, step_count, head_hash)
VALUES (?, ?, ?, ?, ?, 'active', ?, 0, 0, ?)
"""
UPDATE_HEAD = """
UPDATE traces SET entry_count = ?, step_count = ?, head_hash = ?, last_step_id = ?
WHERE tenant_id = ? AND trace_id = ?
"""
#: A trace's status set by a human input (paused by a question, active again by an answer).
UPDATE_STATUS = """
UPDATE traces SET status = ?, open_questions = ? WHERE tenant_id = ? AND trace_id = ?
"""
#: Version 3 to 4: the ``open_questions`` column, if missing, and the paused traces whose
#: human inputs fill it.
SELECT_HAS_OPEN_QUESTIONS = """
SELECT 1 FROM pragma_table_info('traces') WHERE name = 'open_questions'
"""
ADD_OPEN_QUESTIONS = "ALTER TABLE traces ADD COLUMN open_questions TEXT"
SELECT_PAUSED = "SELECT tenant_id, trace_id FROM traces WHERE status = 'paused'"
SELECT_HUMAN_INPUTS = """
SELECT body FROM entries
WHERE tenant_id = ? AND trace_id = ? AND kind = 'human_input' ORDER BY seq
"""
SET_OPEN_QUESTIONS = "UPDATE traces SET open_questions = ? WHERE tenant_id = ? AND trace_id = ?"
UPDATE_COMPLETED = """
UPDATE traces SET status = ?, outcome = ?, completed_at = ?, completed_seq = ?
WHERE tenant_id = ? AND trace_id = ?
"""
INSERT_MODEL = """
INSERT OR IGNORE INTO trace_models (tenant_id, model_id, trace_id) VALUES (?, ?, ?)
"""
INSERT_NODE = "INSERT INTO nodes (node_id, tenant_id, kind, trace_id, seq) VALUES (?, ?, ?, ?, ?)"
INSERT_EDGE = "INSERT INTO edges (tenant_id, src, dst, type) VALUES (?, ?, ?, ?)"
#: Where each of many ids (a JSON array) is stored in the tenant, with its kind: ``resolve``.
SELECT_NODE_REFS_IN = """
SELECT node_id, kind, trace_id, seq FROM nodes
WHERE tenant_id = ? AND node_id IN (SELECT value FROM json_each(?))
"""
#: Which of many ids (a JSON array) are traces of the tenant.
SELECT_TRACES_IN = """
SELECT trace_id FROM traces WHERE tenant_id = ? AND trace_id IN (SELECT value FROM json_each(?))
"""
#: Where each of a batch's ids (a JSON array) is stored in the tenant, for the append plan.
SELECT_NODES_IN = """
SELECT node_id, trace_id, seq FROM nodes
WHERE tenant_id = ? AND node_id IN (SELECT value FROM json_each(?))
"""

# A trace row: index columns plus the bodies of its start and completion entries.
SELECT_TRACE = """
SELECT t.trace_id, t.tenant_id, t.status, t.entry_count, t.head_hash,
  (SELECT body FROM entries e
   WHERE e.tenant_id = t.tenant_id AND e.trace_id = t.trace_id AND e.seq = 0),
  (SELECT body FROM entries e
   WHERE e.tenant_id = t.tenant_id AND e.trace_id = t.trace_id AND e.seq = t.completed_seq)
FROM traces t WHERE t.tenant_id = ? AND t.trace_id = ?
"""

# Listing: constant statements (LISTINGS below); a NULL parameter switches a filter off.
_LIST_TRACES = """
SELECT t.trace_id, t.tenant_id, t.status, t.entry_count, t.head_hash,
  (SELECT body FROM entries e
   WHERE e.tenant_id = t.tenant_id AND e.trace_id = t.trace_id AND e.seq = 0),
  (SELECT body FROM entries e
   WHERE e.tenant_id = t.tenant_id AND e.trace_id = t.trace_id AND e.seq = t.completed_seq)
FROM traces t
WHERE t.tenant_id = :tenant
  AND (:session IS NULL OR t.session_id = :session)
  AND (:agent IS NULL OR t.agent_id = :agent)
  AND (:status IS NULL OR t.status = :status)
  AND (:outcome IS NULL OR t.outcome = :outcome)
  AND (:parent IS NULL OR t.parent_trace_id = :parent)
  AND (:roots = 0 OR t.parent_trace_id IS NULL)
  AND (:after IS NULL OR t.created_at >= :after)
  AND (:before IS NULL OR t.created_at < :before)
  AND (:model IS NULL OR EXISTS (SELECT 1 FROM trace_models m
       WHERE m.tenant_id = t.tenant_id AND m.model_id = :model AND m.trace_id = t.trace_id))
  AND {cursor}
ORDER BY t.created_at {order}, t.trace_id {order}
LIMIT :limit
"""
#: The first page (no cursor), and a page after a cursor: a row-value bound the planner
#: seeks on the index (the listing starts at the cursor, not at the top: a page 25,000
#: traces deep took 11 ms, one 50,000 deep 22 ms).
_NO_CURSOR = "1"
_CURSOR = "(t.created_at, t.trace_id) {cmp} (:cur_time, :cur_id)"
#: Newest first: created_at, then trace id, descending; the cursor is a lower bound.
LIST_TRACES = _LIST_TRACES.format(cursor=_NO_CURSOR, order="DESC")
LIST_TRACES_AFTER = _LIST_TRACES.format(cursor=_CURSOR.format(cmp="<"), order="DESC")
#: Oldest first (backward paging): both ascending; the cursor is an upper bound.
LIST_TRACES_ASC = _LIST_TRACES.format(cursor=_NO_CURSOR, order="ASC")
LIST_TRACES_ASC_AFTER = _LIST_TRACES.format(cursor=_CURSOR.format(cmp=">"), order="ASC")

# The same listings led by one filter: without the NULL switch on it the planner seeks its
# index (a session's, a parent's, an agent's or a status's traces in time order) instead of
# walking all the tenant's traces and testing each. The store picks the first filter set.
_LED_BY = {
    "session": ("(:session IS NULL OR t.session_id = :session)", "t.session_id = :session"),
    "parent": ("(:parent IS NULL OR t.parent_trace_id = :parent)",
               "t.parent_trace_id = :parent"),
    "agent": ("(:agent IS NULL OR t.agent_id = :agent)", "t.agent_id = :agent"),
    "status": ("(:status IS NULL OR t.status = :status)", "t.status = :status"),
}
_UNLED = {(False, False): LIST_TRACES, (True, False): LIST_TRACES_ASC,
          (False, True): LIST_TRACES_AFTER, (True, True): LIST_TRACES_ASC_AFTER}
# Led by a model: its traces from trace_models (primary key), sorted; for a model few traces
# have (the store counts first, up to MODEL_LED_MAX), where a walk by time would read most
# of the tenant's traces to find a page.
_MODEL_EXISTS = """(:model IS NULL OR EXISTS (SELECT 1 FROM trace_models m
       WHERE m.tenant_id = t.tenant_id AND m.model_id = :model AND m.trace_id = t.trace_id))"""
_MODEL_FROM = ("FROM traces t\nWHERE t.tenant_id = :tenant",
               "FROM trace_models m CROSS JOIN traces t\n"
               "  ON t.tenant_id = m.tenant_id AND t.trace_id = m.trace_id\n"
               "WHERE m.tenant_id = :tenant AND m.model_id = :model AND t.tenant_id = :tenant")
MODEL_LED_MAX = 500
#: How many traces of the tenant used the model, counted up to the given bound.
COUNT_MODEL_TRACES = """SELECT count(*) FROM (SELECT 1 FROM trace_models
    WHERE tenant_id = ? AND model_id = ? LIMIT ?)"""
#: (leading filter or None, ascending, after a cursor) -> the listing statement
LISTINGS: dict[tuple[str | None, bool, bool], str] = {
    **{(None, asc, cur): q for (asc, cur), q in _UNLED.items()},
    **{(lead, asc, cur): q.replace(*switch)
       for lead, switch in _LED_BY.items() for (asc, cur), q in _UNLED.items()},
    **{("model", asc, cur): q.replace(*_MODEL_FROM).replace(_MODEL_EXISTS, "1")
       for (asc, cur), q in _UNLED.items()},
}

SELECT_ENTRIES = """
SELECT seq, kind, hash, body FROM entries WHERE tenant_id = ? AND trace_id = ? ORDER BY seq
"""
SELECT_ENTRY = """
SELECT seq, kind, hash, body FROM entries WHERE tenant_id = ? AND trace_id = ? AND seq = ?
"""
SELECT_CHILDREN = """
SELECT trace_id FROM traces WHERE tenant_id = ? AND parent_trace_id = ?
ORDER BY created_at, trace_id
"""
SELECT_EDGES_OUT = "SELECT src, dst, type FROM edges WHERE tenant_id = ? AND src = ? ORDER BY rowid"
SELECT_EDGES_IN = "SELECT src, dst, type FROM edges WHERE tenant_id = ? AND dst = ? ORDER BY rowid"
#: The edges leaving / entering any node of a JSON array of ids, in insertion order.
SELECT_EDGES_OUT_IN = """
SELECT src, dst, type FROM edges
WHERE tenant_id = ? AND src IN (SELECT value FROM json_each(?)) ORDER BY rowid
"""
SELECT_EDGES_IN_IN = """
SELECT src, dst, type FROM edges
WHERE tenant_id = ? AND dst IN (SELECT value FROM json_each(?)) ORDER BY rowid
"""
# Verification of a session: each trace's recorded length and head, in listing order.
SELECT_SESSION_HEADS = """
SELECT trace_id, entry_count, head_hash FROM traces WHERE tenant_id = ? AND session_id = ?
ORDER BY created_at, trace_id
"""
#: Every tenant with a trace or a tombstone: each table's primary key skipped from one
#: tenant to the next (a seek per tenant, not a walk of every trace; the interval
#: checkpointer asks every minute).
SELECT_TENANTS = """
WITH RECURSIVE
  t(id) AS (SELECT min(tenant_id) FROM traces UNION ALL
            SELECT (SELECT min(tenant_id) FROM traces WHERE tenant_id > t.id)
            FROM t WHERE t.id IS NOT NULL),
  x(id) AS (SELECT min(tenant_id) FROM tombstones UNION ALL
            SELECT (SELECT min(tenant_id) FROM tombstones WHERE tenant_id > x.id)
            FROM x WHERE x.id IS NOT NULL)
SELECT id FROM t WHERE id IS NOT NULL UNION SELECT id FROM x WHERE id IS NOT NULL
ORDER BY 1
"""
SELECT_TOMBSTONES = """
SELECT tenant_id, trace_id, session_id, entry_count, final_hash, removed_at, hash
FROM tombstones WHERE tenant_id = ? AND session_id = ? ORDER BY removed_at, trace_id
"""

# Retention: the tombstone goes in first, which is what lets the delete trigger pass.
INSERT_TOMBSTONE = """
INSERT INTO tombstones (trace_id, tenant_id, session_id, entry_count, final_hash, removed_at,
  hash) VALUES (?, ?, ?, ?, ?, ?, ?)
"""
#: The edges from or to any of the ids of the JSON array ``:ids`` (a removed trace and its
#: nodes: :func:`~tracegraph.graph.append_plan.stored_ids`), by the two edge indexes.
DELETE_EDGES_OF = """
DELETE FROM edges WHERE rowid IN (
  SELECT rowid FROM edges WHERE tenant_id = :tenant AND src IN (SELECT value FROM json_each(:ids))
  UNION ALL
  SELECT rowid FROM edges WHERE tenant_id = :tenant AND dst IN (SELECT value FROM json_each(:ids)))
"""
#: Which of the (tenant, trace) pairs of the JSON array ``?`` retention removed.
SELECT_TOMBSTONED = """
SELECT tenant_id, trace_id FROM tombstones
WHERE (tenant_id, trace_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))"""
#: A removed trace's nodes and model rows, by their keys (no index leads with the trace:
#: deleting by trace walked every row of the tenant).
DELETE_NODES_IN = """DELETE FROM nodes WHERE tenant_id = ?1 AND trace_id = ?2
  AND node_id IN (SELECT value FROM json_each(?3))"""
DELETE_TRACE_ENTRIES = "DELETE FROM entries WHERE tenant_id = ? AND trace_id = ?"
DELETE_MODELS_IN = """DELETE FROM trace_models WHERE tenant_id = ?1 AND trace_id = ?2
  AND model_id IN (SELECT value FROM json_each(?3))"""
#: The same found by walking every node and model row of the tenant: for a trace an entry
#: of which no longer reads as one (altered behind the store's back). The edges: every edge
#: touching the trace or one of its nodes, each part seeking an edge index by the tenant
#: and an end (``CROSS JOIN``: the trace's nodes first, then their edges).
DELETE_TRACE_EDGES_WALK = """
DELETE FROM edges WHERE rowid IN (
  SELECT rowid FROM edges WHERE tenant_id = :tenant AND src = :trace
  UNION ALL
  SELECT rowid FROM edges WHERE tenant_id = :tenant AND dst = :trace
  UNION ALL
  SELECT e.rowid FROM nodes AS n CROSS JOIN edges AS e
  ON e.tenant_id = n.tenant_id AND e.src = n.node_id
  WHERE n.tenant_id = :tenant AND n.trace_id = :trace
  UNION ALL
  SELECT e.rowid FROM nodes AS n CROSS JOIN edges AS e
  ON e.tenant_id = n.tenant_id AND e.dst = n.node_id
  WHERE n.tenant_id = :tenant AND n.trace_id = :trace)
"""
DELETE_TRACE_NODES_WALK = "DELETE FROM nodes WHERE tenant_id = ? AND trace_id = ?"
DELETE_TRACE_MODELS_WALK = "DELETE FROM trace_models WHERE tenant_id = ? AND trace_id = ?"
DELETE_TRACE = "DELETE FROM traces WHERE tenant_id = ? AND trace_id = ?"

#: Held items (:class:`~tracegraph.graph.protocol.PendingStore`).
SELECT_PENDING = ("SELECT item_id, body FROM pending_items WHERE tenant_id = ? AND grp = ? "
                  "ORDER BY item_id")
PUT_PENDING = ("INSERT OR REPLACE INTO pending_items (tenant_id, grp, item_id, body) "
               "VALUES (?, ?, ?, ?)")
DELETE_PENDING = "DELETE FROM pending_items WHERE tenant_id = ? AND grp = ? AND item_id = ?"
COUNT_PENDING = ("SELECT count(*) FROM pending_items "
                 "WHERE ?1 = '' OR substr(grp, 1, length(?1)) != ?1")

