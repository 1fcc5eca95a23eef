"""A live server over stored agent runs (embedded store) for the REST tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.enums import Outcome
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput
from tracegraph.schema.iteration import Iteration, steps_from_iterations

from tests.helpers.live import LiveServer

T0 = datetime(2026, 2, 1, 10, 30, tzinfo=UTC)
ITERATIONS = [
    Iteration(iteration=1, timestamp=T0 + timedelta(seconds=1),
              thought="I need to look up the ticket details.", action="lookup_ticket",
              action_input={"ticket_id": "TK-12345"},
              observation={"subject": "Billing Error", "status": "open"}, success=True),
    Iteration(iteration=2, timestamp=T0 + timedelta(seconds=4), thought="Refund it.",
              action="process_refund", action_input={"amount": 49.99},
              observation="refund failed", success=False),
    Iteration(iteration=3, timestamp=T0 + timedelta(seconds=9), thought="Done.",
              action="__complete__"),
]


@dataclass
class StoredRuns:
    done: str
    failed: str
    child: str
    running: str


@dataclass
class Runs(StoredRuns):
    server: LiveServer


def store_runs(service: TraceService, tenant: str) -> StoredRuns:
    """A completed run (iterations, a triggered child run), a failed one and a running one."""
    done = service.start_trace(tenant, StartTraceInput(
        trace_id="run-done", agent_id="support", goal="Process support ticket TK-12345"))
    service.record_steps(tenant, done.trace_id, steps_from_iterations(ITERATIONS))
    child = service.start_trace(tenant, StartTraceInput(trace_id="run-child",
                                                        parent_trace_id=done.trace_id))
    service.complete_trace(tenant, done.trace_id, CompleteTraceInput(
        outcome=Outcome.SUCCESS, final_answer="Refund processed.", confidence=0.95))
    failed = service.start_trace(tenant, StartTraceInput(trace_id="run-failed", goal="x"))
    service.complete_trace(tenant, failed.trace_id, CompleteTraceInput(
        outcome=Outcome.FAILURE, error_details="tool timed out"))
    running = service.start_trace(tenant, StartTraceInput(trace_id="run-running"))
    return StoredRuns(done.trace_id, failed.trace_id, child.trace_id, running.trace_id)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("rest-data")))
    service = TraceService(store)
    stored = store_runs(service, "acme")
    live = LiveServer(service)
    yield Runs(stored.done, stored.failed, stored.child, stored.running, live)
    live.stop()
    store.close()
