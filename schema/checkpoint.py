"""Signed checkpoints of a tenant's Merkle log, as C2SP tlog-checkpoint signed notes.

A checkpoint states the size and root of a tenant's log at a time, signed with Ed25519.
Its text is a C2SP `tlog-checkpoint <https://c2sp.org/tlog-checkpoint>`_ in a `signed note
<https://c2sp.org/signed-note>`_, so tools that read transparency-log checkpoints (Go's
``golang.org/x/mod/sumdb/note``, transparency-dev, sigsum) can check it too::

    tracegraph/tenant-a                          origin: the log name and the tenant
    1048576                                      tree size
    Ov3C2SeXvqLT3/8H7nkVTtv8/IZXwbDjUw0iCK2bvVc=  root hash, base64
    timestamp 2026-12-04T16:00:00.000000Z        extension line: when it was signed

    — tracegraph/tenant-a Ab3fQ...               key name (= origin), base64(key ID || sig)

The signature is Ed25519 over the note text (the four lines, each ending in a newline); the
4-byte key ID is ``SHA-256(key name || 0x0A || 0x01 || public key)[:4]`` as the signed-note
spec recommends. tracegraph's own :attr:`CheckpointKey.key_id` — the name a key is listed,
rotated and reported under — is the first 16 hex digits of the SHA-256 of the 32-byte public
key, independent of the tenant. Keys are kept by :mod:`tracegraph.schema.checkpoint_keys`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .merkle import HASH_SIZE

ED25519_SIGNATURE_TYPE = b"\x01"
TIMESTAMP_PREFIX = "timestamp "
#: Signature lines read from one note (the signed-note spec asks verifiers to accept 16).
MAX_SIGNATURES = 64
_SIG_PREFIX = "\u2014 "  # em dash, space
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_SIZE_RE = re.compile(r"^(0|[1-9][0-9]*)$")
_NAME_RE = re.compile(r"^[^\s+]+$")


class CheckpointError(ValueError):
    """A checkpoint cannot be accepted; subclasses say why."""


class MalformedCheckpoint(CheckpointError):
    """The text is not a checkpoint in a signed note (names the line or field)."""


class UnknownKey(CheckpointError):
    """No signature on the checkpoint is by a known key (names the key IDs found)."""


class BadSignature(CheckpointError):
    """A signature by a known key does not verify: the text or the signature was changed."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise MalformedCheckpoint(f"{what} is not base64: {text[:60]!r}") from exc


