"""Spans held for a parent that has not arrived survive a restart of the server: they are
kept in the embedded store and placed when the parent arrives after the restart."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from tracegraph.api.otlp import OtlpIngestor
from tracegraph.api.otlp.decode import Span
from tracegraph.api.service import TraceService
from tracegraph.api.service.stream import EntryStream
from tracegraph.graph.embedded import EmbeddedStore

from tests.helpers.processes import SCRIPT, free_port, wait_until_serving

from .test_otlp_http import _json_body, _json_span

TRACE = "5b8efff798038103d269b633813fc60c"
QUERY = """{ traces(first: 10) { edges { node { traceId status outcome
  steps { stepId stepType dependsOn } } } } }"""


@contextmanager
def serve(data: Path, port: int) -> Iterator[str]:
    proc = subprocess.Popen([SCRIPT, "serve", "--port", str(port), "--data-dir", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _traces(url: str) -> list[dict[str, Any]]:
    r = httpx.post(f"{url}/graphql", json={"query": QUERY}, timeout=30)
    return [e["node"] for e in r.json()["data"]["traces"]["edges"]]


def test_children_held_before_a_restart_are_placed_after_it(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    root = _json_span("aaa19b7ec3c1b100", "agent", None, {"openinference.span.kind": "AGENT"})
    plan = _json_span("aaa19b7ec3c1b101", "plan", "aaa19b7ec3c1b100",
                      {"openinference.span.kind": "CHAIN"})
    llm = _json_span("aaa19b7ec3c1b102", "llm", "aaa19b7ec3c1b101",
                     {"openinference.span.kind": "LLM", "llm.token_count.prompt": 7})
    with serve(data, port) as url:  # the children end first: exported before the root
        for span in (llm, plan):
            r = httpx.post(f"{url}/v1/traces", json=_json_body(span), timeout=30)
            assert r.status_code == 200 and r.json() == {}
        assert _traces(url) == []
    with serve(data, port) as url:  # a new process: only the store remembers them
        r = httpx.post(f"{url}/v1/traces", json=_json_body(root), timeout=30)
        assert r.status_code == 200 and r.json() == {}
        (run,) = _traces(url)
    assert run["traceId"] == f"otel-{TRACE}-aaa19b7ec3c1b100"
    assert (run["status"], run["outcome"]) == ("COMPLETED", "SUCCESS")
    step_plan, step_llm = run["steps"]
    assert (step_plan["stepType"], step_llm["stepType"]) == ("PlanStep", "Reasoning")
    assert step_llm["dependsOn"] == [step_plan["stepId"]]


def _span(span_id: str, parent: str | None, kind: str) -> Span:
    return Span(trace_id=TRACE, span_id=span_id, parent_id=parent, name=kind.lower(),
                attributes={"openinference.span.kind": kind, "n": 1.5, "l": [1, "a"]},
                start_ns=1_700_000_000 * 10**9 + int(span_id[-1]), end_ns=1_700_000_001 * 10**9,
                error=False, status_message="")


def test_held_spans_are_rows_of_the_store_and_leave_it_when_placed(tmp_path: Path) -> None:
    child = _span("bbb19b7ec3c1b102", "bbb19b7ec3c1b101", "TOOL")
    service = TraceService(EmbeddedStore(tmp_path))
    ingestor = OtlpIngestor(service)
    assert ingestor.held.durable
    result = ingestor.ingest("t", [child])
    assert (result.stored, result.pending) == (0, 1)
    service.close()
    service = TraceService(EmbeddedStore(tmp_path))  # reopened: the count is read back
    ingestor = OtlpIngestor(service)
    assert ingestor.pending_count() == 1
    result = ingestor.ingest("t", [_span("bbb19b7ec3c1b101", None, "AGENT")])
    assert (result.stored, result.pending, result.rejected) == (2, 0, [])
    assert service.store.count_pending() == 0  # type: ignore[attr-defined]
    trace_id = f"otel-{TRACE}-bbb19b7ec3c1b101"
    (step,) = service.steps("t", [trace_id])[trace_id]
    assert step.metadata is not None and step.metadata["attributes"] == {
        "openinference.span.kind": "TOOL", "n": 1.5, "l": [1, "a"]}  # the span as it came
    service.close()


def test_stream_cursors_are_not_counted_as_held_spans(tmp_path: Path) -> None:
    """A stream sink keeps its cursor with the held items; the held-spans count (healthz,
    `tracegraph ingest`'s summary) leaves it out."""
    service = TraceService(EmbeddedStore(tmp_path))
    OtlpIngestor(service).ingest("t", [_span("ccc19b7ec3c1b102", "ccc19b7ec3c1b101", "TOOL")])
    EntryStream(service, "topic").save_cursors([("t", 3), ("u", 1)])
    service.close()
    service = TraceService(EmbeddedStore(tmp_path))
    assert OtlpIngestor(service).pending_count() == 1
    assert service.store.count_pending() == 3  # type: ignore[attr-defined]
    service.close()


class _WithoutPending:
    """A store that keeps no held items (every backend keeps them today; a store without
    them still works): the service holds them in memory."""

    def __init__(self, inner: EmbeddedStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        if "pending" in name:
            raise AttributeError(name)
        return getattr(self.inner, name)


def test_a_store_without_held_rows_holds_them_in_memory(tmp_path: Path) -> None:
    service = TraceService(_WithoutPending(EmbeddedStore(tmp_path)))  # type: ignore[arg-type]
    ingestor = OtlpIngestor(service)
    assert not ingestor.held.durable
    assert ingestor.ingest("t", [_span("ccc19b7ec3c1b102", "ccc19b7ec3c1b101", "LLM")]
                           ).pending == 1
    result = ingestor.ingest("t", [_span("ccc19b7ec3c1b101", None, "AGENT")])
    assert (result.stored, result.pending, result.rejected) == (2, 0, [])
    service.close()
