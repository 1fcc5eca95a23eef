"""OTLP child spans held for their parent are kept in the database on every backend: a child
exported to one `tracegraph serve` and its parent to another (two stateless servers on one
database, the way users scale out) become one run, also when they race, and held spans
outlive the server process that held them."""

from __future__ import annotations

import os
import random
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from tracegraph.api.otlp import OtlpIngestor
from tracegraph.api.otlp.decode import Span
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import GraphStore, PendingStore

from ..helpers.processes import SCRIPT, free_port, wait_until_serving
from .harness import Harness
from .test_two_servers import _backend_args

QUERY = """{ traces(first: 100) { edges { node { traceId status
  steps { stepId stepType dependsOn } } } } }"""


@contextmanager
def _serve(harness: Harness, log: Path) -> Iterator[str]:
    """One `tracegraph serve` process on the harness's database; stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = subprocess.Popen([SCRIPT, "serve", "--port", str(port),
                                 *_backend_args(harness)],
                                env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(url, proc, log=log)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def _span(trace: str, span_id: str, parent: str | None, kind: str, start: int
          ) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": trace, "spanId": span_id, "name": kind.lower(), "kind": 1,
        "startTimeUnixNano": str(1_700_000_000_000_000_000 + start),
        "endTimeUnixNano": str(1_700_000_001_000_000_000 - start),
        "attributes": [{"key": "openinference.span.kind", "value": {"stringValue": kind}}]}
    if parent:
        span["parentSpanId"] = parent
    return span


def _export(url: str, tenant: str, *spans: dict[str, Any], rejects: bool = False) -> str:
    """Send ``spans`` in one OTLP/JSON request; the reasons of spans it rejected (only when
    ``rejects``: else none may be)."""
    body = {"resourceSpans": [{"resource": {"attributes": []},
                               "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]}
    r = httpx.post(f"{url}/v1/traces", json=body, headers={"X-Org-Id": tenant}, timeout=120)
    assert r.status_code == 200 and (rejects or r.json() == {}), r.text
    return str(r.json().get("partialSuccess", {}).get("errorMessage", ""))


def _runs(url: str, tenant: str) -> dict[str, dict[str, Any]]:
    r = httpx.post(f"{url}/graphql", json={"query": QUERY}, headers={"X-Org-Id": tenant},
                   timeout=60)
    return {e["node"]["traceId"]: e["node"] for e in r.json()["data"]["traces"]["edges"]}


def _held(store: GraphStore, tenant: str, trace: str) -> list[str]:
    if not isinstance(store, PendingStore):
        pytest.fail(f"{type(store).__name__} keeps no held items (PendingStore)")
    return [i for i, _ in store.pending_items(tenant, trace)]


def _ids() -> tuple[str, list[str]]:
    """A fresh OTLP trace id and four span ids."""
    return uuid.uuid4().hex, [uuid.uuid4().hex[:16] for _ in range(4)]


def test_a_child_held_by_one_server_is_placed_by_the_other(
        harness: Harness, store: GraphStore, tenant: str, tmp_path: Path) -> None:
    trace, (root, plan, llm, _) = _ids()
    with _serve(harness, tmp_path / "a.log") as a, _serve(harness, tmp_path / "b.log") as b:
        _export(a, tenant, _span(trace, llm, plan, "LLM", 2))  # held by A
        _export(b, tenant, _span(trace, plan, root, "CHAIN", 1))  # held by B
        assert _runs(a, tenant) == {} and _held(store, tenant, trace) == sorted([plan, llm])
        _export(a, tenant, _span(trace, root, None, "AGENT", 0))  # A finds B's span too
        runs_a, runs_b = _runs(a, tenant), _runs(b, tenant)
    assert runs_a == runs_b
    (run,) = runs_a.values()
    assert (run["traceId"], run["status"]) == (f"otel-{trace}-{root}", "COMPLETED")
    step_plan, step_llm = run["steps"]
    assert (step_plan["stepType"], step_llm["stepType"]) == ("PlanStep", "Reasoning")
    assert step_llm["dependsOn"] == [step_plan["stepId"]]
    assert _held(store, tenant, trace) == []


def test_children_and_parents_racing_over_two_servers_become_whole_runs(
        harness: Harness, store: GraphStore, tenant: str, tmp_path: Path) -> None:
    """Each run's children go to one server while its root goes to the other, all at once:
    whichever of the two commits last finds the other's spans, so no child is left held.
    (A child that finds its root already completed is refused, and says so: a completed
    trace takes no more steps, as on one server.)"""
    runs = [_ids() for _ in range(16)]
    with ExitStack() as stack:
        urls = [stack.enter_context(_serve(harness, tmp_path / f"{i}.log")) for i in range(2)]
        jobs = []
        for n, (trace, (root, *kids)) in enumerate(runs):
            jobs.append((urls[n % 2], [_span(trace, s, root, "TOOL", k + 1)
                                       for k, s in enumerate(kids)]))
            jobs.append((urls[1 - n % 2], [_span(trace, root, None, "AGENT", 0)]))
        random.Random(7).shuffle(jobs)
        with ThreadPoolExecutor(8) as pool:
            reasons = " ".join(pool.map(
                lambda job: _export(job[0], tenant, *job[1], rejects=True), jobs))
        got = _runs(urls[0], tenant)
    assert sorted(got) == sorted(f"otel-{t}-{s[0]}" for t, s in runs)
    placed = 0
    for trace, (root, *kids) in runs:
        steps = [s["stepId"] for s in got[f"otel-{trace}-{root}"]["steps"]]
        assert len(steps) == len(set(steps))  # no span stored twice
        for k in kids:
            stored = f"otel-{trace}-{k}.step" in steps
            assert stored != (f"span {k}:" in reasons), (k, steps, reasons)
            placed += stored
        assert _held(store, tenant, trace) == []
    # (how many children come late, after their root's completion, depends on scheduling:
    # CI saw 15 of 48 placed under load; each was either stored or refused with its reason)
    assert placed > 0


def test_held_children_outlive_the_server_that_held_them(
        harness: Harness, store: GraphStore, tenant: str, tmp_path: Path) -> None:
    trace, (root, plan, llm, _) = _ids()
    with _serve(harness, tmp_path / "first.log") as url:
        _export(url, tenant, _span(trace, llm, plan, "LLM", 2))
        _export(url, tenant, _span(trace, plan, root, "CHAIN", 1))
    with _serve(harness, tmp_path / "second.log") as url:  # only the database remembers
        _export(url, tenant, _span(trace, root, None, "AGENT", 0))
        (run,) = _runs(url, tenant).values()
    assert run["status"] == "COMPLETED"
    assert [s["stepType"] for s in run["steps"]] == ["PlanStep", "Reasoning"]
    assert _held(store, tenant, trace) == []


# -- the two orders in which a parent and a child held elsewhere can meet, forced -----------------
def _at_call(obj: Any, name: str, call: int, *, wait: threading.Event | None = None,
             then: threading.Event | None = None) -> None:
    """Make the ``call``-th call of ``obj.name`` wait for ``wait`` first and set ``then``
    once it returned (the real method runs in between)."""
    real: Callable[..., Any] = getattr(obj, name)
    calls = [0]

    def gated(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == call and wait is not None:
            assert wait.wait(60), f"{name}: the other server never got there"
        out = real(*args, **kwargs)
        if calls[0] == call and then is not None:
            then.set()
        return out

    setattr(obj, name, gated)


def _two_ingestors(harness: Harness) -> tuple[OtlpIngestor, OtlpIngestor]:
    """Two servers' OTLP ingestors on the one database (each its own store connection)."""
    return OtlpIngestor(TraceService(harness.open())), OtlpIngestor(TraceService(harness.open()))


