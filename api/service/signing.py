"""Where checkpoints are signed and kept outside the database: the key, the log name, the journal.

A deployment signs its tenants' Merkle logs with one Ed25519 key
(:class:`~tracegraph.schema.checkpoint_keys.KeyManager`: ``TRACEGRAPH_SIGNING_KEY`` or a key
directory, never inside the data directory) under one log name (the origin prefix, default
``tracegraph``, configured once: the journal remembers it and refuses another). Every signed
checkpoint is appended to a per-tenant **journal** in the checkpoint directory (default
``<key dir>/checkpoints``, ``$TRACEGRAPH_CHECKPOINT_DIR``; one folder per store location),
also outside the data directory:
whoever can write the database can roll back the checkpoints stored there, not these.
Verification trusts only the journal's checkpoints whose signature verifies with the key
manager's public keys.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson
from tracegraph.schema.checkpoint import (
    CheckpointError,
    SignedCheckpoint,
    log_origin,
    open_checkpoint,
)
from tracegraph.schema.checkpoint_keys import KeyConfigError, KeyManager, default_key_dir
from tracegraph.schema.errors import TraceGraphError
from tracegraph.schema.ids import is_valid_id

LOG_NAME_ENV = "TRACEGRAPH_LOG_NAME"
CHECKPOINT_DIR_ENV = "TRACEGRAPH_CHECKPOINT_DIR"
DEFAULT_LOG_NAME = "tracegraph"
LOG_NAME_FILE = "log-name"
JOURNAL_SUFFIX = ".checkpoints.jsonl"
#: The longest ``~<hex>`` journal name (with :data:`JOURNAL_SUFFIX`, within the 255 bytes
#: of a file name on common file systems).
_HEX_NAME_MAX = 200


class SigningError(TraceGraphError):
    """Checkpoints cannot be signed or trusted as configured (says why and what to set)."""

    code = "SIGNING_NOT_CONFIGURED"
    http_status = 503


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One journal line: a signed note as the checkpointer wrote it."""

    size: int
    note: str
    created_at: str


def _overlaps(a: Path, b: Path) -> bool:
    x, y = a.resolve(), b.resolve()
    return x == y or x in y.parents or y in x.parents


