"""Graph queries over HTTP on a nested run with multi-parent edges, alternatives and three
levels of nesting: path, lineage, runTree, branches, and the records behind graph nodes.

The run (built through the GraphQL mutations), in the order it is recorded::

    trace R   steps r0 -> r1 (Decision: delegate | solve alone | ask human; human input h1)
    trace C1  child of R, spawned by r1: steps c0 -> c1 (Decision: search | compute)
    trace C2  child of R, spawned by r1: step d0 (dependsOn r0; alternatives a | b, none chosen)
    trace G   child of C1, spawned by c1: steps g0 (dependsOn r0 and c0; API call k1) -> g1
    trace R   step r2 (dependsOn c1 and g1: multi-parent across traces), after r1
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.live import LiveServer

START = "mutation($i: StartTraceInput!) { startTrace(input: $i) { traceId } }"
STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ stepId } }")
NODE = "nodeId kind traceId seq"
PATH = f"""
query($from: ID!, $to: ID!, $mode: PathMode, $max: Int, $limit: Int! = 100) {{
  path(fromId: $from, toId: $to, mode: $mode, maxLength: $max, limit: $limit) {{
    length nodes {{ {NODE} }} edges {{ src dst type }}
  }}
}}"""
LINEAGE = f"""
query($node: ID!, $dir: Direction, $depth: Int) {{
  lineage(nodeId: $node, direction: $dir, maxDepth: $depth) {{
    node {{ {NODE} }} direction maxDepth truncated
    nodes {{ depth direction node {{ nodeId kind }} }}
    ancestors {{ node {{ nodeId }} }}
    descendants {{ node {{ nodeId }} }}
    edges {{ src dst type }}
  }}
}}"""
TENANT = "graph-run"


def _step(step_id: str, step_type: str = "Reasoning", **kw: Any) -> dict[str, Any]:
    return {"stepId": step_id, "stepType": step_type, "content": f"text of {step_id}", **kw}


@pytest.fixture(scope="module")
def run(server: LiveServer) -> LiveServer:
    def gql(query: str, variables: dict[str, Any]) -> Any:
        return server.gql(query, variables, tenant=TENANT)

    gql(START, {"i": {"traceId": "R", "agentId": "planner", "goal": "plan"}})
    gql(STEPS, {"t": "R", "s": [
        _step("r0", "Observation"),
        _step("r1", "Decision", alternativesConsidered=["delegate", "solve alone", "ask human"],
              selectedAlternative="delegate")]})
    gql("mutation { recordHumanInput(traceId: \"R\", input: {stepId: \"r1\", "
        "question: \"delegate?\", answer: \"yes\", inputId: \"h1\"}) { inputId } }", {})
    gql(START, {"i": {"traceId": "C1", "parentTraceId": "R", "spawnedByStepId": "r1",
                      "agentId": "researcher"}})
    gql(STEPS, {"t": "C1", "s": [
        _step("c0"),
        _step("c1", "Decision", alternativesConsidered=["search", "compute"],
              selectedAlternative="search")]})
    gql(START, {"i": {"traceId": "C2", "parentTraceId": "R", "spawnedByStepId": "r1",
                      "agentId": "coder"}})
    gql(STEPS, {"t": "C2", "s": [
        _step("d0", "Action", dependsOn=["r0"], alternativesConsidered=["a", "b"])]})
    gql(START, {"i": {"traceId": "G", "parentTraceId": "C1", "spawnedByStepId": "c1",
                      "agentId": "searcher"}})
    gql(STEPS, {"t": "G", "s": [_step("g0", "ToolCall", dependsOn=["r0", "c0"]),
                                _step("g1", "FinalAnswer")]})
    gql("mutation { recordApiCall(traceId: \"G\", call: {stepId: \"g0\", apiType: \"tool\", "
        "callId: \"k1\"}) { callId } }", {})
    gql(STEPS, {"t": "R", "s": [_step("r2", "Summary", dependsOn=["c1", "g1"])]})
    return server


def _paths(run: LiveServer, **variables: Any) -> list[list[str]]:
    found = run.gql(PATH, variables, tenant=TENANT)["path"]
    return [[n["nodeId"] for n in p["nodes"]] for p in found]


def test_shortest_path_across_nesting(run: LiveServer) -> None:
    (p,) = run.gql(PATH, {"from": "R", "to": "g1"}, tenant=TENANT)["path"]
    assert [(n["nodeId"], n["kind"], n["traceId"]) for n in p["nodes"]] == [
        ("R", "TRACE", "R"), ("C1", "TRACE", "C1"), ("G", "TRACE", "G"), ("g1", "STEP", "G")]
    assert p["edges"] == [{"src": "C1", "dst": "R", "type": "CHILD_OF"},
                          {"src": "G", "dst": "C1", "type": "CHILD_OF"},
                          {"src": "G", "dst": "g1", "type": "HAS_STEP"}]
    assert p["length"] == 3
    assert _paths(run, **{"from": "r0", "to": "g1"}) == [["r0", "g0", "g1"]]
    assert _paths(run, **{"from": "c0", "to": "k1"}) == [["c0", "g0", "k1"]]
    assert _paths(run, **{"from": "r1", "to": "r1#alt2"}) == [["r1", "r1#alt2"]]
    assert _paths(run, **{"from": "g1", "to": "r0"}) == []


def test_all_simple_paths_over_the_multi_parent_dag(run: LiveServer) -> None:
    found = _paths(run, **{"from": "r0", "to": "r2", "mode": "ALL_SIMPLE"})
    assert len(found) == 11
    assert found[:2] == [["r0", "r1", "r2"], ["r0", "g0", "g1", "r2"]]
    assert [len(p) for p in found] == sorted(len(p) for p in found)
    assert _paths(run, **{"from": "r0", "to": "r2", "mode": "ALL_SIMPLE", "max": 3}) == [
        ["r0", "r1", "r2"], ["r0", "g0", "g1", "r2"]]
    assert len(_paths(run, **{"from": "r0", "to": "r2", "mode": "ALL_SIMPLE",
                              "limit": 3})) == 3


def test_path_errors(run: LiveServer) -> None:
    err = run.gql_error(PATH, {"from": "r0", "to": "r2", "mode": "ALL_SIMPLE", "max": 11},
                        tenant=TENANT)
    assert err["message"] == "maxLength: 11 exceeds the limit of 10"
    assert err["extensions"]["code"] == "LIMIT_EXCEEDED"
    err = run.gql_error(PATH, {"from": "ghost", "to": "r2"}, tenant=TENANT)
    assert err["extensions"]["code"] == "NOT_FOUND" and "fromId" in err["message"]
    # another tenant's ids do not exist for the caller
    err = run.gql_error(PATH, {"from": "R", "to": "g1"}, tenant="intruder")
    assert err["extensions"]["code"] == "NOT_FOUND"


def test_lineage_up_crosses_traces_and_dependencies(run: LiveServer) -> None:
    lin = run.gql(LINEAGE, {"node": "g0", "dir": "UP"}, tenant=TENANT)["lineage"]
    assert lin["node"] == {"nodeId": "g0", "kind": "STEP", "traceId": "G",
                           "seq": lin["node"]["seq"]}
    assert lin["direction"] == "UP" and lin["maxDepth"] == 50 and not lin["truncated"]
    depth = {n["node"]["nodeId"]: n["depth"] for n in lin["nodes"]}
    assert {n["direction"] for n in lin["nodes"]} == {"UP"}
    assert depth["G"] == 1 and depth["r0"] == 1 and depth["c0"] == 1
    assert depth["C1"] == 2 and depth["R"] == 2 and depth["c1"] == 2
    assert lin["descendants"] == [] and len(lin["ancestors"]) == len(lin["nodes"])
    assert {"src": "g0", "dst": "r0", "type": "DEPENDS_ON"} in lin["edges"]


def test_lineage_down_and_both(run: LiveServer) -> None:
    down = run.gql(LINEAGE, {"node": "r0", "dir": "DOWN", "depth": 1},
                   tenant=TENANT)["lineage"]
    assert sorted(n["node"]["nodeId"] for n in down["nodes"]) == ["d0", "g0", "r1"]
    both = run.gql(LINEAGE, {"node": "c1"}, tenant=TENANT)["lineage"]
    ups = {n["node"]["nodeId"] for n in both["ancestors"]}
    downs = {n["node"]["nodeId"] for n in both["descendants"]}
    assert {"C1", "c0", "R", "r1", "r0"} <= ups
    assert {"G", "g0", "g1", "r2", "k1", "c1#alt0", "c1#alt1"} <= downs
    err = run.gql_error(LINEAGE, {"node": "c1", "depth": 51}, tenant=TENANT)
    assert err["message"] == "maxDepth: 51 exceeds the limit of 50"


def test_graph_nodes_resolve_their_records(run: LiveServer) -> None:
    query = """query { lineage(nodeId: "r1", direction: DOWN, maxDepth: 1) { nodes { node {
      nodeId kind trace { traceId } step { stepId stepType }
      apiCall { callId } humanInput { inputId answer } alternative { text selected index }
    } } } }"""
    nodes = {n["node"]["nodeId"]: n["node"]
             for n in run.gql(query, tenant=TENANT)["lineage"]["nodes"]}
    assert nodes["h1"]["humanInput"] == {"inputId": "h1", "answer": "yes"}
    assert nodes["h1"]["step"] is None and nodes["h1"]["trace"] == {"traceId": "R"}
    assert nodes["r1#alt0"]["alternative"] == {"text": "delegate", "selected": True,
                                               "index": 0}
    assert nodes["r1#alt0"]["step"] == {"stepId": "r1", "stepType": "Decision"}
    assert nodes["r2"]["step"] == {"stepId": "r2", "stepType": "Summary"}
    assert nodes["C1"]["kind"] == "TRACE" and nodes["C1"]["trace"] == {"traceId": "C1"}
    k1 = run.gql('query { lineage(nodeId: "k1", direction: UP, maxDepth: 1) '
                 '{ node { apiCall { callId } step { stepId } } } }', tenant=TENANT)
    assert k1["lineage"]["node"] == {"apiCall": {"callId": "k1"}, "step": None}


def test_run_tree_of_any_depth_in_one_query(run: LiveServer) -> None:
    query = """query($t: ID!, $root: Boolean!) { runTree(traceId: $t, fromRoot: $root) {
      depth truncated root { traceId }
      traces { depth childIds trace { traceId parentTraceId steps { stepId } } }
    } }"""
    tree = run.gql(query, {"t": "G", "root": True}, tenant=TENANT)["runTree"]
    assert tree["root"] == {"traceId": "R"} and tree["depth"] == 2 and not tree["truncated"]
    flat = [(t["trace"]["traceId"], t["depth"], t["trace"]["parentTraceId"], t["childIds"])
            for t in tree["traces"]]
    assert flat == [("R", 0, None, ["C1", "C2"]), ("C1", 1, "R", ["G"]),
                    ("C2", 1, "R", []), ("G", 2, "C1", [])]
    steps = {t["trace"]["traceId"]: [s["stepId"] for s in t["trace"]["steps"]]
             for t in tree["traces"]}
    assert steps == {"R": ["r0", "r1", "r2"], "C1": ["c0", "c1"], "C2": ["d0"],
                     "G": ["g0", "g1"]}
    sub = run.gql(query, {"t": "C1", "root": False}, tenant=TENANT)["runTree"]
    assert [t["trace"]["traceId"] for t in sub["traces"]] == ["C1", "G"]


def test_nested_tree_through_children(run: LiveServer) -> None:
    query = """{ trace(traceId: "R") { traceId subtreeTotals { stepCount }
      children { traceId children { traceId children { traceId } steps { dependsOn } } } } }"""
    t = run.gql(query, tenant=TENANT)["trace"]
    assert t["subtreeTotals"] == {"stepCount": 8}
    assert [c["traceId"] for c in t["children"]] == ["C1", "C2"]
    assert t["children"][0]["children"][0]["traceId"] == "G"
    assert t["children"][0]["children"][0]["steps"][0]["dependsOn"] == ["r0", "c0"]


def test_branches_not_taken(run: LiveServer) -> None:
    query = """query($t: ID!, $sub: Boolean!) { branches(traceId: $t, subtree: $sub) {
      stepsWithAlternatives alternatives notTaken
      traces { traceId stepsWithAlternatives alternatives notTaken }
      steps { stepId traceId selected alternatives { text selected } notTaken { text } }
    } }"""
    b = run.gql(query, {"t": "R", "sub": True}, tenant=TENANT)["branches"]
    assert (b["stepsWithAlternatives"], b["alternatives"], b["notTaken"]) == (3, 7, 5)
    by_step = {s["stepId"]: s for s in b["steps"]}
    assert [a["text"] for a in by_step["r1"]["notTaken"]] == ["solve alone", "ask human"]
    assert by_step["d0"]["selected"] is None and len(by_step["d0"]["notTaken"]) == 2
    assert [s["stepId"] for s in b["steps"]] == ["r1", "c1", "d0"]
    alone = run.gql(query, {"t": "R", "sub": False}, tenant=TENANT)["branches"]
    assert [s["stepId"] for s in alone["steps"]] == ["r1"] and alone["notTaken"] == 2
