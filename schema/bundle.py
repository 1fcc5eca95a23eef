"""The audit bundle: a self-contained JSON Lines file that proves entries are in a signed log.

One JSON object per line (docs/audit-bundle.md is the contract), in this order:

1. a ``bundle`` header: format, tenant, scope (``trace``, ``session`` or ``tenant``) and id;
2. one ``key`` line per public key (the active one and retired ones);
3. one ``checkpoint`` line: the C2SP signed note of the tenant's log;
4. ``entry``, ``tombstone`` and ``removed_entry`` lines: each chain entry (every hashed
   member and its hash), retention tombstone, or log record of an entry that retention
   removed, with its leaf index in the log and its inclusion proof (hex hashes) in the tree
   of the checkpoint's size. The entries of one trace are consecutive, in seq order. A
   ``tenant`` bundle holds every leaf of the signed tree, so it proves the log complete.

The models below are what :func:`tracegraph.schema.bundle_verify.verify_bundle` accepts
(strict: no coercion, no unknown members); :func:`bundle_lines` writes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .chain import ChainEntry
from .checkpoint import CheckpointKey, b64
from .merkle_leaf import EntryLeaf, TombstoneLeaf

BUNDLE_FORMAT = "tracegraph-audit-bundle"
BUNDLE_VERSION = 1
Scope = Literal["trace", "session", "tenant"]
_HEX64 = r"^[0-9a-f]{64}$"


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class HeaderLine(_Line):
    type: Literal["bundle"]
    format: Literal["tracegraph-audit-bundle"]
    version: Literal[1]
    tenant_id: str
    scope: Scope
    scope_id: str | None
    created_at: str


class KeyLine(_Line):
    type: Literal["key"]
    key_id: str
    public_key: str = Field(description="base64 of the 32-byte Ed25519 public key")


class CheckpointLine(_Line):
    type: Literal["checkpoint"]
    note: str


class EntryBody(_Line):
    version: int
    tenant_id: str
    trace_id: str
    seq: int
    prev_hash: str
    kind: str
    record: dict[str, Any]
    hash: str

    def chain_entry(self) -> ChainEntry:
        return ChainEntry(self.tenant_id, self.trace_id, self.seq, self.prev_hash, self.kind,
                          self.record, self.hash, self.version)


class EntryLine(_Line):
    type: Literal["entry"]
    leaf_index: int = Field(ge=0)
    session_id: str
    entry: EntryBody
    proof: list[Annotated[str, Field(pattern=_HEX64)]]


class TombstoneBody(_Line):
    version: Literal[1]
    tenant_id: str
    session_id: str
    trace_id: str
    entry_count: int = Field(ge=0)
    final_hash: str
    removed_at: str
    hash: str

    def leaf(self) -> TombstoneLeaf:
        return TombstoneLeaf(self.tenant_id, self.session_id, self.trace_id,
                             self.entry_count, self.final_hash, self.removed_at, self.hash)


class TombstoneLine(_Line):
    type: Literal["tombstone"]
    leaf_index: int = Field(ge=0)
    tombstone: TombstoneBody
    proof: list[Annotated[str, Field(pattern=_HEX64)]]


class RemovedEntryBody(_Line):
    """The log record of an entry that retention removed (:class:`EntryLeaf` members)."""

    tenant_id: str
    session_id: str
    trace_id: str
    seq: int
    kind: str
    entry_hash: str

    def leaf(self) -> EntryLeaf:
        return EntryLeaf(self.tenant_id, self.session_id, self.trace_id, self.seq, self.kind,
                         self.entry_hash)


class RemovedEntryLine(_Line):
    type: Literal["removed_entry"]
    leaf_index: int = Field(ge=0)
    leaf: RemovedEntryBody
    proof: list[Annotated[str, Field(pattern=_HEX64)]]


BundleLine = Annotated[HeaderLine | KeyLine | CheckpointLine | EntryLine | TombstoneLine
                       | RemovedEntryLine, Field(discriminator="type")]
BUNDLE_LINE: TypeAdapter[BundleLine] = TypeAdapter(BundleLine)


def header_line(tenant_id: str, scope: Scope, scope_id: str | None,
                created_at: str) -> dict[str, Any]:
    return {"type": "bundle", "format": BUNDLE_FORMAT, "version": BUNDLE_VERSION,
            "tenant_id": tenant_id, "scope": scope, "scope_id": scope_id,
            "created_at": created_at}


def key_line(key: CheckpointKey) -> dict[str, Any]:
    return {"type": "key", "key_id": key.key_id, "public_key": b64(key.public_key)}


def entry_line(entry: ChainEntry, session_id: str, leaf_index: int,
               proof: Sequence[bytes]) -> dict[str, Any]:
    return {"type": "entry", "leaf_index": leaf_index, "session_id": session_id,
            "entry": entry.to_json(), "proof": [p.hex() for p in proof]}


def tombstone_line(leaf: TombstoneLeaf, leaf_index: int,
                   proof: Sequence[bytes]) -> dict[str, Any]:
    body = {"version": 1, "tenant_id": leaf.tenant_id, "session_id": leaf.session_id,
            "trace_id": leaf.trace_id, "entry_count": leaf.entry_count,
            "final_hash": leaf.final_hash, "removed_at": leaf.removed_at,
            "hash": leaf.tombstone_hash}
    return {"type": "tombstone", "leaf_index": leaf_index, "tombstone": body,
            "proof": [p.hex() for p in proof]}


def removed_entry_line(leaf: EntryLeaf, leaf_index: int,
                       proof: Sequence[bytes]) -> dict[str, Any]:
    body = leaf.record()
    del body["leaf"]
    return {"type": "removed_entry", "leaf_index": leaf_index, "leaf": body,
            "proof": [p.hex() for p in proof]}


def bundle_lines(header: dict[str, Any], keys: Iterable[CheckpointKey], note: str,
                 items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every line of a bundle, in order: header, keys, checkpoint, then the items."""
    yield header
    for key in keys:
        yield key_line(key)
    yield {"type": "checkpoint", "note": note}
    yield from items


def write_bundle(out: IO[bytes], lines: Iterable[dict[str, Any]]) -> int:
    """Write lines as JSON Lines (UTF-8, one object a line); returns the number written."""
    count = 0
    for line in lines:
        out.write(orjson.dumps(line) + b"\n")
        count += 1
    return count
