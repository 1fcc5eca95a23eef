"""Sealing and verifying chains in memory: the hashing rule, links and every verify reason."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools

import orjson
import pytest
import rfc8785
from tracegraph.schema.chain import (
    ENTRY_DOMAIN,
    FORMAT_VERSION,
    GENESIS_PREV_HASH,
    ChainEntry,
    entry_hash,
    hash_matches,
    seal,
    seal_encoded,
    seal_many,
    stored_bytes_intact,
    verify_entries,
)

T, TR = "tenant", "trace"


def chain(n: int) -> list[ChainEntry]:
    items = [("trace_started", {"session_id": "s", "created_at": "2025-01-01T00:00:00.000000Z"})]
    items += [("step", {"step_id": f"s{i}", "step_type": "Action", "step_index": i,
                        "confidence": i / 7, "created_at": "2025-01-01T00:00:00.000000Z"})
              for i in range(n - 1)]
    return seal_many(T, TR, 0, GENESIS_PREV_HASH, items)


def verdict(entries: list[ChainEntry], **kw: object) -> tuple[bool, int | None, str]:
    v = verify_entries(entries, tenant_id=T, trace_id=TR, **kw)  # type: ignore[arg-type]
    return v.valid, v.first_broken_seq, (v.reason or "").split(":")[0]


def test_hash_is_sha256_of_domain_byte_and_rfc8785() -> None:
    e = seal(T, TR, 0, GENESIS_PREV_HASH, "trace_started", {"goal": "é", "n": 1.5})
    obj = {"version": FORMAT_VERSION, "tenant_id": T, "trace_id": TR, "seq": 0,
           "prev_hash": "0" * 64, "kind": "trace_started", "record": {"goal": "é", "n": 1.5}}
    assert e.hashed_object() == obj
    assert e.hash == hashlib.sha256(b"\x00" + rfc8785.dumps(obj)).hexdigest()
    assert ENTRY_DOMAIN == b"\x00" and GENESIS_PREV_HASH == "0" * 64
    assert e.hash == entry_hash(obj) and len(e.hash) == 64 and e.hash == e.hash.lower()


def test_every_hashed_member_changes_the_hash() -> None:
    e = seal(T, TR, 3, "a" * 64, "step", {"x": 1})
    for name, value in [("version", 2), ("tenant_id", "t2"), ("trace_id", "tr2"), ("seq", 4),
                        ("prev_hash", "b" * 64), ("kind", "api_call"), ("record", {"x": 2})]:
        assert not hash_matches(dataclasses.replace(e, **{name: value})), name
    assert hash_matches(e)


def test_seal_many_links_consecutive_entries() -> None:
    es = chain(5)
    assert [e.seq for e in es] == [0, 1, 2, 3, 4]
    assert es[0].prev_hash == GENESIS_PREV_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(es))
    # sealing in two batches gives the same chain as one
    tail = seal_many(T, TR, 2, es[1].hash, [(e.kind, e.record) for e in es[2:]])
    assert tail == es[2:]


def test_round_trip_through_json() -> None:
    for e in chain(3):
        assert ChainEntry.from_json(e.to_json()) == e


def test_side_slots_are_not_part_of_the_entry() -> None:
    """``stored_seq`` (given by a store) and ``view`` (kept by a read) leave the entry's
    value alone: equality, repr, JSON and hash; a renumbered entry fails verification."""
    es = chain(2)
    moved = ChainEntry(*dataclasses.astuple(es[1])[:8], stored_seq=7)
    assert moved == es[1] and moved.to_json() == es[1].to_json() and repr(moved) == repr(es[1])
    assert hash_matches(moved) and moved.stored_seq == 7 and es[1].stored_seq is None
    v = verify_entries([es[0], moved], tenant_id=T, trace_id=TR)
    assert (v.valid, v.first_broken_seq, v.reason) == (
        False, 1, "renumbered: the store files entry 1 as seq 7")
    marker = object()
    es[0].keep_view(marker)
    fresh = chain(2)[0]
    assert es[0].view is marker and fresh.view is None
    assert es[0] == fresh and es[0].to_json() == fresh.to_json()


def test_valid_chain_and_its_head() -> None:
    es = chain(6)
    v = verify_entries(es, tenant_id=T, trace_id=TR, expected_length=6, expected_head=es[-1].hash)
    assert (v.valid, v.entries_checked, v.head_hash) == (True, 6, es[-1].hash)
    assert verify_entries([], tenant_id=T, trace_id=TR).valid


def test_head_checks() -> None:
    es = chain(6)
    assert verdict(es[:4], expected_length=6) == (False, 4, "entry missing")
    extra = seal(T, TR, 6, es[-1].hash, "step", {"step_id": "late"})
    assert verdict([*es, extra], expected_length=6) == (False, 6, "entry inserted")
    resealed = dataclasses.replace(es[-1], record={"step_id": "other"})
    resealed = dataclasses.replace(resealed, hash=entry_hash(resealed.hashed_object()))
    assert verdict([*es[:-1], resealed]) == (True, None, "")
    assert verdict([*es[:-1], resealed], expected_length=6,
                   expected_head=es[-1].hash) == (False, 5, "content changed")


@pytest.mark.parametrize("i", range(6))
def test_reasons(i: int) -> None:
    es = chain(6)
    bad = list(es)
    bad[i] = dataclasses.replace(es[i], record={**es[i].record, "x": 1})
    assert verdict(bad) == (False, i, "content changed")
    bad[i] = dataclasses.replace(es[i], seq=es[i].seq + 10)
    assert verdict(bad) == (False, i, "content changed")
    bad[i] = dataclasses.replace(es[i], version=2)
    assert verdict(bad) == (False, i, "unsupported version")
    bad[i] = dataclasses.replace(es[i], tenant_id="other")
    assert verdict(bad) == (False, i, "wrong trace")
    bad[i] = dataclasses.replace(es[i], hash="f" * 64)
    assert verdict(bad) == (False, i, "content changed")
    assert verdict(es[:i] + es[i + 1:]) == ((True, None, "") if i == 5
                                            else (False, i, "entry missing"))
    if i < 5:
        swapped = list(es)
        swapped[i], swapped[i + 1] = es[i + 1], es[i]
        assert verdict(swapped) == (False, i, "reordered")
        moved = es[:i] + es[i + 1:] + [es[i]]
        assert verdict(moved) == (False, i, "reordered")
    if i > 0:
        relinked = dataclasses.replace(es[i], prev_hash="c" * 64)
        relinked = dataclasses.replace(relinked, hash=entry_hash(relinked.hashed_object()))
        assert verdict([*es[:i], relinked, *es[i + 1:]]) == (False, i, "link broken")
        forged = seal(T, TR, i, es[i - 1].hash, "step", {"step_id": "forged"})
        assert verdict([*es[:i], forged, *es[i:]]) == (False, i, "entry inserted")
        loose = seal(T, TR, i, "d" * 64, "step", {"step_id": "loose"})
        renumbered = [dataclasses.replace(e, seq=e.seq + 1) for e in es[i:]]
        assert verdict([*es[:i], loose, *renumbered])[:2] == (False, i)


def encoded_rows(tenant: str = T, trace: str = TR, n: int = 6) -> list[tuple[object, ...]]:
    items: list[tuple[str, dict[str, object]]] = [
        ("trace_started", {"session_id": "s", "created_at": "2025-01-01T00:00:00.000000Z"})]
    items += [("step" if i % 2 else "api_call", {"step_id": f"s{i}", "step_index": i,
                                                 "text": "ü%d\u2028"})
              for i in range(n - 2)]
    items.append(("trace_completed", {"status": "completed", "outcome": "success"}))
    return [(e.seq, e.kind, e.hash, body)
            for e, body in seal_encoded(tenant, trace, 0, GENESIS_PREV_HASH, items)]


def encoded_verdict(rows: list[tuple[object, ...]], tenant: str = T, trace: str = TR,
                    **kw: object) -> bool:
    """True when the fast path accepts the rows; then the decoded chain must verify too."""
    head = kw.pop("expected_head", rows[-1][2] if rows else None)
    length = kw.pop("expected_length", len(rows))
    if not stored_bytes_intact(rows, tenant_id=tenant, trace_id=trace,  # type: ignore[arg-type]
                               expected_length=length, expected_head=head):  # type: ignore[arg-type]
        return False
    decoded = [ChainEntry.from_json({**orjson.loads(b), "hash": h})  # type: ignore[arg-type]
               for _, _, h, b in rows]
    assert verify_entries(decoded, tenant_id=tenant, trace_id=trace, expected_length=length,
                        expected_head=head).valid  # type: ignore[arg-type]
    return True


@pytest.mark.parametrize(("tenant", "trace"), [(T, TR), ("t%d", "%s%%"), ("ü\"", "tr\\")])
def test_stored_bytes_intact_accepts_the_sealed_bytes(tenant: str, trace: str) -> None:
    rows = encoded_rows(tenant, trace)
    assert encoded_verdict(rows, tenant, trace)
    assert encoded_verdict([], tenant, trace, expected_head=GENESIS_PREV_HASH)
    assert not encoded_verdict(rows, "other", trace)
    assert not encoded_verdict(rows, tenant, "other")


def _column_changes(value: object) -> list[object]:
    if isinstance(value, int):
        return [value + 1, value - 1, str(value), None, value + 0.5]
    if isinstance(value, str):
        return [value + "x", value[:-1], value.upper(), value.encode(), "step", None,
                "trace_started"]
    assert isinstance(value, bytes)
    flipped = [value[:k] + bytes([value[k] ^ 1]) + value[k + 1:] for k in range(len(value))]
    return [*flipped, value + b" ", b" " + value, value[:-1], value.decode(), None,
            value.replace(b'"version":1', b'"version":2')]


def test_stored_bytes_intact_rejects_every_changed_column() -> None:
    """Any change to any column of any row (every byte of every body) leaves the fast path;
    the decoding path then names the break."""
    rows = encoded_rows()
    for i, row in enumerate(rows):
        for col, value in enumerate(row):
            for changed in _column_changes(value):
                if col == 1 and changed == value:
                    continue
                bad = list(rows)
                bad[i] = (*row[:col], changed, *row[col + 1:])
                assert not encoded_verdict(bad), (i, col, changed)


def test_stored_bytes_intact_rejects_missing_inserted_and_moved_rows() -> None:
    rows = encoded_rows()
    last = rows[-1][2]
    for i in range(len(rows)):
        assert not encoded_verdict(rows[:i] + rows[i + 1:], expected_length=len(rows),
                                   expected_head=last)
        assert not encoded_verdict([*rows[:i], rows[i], *rows[i:]], expected_length=len(rows) + 1,
                                   expected_head=last)
        for j in range(len(rows)):
            if i != j:
                swapped = list(rows)
                swapped[i], swapped[j] = rows[j], rows[i]
                assert not encoded_verdict(swapped)
    assert not encoded_verdict(rows, expected_length=len(rows) + 1)
    assert not encoded_verdict(rows, expected_head=rows[-2][2])
