"""Agent runs as seed 003's REST interface sees them: a trace is an agent run, its steps read
back as iterations (:mod:`tracegraph.schema.iteration`), its nested traces are the runs it
triggered, and runs are listed by status with limit/offset paging.

The run states of seed 003 are the trace statuses under other names: ``running`` is
``active``; ``paused``, ``completed``, ``failed`` and ``cancelled`` are the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracegraph.schema.enums import TraceStatus
from tracegraph.schema.errors import InvalidInput, LimitExceeded, TraceNotFound
from tracegraph.schema.iteration import Iteration, iterations_from_steps
from tracegraph.schema.views import TraceView

from .paging import store_filter
from .traces import TraceService, trace_view
from .views import TraceQuery

#: Seed 003's run state -> the trace status it is.
RUN_STATUSES: dict[str, str] = {
    "running": TraceStatus.ACTIVE.value,
    "paused": TraceStatus.PAUSED.value,
    "completed": TraceStatus.COMPLETED.value,
    "failed": TraceStatus.FAILED.value,
    "cancelled": TraceStatus.CANCELLED.value,
}
_RUN_STATE = {status: state for state, status in RUN_STATUSES.items()}
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
#: Deepest offset a listing pages to (each page reads ``offset + limit`` index rows).
MAX_OFFSET = 10_000


def run_state(status: str) -> str:
    """The seed 003 state of a trace status (``active`` -> ``running``)."""
    return _RUN_STATE.get(status, status)


@dataclass(frozen=True, slots=True)
class TriggeredRun:
    """A run this run started (a trace nested under it)."""

    run_id: str
    state: str


@dataclass(frozen=True, slots=True)
class AgentRun:
    """One agent run: the trace, its iterations and the runs it triggered."""

    trace: TraceView
    state: str
    iterations: list[Iteration]
    triggered: list[TriggeredRun]


@dataclass(frozen=True, slots=True)
class RunPage:
    """A page of runs, newest first; ``has_more`` when older runs follow."""

    runs: list[TraceView]
    states: list[str]
    limit: int
    offset: int
    has_more: bool


def agent_run(service: TraceService, tenant_id: str, run_id: str) -> AgentRun:
    """The run ``run_id`` of the tenant with its iterations and triggered runs;
    ``TraceNotFound`` when the tenant has no such trace."""
    trace = service.get_trace(tenant_id, run_id)
    if trace is None:
        raise TraceNotFound(f"id: no agent run {run_id} (trace) for this tenant")
    steps = service.steps(tenant_id, [run_id]).get(run_id, [])
    child_ids = service.children(tenant_id, [run_id]).get(run_id, [])
    children = service.get_traces(tenant_id, child_ids) if child_ids else {}
    triggered = [TriggeredRun(c, run_state(children[c].status))
                 for c in child_ids if c in children]
    return AgentRun(trace, run_state(trace.status), iterations_from_steps(steps), triggered)


def list_runs(service: TraceService, tenant_id: str, *, state: str | None = None,
              limit: int = DEFAULT_LIMIT, offset: int = 0) -> RunPage:
    """The tenant's runs, newest first, in state ``state`` (any state when ``None``):
    ``limit`` (1..100) runs after the first ``offset`` (0..10000)."""
    if state is not None and state not in RUN_STATUSES:
        raise InvalidInput(f"status: {state[:40]!r} is not one of "
                           f"{', '.join(RUN_STATUSES)}", field="status")
    if not 1 <= limit <= MAX_LIMIT:
        raise LimitExceeded(f"limit: {limit} is outside 1..{MAX_LIMIT}", field="limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise LimitExceeded(f"offset: {offset} is outside 0..{MAX_OFFSET}", field="offset")
    status = RUN_STATUSES[state] if state is not None else None
    flt = store_filter(TraceQuery(status=status))
    rows = service.store.list_traces(tenant_id, flt, offset + limit + 1, None)
    views = [trace_view(r) for r in rows[offset:offset + limit]]
    return RunPage(views, [run_state(v.status) for v in views], limit, offset,
                   has_more=len(rows) > offset + limit)
