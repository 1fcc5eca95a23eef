"""The per-trace hash chain: how an entry is hashed, sealed and verified.

Every record appended to a trace (its start, each step, API call and human input, and its
completion) is one *entry* of that trace's chain, numbered by ``seq`` from 0. The hashed
object of an entry is the JSON object::

    {"version": 1, "tenant_id": ..., "trace_id": ..., "seq": n, "prev_hash": ...,
     "kind": "step", "record": {...}}

and its hash is ``SHA-256(0x00 || RFC 8785 canonical JSON of that object)`` in lower-case
hex. The leading byte separates entry hashes from every other hash tracegraph computes
(``0x01`` is reserved for tombstones). The first entry's ``prev_hash`` is
:data:`GENESIS_PREV_HASH`, 64 zeros. Records omit fields whose value is null.

Two checks verify a chain: :func:`verify_entries` on decoded entries (it names the first
break), and :func:`stored_bytes_intact` on the canonical bytes a store kept (a quick yes,
or "cannot tell": then the entries are decoded and checked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, islice, repeat
from operator import getitem
from typing import Any, cast

import orjson

from .canonical import canonical_json, optimistic_json

FORMAT_VERSION = 1
GENESIS_PREV_HASH = "0" * 64
ENTRY_DOMAIN = b"\x00"
TOMBSTONE_DOMAIN = b"\x01"
_RECORD = '","record":'
_SEQ = ',"seq":'
_SEQ_BLOCK = 1024
#: ``body[cut]``, typed for bytes (``operator.getitem``, the fastest way to call it from map)
_CUT = cast("Callable[[bytes, slice], bytes]", getitem)


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One sealed entry of a trace's hash chain, as stored."""

    tenant_id: str
    trace_id: str
    seq: int
    prev_hash: str
    kind: str
    record: dict[str, Any]
    hash: str
    version: int = FORMAT_VERSION
    # Two side slots follow: neither is part of the entry's value (not hashed, not compared,
    # not in repr, not in to_json).
    #: The position the store files the entry under, when it is not the hashed ``seq`` (an
    #: index column or property changed behind the store's back); given by the store that
    #: rebuilds the entry, and reported by :func:`verify_entries`.
    stored_seq: int | None = field(default=None, repr=False, compare=False, kw_only=True)
    #: The read model built from this entry, kept by :meth:`keep_view` (as
    #: :meth:`~tracegraph.schema.views.StepView.from_entry` does): an entry a store hands out
    #: again, as the embedded store's decoded-entry cache does, is not converted again.
    view: Any = field(default=None, init=False, repr=False, compare=False)

    def keep_view(self, view: Any) -> None:
        """Keep ``view``, the read model built from this entry, in its :attr:`view` slot."""
        object.__setattr__(self, "view", view)  # (the one slot that changes after sealing)

    def hashed_object(self) -> dict[str, Any]:
        """The JSON object whose canonical form is hashed."""
        return {
            "version": self.version,
            "tenant_id": self.tenant_id,
            "trace_id": self.trace_id,
            "seq": self.seq,
            "prev_hash": self.prev_hash,
            "kind": self.kind,
            "record": self.record,
        }

    def to_json(self) -> dict[str, Any]:
        """The entry with its hash, as published in test vectors and exports."""
        return {**self.hashed_object(), "hash": self.hash}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainEntry:
        return cls(
            tenant_id=data["tenant_id"],
            trace_id=data["trace_id"],
            seq=data["seq"],
            prev_hash=data["prev_hash"],
            kind=data["kind"],
            record=data["record"],
            hash=data["hash"],
            version=data["version"],
        )


def entry_hash(obj: dict[str, Any]) -> str:
    """Hash of one hashed object: SHA-256 over the domain byte and its RFC 8785 bytes."""
    return hashlib.sha256(ENTRY_DOMAIN + canonical_json(obj)).hexdigest()


def tombstone_hash(
    tenant_id: str, trace_id: str, session_id: str, entry_count: int, final_hash: str,
    removed_at: str,
) -> str:
    """Hash of a retention tombstone: SHA-256 over ``0x01`` and the RFC 8785 JSON of its fields.

    The final hash is the removed chain's head, so anyone holding it (an auditor's copy, an
    export) can match the tombstone to the chain that existed.
    """
    obj = {
        "version": FORMAT_VERSION, "tenant_id": tenant_id, "trace_id": trace_id,
        "session_id": session_id, "entry_count": entry_count, "final_hash": final_hash,
        "removed_at": removed_at,
    }
    return hashlib.sha256(TOMBSTONE_DOMAIN + canonical_json(obj)).hexdigest()


