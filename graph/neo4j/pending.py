"""The Neo4j store's held items (:class:`~tracegraph.graph.protocol.PendingStore`): OTLP spans
waiting for their parent span, kept in the database so every server on it sees them.

One ``:PendingItem`` node per (tenant, group, item id), unique by those three (a constraint,
so two servers holding the same item at once make one node: ``MERGE`` takes the
constraint's lock), with the body as a byte array. Plain nodes beside the chains: no
relationship, nothing hashed or logged. A put of an id already held replaces its body; an
update's puts and removals run in one write transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    import neo4j
    from neo4j import ManagedTransaction

T = TypeVar("T")


class _Host(Protocol):
    """What the mixin uses of the store it is part of (graph/neo4j/store.py)."""

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]: ...

    def _write(self, work: Callable[[ManagedTransaction], T]) -> T: ...


SCHEMA = (
    (  # (named apart from the chain's *_key constraints)
        "CREATE CONSTRAINT tracegraph_pending_item_unique IF NOT EXISTS "
        "FOR (p:PendingItem) REQUIRE (p.tenant_id, p.grp, p.item_id) IS UNIQUE"),
)
#: The items of one group (sorted by id in Python: the same order on every backend).
ITEMS = """MATCH (p:PendingItem {tenant_id: $tenant, grp: $group})
RETURN p.item_id AS item_id, p.body AS body"""
PUT = """UNWIND $rows AS r
MERGE (p:PendingItem {tenant_id: $tenant, grp: $group, item_id: r[0]})
SET p.body = r[1]"""
REMOVE = """MATCH (p:PendingItem {tenant_id: $tenant, grp: $group})
WHERE p.item_id IN $ids
DELETE p"""
COUNT = """MATCH (p:PendingItem)
WHERE $skip = '' OR NOT p.grp STARTS WITH $skip
RETURN count(p) AS n"""


class Neo4jPending:
    """:class:`~tracegraph.graph.protocol.PendingStore` of :class:`Neo4jStore` (a mixin: it
    runs this module's statements through the store's driver and transactions)."""

    def pending_items(self: _Host, tenant_id: str, group: str) -> list[tuple[str, bytes]]:
        rows = self._read(ITEMS, tenant=tenant_id, group=group)
        return sorted((str(r["item_id"]), bytes(r["body"])) for r in rows)

    def update_pending(self: _Host, tenant_id: str, group: str,
                       put: Sequence[tuple[str, bytes]], remove: Sequence[str]) -> None:
        if not put and not remove:
            return
        rows = [[i, bytes(b)] for i, b in put]
        ids = list(remove)

        def work(tx: ManagedTransaction) -> None:
            if rows:
                tx.run(PUT, tenant=tenant_id, group=group, rows=rows).consume()
            if ids:
                tx.run(REMOVE, tenant=tenant_id, group=group, ids=ids).consume()

        self._write(work)

    def count_pending(self: _Host, skip_prefix: str = "") -> int:
        (rec,) = self._read(COUNT, skip=skip_prefix)
        return int(rec["n"])
