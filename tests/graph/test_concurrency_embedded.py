"""Concurrent appends to ONE trace from many threads and many processes never fork the chain.

Every successful append's returned seq and step_index must be what is stored; no seq is taken
twice, step_index runs 0..n-1 without gaps in seq order, the chain verifies (also while the
writers are still running), and the number of stored steps is the number of returned ones.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import ChainConflict, TraceClosed
from tracegraph.schema.inputs import ApiCallInput, CompleteTraceInput, StartTraceInput

from .workers import TENANT, append_steps, step

THREADS = 16
PROCESSES = 16
BATCHES = 6


def check_no_fork(service: TraceService, trace_id: str,
                  returned: list[tuple[str, int, int]]) -> None:
    entries = service.store.entries(TENANT, [trace_id])[trace_id]
    seqs = [e.seq for e in entries]
    assert seqs == list(range(len(entries))), "a seq is duplicated or missing"
    steps = [e for e in entries if e.kind == "step"]
    assert [e.record["step_index"] for e in steps] == list(range(len(steps)))
    stored = {e.record["step_id"]: (e.seq, e.record["step_index"]) for e in steps}
    assert len(returned) == len(stored), "stored steps differ from acknowledged appends"
    for step_id, seq, index in returned:
        assert stored[step_id] == (seq, index)
    assert len({seq for _, seq, _ in returned}) == len(returned)
    v = service.verify_trace(TENANT, trace_id)
    assert v.valid and v.entries_checked == len(entries), v


class Verifier(threading.Thread):
    """Verifies the trace over and over while the writers run; every result must be valid."""

    def __init__(self, service: TraceService, trace_id: str) -> None:
        super().__init__(daemon=True)
        self.service, self.trace_id = service, trace_id
        self.stop = threading.Event()
        self.results: list[Any] = []

    def run(self) -> None:
        while not self.stop.is_set():
            self.results.append(self.service.verify_trace(TENANT, self.trace_id))


def test_threads_on_one_trace(data_dir: Path) -> None:
    store = EmbeddedStore(data_dir)
    service = TraceService(store)
    t = service.start_trace(TENANT, StartTraceInput(goal="threads"))
    barrier = threading.Barrier(THREADS)
    returned: list[tuple[str, int, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def write(w: int) -> None:
        barrier.wait()
        for b in range(BATCHES):
            try:
                steps = service.record_steps(TENANT, t.trace_id, [
                    step(i, f"w{w}b{b}") for i in range(1 + (w + b) % 5)])
                if b == 2:
                    service.record_api_call(TENANT, t.trace_id, ApiCallInput(
                        step_id=steps[0].step_id, cost_usd=0.01))
            except BaseException as exc:
                errors.append(exc)
                continue
            with lock:
                returned.extend((s.step_id, s.seq, s.step_index) for s in steps)

    verifier = Verifier(service, t.trace_id)
    verifier.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    verifier.stop.set()
    verifier.join()
    assert errors == []
    assert len(returned) == sum(1 + (w + b) % 5 for w in range(THREADS) for b in range(BATCHES))
    check_no_fork(service, t.trace_id, returned)
    assert len(service.api_calls(TENANT, [t.trace_id])[t.trace_id]) == THREADS
    assert verifier.results and all(v.valid for v in verifier.results), [
        v for v in verifier.results if not v.valid][:1]
    store.close()


@pytest.mark.slow
def test_processes_and_threads_on_one_trace(data_dir: Path) -> None:
    """16 spawned processes and 16 threads of this one, all released at the same moment."""
    store = EmbeddedStore(data_dir)
    service = TraceService(store)
    t = service.start_trace(TENANT, StartTraceInput(goal="processes"))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + THREADS)
    results = ctx.Queue()
    procs = [ctx.Process(target=append_steps,
                         args=(str(data_dir), t.trace_id, w, BATCHES, barrier, results))
             for w in range(PROCESSES)]
    for p in procs:
        p.start()
    threads = [threading.Thread(target=append_steps, args=(
        str(data_dir), t.trace_id, PROCESSES + w, BATCHES, barrier, results))
        for w in range(THREADS)]
    verifier = Verifier(service, t.trace_id)
    verifier.start()
    for th in threads:
        th.start()
    reports = [results.get(timeout=300) for _ in range(PROCESSES + THREADS)]
    for th in threads:
        th.join()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    verifier.stop.set()
    verifier.join()

    returned = [r for _, got, _ in reports for r in got]
    assert [e for _, _, errs in reports for e in errs] == []
    assert sorted(w for w, _, _ in reports) == list(range(PROCESSES + THREADS))
    expected = sum(1 + (w + b) % 5 for w in range(PROCESSES + THREADS) for b in range(BATCHES))
    assert len(returned) == expected
    check_no_fork(service, t.trace_id, returned)
    assert all(v.valid for v in verifier.results)
    store.close()


def test_completion_racing_with_appends(data_dir: Path) -> None:
    """Appends racing a completion either land before it or fail with TraceClosed."""
    store = EmbeddedStore(data_dir)
    service = TraceService(store)
    t = service.start_trace(TENANT, StartTraceInput(goal="race"))
    barrier = threading.Barrier(THREADS + 1)
    returned: list[tuple[str, int, int]] = []
    closed: list[int] = []
    lock = threading.Lock()

    def write(w: int) -> None:
        barrier.wait()
        for b in range(BATCHES * 3):
            try:
                steps = service.record_steps(TENANT, t.trace_id, [step(0, f"w{w}b{b}")])
            except TraceClosed:
                with lock:
                    closed.append(w)
                return
            with lock:
                returned.extend((s.step_id, s.seq, s.step_index) for s in steps)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(THREADS)]
    for th in threads:
        th.start()
    barrier.wait()
    while len(returned) < 3 * THREADS:  # complete while the writers are in full flight
        time.sleep(0.001)
    conflicts = 0
    while True:  # what a client does with ChainConflict (HTTP 409): retry
        try:
            done = service.complete_trace(TENANT, t.trace_id,
                                          CompleteTraceInput(outcome="partial"))
            break
        except ChainConflict:
            conflicts += 1
            assert conflicts < 100
    for th in threads:
        th.join()
    entries = service.store.entries(TENANT, [t.trace_id])[t.trace_id]
    assert entries[-1].kind == "trace_completed"
    assert entries[-1].seq == done.entry_count - 1 == len(entries) - 1
    assert all(seq < entries[-1].seq for _, seq, _ in returned)
    check_no_fork(service, t.trace_id, returned)
    # the completion's rollup counts exactly the steps stored before it
    assert done.totals is not None and done.totals.step_count == len(returned)
    assert done.path_taken == [e.record["step_type"] for e in entries if e.kind == "step"]
    assert done.totals.input_tokens == sum(
        e.record.get("input_tokens", 0) for e in entries if e.kind == "step")
    store.close()


def test_conditional_append(data_dir: Path) -> None:
    """``expected_seq`` appends only at that seq: the building block of exact completions."""
    store = EmbeddedStore(data_dir)
    service = TraceService(store)
    t = service.start_trace(TENANT, StartTraceInput(goal="cas"))
    item = [("step", {"step_id": "s-cas", "step_type": "Action",
                      "created_at": "2025-01-01T00:00:00.000000Z"})]
    with pytest.raises(ChainConflict, match="next seq is 1, not 0"):
        store.append(TENANT, t.trace_id, item, expected_seq=0)
    assert len(store.entries(TENANT, [t.trace_id])[t.trace_id]) == 1
    (e,) = store.append(TENANT, t.trace_id, item, expected_seq=1)
    assert (e.seq, e.record["step_index"]) == (1, 0)
    service.complete_trace(TENANT, t.trace_id, CompleteTraceInput(outcome="success"))
    with pytest.raises(TraceClosed):
        store.append(TENANT, t.trace_id, item, expected_seq=3)
    store.close()
