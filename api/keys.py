"""API keys per tenant, and per-tenant settings (retention), in a small control database.

Once a key has been created the data directory requires keys (a persisted flag), even after
every key is revoked: the server never falls back to local mode by itself. Only an explicit
``tracegraph keys require --off`` clears the flag (creating a key sets it again). A control
database from before the flag that holds any key, revoked or not, requires keys.

A key is shown once, at creation: ``tg_<key id>_<secret>``. Only its SHA-256 is stored (keys
carry 190 bits of randomness, so a fast hash is enough; nothing to brute-force). The
control database is ``control.sqlite3`` in the server's data directory, whatever backend
holds the traces.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from tracegraph.schema.errors import InvalidInput, NotFound
from tracegraph.schema.ids import is_valid_id
from tracegraph.schema.inputs import utc_iso
from tracegraph.schema.private_files import private_dir, private_sqlite_file

DEFAULT_RETENTION_DAYS = 90
KEY_PREFIX = "tg_"

CONTROL_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
  key_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  label TEXT,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS tenant_settings (
  tenant_id TEXT PRIMARY KEY,
  retention_days INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS server_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT OR IGNORE INTO server_settings (name, value)
SELECT 'keys_required', '1' WHERE EXISTS (SELECT 1 FROM api_keys);
"""
INSERT_KEY = """
INSERT INTO api_keys (key_id, tenant_id, key_hash, label, created_at) VALUES (?, ?, ?, ?, ?)
"""
SELECT_KEY = "SELECT tenant_id, key_hash, revoked_at FROM api_keys WHERE key_id = ?"
COUNT_ACTIVE = "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL"
SELECT_KEYS_REQUIRED = "SELECT value FROM server_settings WHERE name = 'keys_required'"
SET_KEYS_REQUIRED = """
INSERT INTO server_settings (name, value) VALUES ('keys_required', ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value
"""
LIST_KEYS = """
SELECT key_id, tenant_id, label, created_at, revoked_at FROM api_keys
WHERE (:tenant IS NULL OR tenant_id = :tenant) ORDER BY created_at
"""
REVOKE_KEY = "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL"
UPSERT_RETENTION = """
INSERT INTO tenant_settings (tenant_id, retention_days) VALUES (?, ?)
ON CONFLICT (tenant_id) DO UPDATE SET retention_days = excluded.retention_days
"""
SELECT_RETENTION = "SELECT retention_days FROM tenant_settings WHERE tenant_id = ?"


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    tenant_id: str
    label: str | None
    created_at: str
    revoked_at: str | None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """API keys and tenant settings in ``<data_dir>/control.sqlite3``."""

    def __init__(self, data_dir: str | Path) -> None:
        path = private_dir(data_dir)
        self._db = sqlite3.connect(private_sqlite_file(path / "control.sqlite3"), timeout=30.0,
                                   isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(CONTROL_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def create(self, tenant_id: str, label: str | None = None) -> str:
        """Create a key for ``tenant_id``; the returned key is never shown again."""
        if not is_valid_id(tenant_id):
            raise InvalidInput(f"tenant: {tenant_id!r} is not a valid id (letters, digits, "
                               "._:@- ; at most 128 characters)", field="tenant")
        key_id = secrets.token_hex(6)
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(INSERT_KEY, (key_id, tenant_id, _digest(key), label, utc_iso()))
                self._db.execute(SET_KEYS_REQUIRED, ("1",))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return key

    def authenticate(self, key: str) -> str | None:
        """The tenant of an active key, or None."""
        if not key.startswith(KEY_PREFIX) or key.count("_") < 2:
            return None
        key_id = key[len(KEY_PREFIX):].split("_", 1)[0]
        with self._lock:
            row = self._db.execute(SELECT_KEY, (key_id,)).fetchone()
        if row is None or row[2] is not None:
            return None
        tenant_id, stored, _ = row
        return str(tenant_id) if hmac.compare_digest(stored, _digest(key)) else None

    def keys_required(self) -> bool:
        """True once a key has been created here, until :meth:`require_keys` turns it off:
        the server then requires a key on every request, even with no active key left."""
        with self._lock:
            row = self._db.execute(SELECT_KEYS_REQUIRED).fetchone()
        return row is not None and row[0] == "1"

    def require_keys(self, required: bool) -> None:
        """Turn the requirement on or off (off: local mode, loopback only, no keys)."""
        with self._lock:
            self._db.execute(SET_KEYS_REQUIRED, ("1" if required else "0",))

    def has_keys(self) -> bool:
        """True when at least one active key exists."""
        with self._lock:
            (n,) = self._db.execute(COUNT_ACTIVE).fetchone()
        return bool(n)

    def list(self, tenant_id: str | None = None) -> list[KeyInfo]:
        with self._lock:
            rows = self._db.execute(LIST_KEYS, {"tenant": tenant_id}).fetchall()
        return [KeyInfo(*r) for r in rows]

    def revoke(self, key_id: str) -> None:
        with self._lock:
            cur = self._db.execute(REVOKE_KEY, (utc_iso(), key_id))
        if cur.rowcount != 1:
            raise NotFound(f"key {key_id} not found or already revoked")

    def set_retention(self, tenant_id: str, days: int) -> None:
        if not 1 <= days <= 36500:
            raise InvalidInput(f"days: {days} is outside 1..36500", field="days")
        with self._lock:
            self._db.execute(UPSERT_RETENTION, (tenant_id, days))

    def retention_days(self, tenant_id: str) -> int:
        with self._lock:
            row = self._db.execute(SELECT_RETENTION, (tenant_id,)).fetchone()
        return int(row[0]) if row else DEFAULT_RETENTION_DAYS
