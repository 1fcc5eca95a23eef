"""The checkpoint signing keys: where they are kept, how they rotate, how they are exported.

The active signing key comes from, in this order:

1. the environment variable ``TRACEGRAPH_SIGNING_KEY``: the base64 of a 32-byte Ed25519
   private key (``python -c "import os, base64; print(base64.b64encode(os.urandom(32))
   .decode())"``); public keys of earlier keys, to keep verifying what they signed, are
   listed (base64, separated by commas or spaces) in ``TRACEGRAPH_VERIFY_KEYS``;
2. a key directory (``$TRACEGRAPH_KEY_DIR``, else ``$XDG_CONFIG_HOME/tracegraph/keys``,
   else ``~/.config/tracegraph/keys``), created mode 0700, holding ``signing-key.pem`` (the
   active private key, PKCS#8, mode 0600) and ``public-keys.json`` (every key's public half,
   when it was created and retired). A first start creates a key there.

The key directory must not be inside the data directory (nor the data directory inside
it): whoever can write the database must not be able to sign for it. A directory or key
file that other users can read is refused, as ssh does. :meth:`KeyManager.rotate` makes a
new key active, deletes the old private key and keeps its public key for verification.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from .checkpoint import Checkpoint, CheckpointKey, CheckpointSigner, b64
from .inputs import utc_iso

SIGNING_KEY_ENV = "TRACEGRAPH_SIGNING_KEY"
VERIFY_KEYS_ENV = "TRACEGRAPH_VERIFY_KEYS"
KEY_DIR_ENV = "TRACEGRAPH_KEY_DIR"
PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEYS_FILE = "public-keys.json"


class KeyConfigError(ValueError):
    """The signing key cannot be loaded or kept where it was asked to be (says why)."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A public key with its life: when it became active and when it was retired."""

    key: CheckpointKey
    created_at: str | None = None
    retired_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key_id": self.key.key_id, "public_key": b64(self.key.public_key),
                "created_at": self.created_at, "retired_at": self.retired_at}


def default_key_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(KEY_DIR_ENV):
        return Path(env[KEY_DIR_ENV])
    config = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "tracegraph" / "keys"


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise KeyConfigError(f"{what} is not base64") from exc
    if len(raw) != 32:
        raise KeyConfigError(f"{what} is {len(raw)} bytes, an Ed25519 key is 32")
    return raw


def _check_outside(key_dir: Path, data_dir: Path | None) -> None:
    if data_dir is None:
        return
    keys, data = key_dir.resolve(), data_dir.resolve()
    if keys == data or data in keys.parents or keys in data.parents:
        raise KeyConfigError(f"signing key directory {key_dir} overlaps the data directory "
                             f"{data_dir}: keep the key where the database's writers "
                             f"cannot read it (set {KEY_DIR_ENV} or {SIGNING_KEY_ENV})")


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyConfigError(f"{path} has permissions {mode:04o}: other users can reach "
                             f"the signing key; chmod {'700' if path.is_dir() else '600'} it")


