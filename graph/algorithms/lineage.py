"""Lineage: the ancestors and descendants of a node in the flow view, with their depth.

Ancestors (``UP``) are the nodes with a directed path *to* the node (what it came from:
its trace, earlier steps, dependencies, the step that spawned its trace, parent traces);
descendants (``DOWN``) the nodes reached *from* it (later steps, dependent steps in any
trace, child traces and their steps, API calls, alternatives, human inputs). Depth is the
fewest hops, found with networkx's breadth-first layers (:func:`networkx.bfs_layers`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import networkx as nx
from tracegraph.graph.protocol import Direction, Edge, LineageNode, LineageResult

from .flow import stored_edge


def _layers(
    graph: nx.DiGraph, node: str, direction: Literal["UP", "DOWN"], max_depth: int, limit: int
) -> list[LineageNode]:
    """Nodes by depth up to ``max_depth``, stopping after the layer that passes ``limit``."""
    g = graph.reverse(copy=False) if direction == "UP" else graph
    out: list[LineageNode] = []
    for depth, layer in enumerate(nx.bfs_layers(g, [node])):
        if depth == 0:
            continue
        if depth > max_depth:
            break
        out.extend(LineageNode(v, depth, direction) for v in layer)
        if len(out) > limit:
            break
    return out


def lineage(
    graph: nx.DiGraph,
    node: str,
    direction: Direction = "BOTH",
    max_depth: int = 50,
    limit: int = 10_000,
) -> LineageResult:
    """Ancestors and/or descendants of ``node`` within ``max_depth`` hops.

    Parameters
    ----------
    graph : networkx.DiGraph
        A flow view (see :mod:`~tracegraph.graph.algorithms.flow`).
    node : str
        The start node; it is not listed in the result.
    direction : {"UP", "DOWN", "BOTH"}
        Ancestors, descendants, or both.
    max_depth : int
        Farthest hop count included.
    limit : int
        Most nodes listed.

    Returns
    -------
    LineageResult
        Nodes sorted by ``(depth, direction, node_id)`` ("UP" first), the first ``limit``
        of them; the stored edges among them and the start node, sorted by
        ``(src, dst, type)``; ``truncated`` when more than ``limit`` were in reach.

    Examples
    --------
    A trace ``t`` with steps ``s1 -> s2``; ``s2`` depends on ``s0`` of another trace:

    >>> from tracegraph.graph.algorithms.flow import flow_graph
    >>> g = flow_graph([Edge("t", "s1", "HAS_STEP"), Edge("t", "s2", "HAS_STEP"),
    ...                 Edge("s1", "s2", "NEXT"), Edge("s2", "s0", "DEPENDS_ON"),
    ...                 Edge("s2", "c1", "CALLED")])
    >>> [(n.node_id, n.depth, n.direction) for n in lineage(g, "s2").nodes]
    [('s0', 1, 'UP'), ('s1', 1, 'UP'), ('t', 1, 'UP'), ('c1', 1, 'DOWN')]
    >>> [(n.node_id, n.depth) for n in lineage(g, "t", "DOWN").nodes]
    [('s1', 1), ('s2', 1), ('c1', 2)]
    >>> lineage(g, "t", "DOWN", limit=2).truncated
    True
    """
    check_lineage(direction, limit)
    if node not in graph or max_depth < 1:
        return LineageResult(node, [], [], False)
    found: list[LineageNode] = []
    if direction in ("UP", "BOTH"):
        found.extend(_layers(graph, node, "UP", max_depth, limit))
    if direction in ("DOWN", "BOTH"):
        found.extend(_layers(graph, node, "DOWN", max_depth, limit))
    return ranked_lineage(node, found, limit, lambda _ids: graph)


def check_lineage(direction: str, limit: int) -> None:
    """Raise ``ValueError`` naming the argument when ``direction`` or ``limit`` is invalid."""
    if direction not in ("UP", "DOWN", "BOTH"):
        raise ValueError(f"direction: {direction!r} is not UP, DOWN or BOTH")
    if limit < 1:
        raise ValueError(f"limit: {limit} is not a positive number of nodes")


def ranked_lineage(node: str, found: list[LineageNode], limit: int,
                   flow_view: Callable[[list[str]], nx.DiGraph]) -> LineageResult:
    """The lineage of ``node`` from the nodes found in each direction within the depth bound:
    sorted by ``(depth, direction, node_id)``, cut at ``limit``, with the stored edges among
    the nodes kept (``flow_view(ids)`` is a flow view holding at least those nodes).
    Backends that walk their own storage finish here, as :func:`lineage` does."""
    found.sort(key=lambda n: (n.depth, n.direction == "DOWN", n.node_id))
    kept = found[:limit]
    ids = [node, *dict.fromkeys(n.node_id for n in kept)]
    return LineageResult(node, kept, induced_edges(flow_view(ids), ids), len(found) > limit)


def induced_edges(graph: nx.DiGraph, nodes: list[str]) -> list[Edge]:
    """Stored edges of the flow view whose two ends are in ``nodes``, sorted.

    Examples
    --------
    >>> from tracegraph.graph.algorithms.flow import flow_graph
    >>> g = flow_graph([Edge("t", "s1", "HAS_STEP"), Edge("s1", "c", "CALLED")])
    >>> induced_edges(g, ["t", "s1"])
    [Edge(src='t', dst='s1', type='HAS_STEP')]
    """
    keep = set(nodes)
    succ = graph.succ
    out = [
        stored_edge(graph, u, v) for u in keep if u in succ for v in succ[u] if v in keep
    ]
    out.sort(key=lambda e: (e.src, e.dst, e.type))
    return out
