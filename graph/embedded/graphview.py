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

Memory: rows are loaded in pages, node ids are interned and every edge of one type shares
one read-only attribute dict, which holds the graph to about 420 bytes per edge (against
about 790 with one attribute dict and one ``Edge`` object per edge). The result is the
same graph :func:`~tracegraph.graph.algorithms.flow.flow_graph` builds.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from tracegraph.graph.algorithms.flow import REVERSED_TYPES
from tracegraph.graph.protocol import FLOW_EDGE_PRECEDENCE

#: Reads up to ``limit`` raw ``(rowid, src, dst, type)`` edge rows of a tenant after a rowid.
FetchRows = Callable[[str, int, int], Sequence[tuple[int, str, str, str]]]
#: Reads the current graph generation (changes when edges are deleted).
ReadGeneration = Callable[[], str | None]

PAGE_ROWS = 50_000
_RANK: dict[str, int] = {t: i for i, t in enumerate(FLOW_EDGE_PRECEDENCE)}
#: One attribute dict per flow edge type, shared by every edge of that type (never mutated).
_ATTRS: dict[str, dict[str, Any]] = {t: {"type": t} for t in FLOW_EDGE_PRECEDENCE}
_REVERSED = frozenset(REVERSED_TYPES)


def load_rows(graph: nx.DiGraph, rows: Sequence[tuple[int, str, str, str]]) -> None:
    """Add stored edge rows to a flow view in place, as ``add_flow_edges`` would.

    Writes networkx's adjacency dicts directly (shared attribute dicts, interned ids).
    """
    succ: dict[str, dict[str, Any]] = graph._succ
    pred: dict[str, dict[str, Any]] = graph._pred
    node: dict[str, dict[str, Any]] = graph._node
    intern = sys.intern
    for _rowid, src, dst, kind in rows:
        attrs = _ATTRS.get(kind)
        if attrs is None:
            continue
        if kind in _REVERSED:
            src, dst = dst, src
        u, v = intern(src), intern(dst)
        out = succ.get(u)
        if out is None:
            out = succ[u] = {}
            pred[u] = {}
            node[u] = {}
        if v not in succ:
            succ[v] = {}
            pred[v] = {}
            node[v] = {}
        have = out.get(v)
        if have is None or _RANK[kind] < _RANK[have["type"]]:
            out[v] = attrs
            pred[v][u] = attrs


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
        fetch_rows: FetchRows,
        generation: ReadGeneration | None = None,
        *,
        max_tenants: int = 32,
        page_rows: int = PAGE_ROWS,
    ) -> None:
        self._fetch = fetch_rows
        self._generation = generation or (lambda: None)
        self._max = max_tenants
        self._page = page_rows
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

        The graph must only be read, and only inside the ``with`` block.
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
        while True:
            rows = self._fetch(tenant_id, entry.rowid, self._page)
            if not rows:
                return
            load_rows(entry.graph, rows)
            entry.rowid = rows[-1][0]
            if len(rows) < self._page:
                return

    def position(self, tenant_id: str) -> int:
        """Rowid of the last edge the tenant's graph holds (0 before its first use)."""
        with self._lock:
            entry = self._graphs.get(tenant_id)
        return 0 if entry is None else entry.rowid

    def clear(self) -> None:
        """Drop every graph; each is rebuilt on its next use."""
        with self._lock:
            self._graphs.clear()


__all__ = ["PAGE_ROWS", "FetchRows", "FlowGraphs", "ReadGeneration", "load_rows"]