class KeyManager:
    """The active checkpoint signer and every public key checkpoints may be verified with."""

    def __init__(self, signer: CheckpointSigner, records: list[KeyRecord],
                 key_dir: Path | None = None) -> None:
        self.signer = signer
        self.key_dir = key_dir
        ids = {r.key.key_id for r in records}
        self.records = records if signer.key_id in ids else [*records, KeyRecord(signer.key)]

    @classmethod
    def load(cls, key_dir: Path | None = None, *, data_dir: Path | None = None,
             environ: Mapping[str, str] | None = None, create: bool = True) -> KeyManager:
        """The keys from the environment, else from ``key_dir`` (default
        :func:`default_key_dir`), creating a key there when there is none and ``create``."""
        env = os.environ if environ is None else environ
        if env.get(SIGNING_KEY_ENV):
            signer = CheckpointSigner.from_seed(_decode_key(env[SIGNING_KEY_ENV],
                                                            SIGNING_KEY_ENV))
            old = re.split(r"[\s,]+", env.get(VERIFY_KEYS_ENV, "").strip())
            records = [KeyRecord(CheckpointKey(_decode_key(k, VERIFY_KEYS_ENV)))
                       for k in old if k]
            return cls(signer, records)
        where = key_dir or default_key_dir(env)
        _check_outside(where, data_dir)
        private = where / PRIVATE_KEY_FILE
        if not private.exists():
            if not create:
                raise KeyConfigError(f"no signing key: {private} does not exist and "
                                     f"{SIGNING_KEY_ENV} is not set")
            return cls._create(where)
        _check_private(where)
        _finish_rotation(where)
        _check_private(private)
        manager = cls(CheckpointSigner(_read_private(private)),
                      _read_records(where / PUBLIC_KEYS_FILE), where)
        if manager.signer.key_id not in _recorded_ids(where / PUBLIC_KEYS_FILE):
            manager._write_records()  # a key put in place by hand, or a rotation cut short
        return manager

    @classmethod
    def _create(cls, where: Path) -> KeyManager:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(where, 0o700)
        key = Ed25519PrivateKey.generate()
        _write_private(where / PRIVATE_KEY_FILE, key)
        manager = cls(CheckpointSigner(key), [], where)
        manager.records = [KeyRecord(manager.signer.key, created_at=utc_iso())]
        manager._write_records()
        return manager

    @property
    def verification_keys(self) -> list[CheckpointKey]:
        """The active key first, then every retired one."""
        return [self.signer.key] + [r.key for r in self.records
                                    if r.key.key_id != self.signer.key_id]

    def sign(self, checkpoint: Checkpoint) -> str:
        """The checkpoint, signed by the active key (a C2SP signed note)."""
        return self.signer.sign(checkpoint)

    def rotate(self) -> CheckpointKey:
        """Make a new key active; the old one's private key is deleted, its public key kept.

        Only for keys kept in a key directory: with ``TRACEGRAPH_SIGNING_KEY``, set a new
        key there and add the old public key to ``TRACEGRAPH_VERIFY_KEYS``.
        """
        if self.key_dir is None:
            raise KeyConfigError(f"the signing key comes from {SIGNING_KEY_ENV}: rotate by "
                                 f"setting a new one and listing the old public key "
                                 f"({b64(self.signer.key.public_key)}) in {VERIFY_KEYS_ENV}")
        now = utc_iso()
        key = Ed25519PrivateKey.generate()
        fresh = self.key_dir / (PRIVATE_KEY_FILE + ".new")
        fresh.unlink(missing_ok=True)
        _write_private(fresh, key)
        old_id = self.signer.key_id
        self.signer = CheckpointSigner(key)
        self.records = [KeyRecord(r.key, r.created_at, r.retired_at or now)
                        if r.key.key_id == old_id else r for r in self.records]
        self.records.append(KeyRecord(self.signer.key, created_at=now))
        self._write_records()  # the new public key is recorded before it signs anything
        os.replace(fresh, self.key_dir / PRIVATE_KEY_FILE)
        return self.signer.key

    def export_public_keys(self, origin: str | None = None) -> list[dict[str, Any]]:
        """Every public key: id, base64 key, PEM, created/retired times, ``active``; with an
        origin, also the signed-note verifier key string for that tenant's log."""
        out = []
        for r in self.records:
            item = {**r.to_json(), "active": r.key.key_id == self.signer.key_id,
                    "pem": r.key.public_pem()}
            if origin is not None:
                item["verifier_key"] = r.key.verifier_key(origin)
            out.append(item)
        return out

    def _write_records(self) -> None:
        assert self.key_dir is not None
        path = self.key_dir / PUBLIC_KEYS_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps([r.to_json() for r in self.records], indent=2) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())


def _read_private(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigError(f"{path} is not an Ed25519 private key")
    return key


def _finish_rotation(where: Path) -> None:
    """Complete a rotation cut short: a new key whose public half was recorded becomes
    active; one that was never recorded (it signed nothing) is dropped."""
    fresh = where / (PRIVATE_KEY_FILE + ".new")
    if not fresh.exists():
        return
    key_id = CheckpointSigner(_read_private(fresh)).key_id
    if key_id in _recorded_ids(where / PUBLIC_KEYS_FILE):
        os.replace(fresh, where / PRIVATE_KEY_FILE)
    else:
        fresh.unlink()


def _read_records(path: Path) -> list[KeyRecord]:
    if not path.exists():
        return []
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
        return [KeyRecord(CheckpointKey(_decode_key(i["public_key"], f"{path} public_key")),
                          i.get("created_at"), i.get("retired_at")) for i in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyConfigError(f"{path} is not a list of public keys: {exc}") from exc


def _recorded_ids(path: Path) -> set[str]:
    return {r.key.key_id for r in _read_records(path)}
