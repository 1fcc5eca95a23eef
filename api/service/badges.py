"""Verification badges: the last verdict of each trace, the checkpoint it was checked against
and when, kept where every verification of the deployment (server or CLI) can find it.

With a signing configuration the badges live in ``verifications.sqlite3`` in the store's
journal folder (outside the data directory, beside the checkpoints they name); without one,
in the service's memory. A badge is derived data like any index row: it says what the last
verification found, it proves nothing by itself.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson
from tracegraph.schema.views import CheckpointView, VerificationBadge

#: Badges remembered in memory (most recently verified traces).
MEMORY_BADGES = 100_000
BADGE_FILE = "verifications.sqlite3"

CREATE_BADGES = """
CREATE TABLE IF NOT EXISTS badges (
  tenant_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  valid INTEGER NOT NULL,
  verified_at TEXT NOT NULL,
  reason TEXT,
  checkpoint TEXT,
  PRIMARY KEY (tenant_id, trace_id)
) WITHOUT ROWID
"""
UPSERT_BADGE = """
INSERT INTO badges (tenant_id, trace_id, valid, verified_at, reason, checkpoint)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant_id, trace_id) DO UPDATE SET valid = excluded.valid,
  verified_at = excluded.verified_at, reason = excluded.reason,
  checkpoint = excluded.checkpoint
"""
SELECT_BADGE = """
SELECT trace_id, valid, verified_at, reason, checkpoint FROM badges
WHERE tenant_id = ? AND trace_id = ?
"""


class Badges:
    """Badges in memory (the default) or in a SQLite file (:meth:`in_file`)."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._memory: OrderedDict[tuple[str, str], VerificationBadge] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                       timeout=30)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(CREATE_BADGES)

    @classmethod
    def in_file(cls, folder: Path) -> Badges:
        return cls(folder / BADGE_FILE)

    def put(self, tenant_id: str, badges: Iterable[VerificationBadge]) -> None:
        """Keep the newest verdict of each trace."""
        with self._lock:
            if self._db is None:
                for b in badges:
                    self._memory[(tenant_id, b.trace_id)] = b
                    self._memory.move_to_end((tenant_id, b.trace_id))
                while len(self._memory) > MEMORY_BADGES:
                    self._memory.popitem(last=False)
                return
            rows = [(tenant_id, b.trace_id, int(b.valid), b.verified_at, b.reason,
                     b.checkpoint.model_dump_json() if b.checkpoint else None) for b in badges]
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(UPSERT_BADGE, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, tenant_id: str, trace_id: str) -> VerificationBadge | None:
        with self._lock:
            if self._db is None:
                return self._memory.get((tenant_id, trace_id))
            row = self._db.execute(SELECT_BADGE, (tenant_id, trace_id)).fetchone()
        if row is None:
            return None
        trace, valid, at, reason, checkpoint = row
        return VerificationBadge(
            trace_id=trace, valid=bool(valid), verified_at=at, reason=reason,
            checkpoint=CheckpointView(**orjson.loads(checkpoint)) if checkpoint else None)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def badges_of(trace_ids: Sequence[str], problems: Sequence[tuple[str | None, str]],
              verified_at: str, checkpoint: CheckpointView | None,
              reason: str | None) -> list[VerificationBadge]:
    """One badge per verified trace: broken when a problem names it or names no trace (a
    problem of the whole log); ``problems`` are ``(trace id, message)``."""
    whole = any(t is None for t, _ in problems)
    first: dict[str, str] = {}
    for t, message in problems:
        if t is not None:
            first.setdefault(t, message)
    return [VerificationBadge(trace_id=t, valid=not (whole or t in first),
                              verified_at=verified_at, checkpoint=checkpoint,
                              reason=first.get(t) or (reason if whole else None))
            for t in trace_ids]
