"""The pure graph algorithms on hand-built flow views: every expected answer is read off the
construction, and networkx's own enumerations check the ordered path search."""

from __future__ import annotations

import doctest
import importlib
from itertools import pairwise

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tracegraph.graph.algorithms import (
    add_flow_edges,
    all_simple_paths,
    branches_not_taken,
    find_paths,
    flow_edge,
    flow_graph,
    lineage,
    nest_traces,
    shortest_path,
    step_branches,
    stored_edge,
)
from tracegraph.graph.protocol import Edge

# A run in stored edges (names as the store writes them):
#   trace R: steps r0 -> r1 -> r2; r1 spawned child trace C; R is C's parent
#   trace C: steps c0 -> c1; c1 spawned grandchild G
#   trace G: step g0, which depends on r0 (across two levels of nesting)
#   r2 depends on c1 and on g0 (multi-parent), r2 called api a1 and considered two alternatives
RUN = [
    Edge("R", "r0", "HAS_STEP"), Edge("R", "r1", "HAS_STEP"), Edge("r0", "r1", "NEXT"),
    Edge("C", "R", "CHILD_OF"), Edge("r1", "C", "SPAWNED"),
    Edge("C", "c0", "HAS_STEP"), Edge("C", "c1", "HAS_STEP"), Edge("c0", "c1", "NEXT"),
    Edge("G", "C", "CHILD_OF"), Edge("c1", "G", "SPAWNED"),
    Edge("G", "g0", "HAS_STEP"), Edge("g0", "r0", "DEPENDS_ON"),
    Edge("R", "r2", "HAS_STEP"), Edge("r1", "r2", "NEXT"),
    Edge("r2", "c1", "DEPENDS_ON"), Edge("r2", "g0", "DEPENDS_ON"),
    Edge("r2", "a1", "CALLED"), Edge("r2", "r2#alt0", "CONSIDERED"),
    Edge("r2", "r2#alt1", "CONSIDERED"), Edge("R", "sess", "IN_SESSION"),
]


@pytest.fixture
def run() -> nx.DiGraph:
    return flow_graph(RUN)


# -- flow view ---------------------------------------------------------------------------------
def test_flow_view_points_from_cause_to_effect(run: nx.DiGraph) -> None:
    assert ("R", "C") in run.edges and ("C", "R") not in run.edges  # CHILD_OF reversed
    assert ("r0", "g0") in run.edges and ("g0", "r0") not in run.edges  # DEPENDS_ON reversed
    assert ("r1", "C") in run.edges  # SPAWNED as stored
    assert "sess" not in run  # IN_SESSION is not a flow edge
    assert run.edges["R", "C"]["type"] == "CHILD_OF"
    assert stored_edge(run, "R", "C") == Edge("C", "R", "CHILD_OF")
    assert nx.is_directed_acyclic_graph(run)
    assert run.number_of_edges() == len(RUN) - 1


def test_parallel_stored_edges_keep_the_first_type_of_the_precedence() -> None:
    g = nx.DiGraph()
    assert add_flow_edges(g, [Edge("s2", "s1", "DEPENDS_ON")]) == 1
    assert stored_edge(g, "s1", "s2") == Edge("s2", "s1", "DEPENDS_ON")
    assert add_flow_edges(g, [Edge("s1", "s2", "NEXT")]) == 0  # same pair: NEXT wins
    assert stored_edge(g, "s1", "s2") == Edge("s1", "s2", "NEXT")
    assert add_flow_edges(g, [Edge("s2", "s1", "DEPENDS_ON")]) == 0
    assert g.edges["s1", "s2"]["type"] == "NEXT"
    assert flow_edge(Edge("s", "m", "USED_MODEL")) is None


# -- paths -------------------------------------------------------------------------------------
def test_shortest_path_crosses_nesting_and_reports_stored_edges(run: nx.DiGraph) -> None:
    p = shortest_path(run, "r0", "g0")
    assert p is not None
    # r0 -> g0 directly: g0 DEPENDS_ON r0, stored from g0 to r0
    assert p.nodes == ["r0", "g0"]
    assert p.edges == [Edge("g0", "r0", "DEPENDS_ON")]
    p = shortest_path(run, "R", "c1")
    assert p is not None
    # R -> C -> c1 (two hops) beats R -> r1 -> C -> c1; CHILD_OF is followed backwards
    assert p.nodes == ["R", "C", "c1"]
    assert p.edges == [Edge("C", "R", "CHILD_OF"), Edge("C", "c1", "HAS_STEP")]


