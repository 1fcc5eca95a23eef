"""Nested multi-agent runs built through the public service layer, for the graph tests.

Ids are short names (``R``, ``r0``, ``k1``...) behind a prefix unique to the test, so that
runs of many tests can share one database (ids are unique per database) while keeping the
names' string order: every tie-break of the graph queries compares ids, and a common
prefix leaves those comparisons as they are for the short names.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from tracegraph.api.service import TraceService
from tracegraph.graph.algorithms import flow_graph
from tracegraph.graph.edges import edges_for
from tracegraph.graph.protocol import Edge, GraphStore
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)


@dataclass(frozen=True)
class Names:
    """Short names <-> stored ids, for one test."""

    prefix: str

    def __call__(self, name: str) -> str:
        """The stored id of a short name; alternatives keep their ``#alt<i>`` suffix."""
        return self.prefix + name

    def short(self, node_id: str) -> str:
        assert node_id.startswith(self.prefix), node_id
        return node_id[len(self.prefix):]

    def shorts(self, node_ids: Iterable[str]) -> list[str]:
        return [self.short(n) for n in node_ids]


def step(n: Names, name: str, step_type: str = "Reasoning", *, depends_on: Iterable[str] = (),
         **kw: object) -> StepInput:
    return StepInput(step_id=n(name), step_type=step_type, content=f"text of {name}",
                     depends_on=[n(d) for d in depends_on], **kw)  # type: ignore[arg-type]


def nested_run(svc: TraceService, tenant: str, n: Names) -> None:
    """Three levels of nesting, multi-parent dependsOn across traces, alternatives, an API
    call and a human input (the run of tests/api/test_graph_service.py)::

        trace R   steps r0 -> r1 (Decision: delegate | solve alone | ask human; input h1)
        trace C1  child of R, spawned by r1: c0 -> c1 (Decision: search | compute)
        trace C2  child of R, spawned by r1: d0 (dependsOn r0; a | b, none chosen)
        trace G   child of C1, spawned by c1: g0 (dependsOn r0, c0; API call k1) -> g1
        trace R   step r2 (dependsOn c1 and g1), after r1
    """
    svc.start_trace(tenant, StartTraceInput(trace_id=n("R"), session_id=n("sess"),
                                            agent_id="planner", goal="plan"))
    svc.record_steps(tenant, n("R"), [
        step(n, "r0", "Observation", model_id="model-a", input_tokens=100, output_tokens=10,
             thinking_tokens=5, duration_ms=10),
        step(n, "r1", "Decision", alternatives_considered=["delegate", "solve alone",
                                                           "ask human"],
             selected_alternative="delegate", model_id="model-b", input_tokens=50,
             duration_ms=5.5),
    ])
    svc.record_human_input(tenant, n("R"), HumanInputInput(step_id=n("r1"), question="delegate?",
                                                           answer="yes", input_id=n("h1")))
    svc.start_trace(tenant, StartTraceInput(trace_id=n("C1"), parent_trace_id=n("R"),
                                            spawned_by_step_id=n("r1"), agent_id="researcher"))
    svc.record_steps(tenant, n("C1"), [
        step(n, "c0", model_id="model-a", input_tokens=7, output_tokens=3),
        step(n, "c1", "Decision", alternatives_considered=["search", "compute"],
             selected_alternative="search"),
    ])
    svc.start_trace(tenant, StartTraceInput(trace_id=n("C2"), parent_trace_id=n("R"),
                                            spawned_by_step_id=n("r1"), agent_id="coder"))
    svc.record_steps(tenant, n("C2"), [
        step(n, "d0", "Action", depends_on=["r0"], alternatives_considered=["a", "b"],
             model_id="model-c", thinking_tokens=40),
    ])
    svc.start_trace(tenant, StartTraceInput(trace_id=n("G"), parent_trace_id=n("C1"),
                                            spawned_by_step_id=n("c1"), agent_id="searcher"))
    svc.record_steps(tenant, n("G"), [
        step(n, "g0", "ToolCall", depends_on=["r0", "c0"]),
        step(n, "g1", "FinalAnswer", duration_ms=2),
    ])
    svc.record_api_call(tenant, n("G"), ApiCallInput(step_id=n("g0"), api_type="tool",
                                                     call_id=n("k1"), request_tokens=11,
                                                     response_tokens=22, cost_usd=0.5))
    svc.record_steps(tenant, n("R"), [step(n, "r2", "Summary", depends_on=["c1", "g1"])])


