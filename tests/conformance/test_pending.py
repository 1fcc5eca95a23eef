"""Held items (:class:`~tracegraph.graph.protocol.PendingStore`, where OTLP child spans wait for
their parent) on every backend: kept in the database, so every server on it sees the same
ones. A put holds or replaces, a removal of an id not held is ignored, ids come back in id
order, tenants and groups never see each other's items, the count spans every tenant, and
writers racing on the same items leave each held once."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from tracegraph.graph.protocol import GraphStore, PendingStore

from .harness import Harness


def _pending(store: GraphStore) -> PendingStore:
    if not isinstance(store, PendingStore):
        pytest.fail(f"{type(store).__name__} keeps no held items (PendingStore)")
    return store


def test_put_replace_and_remove_in_id_order(store: GraphStore, tenant: str) -> None:
    held = _pending(store)
    group = uuid.uuid4().hex
    assert held.pending_items(tenant, group) == []
    held.update_pending(tenant, group, [("b2", b"two"), ("a1", b"one"), ("c3", b"three")], [])
    assert held.pending_items(tenant, group) == [("a1", b"one"), ("b2", b"two"),
                                                 ("c3", b"three")]
    held.update_pending(tenant, group, [("b2", b"TWO"), ("a0", b"zero")], ["c3", "not-held"])
    assert held.pending_items(tenant, group) == [("a0", b"zero"), ("a1", b"one"),
                                                 ("b2", b"TWO")]
    held.update_pending(tenant, group, [("d4", b"put then removed")], ["d4"])  # one update
    held.update_pending(tenant, group, [], [])
    assert [i for i, _ in held.pending_items(tenant, group)] == ["a0", "a1", "b2"]
    held.update_pending(tenant, group, [], ["a0", "a1", "b2"])
    assert held.pending_items(tenant, group) == []


def test_bodies_are_bytes_kept_exactly(store: GraphStore, tenant: str) -> None:
    held = _pending(store)
    group = uuid.uuid4().hex
    every_byte = bytes(range(256)) * 3
    large = uuid.uuid4().bytes * 40_000  # 640 KB
    held.update_pending(tenant, group, [("x", every_byte), ("y", b""), ("z", large)], [])
    assert held.pending_items(tenant, group) == [("x", every_byte), ("y", b""), ("z", large)]
    held.update_pending(tenant, group, [], ["x", "y", "z"])


def test_tenants_and_groups_are_kept_apart(store: GraphStore, harness: Harness) -> None:
    held = _pending(store)
    a, b = harness.new_tenant(), harness.new_tenant()
    g = uuid.uuid4().hex
    # group and item ids are free text: a key built by joining them must not collide
    held.update_pending(a, f"{g}/x", [("y", b"a: g/x, y")], [])
    held.update_pending(a, g, [("x/y", b"a: g, x/y")], [])
    held.update_pending(b, g, [("x/y", b"b: g, x/y")], [])
    assert held.pending_items(a, f"{g}/x") == [("y", b"a: g/x, y")]
    assert held.pending_items(a, g) == [("x/y", b"a: g, x/y")]
    assert held.pending_items(b, g) == [("x/y", b"b: g, x/y")]
    assert held.pending_items(b, f"{g}/x") == []
    held.update_pending(b, g, [], ["x/y"])  # b's removal leaves a's item of the same ids
    assert held.pending_items(a, g) == [("x/y", b"a: g, x/y")]
    assert held.pending_items(b, g) == []
    held.update_pending(a, g, [], ["x/y"])
    held.update_pending(a, f"{g}/x", [], ["y"])


def test_count_spans_every_tenant(store: GraphStore, harness: Harness) -> None:
    held = _pending(store)
    a, b, g = harness.new_tenant(), harness.new_tenant(), uuid.uuid4().hex
    before = held.count_pending()
    held.update_pending(a, g, [("1", b"."), ("2", b".")], [])
    held.update_pending(b, g, [("1", b".")], [])
    held.update_pending(b, "other", [("1", b".")], [])
    assert held.count_pending() == before + 4
    held.update_pending(a, g, [("1", b"again")], ["2"])
    assert held.count_pending() == before + 3
    for tenant, group in ((a, g), (b, g), (b, "other")):
        held.update_pending(tenant, group, [], ["1"])
    assert held.count_pending() == before


def test_count_leaves_out_a_group_prefix(store: GraphStore, harness: Harness) -> None:
    """Rows of groups under a skipped prefix (a stream's cursors) are not counted as held,
    on any tenant; groups that merely contain the prefix later on still are."""
    held = _pending(store)
    a, b, skip = harness.new_tenant(), harness.new_tenant(), f"cursor-{uuid.uuid4().hex}:"
    before_all, before = held.count_pending(), held.count_pending(skip_prefix=skip)
    held.update_pending(a, skip + "topic", [("acknowledged", b"12")], [])
    held.update_pending(b, skip + "other", [("acknowledged", b"3")], [])
    held.update_pending(b, "x" + skip, [("1", b".")], [])
    held.update_pending(a, "spans", [("1", b"."), ("2", b".")], [])
    assert held.count_pending() == before_all + 5
    assert held.count_pending(skip_prefix=skip) == before + 3
    for tenant, group, item in ((a, skip + "topic", "acknowledged"),
                                (b, skip + "other", "acknowledged"), (b, "x" + skip, "1"),
                                (a, "spans", "1"), (a, "spans", "2")):
        held.update_pending(tenant, group, [], [item])
    assert held.count_pending(skip_prefix=skip) == before


def test_racing_writers_hold_each_item_once(store: GraphStore, harness: Harness,
                                           tenant: str) -> None:
    """Servers holding (and then placing) the same spans at once: every id held once, and
    the removals of racing placements all land."""
    group = uuid.uuid4().hex
    ids = [f"s{i:02d}" for i in range(20)]
    stores = [_pending(store), *(_pending(harness.open()) for _ in range(3))]
    before = stores[0].count_pending()

    def put(n: int) -> None:
        stores[n % 4].update_pending(tenant, group, [(i, f"{n}".encode()) for i in ids], [])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, range(8)))
    got = stores[0].pending_items(tenant, group)
    assert [i for i, _ in got] == ids
    assert len({b for _, b in got}) == 1  # one writer's update won every id, whole
    assert stores[0].count_pending() == before + len(ids)

    def remove(n: int) -> None:
        stores[n % 4].update_pending(tenant, group, [], ids[n % 2::2] if n < 4 else ids)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(remove, range(8)))
    assert stores[0].pending_items(tenant, group) == []
    assert stores[0].count_pending() == before