def test_shortest_path_tie_break_is_smallest_node_ids(run: nx.DiGraph) -> None:
    # r0 -> r2 has two paths of length 2: r0 -> r1 -> r2 and r0 -> g0 -> r2; "g0" < "r1"
    p = shortest_path(run, "r0", "r2")
    assert p is not None and p.nodes == ["r0", "g0", "r2"]
    assert p.edges == [Edge("g0", "r0", "DEPENDS_ON"), Edge("r2", "g0", "DEPENDS_ON")]


def test_shortest_path_none_when_unreachable_or_too_long(run: nx.DiGraph) -> None:
    assert shortest_path(run, "r2", "r0") is None  # against the flow
    assert shortest_path(run, "c0", "R") is None
    assert shortest_path(run, "R", "g0", max_length=1) is None  # R -> r0 -> g0 is 2 hops
    assert shortest_path(run, "R", "nowhere") is None
    p = shortest_path(run, "R", "g0", max_length=2)
    assert p is not None and p.nodes == ["R", "r0", "g0"]
    p = shortest_path(run, "R", "G")  # R -> C -> G: both CHILD_OF, followed backwards
    assert p is not None and p.edges == [Edge("C", "R", "CHILD_OF"), Edge("G", "C", "CHILD_OF")]
    assert shortest_path(run, "c0", "c0") == shortest_path(run, "c0", "c0", 0)
    assert shortest_path(run, "c0", "c0").nodes == ["c0"]  # type: ignore[union-attr]


def test_all_simple_paths_sorted_by_length_then_ids(run: nx.DiGraph) -> None:
    found = all_simple_paths(run, "R", "r2", max_length=5, limit=100)
    assert not found.truncated
    assert [p.nodes for p in found.paths] == [
        ["R", "r2"],                                # HAS_STEP
        ["R", "r1", "r2"],                          # via the previous step
        ["R", "C", "c1", "r2"],                     # via the child trace's step r2 needs
        ["R", "r0", "g0", "r2"],                    # via the grandchild's step r2 needs
        ["R", "r0", "r1", "r2"],
        ["R", "C", "G", "g0", "r2"],
        ["R", "C", "c0", "c1", "r2"],
        ["R", "r1", "C", "c1", "r2"],               # r1 spawned C
        ["R", "C", "c1", "G", "g0", "r2"],
        ["R", "r0", "r1", "C", "c1", "r2"],
        ["R", "r1", "C", "G", "g0", "r2"],
        ["R", "r1", "C", "c0", "c1", "r2"],
    ]
    expected = sorted(nx.all_simple_paths(run, "R", "r2", cutoff=5), key=lambda p: (len(p), p))
    assert [p.nodes for p in found.paths] == expected
    for p in found.paths:
        assert len(p.edges) == len(p.nodes) - 1
        for (u, v), e in zip(pairwise(p.nodes), p.edges, strict=True):
            assert (e.src, e.dst) == ((v, u) if e.type in ("DEPENDS_ON", "CHILD_OF") else (u, v))


def test_all_simple_paths_limit_and_max_length(run: nx.DiGraph) -> None:
    three = all_simple_paths(run, "R", "r2", max_length=5, limit=3)
    assert three.truncated
    assert [p.nodes for p in three.paths] == [
        ["R", "r2"], ["R", "r1", "r2"], ["R", "C", "c1", "r2"],
    ]
    short = all_simple_paths(run, "R", "r2", max_length=2, limit=100)
    assert [p.nodes for p in short.paths] == [["R", "r2"], ["R", "r1", "r2"]]
    assert not short.truncated
    assert all_simple_paths(run, "r2", "R", 10, 100).paths == []
    assert [p.nodes for p in all_simple_paths(run, "G", "G", 3, 5).paths] == [["G"]]


def test_find_paths_modes(run: nx.DiGraph) -> None:
    one = find_paths(run, "R", "g0", "SHORTEST")
    assert [p.nodes for p in one.paths] == [["R", "r0", "g0"]]
    every = find_paths(run, "R", "g0", "ALL_SIMPLE", 4, 100)
    assert [p.nodes for p in every.paths] == [
        ["R", "r0", "g0"], ["R", "C", "G", "g0"], ["R", "C", "c1", "G", "g0"],
        ["R", "r1", "C", "G", "g0"],
    ]
    assert every.paths[0] == one.paths[0]
    with pytest.raises(ValueError, match="mode"):
        find_paths(run, "R", "g0", "LONGEST")  # type: ignore[arg-type]