class LogSigning:
    """The key manager, the log name and the journal directory of one deployment."""

    def __init__(self, keys: KeyManager, log_name: str, journal_dir: Path) -> None:
        self.keys = keys
        self.log_name = log_name
        self.journal_dir = journal_dir
        #: The journals of the store this deployment serves (see :meth:`for_store`).
        self.store_dir = journal_dir

    def for_store(self, location: str) -> LogSigning:
        """Keep this store's journals in a folder of their own, named after where the store
        is (a data folder, a Neo4j URI, a Dgraph address): a key folder shared by two
        deployments (or by tests) must not make one's checkpoints the other's trusted ones."""
        digest = hashlib.sha256(location.encode()).hexdigest()[:16]
        self.store_dir = self.journal_dir / f"store-{digest}"
        try:
            self.store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            where = self.store_dir / "location"
            if not where.exists():
                where.write_text(location + "\n", encoding="utf-8")
        except OSError as exc:
            raise SigningError(f"checkpoint journal {self.store_dir}: {exc}") from None
        return self

    @classmethod
    def load(cls, *, key_dir: Path | None = None, data_dir: Path | None = None,
             log_name: str | None = None, journal_dir: Path | None = None,
             environ: Mapping[str, str] | None = None, create: bool = True) -> LogSigning:
        """The signing configuration: key from ``TRACEGRAPH_SIGNING_KEY`` or ``key_dir``
        (created on first use when ``create``), journal in ``journal_dir``
        (``$TRACEGRAPH_CHECKPOINT_DIR``, else ``<key dir>/checkpoints``); both refused
        inside ``data_dir``. Raises :class:`SigningError`."""
        env = os.environ if environ is None else environ
        try:
            keys = KeyManager.load(key_dir, data_dir=data_dir, environ=env, create=create)
        except (KeyConfigError, OSError) as exc:
            raise SigningError(f"signing key: {exc}") from None
        if journal_dir is None and env.get(CHECKPOINT_DIR_ENV):
            journal_dir = Path(env[CHECKPOINT_DIR_ENV])
        if journal_dir is None:
            journal_dir = (keys.key_dir or key_dir or default_key_dir(env)) / "checkpoints"
        if data_dir is not None and _overlaps(journal_dir, data_dir):
            raise SigningError(f"checkpoint journal {journal_dir} overlaps the data directory "
                               f"{data_dir}: keep it where the database's writers cannot "
                               f"change it (set {CHECKPOINT_DIR_ENV})")
        name = log_name or env.get(LOG_NAME_ENV) or None
        signing = cls(keys, name or DEFAULT_LOG_NAME, journal_dir)
        signing._settle_log_name(name)
        return signing

    def _settle_log_name(self, asked: str | None) -> None:
        """The log name is configured once: the journal directory remembers the first one."""
        try:
            self.journal_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self.journal_dir / LOG_NAME_FILE
            if path.exists():
                kept = path.read_text(encoding="utf-8").strip()
                if asked is not None and asked != kept:
                    raise SigningError(f"log name {asked!r}: this deployment's checkpoints are "
                                       f"signed as {kept!r} ({path}); the log name is part of "
                                       "every checkpoint and cannot change")
                self.log_name = kept
            else:
                log_origin(self.log_name, "t")  # checks the name
                path.write_text(self.log_name + "\n", encoding="utf-8")
        except ValueError as exc:
            raise SigningError(f"log name: {exc}") from None
        except OSError as exc:
            raise SigningError(f"checkpoint journal {self.journal_dir}: {exc}") from None

    def origin(self, tenant_id: str) -> str:
        return log_origin(self.log_name, tenant_id)

    def journal_path(self, tenant_id: str) -> Path:
        """The tenant's journal file: named by the tenant id, or by ``~`` and its UTF-8 hex
        when it is not a valid id (ids the API accepts are plain file names; a store used
        directly may hold others, such as ``a/0``, which must stay one file name and never
        reach outside the journal folder; ``~`` is in no valid id). A hex name longer than
        :data:`_HEX_NAME_MAX` is ``~~`` and the id's SHA-256 (hex) instead."""
        if is_valid_id(tenant_id):
            name = tenant_id
        else:  # (a hex name past a file name's 255 bytes: ``~~`` and its SHA-256 instead)
            name = "~" + tenant_id.encode().hex()
            if len(name) > _HEX_NAME_MAX:
                name = "~~" + hashlib.sha256(tenant_id.encode()).hexdigest()
        return self.store_dir / f"{name}{JOURNAL_SUFFIX}"

    def append_journal(self, tenant_id: str, record: JournalRecord) -> None:
        """Append a signed note to the tenant's journal (one JSON line, synced to disk)."""
        line = orjson.dumps({"size": record.size, "created_at": record.created_at,
                             "note": record.note}) + b"\n"
        fd = os.open(self.journal_path(tenant_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                     0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def journal(self, tenant_id: str) -> list[JournalRecord]:
        """The tenant's journal, oldest first (lines that are not records are skipped)."""
        path = self.journal_path(tenant_id)
        if not path.exists():
            return []
        out = []
        for raw in path.read_bytes().splitlines():
            try:
                item = orjson.loads(raw)
                out.append(JournalRecord(int(item["size"]), str(item["note"]),
                                         str(item["created_at"])))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
        return out

    def trusted(self, tenant_id: str) -> Iterator[SignedCheckpoint]:
        """The journal's checkpoints of the tenant whose signature verifies with the key
        manager's keys, newest first (never keys read from the database)."""
        keys = self.keys.verification_keys
        origin = self.origin(tenant_id)
        for record in reversed(self.journal(tenant_id)):
            try:
                signed = open_checkpoint(record.note, keys)
            except CheckpointError:
                continue
            if signed.checkpoint.origin == origin:
                yield signed

    def latest(self, tenant_id: str) -> SignedCheckpoint | None:
        """The newest trusted checkpoint of the tenant, or ``None``."""
        return next(self.trusted(tenant_id), None)
