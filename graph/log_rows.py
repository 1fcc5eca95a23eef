"""A log leaf as the server backends store it: one flat row of named columns, and back.

Neo4j keeps a leaf as the properties of a ``(:LogLeaf)`` node and Dgraph as ``leaf.*``
predicates; both store the same columns (those of the embedded ``log_leaves`` table), so
the mapping lives here once. A leaf row keeps what rebuilds the leaf record (never the leaf
hash, which is the level-0 tree node), so the log still names a trace and seq after
retention deleted the entry. See docs/dev/merkle-integration.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf

from .protocol import StoredLeaf

#: ``leaf_kind`` of an entry leaf and of a tombstone leaf (as the embedded store writes).
ENTRY = "e"
TOMBSTONE = "t"

#: Every column of a leaf row, in the order :func:`leaf_columns` fills them.
COLUMNS = ("leaf_index", "leaf_kind", "session_id", "trace_id", "seq", "kind", "record_hash",
           "entry_count", "final_hash", "removed_at")


def leaf_columns(leaf_index: int, leaf: LogLeaf) -> dict[str, Any]:
    """The columns of one leaf row (``None`` for those its kind does not have).

    >>> leaf_columns(3, EntryLeaf("t", "s", "tr", 0, "trace_started", "ab"))["record_hash"]
    'ab'
    """
    if isinstance(leaf, EntryLeaf):
        return {"leaf_index": leaf_index, "leaf_kind": ENTRY, "session_id": leaf.session_id,
                "trace_id": leaf.trace_id, "seq": leaf.seq, "kind": str(leaf.kind),
                "record_hash": leaf.entry_hash, "entry_count": None, "final_hash": None,
                "removed_at": None}
    return {"leaf_index": leaf_index, "leaf_kind": TOMBSTONE, "session_id": leaf.session_id,
            "trace_id": leaf.trace_id, "seq": None, "kind": None,
            "record_hash": leaf.tombstone_hash, "entry_count": leaf.entry_count,
            "final_hash": leaf.final_hash, "removed_at": leaf.removed_at}


def stored_leaf(tenant_id: str, row: Mapping[str, Any]) -> StoredLeaf:
    """The leaf a stored row describes; ``ValueError`` names a row that is not a leaf."""
    def get(column: str) -> Any:
        value = row.get(column)
        if value is None:
            raise ValueError(f"log leaf {row.get('leaf_index')} of tenant {tenant_id!r} has "
                             f"no {column}")
        return value

    kind = get("leaf_kind")
    leaf: LogLeaf
    if kind == ENTRY:
        leaf = EntryLeaf(tenant_id, str(get("session_id")), str(get("trace_id")),
                         int(get("seq")), str(get("kind")), str(get("record_hash")))
    elif kind == TOMBSTONE:
        leaf = TombstoneLeaf(tenant_id, str(get("session_id")), str(get("trace_id")),
                             int(get("entry_count")), str(get("final_hash")),
                             str(get("removed_at")), str(get("record_hash")))
    else:
        raise ValueError(f"log leaf {row.get('leaf_index')} of tenant {tenant_id!r}: "
                         f"leaf_kind {kind!r} is neither {ENTRY!r} nor {TOMBSTONE!r}")
    return StoredLeaf(int(get("leaf_index")), leaf)