def _ladder(n: int) -> nx.DiGraph:
    """n diamonds in a row: 2**n simple paths from a0 to a<n>, all of length 2n."""
    edges = []
    for i in range(n):
        edges += [Edge(f"a{i}", f"x{i}", "NEXT"), Edge(f"x{i}", f"a{i + 1}", "NEXT"),
                  Edge(f"a{i}", f"y{i}", "NEXT"), Edge(f"y{i}", f"a{i + 1}", "NEXT")]
    return flow_graph(edges)


def test_all_simple_paths_stops_early_on_exponentially_many_paths() -> None:
    g = _ladder(40)  # 2**40 paths: only an in-order enumeration can answer
    found = all_simple_paths(g, "a0", "a40", max_length=80, limit=4)
    assert found.truncated
    assert [p.nodes[1:6] for p in found.paths] == [
        ["x0", "a1", "x1", "a2", "x2"]] * 4
    assert [p.nodes[-4:-1] for p in found.paths] == [
        ["x38", "a39", "x39"], ["x38", "a39", "y39"], ["y38", "a39", "x39"],
        ["y38", "a39", "y39"]]


digraphs = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=30
).map(lambda pairs: flow_graph(Edge(f"n{a}", f"n{b}", "NEXT") for a, b in pairs if a != b))


@settings(max_examples=300, deadline=None)
@given(digraphs, st.integers(0, 7), st.integers(0, 7), st.integers(0, 8), st.integers(1, 6))
def test_paths_agree_with_networkx(
    g: nx.DiGraph, a: int, b: int, cutoff: int, limit: int
) -> None:
    s, t = f"n{a}", f"n{b}"
    found = all_simple_paths(g, s, t, cutoff, limit)
    if s not in g or t not in g:
        assert found.paths == []
        return
    if s == t:
        assert [p.nodes for p in found.paths] == [[s]]
        return
    every = sorted(nx.all_simple_paths(g, s, t, cutoff=cutoff), key=lambda p: (len(p), p))
    assert [p.nodes for p in found.paths] == every[:limit]
    assert found.truncated == (len(every) > limit)
    one = shortest_path(g, s, t, cutoff)
    assert (one.nodes if one else None) == (every[0] if every else None)
    unbounded = shortest_path(g, s, t)
    if nx.has_path(g, s, t):
        assert unbounded is not None
        assert unbounded.nodes == min(nx.all_shortest_paths(g, s, t), key=lambda p: p)
    else:
        assert unbounded is None


# -- lineage -----------------------------------------------------------------------------------
def test_lineage_up_across_nesting_and_dependencies(run: nx.DiGraph) -> None:
    up = lineage(run, "g0", "UP")
    assert [(n.node_id, n.depth) for n in up.nodes] == [
        ("G", 1), ("r0", 1),           # its trace; the step it depends on in the root trace
        ("C", 2), ("R", 2), ("c1", 2),  # G's parent and spawning step; r0's trace
        ("c0", 3), ("r1", 3),          # c1's predecessor; C's spawning step (r1 -> C)
    ]
    assert all(n.direction == "UP" for n in up.nodes)
    assert not up.truncated
    assert lineage(run, "g0", "UP", max_depth=1).nodes == up.nodes[:2]


def test_lineage_down_from_the_root_reaches_everything(run: nx.DiGraph) -> None:
    down = lineage(run, "R", "DOWN")
    assert {n.node_id for n in down.nodes} == set(run) - {"R"}
    depth = {n.node_id: n.depth for n in down.nodes}
    assert depth == {
        "C": 1, "r0": 1, "r1": 1, "r2": 1,
        "G": 2, "c0": 2, "c1": 2, "g0": 2, "a1": 2, "r2#alt0": 2, "r2#alt1": 2,
    }
    assert [n.node_id for n in down.nodes][:4] == ["C", "r0", "r1", "r2"]
    # the edges are every stored flow edge (all nodes are in the result)
    assert len(down.edges) == run.number_of_edges()
    assert down.edges == sorted(down.edges, key=lambda e: (e.src, e.dst, e.type))


