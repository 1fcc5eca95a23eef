"""Directed paths between two nodes of the flow view: one shortest, or all simple ones.

Both modes share one order: paths by length, then by their node id sequences compared
element by element. ``SHORTEST`` answers the first path of that order (so ties between
equally short paths go to the smallest ids), ``ALL_SIMPLE`` the first ``limit`` of them.
Distances come from networkx's breadth-first search
(:func:`networkx.single_source_shortest_path_length`). ``networkx.all_simple_paths``
yields paths in adjacency order and would have to list every path before the first
``limit`` in this order are known; the enumeration here walks the paths in order instead,
pruned by which lengths can still reach the target, so it stops after ``limit + 1`` paths.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from itertools import pairwise

import networkx as nx
from tracegraph.graph.protocol import PathMode, PathResult, PathSearch

from .flow import stored_edge


def _result(graph: nx.DiGraph, nodes: list[str]) -> PathResult:
    return PathResult(nodes, [stored_edge(graph, u, v) for u, v in pairwise(nodes)])


def _distances_to(graph: nx.DiGraph, target: str, cutoff: int | None) -> dict[str, int]:
    """Fewest hops from every node that reaches ``target`` (within ``cutoff``)."""
    lengths: dict[str, int] = nx.single_source_shortest_path_length(
        graph.reverse(copy=False), target, cutoff=cutoff
    )
    return lengths


def shortest_path(
    graph: nx.DiGraph, source: str, target: str, max_length: int | None = None
) -> PathResult | None:
    """One shortest directed path, ties broken by the smallest node id sequence.

    Parameters
    ----------
    graph : networkx.DiGraph
        A flow view (see :mod:`~tracegraph.graph.algorithms.flow`).
    source, target : str
        End node ids.
    max_length : int, optional
        Longest path accepted, in edges; ``None`` for no bound.

    Returns
    -------
    PathResult or None
        The path, or ``None`` when none exists within ``max_length``.

    Examples
    --------
    Two shortest paths ``a -> b -> d`` and ``a -> c -> d``: the one through ``b`` wins.

    >>> from tracegraph.graph.protocol import Edge
    >>> from tracegraph.graph.algorithms.flow import flow_graph
    >>> g = flow_graph([Edge("a", "c", "NEXT"), Edge("c", "d", "NEXT"),
    ...                 Edge("a", "b", "NEXT"), Edge("b", "d", "NEXT")])
    >>> shortest_path(g, "a", "d").nodes
    ['a', 'b', 'd']
    >>> shortest_path(g, "a", "d", max_length=1) is None
    True
    """
    if source not in graph or target not in graph:
        return None
    if source == target:
        return PathResult([source], [])
    dist = _distances_to(graph, target, max_length)
    remaining = dist.get(source)
    if remaining is None:
        return None
    nodes = [source]
    succ = graph.succ
    while remaining > 0:
        remaining -= 1
        nodes.append(min(w for w in succ[nodes[-1]] if dist.get(w) == remaining))
    return _result(graph, nodes)


def _walk_lengths(
    graph: nx.DiGraph, nodes: set[str], target: str, max_length: int
) -> dict[str, int]:
    """Bit ``k`` of ``out[v]`` is set when a walk of exactly ``k`` edges leads ``v`` to target.

    Only walks inside ``nodes`` and up to ``max_length`` edges count. In an acyclic graph
    every walk is a simple path, so this is exact; with cycles it is a necessary condition.
    """
    mask = (1 << (max_length + 1)) - 1
    sub = graph.subgraph(nodes)
    bits = {v: 0 for v in nodes}
    bits[target] = 1
    try:
        order = list(nx.topological_sort(sub))
    except nx.NetworkXUnfeasible:
        for _ in range(max_length):
            for v in nodes:
                acc = bits[v]
                for w in sub.succ[v]:
                    acc |= bits[w] << 1
                bits[v] = acc & mask
            bits[target] |= 1
        return bits
    for v in reversed(order):
        if v == target:
            continue
        acc = 0
        for w in sub.succ[v]:
            acc |= bits[w] << 1
        bits[v] = acc & mask
    return bits


def _paths_of_length(
    succ: dict[str, list[str]], bits: dict[str, int], source: str, target: str, length: int
) -> Iterator[list[str]]:
    """Simple paths of exactly ``length`` edges, in node id order (depth first, iterative)."""
    path = [source]
    on_path = {source}
    stack = [iter(succ.get(source, ()))]
    while stack:
        remaining = length - len(path)  # edges still to take after the next one
        for w in stack[-1]:
            if w in on_path or not (bits[w] >> remaining) & 1:
                continue
            if remaining == 0:
                if w == target:
                    yield [*path, w]
                continue
            if w == target:
                continue
            path.append(w)
            on_path.add(w)
            stack.append(iter(succ.get(w, ())))
            break
        else:
            stack.pop()
            on_path.discard(path.pop())


def all_simple_paths(
    graph: nx.DiGraph, source: str, target: str, max_length: int | None, limit: int
) -> PathSearch:
    """The first ``limit`` simple paths by (length, node ids), and whether more exist.

    Parameters
    ----------
    graph : networkx.DiGraph
        A flow view.
    source, target : str
        End node ids.
    max_length : int or None
        Longest path accepted, in edges; ``None`` for no bound.
    limit : int
        Most paths returned.

    Returns
    -------
    PathSearch
        Paths sorted by length, then by node id sequence; ``truncated`` when more than
        ``limit`` exist within ``max_length``.

    Examples
    --------
    ``a -> b -> d``, ``a -> c -> d`` and the direct ``a -> d``:

    >>> from tracegraph.graph.protocol import Edge
    >>> from tracegraph.graph.algorithms.flow import flow_graph
    >>> g = flow_graph([Edge("a", "b", "NEXT"), Edge("b", "d", "NEXT"),
    ...                 Edge("a", "c", "NEXT"), Edge("c", "d", "NEXT"),
    ...                 Edge("d", "a", "DEPENDS_ON")])
    >>> [p.nodes for p in all_simple_paths(g, "a", "d", 2, 10).paths]
    [['a', 'd'], ['a', 'b', 'd'], ['a', 'c', 'd']]
    >>> found = all_simple_paths(g, "a", "d", 2, 2)
    >>> [p.nodes for p in found.paths], found.truncated
    ([['a', 'd'], ['a', 'b', 'd']], True)
    """
    if limit < 1:
        raise ValueError(f"limit: {limit} is not a positive number of paths")
    if source not in graph or target not in graph:
        return PathSearch([], False)
    if source == target:
        return PathSearch([PathResult([source], [])], False)
    bound = len(graph) - 1 if max_length is None else min(max_length, len(graph) - 1)
    to_target = _distances_to(graph, target, bound)
    if source not in to_target:
        return PathSearch([], False)
    from_source: dict[str, int] = nx.single_source_shortest_path_length(
        graph, source, cutoff=bound
    )
    useful = {v for v, d in from_source.items() if d + to_target.get(v, bound + 1) <= bound}
    bits = _walk_lengths(graph, useful, target, bound)
    succ = {v: sorted(w for w in graph.succ[v] if w in useful) for v in useful}
    found: list[list[str]] = []
    for length in range(to_target[source], bound + 1):
        if not (bits[source] >> length) & 1:
            continue
        for nodes in _paths_of_length(succ, bits, source, target, length):
            found.append(nodes)
            if len(found) > limit:
                return PathSearch([_result(graph, p) for p in found[:limit]], True)
    return PathSearch([_result(graph, p) for p in found], False)


def trivial_paths(known: Container[str], source: str, target: str) -> PathSearch | None:
    """The answer of :meth:`GraphStore.paths` that needs no search, else ``None``.

    ``known`` holds the node ids the caller's tenant can see: a path from or to any other
    id does not exist, and a node reaches itself by one path of no edges. Every backend
    starts its ``paths`` here.

    >>> trivial_paths({"a"}, "a", "b").paths, trivial_paths({"a"}, "a", "a").paths[0].nodes
    ([], ['a'])
    >>> trivial_paths({"a", "b"}, "a", "b") is None
    True
    """
    if source not in known or target not in known:
        return PathSearch([], False)
    if source == target:
        return PathSearch([PathResult([source], [])], False)
    return None


def path_candidates(ahead: Mapping[str, int], behind: Mapping[str, int],
                    bound: int) -> list[str]:
    """The nodes that can lie on a path of at most ``bound`` edges: ``ahead`` holds the fewest
    hops from the source to each node within ``bound``, ``behind`` from each node to the
    target; a node is a candidate when the two add up to at most ``bound``.

    >>> path_candidates({"s": 0, "a": 1, "b": 1}, {"t": 0, "a": 1, "c": 1}, 2)
    ['a']
    """
    return [v for v, h in ahead.items() if v in behind and h + behind[v] <= bound]


def nodes_only(*node_ids: str) -> nx.DiGraph:
    """A flow view of these nodes and no edges: what a backend hands the reference functions
    to get their answer for arguments that need no search (errors, empty bounds)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(node_ids)
    return graph


