"""The embedded store's step vectors: float32 blobs in their own SQLite file, exact search.

Vectors live in ``vectors.sqlite3`` beside the journal, so the embedding worker's writes
never take the journal's write lock (ingest does not wait for them). Search is exact: each
(tenant, model) keeps an in-memory float32 matrix with its filter columns, brought up to date
from the rows added since it was last read (``rowid`` order: other processes' writes are seen
too), and a query is one matrix-vector product and a partial sort. Measured against an HNSW
index at the sizes of issue 19 in docs/semantic-search.md.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorHit
from tracegraph.schema.private_files import private_sqlite_file

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS step_vectors (
        tenant_id TEXT NOT NULL, model TEXT NOT NULL, step_id TEXT NOT NULL,
        trace_id TEXT NOT NULL, session_id TEXT NOT NULL, agent_id TEXT,
        step_type TEXT NOT NULL, step_index INTEGER NOT NULL, created_at TEXT NOT NULL,
        vector BLOB NOT NULL, PRIMARY KEY (tenant_id, model, step_id))""",
    """CREATE INDEX IF NOT EXISTS step_vectors_trace
        ON step_vectors (tenant_id, model, trace_id, step_index)""",
)
INSERT = """INSERT OR IGNORE INTO step_vectors (tenant_id, model, step_id, trace_id, session_id,
    agent_id, step_type, step_index, created_at, vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
SELECT_IDS = """SELECT step_id FROM step_vectors WHERE tenant_id = ? AND model = ?
    AND step_id IN (SELECT value FROM json_each(?))"""
SELECT_TRACES = """SELECT trace_id, step_index, step_id, vector FROM step_vectors
    WHERE tenant_id = ? AND model = ? AND trace_id IN (SELECT value FROM json_each(?))
    ORDER BY trace_id, step_index"""
# (NOT INDEXED: a rowid range, never a walk of the tenant's whole primary key index)
SELECT_SINCE = """SELECT rowid, step_id, trace_id, session_id, agent_id, step_type,
    created_at, vector FROM step_vectors NOT INDEXED WHERE tenant_id = ? AND model = ?
    AND rowid > ? ORDER BY rowid"""

F32 = npt.NDArray[np.float32]


@dataclass
class _Matrix:
    """One (tenant, model)'s vectors in memory, rows in ``rowid`` order."""

    last_rowid: int = 0
    vectors: F32 = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    step_ids: list[str] = field(default_factory=list)
    columns: dict[str, npt.NDArray[np.str_]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_COLUMNS = ("trace_id", "session_id", "agent_id", "step_type", "created_at")


class EmbeddedVectors:
    """:class:`~tracegraph.graph.vectors.VectorStore` over ``data_dir/vectors.sqlite3``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = private_sqlite_file(data_dir / "vectors.sqlite3")
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._matrices: dict[tuple[str, str], _Matrix] = {}
        db = self._conn()
        for stmt in SCHEMA:
            db.execute(stmt)

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
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
            self._matrices.clear()
        self._local = threading.local()

    def put_vectors(self, tenant_id: str, model: str, rows: Sequence[StepVector]) -> None:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(INSERT, [
                (tenant_id, model, r.step_id, r.trace_id, r.session_id, r.agent_id,
                 r.step_type, r.step_index, r.created_at,
                 np.asarray(r.vector, dtype="<f4").tobytes()) for r in rows])
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

    def _matrix(self, tenant_id: str, model: str) -> _Matrix:
        """The (tenant, model) matrix with every row stored so far."""
        with self._lock:
            m = self._matrices.setdefault((tenant_id, model), _Matrix())
        with m.lock:
            rows = self._conn().execute(SELECT_SINCE, (tenant_id, model, m.last_rowid)
                                        ).fetchall()
            if rows:
                new = np.frombuffer(b"".join(r[7] for r in rows), dtype="<f4").reshape(
                    len(rows), -1)
                m.vectors = new.copy() if m.vectors.size == 0 else np.vstack([m.vectors, new])
                m.step_ids.extend(r[1] for r in rows)
                for i, name in enumerate(_COLUMNS, start=2):
                    add = np.array([r[i] or "" for r in rows], dtype=np.str_)
                    old = m.columns.get(name)
                    m.columns[name] = add if old is None else np.concatenate([old, add])
                m.last_rowid = int(rows[-1][0])
        return m

    def search_vectors(self, tenant_id: str, model: str, query: Sequence[float], k: int,
                       flt: VectorFilter) -> list[VectorHit]:
        m = self._matrix(tenant_id, model)
        with m.lock:
            vectors, step_ids, cols = m.vectors, m.step_ids, dict(m.columns)
        if k <= 0 or len(step_ids) == 0:
            return []
        keep = _mask(cols, flt, len(step_ids))
        rows = np.arange(len(step_ids)) if keep is None else np.flatnonzero(keep)
        if rows.size == 0:
            return []
        scores = vectors[rows] @ np.asarray(query, dtype=np.float32) if keep is not None \
            else vectors @ np.asarray(query, dtype=np.float32)
        top = min(k, rows.size)
        best = np.argpartition(-scores, top - 1)[:top]
        ranked = sorted(best.tolist(), key=lambda i: (-float(scores[i]), step_ids[rows[i]]))
        trace_ids = cols["trace_id"]
        return [VectorHit(step_ids[rows[i]], str(trace_ids[rows[i]]), float(scores[i]))
                for i in ranked]


def _mask(cols: Mapping[str, npt.NDArray[np.str_]], flt: VectorFilter,
          n: int) -> npt.NDArray[np.bool_] | None:
    """Rows ``flt`` keeps, or ``None`` when it keeps every row."""
    keep: npt.NDArray[np.bool_] | None = None

    def both(more: npt.NDArray[np.bool_]) -> None:
        nonlocal keep
        keep = more if keep is None else keep & more

    if flt.step_types:
        both(np.isin(cols["step_type"], list(flt.step_types)))
    for name, value in (("agent_id", flt.agent_id), ("session_id", flt.session_id),
                        ("trace_id", flt.trace_id)):
        if value is not None:
            both(cols[name] == value)
    if flt.exclude_trace_id is not None:
        both(cols["trace_id"] != flt.exclude_trace_id)
    if flt.created_after is not None:
        both(cols["created_at"] >= flt.created_after)
    if flt.created_before is not None:
        both(cols["created_at"] <= flt.created_before)
    return keep