def test_lineage_both_and_limit(run: nx.DiGraph) -> None:
    both = lineage(run, "c1", "BOTH", max_depth=1)
    assert [(n.node_id, n.depth, n.direction) for n in both.nodes] == [
        ("C", 1, "UP"), ("c0", 1, "UP"), ("G", 1, "DOWN"), ("r2", 1, "DOWN"),
    ]
    assert set(both.edges) == {
        Edge("C", "c0", "HAS_STEP"), Edge("C", "c1", "HAS_STEP"), Edge("c0", "c1", "NEXT"),
        Edge("G", "C", "CHILD_OF"), Edge("c1", "G", "SPAWNED"), Edge("r2", "c1", "DEPENDS_ON"),
    }
    cut = lineage(run, "R", "DOWN", limit=5)
    assert cut.truncated
    assert [n.node_id for n in cut.nodes] == ["C", "r0", "r1", "r2", "G"]
    assert lineage(run, "a1", "DOWN").nodes == []
    assert lineage(run, "missing").nodes == []
    with pytest.raises(ValueError):
        lineage(run, "R", "SIDEWAYS")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(digraphs, st.integers(0, 7), st.integers(1, 8))
def test_lineage_depths_agree_with_networkx(g: nx.DiGraph, a: int, depth: int) -> None:
    node = f"n{a}"
    got = lineage(g, node, "BOTH", max_depth=depth)
    if node not in g:
        assert got.nodes == []
        return
    down = nx.single_source_shortest_path_length(g, node, cutoff=depth)
    up = nx.single_source_shortest_path_length(g.reverse(), node, cutoff=depth)
    assert {(n.node_id, n.depth) for n in got.nodes if n.direction == "DOWN"} == {
        (v, d) for v, d in down.items() if v != node}
    assert {(n.node_id, n.depth) for n in got.nodes if n.direction == "UP"} == {
        (v, d) for v, d in up.items() if v != node}


# -- branches and trees ------------------------------------------------------------------------
def test_branches_of_steps_and_totals() -> None:
    decide = step_branches("T", {"step_id": "d", "step_index": 3, "step_type": "Decision",
                                 "alternatives_considered": ["cache", "db", "api"],
                                 "selected_alternative": "db"})
    assert [(a.text, a.selected, a.node_id) for a in decide.alternatives] == [
        ("cache", False, "d#alt0"), ("db", True, "d#alt1"), ("api", False, "d#alt2")]
    assert decide.step_index == 3 and decide.selected == "db"
    open_ = step_branches("U", {"step_id": "o", "alternatives_considered": ["x", "y"]})
    assert len(open_.not_taken) == 2  # nothing selected: every branch is not taken
    plain = step_branches("T", {"step_id": "p"})
    summary = branches_not_taken([decide, plain, open_], ["T", "U", "V"])
    assert [s.step_id for s in summary.steps] == ["d", "o"]
    assert (summary.steps_with_alternatives, summary.alternatives, summary.not_taken) == (2, 5, 4)
    assert [(t.trace_id, t.steps_with_alternatives, t.alternatives, t.not_taken)
            for t in summary.traces] == [("T", 1, 3, 2), ("U", 1, 2, 2), ("V", 0, 0, 0)]


def test_nest_traces_three_levels() -> None:
    tree = nest_traces("R", {"R": ["C1", "C2"], "C1": ["G1"], "G1": [], "C2": ["G2", "C1"]})
    assert [(n.trace_id, n.depth) for n in tree.walk()] == [
        ("R", 0), ("C1", 1), ("G1", 2), ("C2", 1), ("G2", 2)]


@pytest.mark.parametrize("module", ["flow", "paths", "lineage", "branches", "tree"])
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"tracegraph.graph.algorithms.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_embedded_walks_follow_the_flow_types() -> None:
    """The SQL of the embedded store's walks lists exactly the flow view's edge types."""
    from tracegraph.graph.algorithms.flow import FLOW_TYPES, REVERSED_TYPES
    from tracegraph.graph.embedded import sql, walks

    assert walks.FORWARD_TYPES == FLOW_TYPES - REVERSED_TYPES
    assert walks.BACKWARD_TYPES == REVERSED_TYPES
    for query in (walks.FLOW_SUCCESSORS, walks.FLOW_PREDECESSORS):
        for types in (walks.FORWARD_TYPES, walks.BACKWARD_TYPES):
            spelled = {*types, *(sql.EDGE_TYPE_CODES[t] for t in types)}
            listed = ", ".join(f"'{t}'" for t in sorted(spelled))
            assert f"IN ({listed})" in query
