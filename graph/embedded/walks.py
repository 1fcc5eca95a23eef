"""Paths and lineage on the embedded store: breadth-first walks over the ``edges`` table.

Nothing of a tenant's graph is held in memory between queries. A walk reads one layer per
statement through the edge indexes (``edges_from`` on ``(tenant_id, src)``, ``edges_to`` on
``(tenant_id, dst)``: a walk only ever meets the tenant's own nodes, even where another
tenant uses the same ids), so a query costs in proportion to the nodes it reaches, not to
the size of the store, and it sees every committed append (any thread, process or
``EmbeddedStore`` on the data directory). Then, as on Neo4j, the reference functions of
:mod:`tracegraph.graph.algorithms` answer on the small flow view of the nodes found: the
answers are theirs.

* **Lineage**: each direction layer by layer to ``max_depth``, stopping after the layer that
  passes ``limit``; merged, sorted and cut as the reference does, with the stored edges
  among the nodes kept.
* **Paths**: the length bound (for SHORTEST, the hops to the target found walking forward),
  the fewest hops from the source to every node within it and from every node to the
  target; every path of at most ``bound`` edges lies on the nodes whose two distances add
  up to at most ``bound``.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

import networkx as nx
import orjson
from tracegraph.graph import algorithms
from tracegraph.graph.protocol import (
    Direction,
    Edge,
    EdgeType,
    LineageNode,
    LineageResult,
    PathMode,
    PathSearch,
)

from . import sql

#: Longer than any path: what "no bound" walks to.
UNBOUNDED = 2**31


#: The edge types of the flow view (a test checks them against
#: :data:`~tracegraph.graph.algorithms.flow.FLOW_TYPES` and ``REVERSED_TYPES``); the SQL lists
#: them in both stored spellings (:data:`.sql.EDGE_TYPE_CODES`).
FORWARD_TYPES: frozenset[EdgeType] = frozenset(
    {"ASKED", "CALLED", "CONSIDERED", "HAS_STEP", "NEXT", "SPAWNED"})
BACKWARD_TYPES: frozenset[EdgeType] = frozenset({"CHILD_OF", "DEPENDS_ON"})
_TYPES = {"forward": sql.stored_types(FORWARD_TYPES),
          "backward": sql.stored_types(BACKWARD_TYPES)}
#: Flow successors of the nodes of the JSON array ``:frontier``: forward types leaving them,
#: reversed types (DEPENDS_ON, CHILD_OF) entering them. (``CROSS JOIN``: SQLite then reads
#: the frontier first and seeks each node's edges by ``(tenant_id, src|dst, type)``; left
#: to itself it may walk every edge of the tenant instead.)
FLOW_SUCCESSORS = """
SELECT e.dst FROM json_each(:frontier) AS f CROSS JOIN edges AS e ON e.src = f.value
WHERE e.tenant_id = :tenant AND e.type IN {forward}
UNION
SELECT e.src FROM json_each(:frontier) AS f CROSS JOIN edges AS e ON e.dst = f.value
WHERE e.tenant_id = :tenant AND e.type IN {backward}
""".format(**_TYPES)
#: Flow predecessors of the nodes of ``:frontier`` (the same edges, the other way).
FLOW_PREDECESSORS = """
SELECT e.src FROM json_each(:frontier) AS f CROSS JOIN edges AS e ON e.dst = f.value
WHERE e.tenant_id = :tenant AND e.type IN {forward}
UNION
SELECT e.dst FROM json_each(:frontier) AS f CROSS JOIN edges AS e ON e.src = f.value
WHERE e.tenant_id = :tenant AND e.type IN {backward}
""".format(**_TYPES)
#: Stored edges leaving the nodes of ``:ids`` (the caller keeps those ending in ``:ids``).
EDGES_FROM = """
SELECT e.src, e.dst, e.type FROM json_each(:ids) AS f CROSS JOIN edges AS e ON e.src = f.value
WHERE e.tenant_id = :tenant
"""


def depths(db: sqlite3.Connection, tenant_id: str, node_id: str, query: str, max_depth: int,
           *, limit: int | None = None, until: str | None = None) -> dict[str, int]:
    """Fewest hops from ``node_id`` (itself: 0) to every node within ``max_depth`` along
    ``query`` (:data:`FLOW_SUCCESSORS` or :data:`FLOW_PREDECESSORS`), layer by layer. With
    ``limit``, stops after the layer that brings the other nodes past it; with ``until``,
    after the layer that reaches that node."""
    depth = {node_id: 0}
    frontier = [node_id]
    level = 0
    while frontier and level < max_depth:
        level += 1
        found = db.execute(query, {"tenant": tenant_id,
                                   "frontier": orjson.dumps(frontier).decode()}).fetchall()
        frontier = []
        for (node,) in found:
            if node not in depth:
                depth[node] = level
                frontier.append(node)
        if (limit is not None and len(depth) - 1 > limit) or (until is not None
                                                              and until in depth):
            break
    return depth


def flow_subgraph(db: sqlite3.Connection, tenant_id: str, node_ids: list[str]) -> nx.DiGraph:
    """The flow view restricted to ``node_ids``."""
    ids = set(node_ids)
    rows = db.execute(EDGES_FROM, {"tenant": tenant_id,
                                   "ids": orjson.dumps(sorted(ids)).decode()}).fetchall()
    graph = algorithms.flow_graph(Edge(s, d, sql.type_name(t)) for s, d, t in rows
                                  if d in ids)
    graph.add_nodes_from(ids)
    return graph


def find_paths(db: sqlite3.Connection, tenant_id: str, from_id: str, to_id: str,
               mode: PathMode, max_length: int | None, limit: int) -> PathSearch:
    """:meth:`GraphStore.paths` for two distinct nodes the tenant has."""
    bound = UNBOUNDED if max_length is None else max_length
    if mode not in ("SHORTEST", "ALL_SIMPLE") or limit < 1 or bound < 1:
        # the reference says what is wrong, or that nothing fits
        return algorithms.find_paths(algorithms.nodes_only(from_id, to_id), from_id, to_id,
                                     mode, max_length, limit)
    ahead = depths(db, tenant_id, from_id, FLOW_SUCCESSORS, bound,
                   until=to_id if mode == "SHORTEST" else None)
    if to_id not in ahead:
        return PathSearch([], False)
    if mode == "SHORTEST":
        bound = ahead[to_id]
    behind = depths(db, tenant_id, to_id, FLOW_PREDECESSORS, bound)
    graph = flow_subgraph(db, tenant_id, algorithms.path_candidates(ahead, behind, bound))
    return algorithms.find_paths(graph, from_id, to_id, mode, max_length, limit)


def lineage(db: sqlite3.Connection, tenant_id: str, node_id: str, direction: Direction,
            max_depth: int, limit: int) -> LineageResult:
    """:meth:`GraphStore.lineage` for a node the tenant has."""
    algorithms.check_lineage(direction, limit)
    if max_depth < 1:
        return LineageResult(node_id, [], [], False)
    ways: list[tuple[Literal["UP", "DOWN"], str]] = []
    if direction in ("UP", "BOTH"):
        ways.append(("UP", FLOW_PREDECESSORS))
    if direction in ("DOWN", "BOTH"):
        ways.append(("DOWN", FLOW_SUCCESSORS))
    found: list[LineageNode] = []
    for way, query in ways:
        reached = depths(db, tenant_id, node_id, query, max_depth, limit=limit)
        found.extend(LineageNode(n, d, way) for n, d in reached.items() if n != node_id)
    return algorithms.ranked_lineage(node_id, found, limit,
                                     lambda ids: flow_subgraph(db, tenant_id, ids))
