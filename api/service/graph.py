"""Graph queries of the service layer: run trees, paths, lineage and alternatives branches.

Every interface (GraphQL, REST, MCP, CLI) calls these; they validate limits, check that the
ids exist for the caller's tenant, run the query through the :class:`GraphStore` and
return read models whose nodes carry their kind and trace. Semantics and limits are in
docs/graph-queries.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracegraph.graph.algorithms import (
    BranchSummary,
    StepBranches,
    TraceTreeNode,
    branches_not_taken,
    nest_traces,
    step_branches,
)
from tracegraph.graph.algorithms.branches import alternatives_of
from tracegraph.graph.protocol import Edge, GraphStore, NodeRef
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.errors import InvalidInput, LimitExceeded, NotFound, TraceNotFound
from tracegraph.schema.views import StepView

from .nesting import walk_nesting
from .traces import TraceService, trace_view
from .views import (
    AlternativeView,
    BranchSummaryView,
    Direction,
    EdgeView,
    LineageEntry,
    LineageView,
    NodeView,
    PathMode,
    PathsView,
    PathView,
    RunTree,
    RunTreeNode,
    StepBranchesView,
    TraceBranchCountsView,
)

MAX_PATH_LENGTH = 10  # edges per path; ALL_SIMPLE defaults to it, SHORTEST to no bound
MAX_PATHS = 100  # paths per ALL_SIMPLE query
MAX_LINEAGE_DEPTH = 50  # hops; also the default
MAX_LINEAGE_NODES = 10_000  # nodes per lineage answer
MAX_TREE_TRACES = 10_000  # traces per run tree
_STEP = frozenset({EntryKind.STEP.value})
#: What separates a step id from the index in an alternative node id.
ALTERNATIVE_MARK = "#alt"
_MODES: tuple[PathMode, ...] = ("SHORTEST", "ALL_SIMPLE")
_DIRECTIONS: tuple[Direction, ...] = ("UP", "DOWN", "BOTH")


def node_view(ref: NodeRef) -> NodeView:
    return NodeView(ref.node_id, ref.kind, ref.trace_id, ref.seq)


def edge_views(edges: Sequence[Edge]) -> list[EdgeView]:
    return [EdgeView(e.src, e.dst, e.type) for e in edges]


def step_alternatives(step: StepView) -> list[AlternativeView]:
    """Alternative nodes of a step: the first one equal to the selection is selected."""
    if not step.alternatives_considered:
        return []
    return [AlternativeView._make(a) for a in alternatives_of(
        step.step_id, step.alternatives_considered, step.selected_alternative)]


def alternative_parts(node_id: str) -> tuple[str, int] | None:
    """The step id and index of an alternative node id (``<step id>#alt<index>``, as the
    storage layer's ``alternative_id`` makes them), or None when ``node_id`` is not one.

    >>> alternative_parts("s#1#alt3"), alternative_parts("s1")
    (('s#1', 3), None)
    """
    step_id, sep, index = node_id.rpartition(ALTERNATIVE_MARK)
    if not (sep and step_id and index.isdigit() and index.isascii()):
        return None
    return step_id, int(index)


def _branches_view(found: StepBranches) -> StepBranchesView:
    return StepBranchesView(found.step_id, found.trace_id, found.step_index, found.step_type,
                            [AlternativeView._make(a) for a in found.alternatives],
                            found.selected)


def _summary_view(found: BranchSummary) -> BranchSummaryView:
    return BranchSummaryView(
        [_branches_view(b) for b in found.steps],
        [TraceBranchCountsView(c.trace_id, c.steps_with_alternatives, c.alternatives,
                               c.not_taken) for c in found.traces],
        found.steps_with_alternatives, found.alternatives, found.not_taken)


def _mode(mode: str) -> PathMode:
    value = mode.upper()
    if value not in _MODES:
        raise InvalidInput(f"mode: {mode!r} is not SHORTEST or ALL_SIMPLE", field="mode")
    return value


def _direction(direction: str) -> Direction:
    value = direction.upper()
    if value not in _DIRECTIONS:
        raise InvalidInput(f"direction: {direction!r} is not UP, DOWN or BOTH",
                           field="direction")
    return value


def _bounded(value: int, name: str, limit: int) -> int:
    if value < 1:
        raise InvalidInput(f"{name}: {value} is less than 1", field=name)
    if value > limit:
        raise LimitExceeded(f"{name}: {value} exceeds the limit of {limit}", field=name)
    return value


class GraphService:
    """Run trees, paths, lineage and alternatives over one :class:`GraphStore`."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    @classmethod
    def beside(cls, service: TraceService) -> GraphService:
        """The graph queries over the same store as ``service``."""
        return cls(service.store)

    # -- nodes --------------------------------------------------------------------------------
    def _require(self, tenant_id: str, ids: dict[str, str]) -> dict[str, NodeView]:
        """Resolve ``{field: id}`` in one call; ``NotFound`` names the first missing one."""
        refs = self.store.resolve(tenant_id, list(ids.values()))
        for name, node_id in ids.items():
            if node_id not in refs:
                raise NotFound(f"{name}: node {node_id} not found")
        return {name: node_view(refs[node_id]) for name, node_id in ids.items()}

    # -- paths --------------------------------------------------------------------------------
    def path(
        self,
        tenant_id: str,
        from_id: str,
        to_id: str,
        mode: str = "SHORTEST",
        max_length: int | None = None,
        limit: int = MAX_PATHS,
    ) -> PathsView:
        """Directed paths ``from_id`` -> ``to_id`` in the flow view (cause to effect).

        ``SHORTEST`` gives one shortest path (ties to the smallest node ids) with no length
        bound unless ``max_length`` is given; ``ALL_SIMPLE`` gives simple paths of at most
        ``max_length`` edges (default and limit :data:`MAX_PATH_LENGTH`), by length then
        node ids, at most ``limit`` (:data:`MAX_PATHS`) with ``truncated`` when more exist.
        """
        path_mode = _mode(mode)
        if max_length is not None:
            _bounded(max_length, "maxLength", MAX_PATH_LENGTH)
        elif path_mode == "ALL_SIMPLE":
            max_length = MAX_PATH_LENGTH
        _bounded(limit, "limit", MAX_PATHS)
        ends = self._require(tenant_id, {"fromId": from_id, "toId": to_id})
        found = self.store.paths(tenant_id, from_id, to_id, path_mode, max_length, limit)
        refs = self.store.resolve(tenant_id, sorted({n for p in found.paths for n in p.nodes}))
        paths = [
            PathView([node_view(refs[n]) for n in p.nodes], edge_views(p.edges))
            for p in found.paths
            if all(n in refs for n in p.nodes)
        ]
        return PathsView(ends["fromId"], ends["toId"], path_mode, max_length, paths,
                         found.truncated)

    # -- lineage ------------------------------------------------------------------------------
    def lineage(
        self,
        tenant_id: str,
        node_id: str,
        direction: str = "BOTH",
        max_depth: int | None = None,
        limit: int = MAX_LINEAGE_NODES,
    ) -> LineageView:
        """Ancestors (UP), descendants (DOWN) or both of any node, across nesting,
        spawning and dependsOn, each with its fewest hops (``max_depth`` default and limit
        :data:`MAX_LINEAGE_DEPTH`; at most ``limit`` nodes, :data:`MAX_LINEAGE_NODES`)."""
        way = _direction(direction)
        depth = _bounded(MAX_LINEAGE_DEPTH if max_depth is None else max_depth, "maxDepth",
                         MAX_LINEAGE_DEPTH)
        _bounded(limit, "limit", MAX_LINEAGE_NODES)
        start = self._require(tenant_id, {"nodeId": node_id})["nodeId"]
        found = self.store.lineage(tenant_id, node_id, way, depth, limit)
        refs = self.store.resolve(tenant_id, [n.node_id for n in found.nodes])
        nodes = [
            LineageEntry(node_view(refs[n.node_id]), n.depth, n.direction)
            for n in found.nodes
            if n.node_id in refs
        ]
        return LineageView(start, way, depth, nodes, edge_views(found.edges), found.truncated)

    # -- run trees ----------------------------------------------------------------------------
    def root_of(self, tenant_id: str, trace_id: str) -> str:
        """The top trace of the run ``trace_id`` belongs to (one store call per level)."""
        seen: set[str] = set()
        current = trace_id
        while current not in seen:
            seen.add(current)
            row = self.store.get_traces(tenant_id, [current]).get(current)
            if row is None:
                raise TraceNotFound(f"trace {current} not found")
            parent = row.started.get("parent_trace_id")
            if parent is None:
                return current
            current = parent
        return current

    def run_tree(
        self,
        tenant_id: str,
        trace_id: str,
        *,
        from_root: bool = False,
        include_steps: bool = False,
    ) -> RunTree:
        """The nested tree under ``trace_id`` (or under its run's root with ``from_root``).

        Costs one store call per level of nesting plus one for the trace rows and one for
        the steps (``include_steps``), whatever the number of traces.
        """
        root = self.root_of(tenant_id, trace_id) if from_root else trace_id
        if root not in self.store.get_traces(tenant_id, [root]):
            raise TraceNotFound(f"trace {root} not found")
        walk = walk_nesting(lambda level: self.store.children(tenant_id, level), [root],
                            MAX_TREE_TRACES)
        order, kids, truncated = walk.order, walk.children, walk.truncated
        rows = self.store.get_traces(tenant_id, order)
        views = {t: trace_view(r) for t, r in rows.items()}
        steps: dict[str, list[StepView]] = {}
        if include_steps:
            got = self.store.entries(tenant_id, order, _STEP)
            steps = {t: [StepView.from_entry(e) for e in es] for t, es in got.items()}
        shape = nest_traces(root, kids)

        def build(node: TraceTreeNode) -> RunTreeNode:
            return RunTreeNode(
                views[node.trace_id], node.depth,
                [build(c) for c in node.children if c.trace_id in views],
                steps.get(node.trace_id, []),
            )

        top = build(shape)
        depth = max(n.depth for n in shape.walk())
        return RunTree(top, [views[t] for t in order if t in views], depth, truncated)

    # -- alternatives -------------------------------------------------------------------------
    def alternatives(
        self, tenant_id: str, step_ids: Sequence[str]
    ) -> dict[str, StepBranchesView]:
        """The branches of each step (all alternatives, the selected one flagged).

        Batched for DataLoaders: one ``resolve`` and one ``entries_at`` call. Ids that are
        not steps of the tenant are absent from the result.
        """
        refs = self.store.resolve(tenant_id, step_ids)
        wanted = [(r.trace_id, r.seq) for r in refs.values()
                  if r.kind == "step" and r.seq is not None]
        got = self.store.entries_at(tenant_id, wanted)
        out: dict[str, StepBranchesView] = {}
        for step_id in step_ids:
            ref = refs.get(step_id)
            if ref is None or ref.kind != "step" or ref.seq is None:
                continue
            entry = got.get((ref.trace_id, ref.seq))
            if entry is not None:
                out[step_id] = _branches_view(step_branches(entry.trace_id, entry.record))
        return out

    def step_branches(self, tenant_id: str, step_id: str) -> StepBranchesView:
        """The branches of one step; ``NotFound`` when it is not a step of the tenant."""
        found = self.alternatives(tenant_id, [step_id]).get(step_id)
        if found is None:
            raise NotFound(f"stepId: step {step_id} not found")
        return found

    def branches(
        self, tenant_id: str, trace_id: str, *, subtree: bool = True
    ) -> BranchSummaryView:
        """Branches not taken in a trace, or (``subtree``) in it and every nested trace.

        Per step: all alternatives and how many were not selected; per trace and in total:
        counts. Traces are reported breadth first (the trace, then its children...).
        """
        if subtree:
            traces = [v.trace_id for v in self.run_tree(tenant_id, trace_id).traces]
        else:
            if trace_id not in self.store.get_traces(tenant_id, [trace_id]):
                raise TraceNotFound(f"trace {trace_id} not found")
            traces = [trace_id]
        got = self.store.entries(tenant_id, traces, _STEP)
        return _summary_view(branches_not_taken(
            (step_branches(t, e.record) for t in traces for e in got.get(t, [])), traces
        ))