def _in_thread(work: Callable[[], Any]) -> Callable[[], Any]:
    """Run ``work`` in a thread; the returned function waits for its result."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()

    def result() -> Any:
        thread.join(120)
        assert out, "the thread failed (its traceback is above)"
        return out[0]

    return result


def _span_of(trace: str, span_id: str, parent: str | None, kind: str) -> Span:
    return Span(trace_id=trace, span_id=span_id, parent_id=parent, name=kind.lower(),
                attributes={"openinference.span.kind": kind}, start_ns=1_700_000_000 * 10**9,
                end_ns=1_700_000_001 * 10**9, error=False, status_message="")


def test_a_parent_stored_after_the_holder_looked_is_found_by_the_holder(
        harness: Harness, store: GraphStore, tenant: str) -> None:
    """Server A looks for the child's parent (absent), server B stores the parent and reads
    the held spans (none yet), then A holds the child: A looks for the parent again once
    the child is held, finds it, and places the child before B completes the run."""
    a, b = _two_ingestors(harness)
    trace, (root, tool, *_) = _ids()
    a_looked, b_read, a_done = threading.Event(), threading.Event(), threading.Event()
    _at_call(a.held, "update", 1, wait=b_read)  # A holds only after B's last read
    _at_call(b.held, "get", 2, then=b_read)  # (B's read after it stored the root)
    _at_call(b.service, "complete_trace", 1, wait=a_done)
    _at_call(a.service, "locate", 1, then=a_looked)
    child = _in_thread(lambda: a.ingest(tenant, [_span_of(trace, tool, root, "TOOL")]))
    assert a_looked.wait(60)
    parent = _in_thread(lambda: b.ingest(tenant, [_span_of(trace, root, None, "AGENT")]))
    got_a = child()
    a_done.set()
    got_b = parent()
    assert (got_a.stored, got_a.rejected, got_b.stored, got_b.rejected) == (1, [], 1, [])
    _assert_one_run(a.service, tenant, trace, root, [tool])
    assert _held(store, tenant, trace) == []


def test_a_child_held_after_the_placer_first_read_is_found_by_the_placer(
        harness: Harness, store: GraphStore, tenant: str) -> None:
    """Server B reads the held spans (none yet) before storing the parent; server A looks
    for the parent (absent), holds the child and looks again (still absent) before B stores
    it: B reads the held spans again after storing the parent, finds the child and places
    it before completing the run."""
    a, b = _two_ingestors(harness)
    trace, (root, tool, *_) = _ids()
    b_read, a_done = threading.Event(), threading.Event()
    _at_call(b.held, "get", 1, then=b_read)
    _at_call(a.held, "update", 1, wait=b_read)
    _at_call(b.service, "start_trace", 1, wait=a_done)
    parent = _in_thread(lambda: b.ingest(tenant, [_span_of(trace, root, None, "AGENT")]))
    got_a = a.ingest(tenant, [_span_of(trace, tool, root, "TOOL")])
    a_done.set()
    got_b = parent()
    assert (got_a.stored, got_a.pending > 0, got_a.rejected) == (0, True, [])
    assert (got_b.stored, got_b.rejected) == (2, [])
    _assert_one_run(a.service, tenant, trace, root, [tool])
    assert _held(store, tenant, trace) == []


def _assert_one_run(service: TraceService, tenant: str, trace: str, root: str,
                    kids: list[str]) -> None:
    trace_id = f"otel-{trace}-{root}"
    steps = service.steps(tenant, [trace_id])[trace_id]
    assert [s.step_id for s in steps] == [f"otel-{trace}-{k}.step" for k in kids]
    (row,) = service.store.get_traces(tenant, [trace_id]).values()
    assert row.status == "completed"