def find_paths(
    graph: nx.DiGraph,
    source: str,
    target: str,
    mode: PathMode = "SHORTEST",
    max_length: int | None = None,
    limit: int = 100,
) -> PathSearch:
    """Paths ``source`` -> ``target`` in either mode, as :meth:`GraphStore.paths` returns them.

    ``SHORTEST`` gives at most one path (the first of the ``ALL_SIMPLE`` order) and is
    never truncated.

    Parameters
    ----------
    graph : networkx.DiGraph
        A flow view.
    source, target : str
        End node ids.
    mode : {"SHORTEST", "ALL_SIMPLE"}
        One shortest path, or every simple path up to ``limit``.
    max_length : int, optional
        Longest path accepted, in edges; ``None`` for no bound.
    limit : int
        Most paths returned (``ALL_SIMPLE``); must be positive.

    Returns
    -------
    PathSearch
        The paths in order and whether more exist.

    Examples
    --------
    >>> from tracegraph.graph.protocol import Edge
    >>> from tracegraph.graph.algorithms.flow import flow_graph
    >>> g = flow_graph([Edge("t", "s1", "HAS_STEP"), Edge("t", "s2", "HAS_STEP"),
    ...                 Edge("s1", "s2", "NEXT")])
    >>> [p.nodes for p in find_paths(g, "t", "s2").paths]
    [['t', 's2']]
    >>> [p.nodes for p in find_paths(g, "t", "s2", "ALL_SIMPLE", 3).paths]
    [['t', 's2'], ['t', 's1', 's2']]
    """
    if mode == "SHORTEST":
        if limit < 1:
            raise ValueError(f"limit: {limit} is not a positive number of paths")
        found = shortest_path(graph, source, target, max_length)
        return PathSearch([] if found is None else [found], False)
    if mode == "ALL_SIMPLE":
        return all_simple_paths(graph, source, target, max_length, limit)
    raise ValueError(f"mode: {mode!r} is not SHORTEST or ALL_SIMPLE")
