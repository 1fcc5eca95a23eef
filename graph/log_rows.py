"""A log leaf as the server backends store it (one flat row of named columns, and back), and
which tree nodes they store (levels from :data:`LOWEST_STORED_LEVEL` up; the ones below are
rebuilt from leaf rows).

Neo4j keeps a leaf as the properties of a ``(:LogLeaf)`` node and Dgraph as ``leaf.*``
predicates; both store the same columns (those of the embedded ``log_leaves`` table), so
the mapping lives here once. A leaf row keeps what rebuilds the leaf record (never the leaf
hash, which is the level-0 tree node), so the log still names a trace and seq after
retention deleted the entry. See docs/dev/merkle-integration.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tracegraph.schema.merkle import tree_hash
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import MissingNode, NodeId

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


# -- which tree nodes a server backend stores ------------------------------------------------
#: The lowest tree level kept as node rows: a node below it (a perfect subtree of fewer than
#: 16 leaves) is rebuilt from its leaf rows when a proof asks for it (at most 15 leaf hashes
#: a level), so an append writes one node per 16 leaves instead of about two per leaf (the
#: embedded store's choice too).
LOWEST_STORED_LEVEL = 4


def nodes_to_store(nodes: Sequence[tuple[NodeId, bytes]]) -> list[tuple[NodeId, bytes]]:
    """The nodes of :func:`~tracegraph.graph.log_plan.plan_log_append` a backend writes."""
    return [(node, h) for node, h in nodes if node[0] >= LOWEST_STORED_LEVEL]


def split_node_ids(ids: Sequence[NodeId]) -> tuple[list[NodeId], list[int]]:
    """The stored nodes among ``ids`` (each once) and the leaf indexes that rebuild the
    others.

    >>> split_node_ids([(5, 0), (0, 3), (2, 1), (5, 0)])
    ([(5, 0)], [3, 4, 5, 6, 7])
    """
    upper = [i for i in dict.fromkeys(ids) if i[0] >= LOWEST_STORED_LEVEL]
    leaves = sorted({i for level, idx in ids if level < LOWEST_STORED_LEVEL
                     for i in range(idx << level, (idx + 1) << level)})
    return upper, leaves


def rebuilt_nodes(ids: Sequence[NodeId], leaf_hashes: Mapping[int, bytes]
                  ) -> dict[NodeId, bytes]:
    """The nodes below :data:`LOWEST_STORED_LEVEL` among ``ids`` whose every leaf hash is
    in ``leaf_hashes`` (a missing leaf leaves its node out: the caller names it missing)."""
    out: dict[NodeId, bytes] = {}
    for level, idx in ids:
        if level >= LOWEST_STORED_LEVEL or (level, idx) in out:
            continue
        span = [leaf_hashes.get(i) for i in range(idx << level, (idx + 1) << level)]
        if all(h is not None for h in span):
            out[level, idx] = tree_hash([h for h in span if h is not None])
    return out


def node_hashes(tenant_id: str, ids: Sequence[NodeId], found: Mapping[NodeId, bytes]
                ) -> list[bytes]:
    """The hashes of ``ids`` in order from ``found``; ``MissingNode`` names the first
    absent one."""
    for level, idx in ids:
        if (level, idx) not in found:
            raise MissingNode(f"log node of tenant {tenant_id!r} at level {level}, "
                              f"index {idx} is not stored")
    return [found[i] for i in ids]
