"""Iterations map onto steps and back without loss, through real storage."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tracegraph.api.service import TraceService
from tracegraph.schema.inputs import StartTraceInput
from tracegraph.schema.iteration import (
    Iteration,
    iterations_from_steps,
    steps_from_iterations,
)

# Storage redacts secrets, which is lossy on purpose: the generated payloads hold no
# secret-like keys and no text long enough, or with the separators, to look like one.
plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ÄéΩ✓", max_size=12)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), plain)
keys = st.sampled_from(["ticket_id", "status", "subject", "n", "items", "ok", "ü"])
json_value = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3)
                          | st.dictionaries(keys, c, max_size=3), max_leaves=8)
iteration = st.builds(
    Iteration,
    iteration=st.integers(1, 50),
    # (in the past: times further ahead than the server's clock window are refused)
    timestamp=st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2026, 1, 1),
                           timezones=st.just(UTC)),
    thought=st.none() | plain,
    action=st.none() | plain.filter(bool),
    action_input=json_value,
    observation=json_value,
    success=st.none() | st.booleans(),
)


def test_seed_example_round_trips(service: TraceService) -> None:
    its = [
        Iteration(iteration=1, timestamp=datetime(2026, 2, 1, 10, 30, 1, tzinfo=UTC),
                  thought="I need to look up the ticket details.", action="lookup_ticket",
                  action_input={"ticket_id": "TK-12345"},
                  observation={"subject": "Billing Error — Double Charge", "status": "open"},
                  success=True),
        Iteration(iteration=2, timestamp=datetime(2026, 2, 1, 10, 30, 5, tzinfo=UTC),
                  thought="Refund it.", action="__complete__", success=False),
    ]
    t = service.start_trace("acme", StartTraceInput(session_id="it"))
    stored = service.record_steps("acme", t.trace_id, steps_from_iterations(its))
    assert [s.step_type for s in stored] == ["Reasoning", "ToolCall", "ToolResult",
                                             "Reasoning", "ToolCall", "ToolResult"]
    assert iterations_from_steps(stored) == its


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(its=st.lists(iteration, max_size=5, unique_by=lambda i: i.iteration))
def test_any_iterations_round_trip(service: TraceService, its: list[Iteration]) -> None:
    its = sorted(its, key=lambda i: i.iteration)
    t = service.start_trace("acme", StartTraceInput(session_id="it"))
    steps = steps_from_iterations(its)
    stored = service.record_steps("acme", t.trace_id, steps) if steps else []
    assert iterations_from_steps(stored) == its
