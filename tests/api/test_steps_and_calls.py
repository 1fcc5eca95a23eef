"""``TraceService.record_steps_and_calls``: steps and the API calls tied to them in one append,
with the checks of ``record_steps`` and ``record_api_calls`` (what OTLP ingest stores a
request's spans with)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import AlreadyExists, InvalidInput, LimitExceeded
from tracegraph.schema.inputs import ApiCallInput, StartTraceInput, StepInput
from tracegraph.schema.limits import MAX_BATCH_STEPS
from tracegraph.schema.redaction import REDACTED


@pytest.fixture
def service(tmp_path: Path) -> Iterator[TraceService]:
    s = TraceService(EmbeddedStore(tmp_path))
    s.start_trace("acme", StartTraceInput(trace_id="t", session_id="s"))
    s.start_trace("acme", StartTraceInput(trace_id="u", session_id="s"))
    yield s
    s.close()


def _steps(*ids: str) -> list[StepInput]:
    return [StepInput(step_id=i, step_type="Action", content=f"did {i}") for i in ids]


def test_steps_then_calls_in_one_append_same_records_as_two_calls(
        service: TraceService, tmp_path: Path) -> None:
    appended: list[int] = []
    service.events.subscribe(lambda e: appended.append(e.entries))
    calls = [ApiCallInput(step_id="a", call_id="a.call", api_type="llm", endpoint="gpt-4o",
                          request_tokens=5, cost_usd=0.25),
             ApiCallInput(step_id="b", call_id="b.call", api_type="tool",
                          endpoint="key=sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD")]
    assert service.record_steps_and_calls("acme", "t", _steps("a", "b"), calls) == 4
    assert appended == [4]  # one append
    entries = service.store.entries("acme", ["t"])["t"]
    assert [e.kind for e in entries] == ["trace_started", "step", "step", "api_call", "api_call"]
    # the same records as record_steps + record_api_calls give
    other = TraceService(EmbeddedStore(tmp_path / "other"))
    other.start_trace("acme", StartTraceInput(trace_id="t", session_id="s"))
    other.record_steps("acme", "t", _steps("a", "b"))
    other.record_api_calls("acme", "t", calls)
    again = other.store.entries("acme", ["t"])["t"]
    strip = ("created_at",)
    assert [{k: v for k, v in e.record.items() if k not in strip} for e in entries[1:]] == [
        {k: v for k, v in e.record.items() if k not in strip} for e in again[1:]]
    assert REDACTED in entries[4].record["endpoint"]  # redaction as for every call
    assert [c.call_id for c in service.api_calls("acme", ["t"])["t"]] == ["a.call", "b.call"]
    assert service.totals("acme", ["t"])["t"].cost_usd == 0.25
    other.close()


def test_a_retry_of_the_same_batch_stores_nothing_twice(service: TraceService) -> None:
    calls = [ApiCallInput(step_id="a", call_id="a.call")]
    service.record_steps_and_calls("acme", "t", _steps("a"), calls)
    assert service.record_steps_and_calls("acme", "t", _steps("a"), calls) == 2
    assert service.get_trace("acme", "t").entry_count == 3  # type: ignore[union-attr]


def test_a_call_may_name_a_stored_step_of_the_trace_never_another_traces(
        service: TraceService) -> None:
    service.record_steps("acme", "t", _steps("a"))
    service.record_steps("acme", "u", _steps("x"))
    assert service.record_steps_and_calls(
        "acme", "t", [], [ApiCallInput(step_id="a", call_id="c1")]) == 1
    with pytest.raises(InvalidInput, match=r"calls\[0\].stepId: step x not found in trace t"):
        service.record_steps_and_calls("acme", "t", _steps("b"),
                                       [ApiCallInput(step_id="x", call_id="c2")])
    assert service.get_trace("acme", "t").entry_count == 3  # type: ignore[union-attr]


def test_all_or_nothing_and_the_errors_of_the_single_kinds(service: TraceService) -> None:
    with pytest.raises(InvalidInput, match=r"steps\[1\].dependsOn\[0\]: step nope not found"):
        service.record_steps_and_calls(
            "acme", "t", [*_steps("a"), StepInput(step_id="b", step_type="Action",
                                                  depends_on=["nope"])],
            [ApiCallInput(step_id="a", call_id="c")])
    with pytest.raises(AlreadyExists):  # a call id that is a step id of the batch
        service.record_steps_and_calls("acme", "t", _steps("a"),
                                       [ApiCallInput(step_id="a", call_id="a")])
    with pytest.raises(InvalidInput, match="at least one step or call"):
        service.record_steps_and_calls("acme", "t", [], [])
    with pytest.raises(LimitExceeded, match="calls: 1001 calls exceed the limit"):
        service.record_steps_and_calls(
            "acme", "t", _steps("a"), [ApiCallInput(step_id="a")] * (MAX_BATCH_STEPS + 1))
    assert service.get_trace("acme", "t").entry_count == 1  # type: ignore[union-attr]
