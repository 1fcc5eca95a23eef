"""Dgraph result nodes as the protocol's rows: chain entries, trace rows, owners, edge order."""

from __future__ import annotations

from typing import Any

import orjson
from tracegraph.graph.algorithms.branches import alternative_index
from tracegraph.graph.protocol import Edge, EdgeType, TraceRow
from tracegraph.schema.chain import GENESIS_PREV_HASH, ChainEntry

from . import dql
from .codec import decode_record
from .keys import entry_ref

#: The edge type each edge predicate stores.
EDGE_TYPE_OF: dict[str, EdgeType] = {p: t for t, p in dql.EDGE_PREDICATES.items()}
#: Position of an edge type among the edges one entry makes (``edges_for`` order).
_EDGE_RANK: dict[str, int] = {
    "CHILD_OF": 0, "SPAWNED": 1, "HAS_STEP": 0, "NEXT": 1, "DEPENDS_ON": 2, "CONSIDERED": 3,
    "CALLED": 0, "ASKED": 0,
}


def many(value: Any) -> list[dict[str, Any]]:
    """Nodes of a uid predicate as a list (Dgraph returns a single uid predicate as an object)."""
    if not value:
        return []
    return [value] if isinstance(value, dict) else list(value)


def entry_of(node: dict[str, Any], trace_id: str) -> ChainEntry:
    """Rebuild a chain entry from the predicates of its node (missing ones fail verification)."""
    return ChainEntry(
        tenant_id=node.get("entry.tenant", ""),
        trace_id=trace_id,
        seq=node.get("entry.seq", -1),
        prev_hash=node.get("entry.prev_hash", ""),
        kind=node.get("entry.kind", ""),
        record=decode_record(node),
        hash=node.get("entry.hash", ""),
        version=node.get("entry.version", 0),
    )


def merged_entries(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Entry nodes of the per-type blocks (``e_*``) of a result, in stored seq order."""
    nodes = [n for key, block in result.items() if key.startswith("e_") for n in block]
    nodes.sort(key=lambda n: (n.get("entry.seq", -1), int(n["uid"], 16)))
    return nodes


def trace_row(node: dict[str, Any]) -> TraceRow:
    trace_id = node["trace.id"]
    start = node.get("trace.start")
    end = node.get("trace.end")
    return TraceRow(
        tenant_id=node["trace.tenant"],
        trace_id=trace_id,
        status=node.get("trace.status", ""),
        entry_count=node.get("trace.entry_count", 0),
        head_hash=node.get("trace.head_hash", GENESIS_PREV_HASH),
        started=decode_record(start) if start else {},
        completed=decode_record(end) if end else None,
    )


def owner_of(node: dict[str, Any]) -> tuple[str, str] | None:
    """(tenant, trace id) of a node read with ``entry.trace`` / ``trace.tenant`` / ``alt``."""
    if "trace.id" in node and "trace.tenant" in node:
        return node["trace.tenant"], node["trace.id"]
    owner = node.get("entry.trace")
    if owner is None and node.get("alt"):
        owner = node["alt"][0].get("entry.trace")
    if owner and "trace.tenant" in owner:
        return owner["trace.tenant"], owner["trace.id"]
    return None


def entries_by_ref(tenant_id: str, nodes: list[dict[str, Any]],
                   wanted: set[tuple[str, int]]) -> dict[tuple[str, int], ChainEntry]:
    """The tenant's entry nodes among ``nodes`` whose ``(trace id, seq)`` is wanted."""
    out: dict[tuple[str, int], ChainEntry] = {}
    for n in nodes:
        owner = owner_of(n)
        if owner is None or owner[0] != tenant_id:
            continue
        ref = entry_ref(n["entry.key"])
        trace_id = ref[0]
        if ref in wanted and trace_id == owner[1]:
            out[ref] = entry_of(n, trace_id)
    return out


def _made_by(node: dict[str, Any]) -> tuple[str, str, int]:
    """(created_at, trace id, seq) of the entry a node is (traces: their start entry)."""
    if "trace.id" in node:
        start = node.get("trace.start") or {}
        return start.get("rec.created_at", ""), node["trace.id"], start.get("entry.seq", 0)
    owner = owner_of(node)
    return node.get("rec.created_at", ""), owner[1] if owner else "", node.get("entry.seq", 0)


def edge_order(edge: Edge, src: dict[str, Any], dst: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key of an edge: the entry that made it, then its place among that entry's edges."""
    maker = src if edge.type in ("DEPENDS_ON", "CONSIDERED", "CHILD_OF") else dst
    place = 0
    if edge.type == "DEPENDS_ON":
        deps = orjson.loads(src.get("rec.depends_on", "[]"))
        place = deps.index(edge.dst) if edge.dst in deps else len(deps)
    elif edge.type == "CONSIDERED":
        place = alternative_index(edge.dst)
    return (*_made_by(maker), _EDGE_RANK[edge.type], place, edge.src, edge.dst)
