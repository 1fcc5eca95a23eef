"""Path and lineage queries on Dgraph: DQL fetches a bounded subgraph, the reference answers.

Dgraph finds the nodes (``@recurse`` with a depth, deepening for an unbounded shortest path);
the answer is then computed by the reference functions of :mod:`tracegraph.graph.algorithms`
on that fetched subgraph, because DQL cannot express the tie-break order (paths by node id
sequence) nor the lineage node order. The subgraph holds every node within the bound with
every flow edge among them, so breadth-first depths and the paths within the bound are the
same as on the whole graph. Semantics: graph/protocol.py, docs/graph-queries.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import networkx as nx
from tracegraph.graph import algorithms
from tracegraph.graph.algorithms.flow import add_flow_edges
from tracegraph.graph.protocol import (
    Direction,
    Edge,
    EdgeType,
    LineageResult,
    NodeRef,
    PathMode,
    PathSearch,
)

from . import dql
from .nodes import EDGE_TYPE_OF, many

#: A read-only query with its variables, answered as JSON.
Read = Callable[[str, Mapping[str, str | Sequence[str]]], dict[str, Any]]
#: A flow-view predicate read from the cause side -> (stored type, stored src is the cause).
_FLOW_STORED: dict[str, tuple[EdgeType, bool]] = {
    p.lstrip("~"): (EDGE_TYPE_OF[p.lstrip("~")], not p.startswith("~")) for p in dql.FLOW_DOWN
}
_FLOW_PREDS = tuple(p for p in dql.FLOW_DOWN)
#: A huge @recurse depth: no bound (loop: false stops the walk when no new edge is left).
_UNBOUNDED = 1 << 30
#: Depths an unbounded shortest-path search tries before the unbounded one.
_SHORTEST_DEPTHS = (8, 64, 512)


def paths(
    read: Read,
    known: Mapping[str, tuple[NodeRef, str]],
    from_id: str,
    to_id: str,
    mode: PathMode,
    max_length: int | None,
    limit: int,
) -> PathSearch:
    """Paths from ``from_id`` to ``to_id`` (``known``: where the two are, with their uids)."""
    trivial = algorithms.trivial_paths(known, from_id, to_id)
    if trivial is not None:
        return trivial
    src, dst = known[from_id][1], known[to_id][1]
    if (max_length is not None and max_length < 1) or mode not in ("SHORTEST", "ALL_SIMPLE") \
            or limit < 1:  # the reference says what is wrong, or that nothing fits
        return algorithms.find_paths(algorithms.nodes_only(from_id, to_id), from_id, to_id,
                                     mode, max_length, limit)
    if max_length is not None:
        depths = [max_length]
    elif mode == "SHORTEST":
        # Unbounded: subgraphs of growing depth until one holds a path. A subgraph of
        # depth L holds every path of length <= L, so the first path found there is the
        # reference's shortest. (Not Dgraph's ``shortest``: it enumerates equal paths,
        # and a ladder of 30 rungs, 2**29 shortest paths, ran past a 60 s deadline.)
        depths = [*_SHORTEST_DEPTHS, _UNBOUNDED]
    else:
        depths = [_UNBOUNDED]
    for depth in depths:
        got = read(dql.PATH_SUBGRAPH, {"from": src, "to": dst, "depth": str(depth)})
        graph = flow_subgraph(got.get("nodes", []))
        graph.add_nodes_from((from_id, to_id))
        found = algorithms.find_paths(graph, from_id, to_id, mode, max_length, limit)
        if found.paths:
            break
    return found


def lineage(
    read: Read,
    known: Mapping[str, tuple[NodeRef, str]],
    node_id: str,
    direction: Direction,
    max_depth: int,
    limit: int,
) -> LineageResult:
    """The lineage of ``node_id`` (``known``: where it is, with its uid, if it exists)."""
    if node_id not in known:
        return LineageResult(node_id, [], [], False)
    query = dql.LINEAGE.get(direction)
    if query is None or max_depth < 1 or limit < 1:  # the reference says what is wrong
        return algorithms.lineage(algorithms.nodes_only(node_id), node_id, direction,
                                  max_depth, limit)
    got = read(query, {"start": known[node_id][1], "depth": str(max_depth)})
    graph = flow_subgraph(got.get("nodes", []))
    graph.add_node(node_id)
    return algorithms.lineage(graph, node_id, direction, max_depth, limit)


def flow_subgraph(nodes: list[dict[str, Any]]) -> nx.DiGraph:
    """The flow view of fetched nodes: their flow edges whose two ends were both fetched."""
    ids: dict[str, str] = {}
    for n in nodes:
        node_id = n.get("node.id") or n.get("trace.id")
        if node_id is not None:
            ids[n["uid"]] = node_id
    stored: list[Edge] = []
    for n in nodes:
        cause = ids.get(n["uid"])
        if cause is None:
            continue
        for pred in _FLOW_PREDS:
            targets = many(n.get(pred))
            if not targets:
                continue
            edge_type, forward = _FLOW_STORED[pred.lstrip("~")]
            for t in targets:
                effect = ids.get(t["uid"])
                if effect is None:
                    continue
                stored.append(Edge(cause, effect, edge_type) if forward
                              else Edge(effect, cause, edge_type))
    graph = nx.DiGraph()
    graph.add_nodes_from(ids.values())
    add_flow_edges(graph, stored)
    return graph
