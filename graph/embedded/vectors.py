"""The embedded store's step vectors: float32 blobs in their own SQLite file, searched in memory.

Vectors live in ``vectors.sqlite3`` beside the journal, so the embedding worker's writes
never take the journal's write lock (ingest does not wait for them). The rows are the source
of truth; each (tenant, model) read so far is held in memory (:mod:`.vector_state`): a
float32 matrix with its filter columns and, from :data:`ANN_MIN` vectors on, an HNSW index
(:mod:`.ann`, usearch) that answers unfiltered and broadly filtered searches; below that,
and for selective filters, the search is exact. Before every search the state catches up
with the rows added and removed since (by ``id``, and by the ``removed_vectors`` log, so
other processes' writes are seen too). A trace removed by retention loses its vectors
(:meth:`EmbeddedVectors.remove_traces`). Figures in docs/semantic-search.md.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import orjson
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorHit
from tracegraph.schema.private_files import private_sqlite_file

from . import ann
from .vector_state import COLUMNS, VectorState

#: Below this many vectors of a (tenant, model) the search is exact: measured faster there
#: (docs/semantic-search.md); from it on, the HNSW index is built (in the background).
ANN_MIN = 10_000
#: Rows of the removal log kept (over every tenant and model, about 50 bytes each): a
#: removal prunes the older ones once :data:`PRUNE_EVERY` more have come. A process's
#: in-memory state that last caught up before the rows pruned reloads its rows.
KEEP_REMOVALS = 100_000
PRUNE_EVERY = 10_000

SCHEMA = (
    # (id AUTOINCREMENT: ids never come back after a delete, so "rows since id" is exact)
    """CREATE TABLE IF NOT EXISTS step_vectors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id TEXT NOT NULL, model TEXT NOT NULL, step_id TEXT NOT NULL,
        trace_id TEXT NOT NULL, session_id TEXT NOT NULL, agent_id TEXT,
        step_type TEXT NOT NULL, step_index INTEGER NOT NULL, created_at TEXT NOT NULL,
        vector BLOB NOT NULL, UNIQUE (tenant_id, model, step_id))""",
    """CREATE INDEX IF NOT EXISTS step_vectors_trace
        ON step_vectors (tenant_id, model, trace_id, step_index)""",
    """CREATE INDEX IF NOT EXISTS step_vectors_tenant_trace
        ON step_vectors (tenant_id, trace_id)""",
    # Ids of removed rows, in order, so every process's in-memory state drops them too.
    """CREATE TABLE IF NOT EXISTS removed_vectors (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, model TEXT NOT NULL,
        vector_id INTEGER NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS removed_vectors_since
        ON removed_vectors (tenant_id, model, seq)""",
    # How far the removal log was pruned (one row): the seq of the last row deleted.
    """CREATE TABLE IF NOT EXISTS removed_vectors_pruned (
        one INTEGER PRIMARY KEY CHECK (one = 1), through INTEGER NOT NULL)""",
)
#: A file of the first version (implicit rowid, no ``id``): its rows are copied in rowid order.
HAS_ID = "SELECT 1 FROM pragma_table_info('step_vectors') WHERE name = 'id'"
HAS_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'step_vectors'"
MIGRATE = (
    "DROP INDEX IF EXISTS step_vectors_trace",
    "ALTER TABLE step_vectors RENAME TO step_vectors_v1",
    *SCHEMA,
    """INSERT INTO step_vectors (tenant_id, model, step_id, trace_id, session_id, agent_id,
        step_type, step_index, created_at, vector)
        SELECT tenant_id, model, step_id, trace_id, session_id, agent_id, step_type,
        step_index, created_at, vector FROM step_vectors_v1 ORDER BY rowid""",
    "DROP TABLE step_vectors_v1",
)
INSERT = """INSERT OR IGNORE INTO step_vectors (tenant_id, model, step_id, trace_id, session_id,
    agent_id, step_type, step_index, created_at, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
SELECT_IDS = """SELECT step_id FROM step_vectors WHERE tenant_id = ? AND model = ?
    AND step_id IN (SELECT value FROM json_each(?))"""
SELECT_TRACES = """SELECT trace_id, step_index, step_id, vector FROM step_vectors
    WHERE tenant_id = ? AND model = ? AND trace_id IN (SELECT value FROM json_each(?))
    ORDER BY trace_id, step_index"""
# (NOT INDEXED: an id range, never a walk of the tenant's whole key index)
SELECT_SINCE = """SELECT id, step_id, trace_id, session_id, agent_id, step_type,
    created_at, vector FROM step_vectors NOT INDEXED WHERE tenant_id = ? AND model = ?
    AND id > ? ORDER BY id"""
SELECT_REMOVED_SINCE = """SELECT seq, vector_id FROM removed_vectors
    WHERE tenant_id = ? AND model = ? AND seq > ? ORDER BY seq"""
# (INDEXED BY: without it SQLite picks step_vectors_trace, covering but keyed by model
# before trace, and walks every vector of the tenant for each trace removed)
LOG_REMOVED = """INSERT INTO removed_vectors (tenant_id, model, vector_id)
    SELECT tenant_id, model, id FROM step_vectors INDEXED BY step_vectors_tenant_trace
    WHERE tenant_id = ? AND trace_id = ?"""
DELETE_TRACE = "DELETE FROM step_vectors WHERE tenant_id = ? AND trace_id = ?"
#: The newest removal's seq (0: none yet) and how far the log was pruned (0: never).
LAST_REMOVAL = "SELECT seq FROM sqlite_sequence WHERE name = 'removed_vectors'"
PRUNED_THROUGH = "SELECT through FROM removed_vectors_pruned WHERE one = 1"
PRUNE = "DELETE FROM removed_vectors WHERE seq <= ?"
SET_PRUNED = """INSERT INTO removed_vectors_pruned (one, through) VALUES (1, ?)
    ON CONFLICT (one) DO UPDATE SET through = max(through, excluded.through)"""
#: Every (tenant, trace) with vectors (the store checks them against its tombstones on open).
SELECT_TRACES_WITH_VECTORS = "SELECT DISTINCT tenant_id, trace_id FROM step_vectors"


class EmbeddedVectors:
    """:class:`~tracegraph.graph.vectors.VectorStore` over ``data_dir/vectors.sqlite3``.

    ``ann_min``: vectors of a (tenant, model) from which the HNSW index is used;
    ``background``: build it on a thread (searches stay exact meanwhile) or in the search
    that first needs it."""

    def __init__(self, data_dir: Path, *, ann_min: int = ANN_MIN,
                 background: bool = True) -> None:
        self.path = private_sqlite_file(data_dir / "vectors.sqlite3")
        self.index_dir = data_dir / "vectors-ann"
        self.ann_min = ann_min
        self.background = background
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str], VectorState] = {}
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            old = db.execute(HAS_TABLE).fetchone() and not db.execute(HAS_ID).fetchone()
            for stmt in MIGRATE if old else SCHEMA:
                db.execute(stmt)
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")

    def _conn(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def close(self) -> None:
        """Save the indexes changed since they were saved, close the connections."""
        with self._lock:
            states, self._states = dict(self._states), {}
        for (tenant_id, model), state in states.items():
            with state.lock:
                if state.index is not None and state.index.dirty:
                    state.index.save(ann.index_path(self.index_dir, tenant_id, model))
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()

    def put_vectors(self, tenant_id: str, model: str, rows: Sequence[StepVector]) -> None:
        self._write([(INSERT, [
            (tenant_id, model, r.step_id, r.trace_id, r.session_id, r.agent_id,
             r.step_type, r.step_index, r.created_at,
             np.asarray(r.vector, dtype="<f4").tobytes()) for r in rows])])

    def remove_traces(self, traces: Sequence[tuple[str, str]]) -> None:
        """Remove the vectors of these (tenant, trace) pairs (retention removed them), and
        log their ids for every process's in-memory state."""
        if traces:
            self._write([(LOG_REMOVED, list(traces)), (DELETE_TRACE, list(traces))],
                        prune=True)

    def remove_trace_vectors(self, tenant_id: str, trace_ids: Sequence[str]) -> None:
        self.remove_traces([(tenant_id, t) for t in trace_ids])

    def traces_with_vectors(self) -> list[tuple[str, str]]:
        return [(str(a), str(b)) for a, b in self._conn().execute(SELECT_TRACES_WITH_VECTORS)]

    def _write(self, work: Sequence[tuple[str, Sequence[tuple[object, ...]]]], *,
               prune: bool = False) -> None:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            for stmt, params in work:
                db.executemany(stmt, params)
            if prune:
                last, through = _removal_marks(db)
                if last - through >= KEEP_REMOVALS + PRUNE_EVERY:
                    db.execute(PRUNE, (last - KEEP_REMOVALS,))
                    db.execute(SET_PRUNED, (last - KEEP_REMOVALS,))
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")

    def vector_ids(self, tenant_id: str, model: str, step_ids: Sequence[str]) -> set[str]:
        got = self._conn().execute(SELECT_IDS, (tenant_id, model, orjson.dumps(list(step_ids))))
        return {r[0] for r in got}

    def trace_vectors(self, tenant_id: str, model: str, trace_ids: Sequence[str]
                      ) -> Mapping[str, list[tuple[int, str, list[float]]]]:
        out: dict[str, list[tuple[int, str, list[float]]]] = {}
        for trace_id, index, step_id, blob in self._conn().execute(
                SELECT_TRACES, (tenant_id, model, orjson.dumps(list(trace_ids)))):
            out.setdefault(trace_id, []).append(
                (index, step_id, np.frombuffer(blob, dtype="<f4").tolist()))
        return out

    def state(self, tenant_id: str, model: str) -> VectorState:
        """The (tenant, model) state with every row stored and removed so far; its index
        loaded, reconciled or started once it holds ``ann_min`` live vectors."""
        with self._lock:
            first = (tenant_id, model) not in self._states
            s = self._states.setdefault((tenant_id, model), VectorState())
        db = self._conn()
        with s.lock:
            db.execute("BEGIN")  # (one snapshot: the rows, the removals and the log's marks)
            try:
                last, through = _removal_marks(db)
                if s.last_id and through > s.last_removal:
                    s.clear()  # (removals it has not seen were pruned from the log: reload)
                    first = True
                fresh = not s.last_id  # (holds no row: no removal can concern it)
                rows = db.execute(SELECT_SINCE, (tenant_id, model, s.last_id)).fetchall()
                if rows:
                    s.add_rows(np.array([r[0] for r in rows], dtype=np.int64),
                               np.frombuffer(b"".join(r[7] for r in rows), dtype="<f4"
                                             ).reshape(len(rows), -1),
                               {c: [r[i] or "" for r in rows]
                                for i, c in enumerate(COLUMNS, 1)})
                    s.last_id = int(rows[-1][0])
                if not fresh:
                    removed = db.execute(SELECT_REMOVED_SINCE,
                                         (tenant_id, model, s.last_removal)).fetchall()
                    if removed:
                        s.remove_ids(np.array([r[1] for r in removed], dtype=np.int64))
                # (every removal up to the newest is seen: this pair's applied, the rest
                # are other pairs')
                s.last_removal = max(s.last_removal, last)
            finally:
                db.execute("COMMIT")
            if s.index is None and not s.building and ann.available() \
                    and s.live >= self.ann_min:
                self._start_index(tenant_id, model, s, first)
        return s

    def _start_index(self, tenant_id: str, model: str, s: VectorState, first: bool) -> None:
        """(under ``s.lock``) The saved index when there is one that agrees with the rows,
        else a new one: built here or on a thread."""
        path = ann.index_path(self.index_dir, tenant_id, model)
        dim = s.vectors.view().shape[1]
        saved = ann.AnnIndex.load(path, dim) if first else None
        if saved is not None and s.agrees(saved):
            s.reconcile(saved)
            s.index = saved
            return
        s.building = True
        ids, vectors = s.live_rows()
        if not self.background:
            self._build(s, path, ids, vectors)
            return
        threading.Thread(target=self._build, args=(s, path, ids, vectors),
                         name="tracegraph-ann-build", daemon=True).start()

    @staticmethod
    def _build(s: VectorState, path: Path, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Build an index of ``ids`` outside the lock, then catch it up with the rows
        changed meanwhile, make it the state's and save it."""
        try:
            index = ann.AnnIndex(vectors.shape[1])
            index.add(ids, vectors, threads=0)
            with s.lock:
                s.reconcile(index)
                s.index = index
                index.save(path)
        finally:
            s.building = False

    def search_vectors(self, tenant_id: str, model: str, query: Sequence[float], k: int,
                       flt: VectorFilter) -> list[VectorHit]:
        s = self.state(tenant_id, model)
        with s.lock:
            return s.search(np.asarray(query, dtype=np.float32), k, flt, self.ann_min)


def _removal_marks(db: sqlite3.Connection) -> tuple[int, int]:
    """(the newest removal log row's seq, the seq the log was pruned through); 0 for none."""
    last = db.execute(LAST_REMOVAL).fetchone()
    through = db.execute(PRUNED_THROUGH).fetchone()
    return int(last[0]) if last else 0, int(through[0]) if through else 0