def seal(
    tenant_id: str, trace_id: str, seq: int, prev_hash: str, kind: str, record: dict[str, Any]
) -> ChainEntry:
    """Seal a record as entry ``seq`` of a chain whose previous hash is ``prev_hash``."""
    ((entry, _data),) = seal_encoded(tenant_id, trace_id, seq, prev_hash, [(kind, record)])
    return entry


def seal_many(
    tenant_id: str,
    trace_id: str,
    next_seq: int,
    prev_hash: str,
    items: Sequence[tuple[str, dict[str, Any]]],
) -> list[ChainEntry]:
    """Seal ``(kind, record)`` items as consecutive entries after the given chain head."""
    return [e for e, _ in seal_encoded(tenant_id, trace_id, next_seq, prev_hash, items)]


#: SHA-256 after the entry domain byte, copied for each entry.
_ENTRY_HASHER = hashlib.sha256(ENTRY_DOMAIN)
_MAX_SAFE_INT = 2**53 - 1


def _hashed_tail(tenant_id: str, trace_id: str) -> bytes | None:
    """The canonical JSON of a hashed object from ``"tenant_id"`` to its end (the same for
    every entry of a batch); None when a field is not a string orjson encodes."""
    if type(tenant_id) is not str or type(trace_id) is not str:
        return None
    try:
        return (b',"tenant_id":' + orjson.dumps(tenant_id) + b',"trace_id":'
                + orjson.dumps(trace_id) + b',"version":' + str(FORMAT_VERSION).encode() + b"}")
    except orjson.JSONEncodeError:
        return None


def _spliced(tail: bytes, kind: str, prev_hash: str, record: dict[str, Any],
             seq: int) -> bytes | None:
    """The canonical JSON of a hashed object, from its fields' own canonical forms.

    RFC 8785 writes an object as its members in key order, each value as it is written
    alone; the hashed object's keys are fixed ASCII strings, so its bytes are those pieces
    around :func:`canonical_json` of the record, with the ``tenant_id`` ... end ``tail`` of
    :func:`_hashed_tail`. None (then the whole object is encoded) for a field of another
    type, a seq outside the I-JSON range or anything that does not encode."""
    if type(kind) is not str or type(prev_hash) is not str or type(seq) is not int or not (
            -_MAX_SAFE_INT <= seq <= _MAX_SAFE_INT):
        return None
    try:
        return b"".join((b'{"kind":', orjson.dumps(kind), b',"prev_hash":',
                         orjson.dumps(prev_hash), b',"record":', canonical_json(record),
                         b',"seq":', str(seq).encode(), tail))
    except Exception:  # (the whole object's encoding then raises what is wrong, if anything)
        return None


def seal_encoded(
    tenant_id: str,
    trace_id: str,
    next_seq: int,
    prev_hash: str,
    items: Sequence[tuple[str, dict[str, Any]]],
) -> list[tuple[ChainEntry, bytes]]:
    """:func:`seal_many`, each entry with the canonical bytes that were hashed.

    A store that keeps those bytes can check them with :func:`stored_bytes_intact`.
    """
    sealed: list[tuple[ChainEntry, bytes]] = []
    tail = _hashed_tail(tenant_id, trace_id)
    domain = _ENTRY_HASHER.copy
    for offset, (kind, record) in enumerate(items):
        seq = next_seq + offset
        data = _spliced(tail, kind, prev_hash, record, seq) if tail is not None else None
        if data is None:
            data = canonical_json({
                "version": FORMAT_VERSION,
                "tenant_id": tenant_id,
                "trace_id": trace_id,
                "seq": seq,
                "prev_hash": prev_hash,
                "kind": kind,
                "record": record,
            })
        hasher = domain()
        hasher.update(data)
        digest = hasher.hexdigest()
        sealed.append((ChainEntry(tenant_id, trace_id, seq, prev_hash, kind, record, digest),
                       data))
        prev_hash = digest
    return sealed


