"""Conformance harness for the embedded SQLite backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded.sql import stored_type
from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.chain import ChainEntry, seal, tombstone_hash

from ..harness import Harness

_TRIGGERS = ("entries_no_update", "entries_no_delete", "log_runs_no_update",
             "log_runs_no_delete")
#: Rewrite one entry's hash inside the leaf run holding it (32 bytes per leaf).
_SET_RUN_HASH = """
UPDATE log_runs SET hashes = CAST(substr(hashes, 1, 32 * (?3 - first_seq)) || ?1
  || substr(hashes, 32 * (?3 - first_seq) + 33) AS BLOB)
WHERE trace_id = ?2 AND leaf_kind = 'e' AND first_seq <= ?3 AND ?3 < first_seq + count
"""
#: Derived trace columns the tamper matrix may change (never interpolated from input).
_TRACE_COLUMNS = {
    "status": "UPDATE traces SET status = ? WHERE trace_id = ?",
    "session_id": "UPDATE traces SET session_id = ? WHERE trace_id = ?",
    "parent_trace_id": "UPDATE traces SET parent_trace_id = ? WHERE trace_id = ?",
}


def make_harness(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedHarness:
    return EmbeddedHarness(Path(tmp_path_factory.mktemp("embedded")))


class EmbeddedHarness(Harness):
    name = "embedded"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._stores: list[EmbeddedStore] = []

    def open(self) -> GraphStore:
        store = EmbeddedStore(self.data_dir)
        self._stores.append(store)
        return store

    def restart(self) -> None:
        for s in self._stores:
            s.close()

    def close(self) -> None:
        self.restart()

    def _raw(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.data_dir / "tracegraph.sqlite3", isolation_level=None)
        for trigger in _TRIGGERS:
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        return db

    log_tamper_missing = None

    def _entries(self, db: sqlite3.Connection, trace_id: str) -> list[ChainEntry]:
        rows = db.execute("SELECT body FROM entries WHERE trace_id = ? ORDER BY seq",
                          (trace_id,)).fetchall()
        out = []
        for (body,) in rows:
            obj = orjson.loads(body)
            out.append(ChainEntry(obj["tenant_id"], obj["trace_id"], obj["seq"],
                                  obj["prev_hash"], obj["kind"], obj["record"], "", obj["version"]))
        return out

    def _move_head(self, db: sqlite3.Connection, trace_id: str) -> None:
        count, head = db.execute("SELECT count(*), (SELECT hash FROM entries WHERE trace_id = ?"
                                 " ORDER BY seq DESC LIMIT 1) FROM entries WHERE trace_id = ?",
                                 (trace_id, trace_id)).fetchone()
        db.execute("UPDATE traces SET entry_count = ?, head_hash = ? WHERE trace_id = ?",
                   (count, head, trace_id))

    def rewrite_from(self, trace_id: str, seq: int, key: str, value: Any,
                     *, with_leaves: bool = False) -> None:
        db = self._raw()
        old = self._entries(db, trace_id)
        prev = old[seq - 1] if seq else None
        prev_hash = self._hash_of(db, trace_id, seq - 1) if prev else "0" * 64
        for e in old[seq:]:
            record = dict(e.record)
            if e.seq == seq:
                record[key] = value
            new = seal(e.tenant_id, trace_id, e.seq, prev_hash, e.kind, record)
            db.execute("UPDATE entries SET hash = ?, body = ? WHERE trace_id = ? AND seq = ?",
                       (new.hash, orjson.dumps(new.hashed_object()), trace_id, e.seq))
            if with_leaves:
                db.execute(_SET_RUN_HASH, (bytes.fromhex(new.hash), trace_id, e.seq))
            prev_hash = new.hash
        self._move_head(db, trace_id)
        db.close()

    @staticmethod
    def _hash_of(db: sqlite3.Connection, trace_id: str, seq: int) -> str:
        (h,) = db.execute("SELECT hash FROM entries WHERE trace_id = ? AND seq = ?",
                          (trace_id, seq)).fetchone()
        return str(h)

    def cut_tail(self, trace_id: str, keep: int) -> None:
        db = self._raw()
        db.execute("DELETE FROM entries WHERE trace_id = ? AND seq >= ?", (trace_id, keep))
        self._move_head(db, trace_id)
        db.execute("UPDATE traces SET status = 'active', outcome = NULL, completed_at = NULL, "
                   "completed_seq = NULL WHERE trace_id = ?", (trace_id,))
        db.close()

    def append_after_completion(self, trace_id: str, record: dict[str, Any]) -> None:
        db = self._raw()
        last = self._entries(db, trace_id)[-1]
        new = seal(last.tenant_id, trace_id, last.seq + 1,
                   self._hash_of(db, trace_id, last.seq), "step", record)
        db.execute("INSERT INTO entries (trace_id, seq, tenant_id, kind, hash, body) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (trace_id, new.seq, new.tenant_id, new.kind,
                                                 new.hash, orjson.dumps(new.hashed_object())))
        self._move_head(db, trace_id)
        db.close()

    def delete_trace(self, trace_id: str) -> None:
        db = self._raw()
        for statement in ("DELETE FROM entries WHERE trace_id = ?",
                          "DELETE FROM edges WHERE src IN (SELECT node_id FROM nodes WHERE "
                          "trace_id = ?1) OR dst IN (SELECT node_id FROM nodes WHERE trace_id = "
                          "?1) OR src = ?1 OR dst = ?1",
                          "DELETE FROM nodes WHERE trace_id = ?",
                          "DELETE FROM traces WHERE trace_id = ?"):
            db.execute(statement, (trace_id,))
        db.close()

    def forge_tombstone(self, trace_id: str) -> None:
        db = sqlite3.connect(self.data_dir / "tracegraph.sqlite3", isolation_level=None)
        tenant, session, count, head = db.execute(
            "SELECT tenant_id, session_id, entry_count, head_hash FROM traces WHERE "
            "trace_id = ?", (trace_id,)).fetchone()
        removed = "2026-01-01T00:00:00.000000Z"
        db.execute("INSERT INTO tombstones (trace_id, tenant_id, session_id, entry_count, "
                   "final_hash, removed_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (trace_id, tenant, session, count, head, removed,
                    tombstone_hash(tenant, trace_id, session, count, head, removed)))
        # the delete trigger lets this through: a tombstone exists (no trigger dropped)
        db.execute("DELETE FROM entries WHERE trace_id = ?", (trace_id,))
        db.execute("DELETE FROM traces WHERE trace_id = ?", (trace_id,))
        db.close()

    def set_trace_column(self, trace_id: str, column: str, value: str) -> None:
        db = self._raw()
        db.execute(_TRACE_COLUMNS[column], (value, trace_id))
        db.close()

    def add_edge(self, tenant_id: str, src: str, dst: str, type: str) -> None:
        db = self._raw()
        db.execute("INSERT INTO edges (tenant_id, src, dst, type) VALUES (?, ?, ?, ?)",
                   (tenant_id, src, dst, stored_type(type)))  # type: ignore[arg-type]
        db.close()

    def delete_edges(self, tenant_id: str, src: str, type: str) -> None:
        db = self._raw()
        db.execute("DELETE FROM edges WHERE tenant_id = ? AND src = ? AND type IN (?, ?)",
                   (tenant_id, src, stored_type(type), type))  # type: ignore[arg-type]
        db.close()

    def change_record_field(self, trace_id: str, seq: int, key: str, value: Any) -> None:
        db = self._raw()
        (body,) = db.execute("SELECT body FROM entries WHERE trace_id = ? AND seq = ?",
                             (trace_id, seq)).fetchone()
        obj = orjson.loads(body)
        obj["record"][key] = value
        db.execute("UPDATE entries SET body = ? WHERE trace_id = ? AND seq = ?",
                   (orjson.dumps(obj), trace_id, seq))
        db.close()

    def delete_entry(self, trace_id: str, seq: int) -> None:
        db = self._raw()
        db.execute("DELETE FROM entries WHERE trace_id = ? AND seq = ?", (trace_id, seq))
        db.close()

    def insert_entry(self, entry: ChainEntry) -> None:
        db = self._raw()
        db.execute("UPDATE entries SET seq = seq + 1000000 WHERE trace_id = ? AND seq >= ?",
                   (entry.trace_id, entry.seq))
        db.execute("UPDATE entries SET seq = seq - 1000000 + 1 WHERE trace_id = ? AND seq >= ?",
                   (entry.trace_id, 1000000))
        db.execute("INSERT INTO entries (trace_id, seq, tenant_id, kind, hash, body) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (entry.trace_id, entry.seq, entry.tenant_id, entry.kind, entry.hash,
                    orjson.dumps(entry.hashed_object())))
        db.close()

    def swap_entries(self, trace_id: str, seq_a: int, seq_b: int) -> None:
        db = self._raw()
        db.execute("UPDATE entries SET seq = -1 WHERE trace_id = ? AND seq = ?", (trace_id, seq_a))
        db.execute("UPDATE entries SET seq = ? WHERE trace_id = ? AND seq = ?",
                   (seq_a, trace_id, seq_b))
        db.execute("UPDATE entries SET seq = ? WHERE trace_id = ? AND seq = -1", (seq_b, trace_id))
        db.close()

    def renumber_entry(self, trace_id: str, seq: int, new_seq: int) -> None:
        db = self._raw()
        db.execute("UPDATE entries SET seq = ? WHERE trace_id = ? AND seq = ?",
                   (new_seq, trace_id, seq))
        db.close()

    def _refused(self, statement: str, params: tuple[Any, ...]) -> bool:
        db = sqlite3.connect(self.data_dir / "tracegraph.sqlite3", isolation_level=None)
        try:
            db.execute(statement, params)
        except sqlite3.DatabaseError:
            return True
        finally:
            db.close()
        return False

    def refuses_update(self, trace_id: str, seq: int) -> bool | None:
        return self._refused("UPDATE entries SET hash = 'x' WHERE trace_id = ? AND seq = ?",
                             (trace_id, seq))

    def refuses_delete(self, trace_id: str, seq: int) -> bool | None:
        return self._refused("DELETE FROM entries WHERE trace_id = ? AND seq = ?",
                             (trace_id, seq))
