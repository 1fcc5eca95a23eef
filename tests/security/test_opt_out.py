"""Per-agent opt-out: lifecycle and rollups are recorded, step contents are not."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import TraceNotFound
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput
from tracegraph.schema.policy import StoragePolicy

STEP = StepInput(step_type="Reasoning", content="private thoughts", input_data={"q": 1},
                 alternatives_considered=["a", "b"], selected_alternative="a",
                 input_tokens=11, output_tokens=7, model_id="m1", duration_ms=5)


@pytest.mark.parametrize("how", ["per-trace flag", "server policy", "deployment switch"])
def test_opted_out_agent_keeps_shape_not_content(store: EmbeddedStore, how: str) -> None:
    if how == "per-trace flag":
        svc = TraceService(store)
        start = StartTraceInput(session_id="s", agent_id="quiet", include_reasoning_trace=False)
    elif how == "server policy":
        svc = TraceService(store, StoragePolicy(agents_without_reasoning=frozenset({"quiet"})))
        start = StartTraceInput(session_id="s", agent_id="quiet")
    else:  # the deployment-wide ledger switch: every agent, even one that asks for it
        svc = TraceService(store, StoragePolicy(reasoning_ledger=False))
        start = StartTraceInput(session_id="s", agent_id="anyone", include_reasoning_trace=True)
    t = svc.start_trace("acme", start)
    assert t.include_reasoning_trace is False
    (step,) = svc.record_steps("acme", t.trace_id, [STEP])
    assert step.content is None and step.input_data is None
    assert step.alternatives_considered == []
    assert step.step_type == "Reasoning" and step.input_tokens == 11 and step.model_id == "m1"
    done = svc.complete_trace("acme", t.trace_id, CompleteTraceInput(outcome="success"))
    assert done.totals is not None and done.totals.input_tokens == 11
    assert done.path_taken == ["Reasoning"] and done.model_ids_used == ["m1"]
    assert svc.verify_trace("acme", t.trace_id).valid


def test_other_agents_keep_content(store: EmbeddedStore) -> None:
    svc = TraceService(store, StoragePolicy(agents_without_reasoning=frozenset({"quiet"})))
    t = svc.start_trace("acme", StartTraceInput(session_id="s", agent_id="chatty"))
    (step,) = svc.record_steps("acme", t.trace_id, [STEP])
    assert step.content == "private thoughts" and step.alternatives_considered == ["a", "b"]


def test_opt_out_over_graphql(tmp_path: Path) -> None:
    from tests.helpers.live import LiveServer

    store = EmbeddedStore(tmp_path)
    server = LiveServer(TraceService(store))
    try:
        t = server.gql('mutation { startTrace(input: {agentId: "quiet", '
                       "includeReasoningTrace: false}) { traceId includeReasoningTrace } }")
        t = t["startTrace"]
        assert t["includeReasoningTrace"] is False
        (step,) = server.gql(
            'mutation($t: ID!) { recordSteps(traceId: $t, steps: [{stepType: "Reasoning", '
            'content: "private thoughts", inputData: {q: 1}, inputTokens: 3}]) '
            "{ content inputData inputTokens } }", {"t": t["traceId"]})["recordSteps"]
        assert step == {"content": None, "inputData": None, "inputTokens": 3}
        other = server.gql("mutation { startTrace(input: {}) { includeReasoningTrace } }")
        assert other["startTrace"]["includeReasoningTrace"] is True
    finally:
        server.stop()
        store.close()


def test_the_opt_out_is_read_once_per_trace(store: EmbeddedStore) -> None:
    """A trace's opt-out is in its hashed start record: later batches of the same trace do
    not read the trace again, and an unknown trace is still refused."""
    from tests.helpers.live import CountingStore

    counting = CountingStore(store)
    svc = TraceService(counting)  # type: ignore[arg-type]
    quiet = svc.start_trace("acme", StartTraceInput(session_id="s", include_reasoning_trace=False))
    loud = svc.start_trace("acme", StartTraceInput(session_id="s"))
    counting.reset()
    for _ in range(3):
        (q,) = svc.record_steps("acme", quiet.trace_id, [STEP])
        (v,) = svc.record_steps("acme", loud.trace_id, [STEP])
        assert q.content is None and v.content == "private thoughts"
    assert counting.calls["get_traces"] == 2  # once for each trace
    with pytest.raises(TraceNotFound):
        svc.record_steps("acme", "no-such-trace", [STEP])
    with pytest.raises(TraceNotFound):  # the memory is per tenant
        svc.record_steps("other-tenant", quiet.trace_id, [STEP])
