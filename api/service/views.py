"""The service layer's own types for queries and graph answers: the trace query, nodes,
edges, paths, lineage, run trees and branches.

Adapters (GraphQL, bulk HTTP, CLI, and later SDK, REST, MCP, UI) read and build these;
the service converts from the storage layer's types, so a change inside ``graph/`` never
reaches an adapter. Trace, step, call and input records are :mod:`tracegraph.schema.views`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from tracegraph.schema.views import StepView, TraceView

NodeKind = Literal["trace", "step", "api_call", "human_input", "alternative"]
EdgeKind = Literal["HAS_STEP", "NEXT", "DEPENDS_ON", "CHILD_OF", "SPAWNED", "CALLED",
                   "CONSIDERED", "ASKED", "IN_SESSION", "BY_AGENT", "USED_MODEL"]
Direction = Literal["UP", "DOWN", "BOTH"]
PathMode = Literal["SHORTEST", "ALL_SIMPLE"]


@dataclass(frozen=True, slots=True)
class TraceQuery:
    """Which traces a listing returns: every given field must match."""

    session_id: str | None = None
    agent_id: str | None = None
    status: str | None = None
    outcome: str | None = None
    model_id: str | None = None
    parent_trace_id: str | None = None
    roots_only: bool = False
    created_after: str | None = None
    created_before: str | None = None


@dataclass(frozen=True, slots=True)
class NodeView:
    """A node of the trace graph: its id, kind, trace and (for entries) chain seq."""

    node_id: str
    kind: NodeKind
    trace_id: str
    seq: int | None = None


class EdgeView(NamedTuple):
    """A stored edge from ``src`` to ``dst``, in the direction its type reads."""

    src: str
    dst: str
    type: EdgeKind


class AlternativeView(NamedTuple):
    """One option a step considered; its node id is the step id, ``#alt`` and the index."""

    node_id: str
    step_id: str
    index: int  # type: ignore[assignment]  # (the field, not tuple.index)
    text: str
    selected: bool


@dataclass(frozen=True, slots=True)
class StepBranchesView:
    """A step's alternatives, the selected one flagged."""

    step_id: str
    trace_id: str
    step_index: int
    step_type: str
    alternatives: list[AlternativeView]
    selected: str | None = None

    @property
    def not_taken(self) -> list[AlternativeView]:
        """Alternatives other than the selected one."""
        return [a for a in self.alternatives if not a.selected]


@dataclass(frozen=True, slots=True)
class TraceBranchCountsView:
    """Per trace: steps with alternatives, alternatives, and those not taken."""

    trace_id: str
    steps_with_alternatives: int
    alternatives: int
    not_taken: int


@dataclass(frozen=True, slots=True)
class BranchSummaryView:
    """Branches not taken in a trace or a run: the steps, counts per trace and in total."""

    steps: list[StepBranchesView] = field(default_factory=list)
    traces: list[TraceBranchCountsView] = field(default_factory=list)
    steps_with_alternatives: int = 0
    alternatives: int = 0
    not_taken: int = 0


@dataclass(frozen=True)
class PathView:
    """One path: its nodes (with kind and trace) and the stored edge of each hop."""

    nodes: list[NodeView]
    edges: list[EdgeView]

    @property
    def length(self) -> int:
        return len(self.edges)


@dataclass(frozen=True)
class PathsView:
    """The answer to a path query."""

    source: NodeView
    target: NodeView
    mode: PathMode
    max_length: int | None
    paths: list[PathView]
    truncated: bool


@dataclass(frozen=True)
class LineageEntry:
    """A node in a lineage answer, with its fewest hops from the start node."""

    node: NodeView
    depth: int
    direction: Literal["UP", "DOWN"]


@dataclass(frozen=True)
class LineageView:
    """Ancestors and/or descendants of a node, and the stored edges among them."""

    node: NodeView
    direction: Direction
    max_depth: int
    nodes: list[LineageEntry]
    edges: list[EdgeView]
    truncated: bool

    @property
    def ancestors(self) -> list[LineageEntry]:
        return [n for n in self.nodes if n.direction == "UP"]

    @property
    def descendants(self) -> list[LineageEntry]:
        return [n for n in self.nodes if n.direction == "DOWN"]


@dataclass
class RunTreeNode:
    """A trace of a run tree, the step that spawned it, its steps and its nested traces."""

    trace: TraceView
    depth: int
    children: list[RunTreeNode] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)


@dataclass(frozen=True)
class RunTree:
    """A trace and every trace nested under it, at any depth."""

    root: RunTreeNode
    traces: list[TraceView]  # breadth first, children oldest first
    depth: int  # deepest level below the root (0: no nested traces)
    truncated: bool  # more than MAX_TREE_TRACES traces: the deepest ones are left out