def stored_bytes_intact(
    rows: Sequence[tuple[int, str, str, bytes]],
    *,
    tenant_id: str,
    trace_id: str,
    expected_length: int,
    expected_head: str,
) -> bool:
    """True when a chain's stored canonical bytes are those of an intact chain (no decoding).

    ``rows`` are ``(seq, kind, hash, body)`` as stored, in seq order. Each body must be
    the canonical JSON of an entry (keys sorted: ``kind``, ``prev_hash``, ``record``,
    ``seq``, ``tenant_id``, ``trace_id``, ``version``) whose kind is the row's, whose
    ``prev_hash`` is the previous entry's hash, whose seq is its position, whose tenant,
    trace and format version are the expected ones, and whose SHA-256 (after the domain
    byte) is the stored hash; the chain must have the recorded length and head.

    True means the chain verifies (:meth:`Verification.passed` is its result). False means
    only that this quick check cannot tell: the caller then runs :func:`verify_entries` on
    the decoded entries, which finds and names the first problem (and accepts a body that
    was stored in another byte form of the same content). Bytes that hash to the stored
    hash are the bytes that were sealed, unless the whole chain from that entry to the
    recorded head was forged, which no check of a chain without an outside anchor can
    detect either way.
    """
    n = len(rows)
    if n != expected_length:
        return False
    if not n:
        return True
    # Column-wise, each check one pass in C (map, zip, join) rather than a Python loop: the
    # loop cost as much as the SHA-256 of a 1.3 kB body. (Only the hashing loops per entry.)
    seqs, kinds, hashes, bodies = zip(*rows, strict=True)
    if (seqs != tuple(range(n)) or hashes[-1] != expected_head
            or set(map(type, bodies)) != {bytes} or set(map(type, hashes)) != {str}
            or not all(type(kind) is str for kind in set(kinds))):
        return False
    # first the hashes: from here on each stored hash is 64 ASCII characters
    return (_entry_hexdigests(bodies) == list(hashes) and _links_match(kinds, hashes, bodies)
            and _positions_match(bodies, tenant_id, trace_id))


def _entry_hexdigests(bodies: Sequence[bytes]) -> list[str]:
    """The entry hash of each canonical body.

    Each body is hashed by a copy of a hash that has taken the domain byte: no copy of
    the body with the byte in front, and no new SHA-256 state set up per entry (together
    a fifth of the cost of hashing a 1.3 kB body).
    """
    start = hashlib.sha256(ENTRY_DOMAIN)
    digests: list[str] = []
    append = digests.append
    for body in bodies:
        h = start.copy()
        h.update(body)
        append(h.hexdigest())
    return digests


def _links_match(kinds: Sequence[str], hashes: Sequence[str], bodies: Sequence[bytes]) -> bool:
    """Body ``i`` starts with ``{"kind":<kind i>,"prev_hash":"<hash i-1>","record":``.

    ``hashes`` must be 64 ASCII characters each. The beginning of each body, exactly as
    long as its expected beginning (one length per kind), is joined into one string and
    compared with the expected beginnings, joined: as no cut is longer than its expected
    piece, equal joins mean every piece is equal.
    """
    heads = {k: '{"kind":' + orjson.dumps(k).decode() + ',"prev_hash":"' for k in set(kinds)}
    cuts = {k: slice(len(h.encode()) + len(GENESIS_PREV_HASH) + len(_RECORD))
            for k, h in heads.items()}
    expected = [_RECORD] * (3 * len(kinds))
    expected[0::3] = map(heads.__getitem__, kinds)
    expected[1] = GENESIS_PREV_HASH
    expected[4::3] = hashes[:-1]
    got = b"".join(map(_CUT, bodies, map(cuts.__getitem__, kinds)))
    return got == "".join(expected).encode()


def _positions_match(bodies: Sequence[bytes], tenant_id: str, trace_id: str) -> bool:
    """Body ``i`` ends with ``,"seq":i,"tenant_id":...,"trace_id":...,"version":1}``.

    As in :func:`_links_match`, the ends (one length per number of digits of ``i``) are
    joined and compared with the expected ends, joined.
    """
    tail = (',"tenant_id":' + orjson.dumps(tenant_id).decode() + ',"trace_id":'
            + orjson.dumps(trace_id).decode() + f',"version":{FORMAT_VERSION}}}')
    fixed = len(_SEQ) + len(tail.encode())
    n = len(bodies)
    cuts: list[slice] = []
    digits = 1
    while len(cuts) < n:  # seqs of 1 digit: 0-9, then 10-99, ...
        count = 10 if digits == 1 else 9 * 10 ** (digits - 1)
        cuts += repeat(slice(-(fixed + digits), None), min(count, n - len(cuts)))
        digits += 1
    got = b"".join(map(_CUT, bodies, cuts))
    return got == (_SEQ + (tail + _SEQ).join(_seq_texts(n)) + tail).encode()