def log_origin(log_name: str, tenant_id: str) -> str:
    """The origin line (and key name) of a tenant's log: ``<log name>/<tenant id>``."""
    origin = f"{log_name}/{tenant_id}"
    if not _NAME_RE.fullmatch(origin):
        raise ValueError(f"log origin {origin!r}: must be non-empty, without spaces or '+'")
    return origin


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The tree head of a tenant's log: origin, size, root hash and signing time."""

    origin: str
    size: int
    root: bytes
    timestamp: str

    def __post_init__(self) -> None:
        if not _NAME_RE.fullmatch(self.origin):
            raise MalformedCheckpoint(f"origin {self.origin!r}: must be non-empty, "
                                      "without spaces or '+'")
        if self.size < 0:
            raise MalformedCheckpoint(f"tree size {self.size} is negative")
        if len(self.root) != HASH_SIZE:
            raise MalformedCheckpoint(f"root hash is {len(self.root)} bytes, not {HASH_SIZE}")
        if not _TIMESTAMP_RE.fullmatch(self.timestamp):
            raise MalformedCheckpoint(f"timestamp {self.timestamp!r}: expected "
                                      "YYYY-MM-DDTHH:MM:SS.ffffffZ")

    def text(self) -> str:
        """The note text that is signed: four lines, each ending in a newline."""
        return (f"{self.origin}\n{self.size}\n{b64(self.root)}\n"
                f"{TIMESTAMP_PREFIX}{self.timestamp}\n")

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a note text written by :meth:`text`."""
        if not text.endswith("\n"):
            raise MalformedCheckpoint("checkpoint text must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) != 4:
            raise MalformedCheckpoint(f"checkpoint text has {len(lines)} lines, expected 4 "
                                      "(origin, tree size, root hash, timestamp)")
        origin, size, root, stamp = lines
        if not _SIZE_RE.fullmatch(size):
            raise MalformedCheckpoint(f"tree size line {size!r}: decimal without leading zeros")
        if not stamp.startswith(TIMESTAMP_PREFIX):
            raise MalformedCheckpoint(f"line 4 {stamp!r}: expected 'timestamp <time>'")
        return cls(origin, int(size), unb64(root, "root hash"), stamp[len(TIMESTAMP_PREFIX):])


@dataclass(frozen=True, slots=True)
class CheckpointKey:
    """An Ed25519 public key that checkpoints are verified with."""

    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != 32:
            raise ValueError(f"Ed25519 public key is {len(self.public_key)} bytes, not 32")

    @property
    def key_id(self) -> str:
        """tracegraph's name for the key: 16 hex digits of SHA-256(public key)."""
        return hashlib.sha256(self.public_key).hexdigest()[:16]

    def note_key_id(self, name: str) -> bytes:
        """The 4-byte signed-note key ID of this key under a key name."""
        return hashlib.sha256(name.encode() + b"\n" + ED25519_SIGNATURE_TYPE
                              + self.public_key).digest()[:4]

    def verifier_key(self, name: str) -> str:
        """The signed-note verifier key string: ``<name>+<key ID hex>+<base64(0x01 || key)>``.

        What ``note.NewVerifier`` in Go (and other signed-note tools) takes.
        """
        return (f"{name}+{self.note_key_id(name).hex()}+"
                f"{b64(ED25519_SIGNATURE_TYPE + self.public_key)}")

    def public_pem(self) -> str:
        """The key as a PEM SubjectPublicKeyInfo, as ``openssl pkey -pubin`` reads it."""
        key = Ed25519PublicKey.from_public_bytes(self.public_key)
        return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class CheckpointSigner:
    """An Ed25519 private key that signs checkpoints."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.key = CheckpointKey(private_key.public_key().public_bytes(Encoding.Raw,
                                                                       PublicFormat.Raw))

    @classmethod
    def from_seed(cls, seed: bytes) -> CheckpointSigner:
        """The signer of a 32-byte Ed25519 private key (RFC 8032 seed)."""
        if len(seed) != 32:
            raise ValueError(f"Ed25519 private key is {len(seed)} bytes, not 32")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def sign(self, checkpoint: Checkpoint) -> str:
        """The checkpoint as a signed note, signed by this key under the origin as key name."""
        return self.sign_note(checkpoint.text(), checkpoint.origin)

    def sign_note(self, text: str, name: str) -> str:
        """Any note text (ending in a newline) as a signed note with one signature line."""
        signature = self._private.sign(text.encode())
        line = b64(self.key.note_key_id(name) + signature)
        return f"{text}\n{_SIG_PREFIX}{name} {line}\n"


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint whose signature verified, and the key that made it."""

    checkpoint: Checkpoint
    key: CheckpointKey
    note: str


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text of a signed note and its signatures as ``(key name, key ID || signature)``."""
    if "\n\n" not in note:
        raise MalformedCheckpoint("signed note has no blank line before its signatures")
    cut = note.rindex("\n\n")
    text, tail = note[:cut + 1], note[cut + 2:]
    if not tail.endswith("\n"):
        raise MalformedCheckpoint("signature lines must end in a newline")
    sigs: list[tuple[str, bytes]] = []
    lines = tail[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedCheckpoint(f"signed note has {len(lines)} signatures, at most "
                                  f"{MAX_SIGNATURES} are read")
    for line in lines:
        if not line.startswith(_SIG_PREFIX) or line.count(" ") != 2:
            raise MalformedCheckpoint(f"signature line {line[:60]!r}: expected "
                                      "'\u2014 <key name> <base64>'")
        _, name, sig = line.split(" ")
        raw = unb64(sig, f"signature of {name}")
        if len(raw) < 5:
            raise MalformedCheckpoint(f"signature of {name} is {len(raw)} bytes")
        sigs.append((name, raw))
    return text, sigs


def open_checkpoint(note: str, keys: Iterable[CheckpointKey]) -> SignedCheckpoint:
    """Verify a signed checkpoint against known keys and parse it.

    As the signed-note spec requires, signatures whose key name and ID match no known key
    are ignored, a known key's signature that fails is :class:`BadSignature`, and a note
    with no signature by a known key is :class:`UnknownKey`. The key name must be the
    checkpoint's origin.
    """
    text, sigs = split_note(note)
    checkpoint = Checkpoint.from_text(text)
    known = list(keys)
    message = text.encode()
    for name, raw in sigs:
        if name != checkpoint.origin:
            continue
        for key in known:
            if key.note_key_id(name) == raw[:4]:
                if not key.verify(raw[4:], message):
                    raise BadSignature(f"the signature by key {key.key_id} does not verify: "
                                       "the checkpoint or its signature was changed")
                return SignedCheckpoint(checkpoint, key, note)
    found = ", ".join(f"{name}/{raw[:4].hex()}" for name, raw in sigs) or "none"
    raise UnknownKey(f"no signature by a known key for {checkpoint.origin} "
                     f"(signatures found: {found}; known keys: "
                     f"{', '.join(k.key_id for k in known) or 'none'})")
