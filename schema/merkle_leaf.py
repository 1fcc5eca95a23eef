"""What a leaf of a tenant's Merkle log is: the canonical bytes of one log record.

A tenant's log has one leaf per chain entry (every entry of every trace, in the order the
store accepted them) and one per retention tombstone. The leaf data is a fixed ASCII prefix
and the RFC 8785 JSON of the record::

    leaf data = "tracegraph/log-leaf/v1\\n" || RFC 8785 JSON of the record
    leaf hash = SHA-256(0x00 || leaf data)                       (RFC 6962)

An **entry record** names the entry and its chain hash::

    {"leaf": "entry", "tenant_id", "session_id", "trace_id", "seq", "kind", "entry_hash"}

and a **tombstone record** holds every hashed field of the tombstone and its hash::

    {"leaf": "tombstone", "tenant_id", "session_id", "trace_id", "entry_count",
     "final_hash", "removed_at", "tombstone_hash"}

The prefix is the domain separation from the chain: an entry hash and a tombstone hash are
SHA-256 over ``0x00`` / ``0x01`` and a JSON object, which begins with ``{``, so no leaf data
(beginning with ``t``) is ever the input of a chain hash, nor a chain body a leaf. The
``session_id`` of every entry (not only of ``trace_started``) lets the log alone list a
session's traces, so a trace deleted whole is still found by its session; ``kind`` lets it
tell a completed trace from an active one without the entry bodies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from .canonical import canonical_json
from .chain import tombstone_hash
from .merkle import leaf_hash

LEAF_CONTEXT = b"tracegraph/log-leaf/v1\n"
_MAX_SEQ = 2**53 - 1


@dataclass(frozen=True, slots=True)
class EntryLeaf:
    """The log record of one chain entry."""

    tenant_id: str
    session_id: str
    trace_id: str
    seq: int
    kind: str
    entry_hash: str

    def record(self) -> dict[str, Any]:
        return {"leaf": "entry", "tenant_id": self.tenant_id, "session_id": self.session_id,
                "trace_id": self.trace_id, "seq": self.seq, "kind": self.kind,
                "entry_hash": self.entry_hash}

    def data(self) -> bytes:
        """The leaf data: the context prefix and the record's RFC 8785 bytes.

        Every member is a string or a seq far below 2**53 and the keys are ASCII, which is
        where ``orjson`` with sorted keys writes RFC 8785's bytes (:mod:`.canonical`); a
        string ``orjson`` refuses (a lone surrogate) takes the exact path."""
        if type(self.seq) is int and 0 <= self.seq <= _MAX_SEQ:
            try:
                return LEAF_CONTEXT + orjson.dumps(self.record(), option=orjson.OPT_SORT_KEYS)
            except orjson.JSONEncodeError:
                pass
        return LEAF_CONTEXT + canonical_json(self.record())

    def hash(self) -> bytes:
        """The RFC 6962 leaf hash of :meth:`data`."""
        return leaf_hash(self.data())


@dataclass(frozen=True, slots=True)
class TombstoneLeaf:
    """The log record of one retention tombstone: the trace it removed and the chain it had."""

    tenant_id: str
    session_id: str
    trace_id: str
    entry_count: int
    final_hash: str
    removed_at: str
    tombstone_hash: str

    @classmethod
    def sealed(cls, tenant_id: str, session_id: str, trace_id: str, entry_count: int,
               final_hash: str, removed_at: str) -> TombstoneLeaf:
        """The leaf of a new tombstone, its hash computed by :func:`chain.tombstone_hash`."""
        return cls(tenant_id, session_id, trace_id, entry_count, final_hash, removed_at,
                   tombstone_hash(tenant_id, trace_id, session_id, entry_count, final_hash,
                                  removed_at))

    def hash_matches(self) -> bool:
        """True when ``tombstone_hash`` is the hash of the other fields."""
        return self.tombstone_hash == tombstone_hash(
            self.tenant_id, self.trace_id, self.session_id, self.entry_count,
            self.final_hash, self.removed_at)

    def record(self) -> dict[str, Any]:
        return {"leaf": "tombstone", "tenant_id": self.tenant_id,
                "session_id": self.session_id, "trace_id": self.trace_id,
                "entry_count": self.entry_count, "final_hash": self.final_hash,
                "removed_at": self.removed_at, "tombstone_hash": self.tombstone_hash}

    def data(self) -> bytes:
        return LEAF_CONTEXT + canonical_json(self.record())

    def hash(self) -> bytes:
        return leaf_hash(self.data())


LogLeaf = EntryLeaf | TombstoneLeaf


def leaf_hashes(leaves: Sequence[LogLeaf]) -> list[bytes]:
    """``[leaf.hash() for leaf in leaves]``, with the members that consecutive entry leaves of
    one trace share (session, tenant and trace ids, last in RFC 8785's key order) encoded
    once: an append's leaves cost a SHA-256 and three short ``orjson`` calls each. Anything
    off that path (a seq beyond 2**53, a string ``orjson`` refuses) takes :meth:`hash`."""
    out: list[bytes] = []
    key: tuple[str, str, str] | None = None
    tail: bytes | None = None
    for leaf in leaves:
        if type(leaf) is EntryLeaf and type(leaf.seq) is int and 0 <= leaf.seq <= _MAX_SEQ:
            here = (leaf.session_id, leaf.tenant_id, leaf.trace_id)
            if here != key:
                key, tail = here, _shared_tail(*here)
            if tail is not None:
                try:
                    data = b"".join((_ENTRY_HEAD, orjson.dumps(leaf.entry_hash), b',"kind":',
                                     orjson.dumps(leaf.kind), b',"leaf":"entry","seq":',
                                     str(leaf.seq).encode(), tail))
                except orjson.JSONEncodeError:
                    pass
                else:
                    out.append(hashlib.sha256(data).digest())
                    continue
        out.append(leaf.hash())
    return out


#: ``0x00`` (RFC 6962's leaf prefix), the context and the record up to its first value.
_ENTRY_HEAD = b"\x00" + LEAF_CONTEXT + b'{"entry_hash":'


def _shared_tail(session_id: str, tenant_id: str, trace_id: str) -> bytes | None:
    try:
        return b"," + orjson.dumps({"session_id": session_id, "tenant_id": tenant_id,
                                    "trace_id": trace_id})[1:]
    except orjson.JSONEncodeError:
        return None


def leaf_from_record(record: dict[str, Any]) -> LogLeaf:
    """The leaf a log record (as :meth:`EntryLeaf.record` writes it) describes.

    Raises ``ValueError`` naming the member that is missing or of the wrong type.
    """
    kind = record.get("leaf")
    fields: dict[str, type]
    if kind == "entry":
        fields = {"tenant_id": str, "session_id": str, "trace_id": str, "seq": int,
                  "kind": str, "entry_hash": str}
    elif kind == "tombstone":
        fields = {"tenant_id": str, "session_id": str, "trace_id": str, "entry_count": int,
                  "final_hash": str, "removed_at": str, "tombstone_hash": str}
    else:
        raise ValueError(f"leaf: expected 'entry' or 'tombstone', got {kind!r}")
    extra = set(record) - set(fields) - {"leaf"}
    if extra:
        raise ValueError(f"{kind} leaf: unexpected members {sorted(extra)}")
    for name, typ in fields.items():
        value = record.get(name)
        if type(value) is not typ:
            raise ValueError(f"{kind} leaf: {name} must be {typ.__name__}, got {value!r}")
    args = {name: record[name] for name in fields}
    return EntryLeaf(**args) if kind == "entry" else TombstoneLeaf(**args)
