"""The flow view: stored graph edges turned to point from cause to effect.

Stored edges keep the direction their names read in (``step DEPENDS_ON dependency``,
``child CHILD_OF parent``). Paths and lineage follow one direction instead, from what came
first to what it led to: trace -> step (HAS_STEP), step -> next step (NEXT), dependency ->
dependent (DEPENDS_ON backwards), spawning step -> child trace (SPAWNED), parent -> child
trace (CHILD_OF backwards), step -> API call (CALLED), step -> alternative (CONSIDERED),
step -> human input (ASKED). Every flow edge runs from an older node to a newer one, so
the view of a store is acyclic.

The flow view is a :class:`networkx.DiGraph`; each edge keeps the type of the stored edge
it came from under the attribute ``"type"`` (:func:`stored_edge` rebuilds the stored edge
from it). Where two stored edges join the same pair (a step that depends on the step right
before it), the one whose type comes first in
:data:`~tracegraph.graph.protocol.FLOW_EDGE_PRECEDENCE` is kept. Edge attribute dicts are
read-only: the embedded store shares one per type between edges.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
from tracegraph.graph.protocol import FLOW_EDGE_PRECEDENCE, Edge, EdgeType

#: Stored edge types the flow view follows backwards (dependent -> dependency, child -> parent).
REVERSED_TYPES: frozenset[EdgeType] = frozenset({"DEPENDS_ON", "CHILD_OF"})
#: Stored edge types in the flow view; others (IN_SESSION, BY_AGENT, USED_MODEL) are left out.
FLOW_TYPES: frozenset[EdgeType] = frozenset(FLOW_EDGE_PRECEDENCE)
_RANK: dict[str, int] = {t: i for i, t in enumerate(FLOW_EDGE_PRECEDENCE)}


def flow_edge(edge: Edge) -> tuple[str, str] | None:
    """The ``(cause, effect)`` pair of a stored edge, or ``None`` if it is not a flow edge.

    Parameters
    ----------
    edge : Edge
        A stored edge.

    Returns
    -------
    tuple of (str, str) or None
        ``(edge.src, edge.dst)``, reversed for DEPENDS_ON and CHILD_OF.

    Examples
    --------
    >>> flow_edge(Edge("s2", "s1", "DEPENDS_ON"))
    ('s1', 's2')
    >>> flow_edge(Edge("t", "s1", "HAS_STEP"))
    ('t', 's1')
    >>> flow_edge(Edge("t", "session", "IN_SESSION")) is None
    True
    """
    if edge.type not in FLOW_TYPES:
        return None
    if edge.type in REVERSED_TYPES:
        return edge.dst, edge.src
    return edge.src, edge.dst


def add_flow_edges(graph: nx.DiGraph, edges: Iterable[Edge]) -> int:
    """Add stored edges to a flow view in place; return how many flow edges were new.

    Parameters
    ----------
    graph : networkx.DiGraph
        The flow view to extend.
    edges : iterable of Edge
        Stored edges, in any order; non-flow types are skipped.

    Returns
    -------
    int
        The number of node pairs that were not joined before.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> add_flow_edges(g, [Edge("s1", "s2", "NEXT"), Edge("s2", "s1", "DEPENDS_ON")])
    1
    >>> g.edges["s1", "s2"]["type"]
    'NEXT'
    """
    added = 0
    adj = graph.succ
    for edge in edges:
        pair = flow_edge(edge)
        if pair is None:
            continue
        u, v = pair
        have = adj[u].get(v) if u in adj else None
        if have is None:
            graph.add_edge(u, v, type=edge.type)
            added += 1
        elif _RANK[edge.type] < _RANK[have["type"]]:
            graph.remove_edge(u, v)  # attribute dicts may be shared: replace, never mutate
            graph.add_edge(u, v, type=edge.type)
    return added


def flow_graph(edges: Iterable[Edge]) -> nx.DiGraph:
    """Build the flow view of a set of stored edges.

    Parameters
    ----------
    edges : iterable of Edge
        Stored edges of one tenant.

    Returns
    -------
    networkx.DiGraph
        Edges from cause to effect, each with its stored edge type under ``"type"``.

    Examples
    --------
    >>> g = flow_graph([Edge("c", "p", "CHILD_OF"), Edge("s", "c", "SPAWNED")])
    >>> sorted(g.edges)
    [('p', 'c'), ('s', 'c')]
    """
    graph = nx.DiGraph()
    add_flow_edges(graph, edges)
    return graph


def stored_edge(graph: nx.DiGraph, u: str, v: str) -> Edge:
    """The stored edge behind flow edge ``u -> v``.

    Examples
    --------
    >>> stored_edge(flow_graph([Edge("c", "p", "CHILD_OF")]), "p", "c")
    Edge(src='c', dst='p', type='CHILD_OF')
    """
    kind: EdgeType = graph.succ[u][v]["type"]
    return Edge(v, u, kind) if kind in REVERSED_TYPES else Edge(u, v, kind)
