"""Writer processes for the durability and concurrency tests (run in child processes).

``python -m tests.graph.workers ingest DATA_DIR ROUND`` ingests through TraceService until it
is killed, printing one line per acknowledged entry, after the call that stored it returned:
``ack <trace_id> <seq> <kind> <id>``. :func:`append_steps` is a multiprocessing target.
"""

from __future__ import annotations

import random
import sys
from typing import Any

from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import TraceClosed
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

TENANT = "acme"


def step(i: int, tag: str) -> StepInput:
    return StepInput(step_type=random.choice(["Reasoning", "ToolCall", "Decision", "CUSTOM_T"]),
                     content=f"{tag} step {i} " + "x" * random.randrange(0, 300),
                     input_data={"i": i, "tag": tag, "f": random.random()},
                     confidence=random.random(), input_tokens=random.randrange(1000))


def ingest(data_dir: str, round_no: int) -> None:
    """Ingest forever: new traces, batches of steps, API calls, human inputs, completions."""
    service = TraceService(EmbeddedStore(data_dir))
    out = sys.stdout

    def ack(trace_id: str, seq: int, kind: str, ident: str) -> None:
        out.write(f"ack {trace_id} {seq} {kind} {ident}\n")
        out.flush()

    n = 0
    while True:
        t = service.start_trace(TENANT, StartTraceInput(session_id=f"round-{round_no}",
                                                        goal=f"trace {n}"))
        ack(t.trace_id, 0, "trace_started", t.trace_id)
        for b in range(random.randrange(1, 8)):
            steps = service.record_steps(TENANT, t.trace_id, [
                step(i, f"r{round_no}t{n}b{b}") for i in range(random.randrange(1, 40))])
            for s in steps:
                ack(t.trace_id, s.seq, "step", s.step_id)
            if b % 3 == 1:
                c = service.record_api_call(TENANT, t.trace_id, ApiCallInput(
                    step_id=steps[0].step_id, cost_usd=0.001, latency_ms=3.5))
                ack(t.trace_id, c.seq, "api_call", c.call_id)
            if b % 4 == 2:
                h = service.record_human_input(TENANT, t.trace_id, HumanInputInput(
                    question="ok?", answer="yes"))
                ack(t.trace_id, h.seq, "human_input", h.input_id)
        if n % 2 == 0:
            done = service.complete_trace(TENANT, t.trace_id,
                                          CompleteTraceInput(outcome="success"))
            ack(t.trace_id, done.entry_count - 1, "trace_completed", t.trace_id)
        n += 1


def append_steps(data_dir: str, trace_id: str, worker: int, batches: int, barrier: Any,
                 results: Any) -> None:
    """Append ``batches`` batches to one trace from this process; report what each returned."""
    store = EmbeddedStore(data_dir)
    service = TraceService(store)
    got: list[tuple[str, int, int]] = []
    errors: list[str] = []
    barrier.wait()
    for b in range(batches):
        try:
            steps = service.record_steps(TENANT, trace_id, [
                step(i, f"p{worker}b{b}") for i in range(1 + (worker + b) % 5)])
            got.extend((s.step_id, s.seq, s.step_index) for s in steps)
        except TraceClosed:
            break
        except Exception as exc:  # reported to the test, which fails on it
            errors.append(repr(exc))
    store.close()
    results.put((worker, got, errors))


if __name__ == "__main__":
    if sys.argv[1] == "ingest":
        ingest(sys.argv[2], int(sys.argv[3]))
