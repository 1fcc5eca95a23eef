"""The stored-bytes fast path on long chains, against a one-entry-at-a-time reference.

``stored_bytes_intact`` checks whole columns at once: each body's beginning and end are cut
(one length per kind, one per number of digits of the seq) and compared joined. These tests
hold it to the plain rule, checked entry by entry (:func:`reference`), on chains long enough
for seqs of one to four digits, with consistent forgeries (entries sealed with a wrong seq,
kind, tenant, trace or link, so only the prefix or suffix checks can catch them) and with
every kind of change to the stored columns; whatever the fast path accepts must also verify
when decoded.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import orjson
import pytest
from tracegraph.schema.chain import (
    ENTRY_DOMAIN,
    FORMAT_VERSION,
    GENESIS_PREV_HASH,
    ChainEntry,
    Verification,
    seal_encoded,
    stored_bytes_intact,
    verify_entries,
)

T, TR = "tenant", "trace"
N = 1105  # seqs of 1, 2, 3 and 4 digits
#: positions next to every change in the number of digits of the seq, and the ends
POSITIONS = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, N - 2, N - 1]
KINDS = ["step", "api_call", "human_input", "k\"\\é"]

Row = tuple[Any, ...]


def record(i: int) -> tuple[str, dict[str, Any]]:
    if i == 0:
        return "trace_started", {"session_id": "s", "created_at": "2025-01-01T00:00:00Z"}
    return KINDS[i % len(KINDS)], {"step_id": f"s{i}", "text": "ü" * (i % 7), "n": i}


def sealed(n: int = N, tenant: str = T, trace: str = TR,
           forge: dict[int, dict[str, Any]] | None = None) -> list[Row]:
    """A chain of ``n`` entries, linked; entry ``i`` sealed with ``forge[i]`` instead
    (another ``seq``, ``kind``, ``tenant``, ``trace`` or ``prev``), its row keeping the
    position and kind it stands at."""
    rows: list[Row] = []
    prev = GENESIS_PREV_HASH
    for i in range(n):
        kind, rec = record(i)
        f = (forge or {}).get(i, {})
        ((e, body),) = seal_encoded(f.get("tenant", tenant), f.get("trace", trace),
                                    f.get("seq", i), f.get("prev", prev),
                                    [(f.get("kind", kind), rec)])
        rows.append((i, kind, e.hash, body))
        prev = e.hash
    return rows


def reference(rows: list[Row], tenant: str, trace: str, length: int, head: str) -> bool:
    """The fast path's rule, entry by entry."""
    if len(rows) != length:
        return False
    prev = GENESIS_PREV_HASH
    for i, (seq, kind, hash_, body) in enumerate(rows):
        if (seq != i or type(kind) is not str or type(hash_) is not str
                or type(body) is not bytes):
            return False
        if hashlib.sha256(ENTRY_DOMAIN + body).hexdigest() != hash_:
            return False
        start = (b'{"kind":' + orjson.dumps(kind) + b',"prev_hash":"' + prev.encode()
                 + b'","record":')
        end = (b',"seq":' + str(i).encode() + b',"tenant_id":' + orjson.dumps(tenant)
               + b',"trace_id":' + orjson.dumps(trace) + b',"version":'
               + str(FORMAT_VERSION).encode() + b"}")
        if not body.startswith(start) or not body.endswith(end):
            return False
        prev = hash_
    return not rows or prev == head


def fast(rows: list[Row], tenant: str = T, trace: str = TR, length: int | None = None,
         head: str | None = None) -> bool:
    """The fast path's answer, checked against the reference and the decoding path."""
    length = len(rows) if length is None else length
    head = (rows[-1][2] if rows else GENESIS_PREV_HASH) if head is None else head
    intact = stored_bytes_intact(rows, tenant_id=tenant, trace_id=trace,  # type: ignore[arg-type]
                                 expected_length=length, expected_head=head)
    assert intact == reference(rows, tenant, trace, length, head)
    if not intact:
        return False
    v = Verification.passed(trace, length, head)
    assert v.valid and v.entries_checked == length
    decoded = [ChainEntry.from_json({**orjson.loads(b), "hash": h}) for _, _, h, b in rows]
    assert verify_entries(decoded, tenant_id=tenant, trace_id=trace, expected_length=length,
                        expected_head=head).valid
    return True


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return sealed()


@pytest.mark.parametrize(("tenant", "trace"), [(T, TR), ("t%d", "%s%%"), ("ü\"", "tr\\\n")])
def test_long_chain_is_accepted(tenant: str, trace: str) -> None:
    rows = sealed(tenant=tenant, trace=trace)
    assert fast(rows, tenant, trace)
    assert not fast(rows, tenant + "x", trace)
    assert not fast(rows, tenant, trace + "x")
    for n in (1, 9, 10, 11, 100, 1000, 1001):  # every prefix of the chain is a chain
        assert fast(rows[:n], tenant, trace)


