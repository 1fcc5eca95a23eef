"""The Dgraph store's held items (:class:`~tracegraph.graph.protocol.PendingStore`): OTLP spans
waiting for their parent span, kept in the cluster so every server on it sees them.

One ``PendingItem`` node per (tenant, group, item id), found by ``pend.key``
("<tenant>/<length of the group>:<group>/<item id>": the tenant holds no ``/`` and the
group's length says where it ends, so one key names one item of one tenant; ``@upsert``, so
two servers holding the same item at once conflict and one retries, finding it), grouped by
``pend.group`` ("<tenant>/<group>", as :func:`~.keys.key` makes). The body is a base64
string. An update reads the items it names and writes and deletes them in one transaction,
retried from the read when it conflicts. The schema is applied when a store first opens the
cluster (:func:`schema_query`, :data:`SCHEMA`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import orjson
import pydgraph
from pydgraph.proto import api_pb2 as api

from . import dql
from .keys import SEP, key
from .nquads import NQuads, node_ref
from .writes import query_in

T = TypeVar("T")

SCHEMA = """
pend.key: string @index(exact) @upsert .
pend.group: string @index(exact) .
pend.item: string .
pend.body: string .

type PendingItem {
  pend.key
  pend.group
  pend.item
  pend.body
}
"""
TYPE = "PendingItem"
_PREDICATES = dql.expected_predicates(SCHEMA)
_TYPES = dql.expected_types(SCHEMA)
#: What the cluster says of the predicates and type above (names are constants).
SCHEMA_PREDICATES = (f"schema(pred: [{', '.join(_PREDICATES)}]) "
                     "{ type index tokenizer upsert reverse list }")
SCHEMA_TYPES = f"schema(type: [{TYPE}]) {{}}"
ITEMS = """
query items($group: string) {
  p(func: eq(pend.group, $group)) { pend.item pend.body }
}
"""
BY_KEY = """
query held($keys: [string]) {
  p(func: eq(pend.key, $keys)) { uid pend.key }
}
"""
COUNT = """
query count() {
  n(func: has(pend.key)) { count(uid) }
}
"""
#: The count of each group ("<tenant>/<group>"), for a count that leaves some groups out
#: (DQL has no prefix match on an exact index; there are far fewer groups than items).
COUNT_BY_GROUP = """
query count() {
  n(func: has(pend.key)) @groupby(pend.group) { count(uid) }
}
"""


class _Host(Protocol):
    """What the mixin uses of the store it is part of (graph/dgraph/store.py)."""

    timeout: float

    def _read(self, query: str, values: Mapping[str, str | Sequence[str]]) -> dict[str, Any]: ...

    def _transact(self, trace_id: str, body: Callable[[pydgraph.Txn], T]) -> T: ...


def item_key(tenant_id: str, group: str, item_id: str) -> str:
    """``pend.key`` of one held item.

    >>> item_key("acme", "5b8e", "aa/1")
    'acme/4:5b8e/aa/1'
    """
    return key(tenant_id, f"{len(group)}:{group}/{item_id}")


def schema_in_place(query: Callable[[str], dict[str, Any]]) -> bool:
    """True when the cluster has :data:`SCHEMA` exactly (``query`` runs a read-only query)."""
    have = {p.pop("predicate"): p for p in query(SCHEMA_PREDICATES).get("schema", [])}
    for spec in have.values():
        if "tokenizer" in spec:
            spec["tokenizer"] = sorted(spec["tokenizer"])
    types = {t["name"]: {f["name"] for f in t.get("fields", [])}
             for t in query(SCHEMA_TYPES).get("types", [])}
    return have == _PREDICATES and types == _TYPES


class DgraphPending:
    """:class:`~tracegraph.graph.protocol.PendingStore` of :class:`DgraphStore` (a mixin: it
    runs this module's queries through the store's client and transactions)."""

    def pending_items(self: _Host, tenant_id: str, group: str) -> list[tuple[str, bytes]]:
        got = self._read(ITEMS, {"group": key(tenant_id, group)}).get("p", [])
        return sorted((str(n["pend.item"]), base64.b64decode(n["pend.body"])) for n in got)

    def update_pending(self: _Host, tenant_id: str, group: str,
                       put: Sequence[tuple[str, bytes]], remove: Sequence[str]) -> None:
        if not put and not remove:
            return
        bodies = {item_key(tenant_id, group, i): (i, base64.b64encode(b).decode("ascii"))
                  for i, b in put}
        gone = {item_key(tenant_id, group, i) for i in remove}
        timeout = self.timeout

        def body(txn: pydgraph.Txn) -> None:
            found = query_in(txn, BY_KEY, {"keys": sorted({*bodies, *gone})}, timeout)
            uids = {n["pend.key"]: n["uid"] for n in found.get("p", [])}
            quads = NQuads()
            for n, (k, (item, text)) in enumerate(bodies.items()):
                if k in gone:
                    continue
                if k in uids:
                    quads.value(node_ref(uids[k]), "pend.body", text)
                    continue
                node = f"_:p{n}"
                quads.value(node, "dgraph.type", TYPE)
                quads.value(node, "pend.key", k)
                quads.value(node, "pend.group", key(tenant_id, group))
                quads.value(node, "pend.item", item)
                quads.value(node, "pend.body", text)
            deletions = [{"uid": uids[k]} for k in sorted(gone) if k in uids]
            mutations = []
            if quads.lines:
                mutations.append(api.Mutation(set_nquads=quads.text()))
            if deletions:
                mutations.append(api.Mutation(delete_json=orjson.dumps(deletions)))
            if mutations:
                txn.do_request(txn.create_request(mutations=mutations, commit_now=True),
                               timeout=timeout)

        self._transact(f"held items of {group}", body)

    def count_pending(self: _Host, skip_prefix: str = "") -> int:
        if not skip_prefix:
            got = self._read(COUNT, {}).get("n", [{}])
            return int(got[0].get("count", 0)) if got else 0
        groups = self._read(COUNT_BY_GROUP, {}).get("n", [{}])
        return sum(int(g.get("count", 0)) for g in (groups[0].get("@groupby", []) if groups else [])
                   if not g["pend.group"].partition(SEP)[2].startswith(skip_prefix))