def _seq_texts(n: int) -> Iterator[str]:
    """``str(i)`` for ``i`` in ``range(n)``, from blocks kept converted."""
    blocks = map(_seq_block, range(-(-n // _SEQ_BLOCK)))
    return islice(chain.from_iterable(blocks), n)


@lru_cache(maxsize=64)
def _seq_block(block: int) -> tuple[str, ...]:
    return tuple(map(str, range(block * _SEQ_BLOCK, (block + 1) * _SEQ_BLOCK)))


def hash_matches(entry: ChainEntry) -> bool:
    """True when the entry's stored hash is the hash of its content.

    Tries the fast serialisation first; only a mismatch pays for the exact canonical form.
    """
    obj = entry.hashed_object()
    fast = hashlib.sha256(ENTRY_DOMAIN + optimistic_json(obj)).hexdigest()
    return fast == entry.hash or entry_hash(obj) == entry.hash


@dataclass(frozen=True, slots=True)
class Verification:
    """Result of verifying one chain (or all chains of a session)."""

    valid: bool
    entries_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    trace_id: str | None = None
    head_hash: str | None = None
    details: list[str] = field(default_factory=list)

    @classmethod
    def passed(cls, trace_id: str, length: int, head: str) -> Verification:
        """The result for a chain of ``length`` entries, ending at ``head``, that verified."""
        return cls(True, length, None, None, trace_id, head if length else None)


def verify_entries(
    entries: Sequence[ChainEntry],
    *,
    tenant_id: str,
    trace_id: str,
    expected_length: int | None = None,
    expected_head: str | None = None,
) -> Verification:
    """Verify one trace's chain from its decoded entries: recompute every hash and link,
    and name the first break.

    ``entries`` are what storage returns, ordered by their stored ``seq``. Reports the first
    broken seq and why: ``content changed``, ``link broken``, ``entry missing``,
    ``entry inserted``, ``reordered``, ``renumbered`` (an intact entry the store files under
    another seq, :attr:`ChainEntry.stored_seq`), ``wrong trace`` or ``unsupported version``.
    ``expected_length`` and ``expected_head`` (the entry count and head hash the store
    recorded) catch entries deleted from or appended to the end, and a re-hashed last entry.

    >>> e0 = seal("t", "tr", 0, GENESIS_PREV_HASH, "trace_started", {"goal": "x"})
    >>> verify_entries([e0], tenant_id="t", trace_id="tr").valid
    True
    """
    later_hashes = {e.hash: i for i, e in enumerate(entries)}
    stored_seqs = {e.seq for e in entries}
    prev = GENESIS_PREV_HASH
    for i, e in enumerate(entries):

        def broken(reason: str, seq: int = i, checked: int = i) -> Verification:
            return Verification(False, checked, seq, reason, trace_id)

        if e.version != FORMAT_VERSION:
            return broken(f"unsupported version: entry has format version {e.version}")
        if e.tenant_id != tenant_id or e.trace_id != trace_id:
            return broken("wrong trace: entry names another tenant or trace")
        if e.seq != i:
            if not hash_matches(e):  # the seq inside the hashed body was altered
                return broken("content changed: stored hash does not match the entry")
            if e.seq < i:
                return broken(f"entry inserted: a second entry claims seq {e.seq}", e.seq)
            if i in stored_seqs or later_hashes.get(e.prev_hash, -1) > i:
                return broken(f"reordered: entry with seq {e.seq} is stored before seq {i}")
            return broken(f"entry missing: no entry with seq {i}")
        if e.prev_hash != prev:
            back = later_hashes.get(e.prev_hash)
            if back is not None and back > i:
                return broken("reordered: entry links to an entry stored after it")
            nxt = entries[i + 1] if i + 1 < len(entries) else None
            if nxt is not None and nxt.prev_hash == prev:
                return broken("entry inserted: entry does not link to the chain, the next one does")
            if hash_matches(e):
                return broken("link broken: prev_hash is not the previous entry's hash")
            return broken("content changed: hash and prev_hash do not match")
        if not hash_matches(e):
            nxt = entries[i + 1] if i + 1 < len(entries) else None
            if nxt is not None and nxt.prev_hash != e.hash and nxt.prev_hash in later_hashes:
                return broken("reordered: entry was moved from another position")
            return broken("content changed: stored hash does not match the entry")
        if e.stored_seq is not None and e.stored_seq != e.seq:
            return broken(f"renumbered: the store files entry {e.seq} as seq {e.stored_seq}")
        prev = e.hash
    n = len(entries)
    if expected_length is not None and n < expected_length:
        return Verification(False, n, n, f"entry missing: chain ends at seq {n - 1}, "
                            f"the store recorded {expected_length} entries", trace_id)
    if expected_length is not None and n > expected_length:
        return Verification(False, expected_length, expected_length,
                            f"entry inserted: {n - expected_length} entries after seq "
                            f"{expected_length - 1}, the head the store recorded", trace_id)
    if expected_head is not None and n and prev != expected_head:
        return Verification(False, n - 1, n - 1, "content changed: the last entry's hash is "
                            "not the head hash the store recorded", trace_id)
    return Verification.passed(trace_id, n, prev)
