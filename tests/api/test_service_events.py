"""The service publishes every append it makes on its event stream, whichever adapter
called it; GraphQL subscriptions and, later, other sinks subscribe there."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracegraph.api.service import EntriesAppended, TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)


def test_every_append_is_published_once_with_its_new_head(tmp_path: Path) -> None:
    service = TraceService(EmbeddedStore(tmp_path))
    seen: list[EntriesAppended] = []
    stop = service.events.subscribe(seen.append)
    t = service.start_trace("acme", StartTraceInput(trace_id="t", session_id="s"))
    steps = service.record_steps("acme", "t", [StepInput(step_id=f"s{i}", step_type="Action")
                                               for i in range(3)])
    call = service.record_api_call("acme", "t", ApiCallInput(step_id="s0"))
    human = service.record_human_input("acme", "t", HumanInputInput(question="q?"))
    with pytest.raises(InvalidInput):  # nothing stored: nothing published
        service.record_steps("acme", "t", [StepInput(step_type="Action", depends_on=["nope"])])
    done = service.complete_trace("acme", "t", CompleteTraceInput(outcome="success"))
    assert [(e.tenant_id, e.trace_id, e.entries, e.head_hash) for e in seen] == [
        ("acme", "t", 1, t.head_hash), ("acme", "t", 3, steps[-1].hash),
        ("acme", "t", 1, call.hash), ("acme", "t", 1, human.hash),
        ("acme", "t", 1, done.head_hash)]
    stop()
    service.start_trace("acme", StartTraceInput(trace_id="u"))
    assert len(seen) == 5  # unsubscribed
    service.close()


def test_a_failing_listener_neither_fails_the_append_nor_silences_the_others(
    tmp_path: Path,
) -> None:
    service = TraceService(EmbeddedStore(tmp_path))
    seen: list[str] = []

    def broken(_event: EntriesAppended) -> None:
        raise RuntimeError("sink down")

    service.events.subscribe(broken)
    service.events.subscribe(lambda e: seen.append(e.trace_id))
    service.start_trace("acme", StartTraceInput(trace_id="t"))
    assert seen == ["t"] and service.get_trace("acme", "t") is not None
    service.close()
