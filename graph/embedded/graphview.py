"""The embedded store's in-memory flow graphs: one networkx graph per tenant, kept current.

A tenant's graph is built on its first path or lineage query from the ``edges`` table and,
before every later query, caught up with the rows appended since (``rowid`` order is commit
order: SQLite serializes writers, so a reader never sees a later rowid before an earlier
one). Appends made by other processes on the same database file are therefore seen by the
next query. A graph holds only its tenant's edges, so a traversal can never reach another
tenant's nodes.

Deletions (retention) cannot be seen by catching up on new rows: whoever deletes edges
bumps the ``graph_generation`` value in the ``meta`` table in the same transaction, and a
changed generation makes every graph rebuild from scratch.

Thread safety: each tenant's graph has its own lock, held while it is caught up and while
a query runs on it; queries of different tenants run in parallel. At most ``max_tenants``
graphs are kept (least recently used are dropped and rebuilt on demand).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import networkx as nx
from tracegraph.graph.algorithms.flow import add_flow_edges
from tracegraph.graph.protocol import Edge

#: Reads the stored edges of a tenant with rowid above the given one, in rowid order.
FetchEdges = Callable[[str, int], list[tuple[int, Edge]]]
#: Reads the current graph generation (changes when edges are deleted).
ReadGeneration = Callable[[], str | None]


@dataclass
class _TenantGraph:
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    rowid: int = 0
    generation: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class FlowGraphs:
    """Per-tenant flow views over a journal of edges, caught up incrementally before use."""

    def __init__(
        self,
        fetch_since: FetchEdges,
        generation: ReadGeneration | None = None,
        *,
        max_tenants: int = 32,
    ) -> None:
        self._fetch = fetch_since
        self._generation = generation or (lambda: None)
        self._max = max_tenants
        self._graphs: OrderedDict[str, _TenantGraph] = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, tenant_id: str) -> _TenantGraph:
        with self._lock:
            entry = self._graphs.get(tenant_id)
            if entry is None:
                entry = self._graphs[tenant_id] = _TenantGraph()
                while len(self._graphs) > self._max:
                    self._graphs.popitem(last=False)
            else:
                self._graphs.move_to_end(tenant_id)
            return entry

    @contextmanager
    def graph(self, tenant_id: str) -> Iterator[nx.DiGraph]:
        """The tenant's flow view, caught up with the journal and locked while in use.

        The graph must only be read inside the ``with`` block.
        """
        entry = self._entry(tenant_id)
        with entry.lock:
            self._catch_up(tenant_id, entry)
            yield entry.graph

    def _catch_up(self, tenant_id: str, entry: _TenantGraph) -> None:
        generation = self._generation()
        if generation != entry.generation:
            entry.graph = nx.DiGraph()
            entry.rowid = 0
            entry.generation = generation
        rows = self._fetch(tenant_id, entry.rowid)
        if rows:
            add_flow_edges(entry.graph, (edge for _, edge in rows))
            entry.rowid = rows[-1][0]

    def position(self, tenant_id: str) -> int:
        """Rowid of the last edge the tenant's graph holds (0 before its first use)."""
        with self._lock:
            entry = self._graphs.get(tenant_id)
        return 0 if entry is None else entry.rowid

    def clear(self) -> None:
        """Drop every graph; each is rebuilt on its next use."""
        with self._lock:
            self._graphs.clear()
