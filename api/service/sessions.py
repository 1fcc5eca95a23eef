"""Sessions as the ledger of seed 001 sees them: appending a step by session id alone, and
the sessions of an agent with their step counts, first and last step times and chain
validity. Used by the MCP tools and GraphQL's ``agentSessions``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from tracegraph.schema.enums import TraceStatus
from tracegraph.schema.errors import InvalidInput, LimitExceeded
from tracegraph.schema.inputs import StartTraceInput, StepInput
from tracegraph.schema.views import StepView

from .paging import every_trace_row
from .traces import TraceService
from .views import TraceQuery

MAX_SESSIONS = 100
DEFAULT_SESSIONS = 20


@dataclass(frozen=True, slots=True)
class LoggedStep:
    """Where a step logged by session id landed."""

    trace_id: str
    step: StepView


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One session of an agent (seed 001's ``get_session_history`` row)."""

    session_id: str
    step_count: int
    first_step_at: str | None
    last_step_at: str | None
    chain_valid: bool


@dataclass(frozen=True, slots=True)
class SessionPage:
    sessions: list[SessionSummary]
    cursors: list[str]
    has_next: bool


def log_session_step(service: TraceService, tenant_id: str, session_id: str,
                     step: StepInput, *, agent_id: str | None = None) -> LoggedStep:
    """Append ``step`` to the session's newest active trace (else its newest paused one,
    waiting for human input), starting one (for ``agent_id``) when the session has none:
    ``session_id`` alone starts or continues it.

    Two first steps of a new session logged at the same moment may start a trace each; both
    stay in the session (its replay and verification cover every trace of it)."""
    trace_id = None
    for status in (TraceStatus.ACTIVE, TraceStatus.PAUSED):  # (paused: waiting for a human)
        running = service.list_traces(
            tenant_id, TraceQuery(session_id=session_id, status=status.value), first=1)
        if running.traces:
            trace_id = running.traces[0].trace_id
            break
    if trace_id is None:
        trace_id = service.start_trace(
            tenant_id, StartTraceInput(session_id=session_id, agent_id=agent_id)).trace_id
    (view,) = service.record_steps(tenant_id, trace_id, [step])
    return LoggedStep(trace_id, view)


def step_trace_id(service: TraceService, tenant_id: str, step_id: str) -> str | None:
    """The trace holding step ``step_id`` (None when the tenant has no such step)."""
    ref = service.store.resolve(tenant_id, [step_id]).get(step_id)
    return ref.trace_id if ref is not None and ref.kind == "step" else None


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"session:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "session" and number.isdigit():
            return int(number) + 1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput("after: not a cursor of agentSessions", field="after")


def agent_sessions(service: TraceService, tenant_id: str, agent_id: str, first: int | None = None,
                   after: str | None = None) -> SessionPage:
    """The agent's sessions, the most recently started first: step counts, first and last
    step times, and whether every chain of the session verifies."""
    size = DEFAULT_SESSIONS if first is None else first
    if not 1 <= size <= MAX_SESSIONS:
        raise LimitExceeded(f"first: {size} is outside 1..{MAX_SESSIONS}", field="first")
    start = _offset(after) if after else 0
    order: list[str] = []
    for row in every_trace_row(service.store, tenant_id, TraceQuery(agent_id=agent_id)):
        session = str(row.started.get("session_id", row.trace_id))
        if session not in order:
            order.append(session)
    chosen = order[start:start + size]
    out: list[SessionSummary] = []
    for session_id in chosen:
        traces = service.session_traces(tenant_id, session_id)
        steps = service.steps(tenant_id, [t.trace_id for t in traces])
        times = sorted(s.created_at for ss in steps.values() for s in ss)
        out.append(SessionSummary(
            session_id=session_id, step_count=len(times),
            first_step_at=times[0] if times else None,
            last_step_at=times[-1] if times else None,
            chain_valid=service.verify_session(tenant_id, session_id).valid))
    return SessionPage(out, [_cursor(start + i) for i in range(len(out))],
                       has_next=start + size < len(order))