@pytest.mark.parametrize("at", POSITIONS)
@pytest.mark.parametrize("forged", [
    {"seq": "+1"}, {"seq": "-1"}, {"seq": "*10"}, {"seq": "*100"}, {"kind": "step"},
    {"kind": "api_call"}, {"kind": "steps"}, {"tenant": "tenant2"}, {"tenant": "tenan"},
    {"trace": "trace2"}, {"prev": "0" * 63 + "1"}, {"prev": "f" * 64},
])
def test_consistent_forgery_is_rejected(at: int, forged: dict[str, Any]) -> None:
    """Entry ``at`` hashes to its stored hash and the next entry links to it, but its body
    names another seq, kind, tenant, trace or previous hash."""
    f = dict(forged)
    if "seq" in f:
        op, k = f["seq"][0], int(f["seq"][1:])
        f["seq"] = at + k if op == "+" else at - k if op == "-" else at * k
        if f["seq"] in (at, -1):
            f["seq"] = at + 1
    if f.get("kind") == record(at)[0]:
        f["kind"] = "trace_completed"
    assert not fast(sealed(forge={at: f}))


@pytest.mark.parametrize("at", POSITIONS)
def test_every_changed_byte_near_the_checked_ends_is_rejected(rows: list[Row], at: int) -> None:
    """Each byte of the first and last 120 bytes of a body, flipped, with the hash column
    rewritten to match (so only the links, ends and recorded head can catch it); the chain
    ends one entry later."""
    seq, kind, _, body = rows[at]
    upto = rows[:at + 2]
    for k in [*range(120), *range(len(body) - 120, len(body))]:
        changed = body[:k] + bytes([body[k] ^ 1]) + body[k + 1:]
        digest = hashlib.sha256(ENTRY_DOMAIN + changed).hexdigest()
        bad = list(upto)
        bad[at] = (seq, kind, digest, changed)
        assert not fast(bad, head=upto[-1][2]), (at, k)


@pytest.mark.parametrize("at", POSITIONS)
def test_every_changed_column_is_rejected(rows: list[Row], at: int) -> None:
    seq, kind, hash_, body = rows[at]
    changes: list[Row] = [
        (seq + 1, kind, hash_, body), (str(seq), kind, hash_, body),
        (None, kind, hash_, body), (seq, "step" if kind != "step" else "api_call", hash_, body),
        (seq, None, hash_, body), (seq, kind.encode(), hash_, body),
        (seq, kind, hash_[:-1], body), (seq, kind, hash_.upper(), body),
        (seq, kind, hash_.encode(), body), (seq, kind, rows[at - 1][2], body),
        (seq, kind, hash_, body + b" "), (seq, kind, hash_, body.decode()),
        (seq, kind, hash_, None), (seq, kind, hash_, bytearray(body)),
    ]
    for change in changes:
        bad = list(rows)
        bad[at] = change
        assert not fast(bad, head=rows[-1][2]), (at, change[:3])


def test_missing_inserted_moved_rows_and_wrong_head_are_rejected(rows: list[Row]) -> None:
    head = rows[-1][2]
    for at in POSITIONS:
        assert not fast(rows[:at] + rows[at + 1:], length=N, head=head)
        assert not fast([*rows[:at], rows[at], *rows[at:]], length=N + 1, head=head)
        other = (at * 7 + 3) % N
        swapped = list(rows)
        swapped[at], swapped[other] = rows[other], rows[at]
        assert not fast(swapped, head=head)
    assert not fast(rows, length=N + 1)
    assert not fast(rows, head=rows[-2][2])


def test_random_changes_agree_with_the_reference(rows: list[Row]) -> None:
    """Random single changes anywhere (rehashed or not): the fast path and the reference
    agree on every one, and no changed chain is accepted."""
    rng = random.Random(8)
    for _ in range(300):
        at = rng.randrange(N)
        seq, kind, _, body = rows[at]
        k = rng.randrange(len(body))
        changed = body[:k] + bytes([rng.randrange(256)]) + body[k + 1:]
        if changed == body:
            continue
        rehash = rng.random() < 0.5
        digest = hashlib.sha256(ENTRY_DOMAIN + changed).hexdigest() if rehash else rows[at][2]
        bad = list(rows)
        bad[at] = (seq, kind, digest, changed)
        assert not fast(bad, head=rows[-1][2])
