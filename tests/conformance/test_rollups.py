"""Conformance: rollups (a trace alone and with its nested traces) and session replay.

Expected figures are read off :func:`runs.nested_run`: R's steps report 100 + 50 input
tokens, 10 output, 5 thinking and 10 + 5.5 ms; C1's c0 reports 7 + 3 tokens; C2's d0 40
thinking tokens; G's API call k1 (tied to g0, which reported no usage) 11 + 22 tokens and
0.5 USD, and g1 2 ms.
"""

from __future__ import annotations

import pytest
from tracegraph.api.service import TraceService
from tracegraph.schema.inputs import CompleteTraceInput
from tracegraph.schema.records import Totals

from .runs import Names, complete_run, nested_run


@pytest.fixture
def names(tenant: str) -> Names:
    return Names(f"{tenant}-")


@pytest.fixture
def completed(service: TraceService, tenant: str, names: Names) -> Names:
    nested_run(service, tenant, names)
    complete_run(service, tenant, names)
    return names


def test_rollups_of_each_trace_alone(service: TraceService, tenant: str, completed: Names
                                     ) -> None:
    n = completed
    totals = service.totals(tenant, [n("R"), n("C1"), n("C2"), n("G")])
    assert totals[n("R")] == Totals(input_tokens=150, output_tokens=10, thinking_tokens=5,
                                    duration_ms=15.5, step_count=3)
    assert totals[n("C1")] == Totals(input_tokens=7, output_tokens=3, step_count=2)
    assert totals[n("C2")] == Totals(thinking_tokens=40, step_count=1)
    assert totals[n("G")] == Totals(input_tokens=11, output_tokens=22, cost_usd=0.5,
                                    duration_ms=2, step_count=2, api_call_count=1)
    views = service.get_traces(tenant, [n("R"), n("G")])
    r, g = views[n("R")], views[n("G")]
    assert r.totals == totals[n("R")] and g.totals == totals[n("G")]  # sealed at completion
    assert r.model_ids_used == ["model-a", "model-b"]
    assert r.path_taken == ["Observation", "Decision", "Summary"]
    assert g.path_taken == ["ToolCall", "FinalAnswer"] and g.model_ids_used == []
    assert (r.status, r.outcome) == ("completed", "success")


def test_rollups_of_a_whole_subtree(service: TraceService, tenant: str, completed: Names
                                    ) -> None:
    n = completed
    assert service.subtree_ids(tenant, n("R")) == [n("R"), n("C1"), n("C2"), n("G")]
    assert service.subtree_totals(tenant, n("R")) == Totals(
        input_tokens=168, output_tokens=35, thinking_tokens=45, cost_usd=0.5,
        duration_ms=17.5, step_count=8, api_call_count=1)
    assert service.subtree_totals(tenant, n("C1")) == Totals(
        input_tokens=18, output_tokens=25, cost_usd=0.5, duration_ms=2, step_count=4,
        api_call_count=1)


def test_session_replay_in_order(service: TraceService, tenant: str, completed: Names) -> None:
    n = completed
    replay = service.replay_session(tenant, n("sess"))  # children inherit the session
    assert replay is not None
    assert n.shorts(t.trace_id for t in replay.traces) == ["R", "C1", "C2", "G"]
    assert n.shorts(s.step_id for s in replay.steps) == [
        "r0", "r1", "r2", "c0", "c1", "d0", "g0", "g1"]
    v = service.verify_session(tenant, n("sess"))
    assert v.valid and v.traces_checked == 4
    assert v.entries_checked == sum(t.entry_count for t in replay.traces)
    assert service.replay_session(tenant, n("nope")) is None


def test_completion_answers_the_trace_as_stored(service: TraceService, tenant: str,
                                                names: Names) -> None:
    """complete_trace builds its answer from what it sealed (no read after the write): it
    is the trace exactly as every later read returns it."""
    n = names
    nested_run(service, tenant, n)
    answered = service.complete_trace(tenant, n("G"), CompleteTraceInput(
        outcome="failure", final_answer="gave up", confidence=0.25))
    stored = service.get_trace(tenant, n("G"))
    assert stored is not None and answered == stored
    assert (answered.status, answered.outcome, answered.entry_count) == ("failed", "failure", 5)
    assert answered.goal == stored.goal and answered.totals is not None
