"""Conformance harness for the embedded SQLite backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.chain import ChainEntry

from ..harness import Harness

_TRIGGERS = ("entries_no_update", "entries_no_delete")


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