#: Every simple path r0 -> r2 of :func:`nested_run` (and of tests/api/test_graph_service.py's
#: ``build_run``, the same run), in ALL_SIMPLE order.
ALL_R0_R2 = [
    ["r0", "r1", "r2"],
    ["r0", "g0", "g1", "r2"],
    ["r0", "r1", "C1", "c1", "r2"],
    ["r0", "r1", "C1", "G", "g1", "r2"],
    ["r0", "r1", "C1", "c0", "c1", "r2"],
    ["r0", "r1", "C1", "G", "g0", "g1", "r2"],
    ["r0", "r1", "C1", "c0", "g0", "g1", "r2"],
    ["r0", "r1", "C1", "c1", "G", "g1", "r2"],
    ["r0", "r1", "C1", "c0", "c1", "G", "g1", "r2"],
    ["r0", "r1", "C1", "c1", "G", "g0", "g1", "r2"],
    ["r0", "r1", "C1", "c0", "c1", "G", "g0", "g1", "r2"],
]


def complete_run(svc: TraceService, tenant: str, n: Names) -> None:
    """Complete the nested run, children first."""
    for trace in ("G", "C1", "C2", "R"):
        svc.complete_trace(tenant, n(trace), CompleteTraceInput(outcome="success"))


@dataclass
class RandomRun:
    """A random nested run: what was created, in order."""

    traces: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)


def random_run(svc: TraceService, tenant: str, n: Names, seed: int, *, traces: int = 6,
               steps: int = 6) -> RandomRun:
    """Random nesting (parents, spawning steps), dependsOn on up to three earlier steps of
    any trace (diamonds everywhere), alternatives, API calls and human inputs."""
    rng = random.Random(seed)
    out = RandomRun()
    all_steps: list[str] = []
    steps_of: dict[str, list[str]] = {}
    for t in range(traces):
        trace = n(f"T{t}")
        parent = rng.choice(out.traces) if out.traces and rng.random() < 0.8 else None
        spawner = None
        if parent is not None:
            candidates = steps_of[parent]
            spawner = rng.choice(candidates) if candidates and rng.random() < 0.7 else None
        svc.start_trace(tenant, StartTraceInput(trace_id=trace, parent_trace_id=parent,
                                                spawned_by_step_id=spawner))
        out.traces.append(trace)
        out.nodes.append(trace)
        mine = steps_of.setdefault(trace, [])
        for batch in range(2):
            inputs = []
            for i in range(steps // 2):
                sid = f"{trace}s{batch * (steps // 2) + i}"
                pool = all_steps + [s.step_id for s in inputs if s.step_id]
                deps = sorted(set(rng.sample(pool, min(len(pool), rng.randint(0, 3)))))
                alts = [f"alt{k}" for k in range(rng.randint(0, 2))]
                inputs.append(StepInput(step_id=sid, step_type="Reasoning", depends_on=deps,
                                        alternatives_considered=alts,
                                        selected_alternative=alts[0] if alts else None))
            svc.record_steps(tenant, trace, inputs)
            made = [s.step_id for s in inputs if s.step_id]
            all_steps.extend(made)
            mine.extend(made)
            out.nodes.extend(made)
            out.nodes.extend(f"{s.step_id}#alt{k}" for s in inputs
                             for k in range(len(s.alternatives_considered)))
        if rng.random() < 0.6:
            call = f"{trace}k"
            svc.record_api_call(tenant, trace, ApiCallInput(step_id=rng.choice(mine),
                                                            call_id=call))
            out.nodes.append(call)
        if rng.random() < 0.4:
            ask = f"{trace}h"
            svc.record_human_input(tenant, trace, HumanInputInput(
                step_id=rng.choice(mine), question="ok?", input_id=ask))
            out.nodes.append(ask)
    return out


def reference_edges(store: GraphStore, tenant: str, traces: Iterable[str]) -> list[Edge]:
    """The stored edges the chain entries imply (graph/edges.py), not the backend's own."""
    edges: list[Edge] = []
    for entries in store.entries(tenant, list(traces)).values():
        last: str | None = None
        for e in entries:
            edges.extend(edges_for(e, last))
            if e.kind == EntryKind.STEP:
                last = e.record["step_id"]
    return edges


def reference_flow(store: GraphStore, tenant: str, traces: Iterable[str]) -> object:
    """The flow view computed from the chain entries alone (not from the backend's edges):
    what :mod:`tracegraph.graph.algorithms` answers on is then the reference answer."""
    return flow_graph(reference_edges(store, tenant, traces))
