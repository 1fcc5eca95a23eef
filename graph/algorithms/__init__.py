"""Graph algorithms as pure functions over networkx: the reference every backend matches.

The embedded store runs them on its in-memory flow view; backends with native path
queries (Cypher, DQL) implement the same semantics, and the conformance suite compares
their results with these functions. docs/graph-queries.md states the semantics.
"""

from .branches import (
    Alternative,
    BranchSummary,
    StepBranches,
    TraceBranchCounts,
    alternative_id,
    branches_not_taken,
    step_branches,
)
from .flow import FLOW_TYPES, REVERSED_TYPES, add_flow_edges, flow_edge, flow_graph, stored_edge
from .lineage import check_lineage, induced_edges, lineage, ranked_lineage
from .paths import (
    all_simple_paths,
    find_paths,
    nodes_only,
    path_candidates,
    shortest_path,
    trivial_paths,
)
from .tree import TraceTreeNode, nest_traces

__all__ = [
    "FLOW_TYPES",
    "REVERSED_TYPES",
    "Alternative",
    "BranchSummary",
    "StepBranches",
    "TraceBranchCounts",
    "TraceTreeNode",
    "add_flow_edges",
    "all_simple_paths",
    "alternative_id",
    "branches_not_taken",
    "check_lineage",
    "find_paths",
    "flow_edge",
    "flow_graph",
    "induced_edges",
    "lineage",
    "nest_traces",
    "nodes_only",
    "path_candidates",
    "ranked_lineage",
    "shortest_path",
    "step_branches",
    "stored_edge",
    "trivial_paths",
]
