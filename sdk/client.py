"""The synchronous client: traces as context managers, steps, API calls, human inputs, reads.

>>> import tempfile
>>> from tracegraph.sdk import Client
>>> with Client.local(tempfile.mkdtemp()) as tg:
...     with tg.trace(goal="Add two numbers", agent_id="calc") as t:
...         first = t.step("Observation", "The user asks for 2 + 2.")
...         answer = t.step("FinalAnswer", "4", depends_on=[first], confidence=1.0)
...     tg.flush()
...     [s.step_type for s in tg.session(t.session_id).steps]
True
['Observation', 'FinalAnswer']

Every write validates its input on the caller's thread (a pydantic error names the field
and the limit), gets the id the SDK chose and is queued; a background worker stores it
(:mod:`.batcher`). Reads flush nothing by themselves: call :meth:`Client.flush` first to
read what was just written.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from contextvars import Token
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypedDict, TypeVar, Unpack, cast, overload

from tracegraph.api.service import SessionReplay, TraceService
from tracegraph.schema.errors import TraceClosed
from tracegraph.schema.ids import new_id
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.views import ChainVerification, StepView, TraceView

from . import context
from .batcher import DEFAULT_BATCH, DEFAULT_QUEUE, Batcher, SdkStats
from .http import HttpTransport
from .inprocess import LOCAL_TENANT, InProcessTransport, open_embedded_service
from .ops import Op
from .transport import TraceQuery, Transport

log = logging.getLogger("tracegraph.sdk")
P = ParamSpec("P")
R = TypeVar("R")
MAX_PAGE = 100


class TraceFields(TypedDict, total=False):
    session_id: str
    agent_id: str
    actor_urn: str
    metadata: dict[str, Any]
    include_reasoning_trace: bool
    created_at: datetime


class StepExtras(TypedDict, total=False):
    """The fields of a step beyond the ledger's (seed 001) own arguments."""

    input_summary: str
    output_summary: str
    alternatives_considered: list[str]
    selected_alternative: str
    duration_ms: float
    input_tokens: int
    output_tokens: int
    thinking_tokens: int
    depends_on: list[str]
    metadata: dict[str, Any]
    created_at: datetime


class StepFields(StepExtras, total=False):
    """Every field of a step but its type, content and id."""

    input_data: Any
    output_data: Any
    confidence: float
    model_id: str


class ApiCallFields(TypedDict, total=False):
    endpoint: str
    method: str
    status_code: int
    latency_ms: float
    request_tokens: int
    response_tokens: int
    cost_usd: float
    error: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def record_id(op: Op) -> str:
    """The id the SDK chose for the step, API call or human input of ``op``."""
    p = op.payload
    record_id = (p.step_id if isinstance(p, StepInput) else
                 p.call_id if isinstance(p, ApiCallInput) else
                 p.input_id if isinstance(p, HumanInputInput) else None)
    assert record_id is not None
    return record_id


class ActiveTrace:
    """A trace being recorded: add steps, API calls, human inputs; complete it.

    Used as a context manager it is the current trace inside the block (traces started there
    nest under it) and is completed on exit: ``success``, or ``failure`` with the exception
    as ``error_details`` when the block raised (unless completed explicitly before).
    """

    def __init__(self, client: Client, trace_id: str, session_id: str) -> None:
        self.client = client
        self.trace_id = trace_id
        self.session_id = session_id
        #: The step API calls and human inputs are attached to by default: the last one added.
        self.last_step_id: str | None = None
        self.completed = False
        self._tokens: list[Token[ActiveTrace | None]] = []

    def __repr__(self) -> str:
        return f"ActiveTrace({self.trace_id!r}, session_id={self.session_id!r})"

    # -- writes (each builds a validated op, then queues it) --------------------------------
    def step(self, step_type: str, content: str | None = None, *, step_id: str | None = None,
             **fields: Unpack[StepFields]) -> str:
        """Queue a step (one of the 12 ledger types or a custom one); returns its id."""
        op = self.step_op(step_type, content, step_id=step_id, **fields)
        self.client.batcher.put(op)
        return record_id(op)

    def step_op(self, step_type: str, content: str | None = None, *,
                step_id: str | None = None, done: Future[Any] | None = None,
                **fields: Unpack[StepFields]) -> Op:
        fields.setdefault("created_at", _now())
        payload = StepInput(step_type=step_type, content=content, step_id=step_id or new_id(),
                            **fields)
        self.last_step_id = payload.step_id
        return Op("step", self.trace_id, payload, done)

    def api_call(self, api_type: str = "llm", *, step_id: str | None = None,
                 attach: bool = True, call_id: str | None = None,
                 **fields: Unpack[ApiCallFields]) -> str:
        """Queue an API call, tied to ``step_id`` (default: the current step unless
        ``attach=False``); returns its id."""
        op = self.api_call_op(api_type, step_id=step_id, attach=attach, call_id=call_id,
                              **fields)
        self.client.batcher.put(op)
        return record_id(op)

    def api_call_op(self, api_type: str = "llm", *, step_id: str | None = None,
                    attach: bool = True, call_id: str | None = None,
                    **fields: Unpack[ApiCallFields]) -> Op:
        fields.setdefault("created_at", _now())
        payload = ApiCallInput(api_type=api_type, call_id=call_id or new_id(),
                               step_id=step_id or (self.last_step_id if attach else None),
                               **fields)
        return Op("api_call", self.trace_id, payload)

    def human_input(self, question: str, answer: str | None = None, *,
                    answered_by: str | None = None, answered_at: datetime | None = None,
                    step_id: str | None = None, attach: bool = True,
                    input_id: str | None = None) -> str:
        """Queue a human-in-the-loop exchange (tied to the current step by default)."""
        op = self.human_input_op(question, answer, answered_by=answered_by,
                                 answered_at=answered_at, step_id=step_id, attach=attach,
                                 input_id=input_id)
        self.client.batcher.put(op)
        return record_id(op)

    def human_input_op(self, question: str, answer: str | None = None, *,
                       answered_by: str | None = None, answered_at: datetime | None = None,
                       step_id: str | None = None, attach: bool = True,
                       input_id: str | None = None) -> Op:
        if answer is not None and answered_at is None:
            answered_at = _now()
        payload = HumanInputInput(
            question=question, answer=answer, answered_by=answered_by,
            answered_at=answered_at, input_id=input_id or new_id(),
            step_id=step_id or (self.last_step_id if attach else None))
        return Op("human_input", self.trace_id, payload)

    def complete(self, outcome: str = "success", *, final_answer: str | None = None,
                 confidence: float | None = None, error_details: str | None = None,
                 status: str | None = None) -> None:
        """Queue the completion (outcome ``success``, ``partial`` or ``failure``)."""
        self.client.batcher.put(self.complete_op(
            outcome, final_answer=final_answer, confidence=confidence,
            error_details=error_details, status=status))

    def complete_op(self, outcome: str = "success", *, final_answer: str | None = None,
                    confidence: float | None = None, error_details: str | None = None,
                    status: str | None = None) -> Op:
        if self.completed:
            raise TraceClosed(f"trace {self.trace_id} is already completed")
        payload = CompleteTraceInput.model_validate({
            "outcome": outcome, "final_answer": final_answer, "confidence": confidence,
            "error_details": error_details, "status": status})
        self.completed = True
        return Op("complete_trace", self.trace_id, payload)

    def trace(self, goal: str | None = None, *, trace_id: str | None = None,
              **fields: Unpack[TraceFields]) -> ActiveTrace:
        """Start a trace nested under this one (spawned by its current step)."""
        return self.client.trace(goal, trace_id=trace_id, parent=self, **fields)

    # -- context --------------------------------------------------------------------------
    def activate(self) -> None:
        """Make this the current trace of the running context (what ``with`` does)."""
        self._tokens.append(context.enter(self))

    def deactivate(self) -> None:
        """Undo the last :meth:`activate` (in the same context)."""
        context.leave(self._tokens.pop())

    def __enter__(self) -> ActiveTrace:
        self.activate()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.deactivate()
        self.finish(exc)

    def finish(self, exc: BaseException | None) -> None:
        """Complete the trace as a ``with`` block ending (normally or with ``exc``) does."""
        if self.completed:
            return
        if exc is None:
            self.complete("success")
        else:
            self.complete("failure", error_details=f"{type(exc).__name__}: {exc}"[:4096])


class Client:
    """Records traces through one transport, in the background (see module doc).

    ``max_queue`` records wait at most in memory; ``block_timeout`` is how long a write waits
    for room when the queue is full while the store keeps up (none while it is down: the
    record is dropped and counted in :attr:`stats`). The client flushes (for up to
    ``close_timeout`` seconds) when closed, when its ``with`` block ends and at interpreter
    exit.
    """

    def __init__(self, transport: Transport, *, max_queue: int = DEFAULT_QUEUE,
                 max_batch: int = DEFAULT_BATCH, block_timeout: float = 5.0,
                 close_timeout: float = 5.0,
                 backoff: tuple[float, float] = (0.05, 2.0)) -> None:
        self.transport = transport
        self.close_timeout = close_timeout
        self.batcher = Batcher(transport, max_queue=max_queue, max_batch=max_batch,
                               block_timeout=block_timeout, backoff=backoff)
        self._closed = False
        atexit.register(self.close)

    @classmethod
    def local(cls, data_dir: str | Path | None = None, *, service: TraceService | None = None,
              tenant: str = LOCAL_TENANT, **options: Any) -> Client:
        """In process: over ``service``, or over the embedded store in ``data_dir`` (opened
        here, closed with the client)."""
        if (service is None) == (data_dir is None):
            raise ValueError("give data_dir (an embedded store folder) or service, not both")
        if service is None:
            assert data_dir is not None
            transport = InProcessTransport(open_embedded_service(data_dir), tenant,
                                           owns_store=True)
        else:
            transport = InProcessTransport(service, tenant)
        return cls(transport, **options)

    @classmethod
    def http(cls, url: str, *, api_key: str | None = None, tenant: str | None = None,
             timeout: float = 10.0, **options: Any) -> Client:
        """Over HTTP to a running ``tracegraph serve`` (bulk ingest for writes, GraphQL for
        reads); ``api_key`` is required unless the server runs in local mode."""
        return cls(HttpTransport(url, api_key=api_key, tenant_id=tenant, timeout=timeout),
                   **options)

    # -- traces ---------------------------------------------------------------------------
    def trace(self, goal: str | None = None, *, trace_id: str | None = None,
              parent: ActiveTrace | str | None = None, nest: bool = True,
              spawned_by_step_id: str | None = None,
              **fields: Unpack[TraceFields]) -> ActiveTrace:
        """Start a trace (queued at once); use it as a context manager to make it current
        and complete it on exit.

        Inside another trace of this client (the current one, or ``parent``) it is nested
        under it: ``parent_trace_id`` is the parent, ``spawned_by_step_id`` the parent's
        current step, and the session is the parent's unless given. ``nest=False`` starts a
        root trace even inside another.
        """
        parent_id: str | None = None
        if isinstance(parent, str):
            parent_id = parent
        else:
            if parent is None and nest:
                current = context.current_trace()
                parent = current if current is not None and current.client is self else None
            if parent is not None:
                parent_id = parent.trace_id
                spawned_by_step_id = spawned_by_step_id or parent.last_step_id
                fields.setdefault("session_id", parent.session_id)
        trace_id = trace_id or new_id()
        fields.setdefault("created_at", _now())
        payload = StartTraceInput(trace_id=trace_id, goal=goal, parent_trace_id=parent_id,
                                  spawned_by_step_id=spawned_by_step_id, **fields)
        # the service makes a trace without a session its own session: say so up front
        active = ActiveTrace(self, trace_id, payload.session_id or trace_id)
        self.batcher.put(Op("start_trace", trace_id, payload))
        return active

    def attach(self, trace_id: str, session_id: str | None = None) -> ActiveTrace:
        """A handle on a trace started earlier (by this process or another): add to it."""
        return ActiveTrace(self, trace_id, session_id or trace_id)

    @overload
    def traced(self, fn: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def traced(self, fn: None = None, /, *, goal: str | None = None,
               agent_id: str | None = None, capture_result: bool = False
               ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...

    def traced(self, fn: Callable[P, R] | None = None, /, *, goal: str | None = None,
               agent_id: str | None = None, capture_result: bool = False) -> Any:
        """Decorator: each call of the function (sync or async) runs in a trace of its own,
        nested under the caller's current trace; ``goal`` defaults to the function's name,
        ``capture_result`` stores ``str(result)`` as the final answer."""
        def decorate(f: Callable[P, R]) -> Callable[P, R]:
            return traced_function(f, lambda: self, goal=goal, agent_id=agent_id,
                                   capture_result=capture_result)

        return decorate if fn is None else decorate(fn)

    # -- delivery -------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything written so far is stored (or dropped); False on timeout."""
        return self.batcher.flush(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Flush (up to ``timeout``, default ``close_timeout``), stop the worker, close the
        transport. Safe to call twice."""
        if self._closed:
            return True
        self._closed = True
        atexit.unregister(self.close)
        done = self.batcher.close(self.close_timeout if timeout is None else timeout)
        self.transport.close()
        return done

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stats(self) -> SdkStats:
        """Counters: enqueued, delivered, dropped (by reason), requests, retries, pending."""
        return self.batcher.stats

    # -- reads ----------------------------------------------------------------------------
    def get_trace(self, trace_id: str) -> TraceView | None:
        return self.transport.get_trace(trace_id)

    def list_traces(self, *, session_id: str | None = None, agent_id: str | None = None,
                    status: str | None = None, outcome: str | None = None,
                    model_id: str | None = None, parent_trace_id: str | None = None,
                    limit: int = 20, offset: int = 0) -> list[TraceView]:
        """Traces newest first, filtered; ``offset`` skips that many (paging by cursor)."""
        query = TraceQuery(session_id, agent_id, status, outcome, model_id, parent_trace_id)
        out: list[TraceView] = []
        after: str | None = None
        skip = offset
        while len(out) < limit:
            page = self.transport.list_traces(query, min(MAX_PAGE, skip + limit - len(out)),
                                              after)
            for view in page.traces:
                if skip:
                    skip -= 1
                else:
                    out.append(view)
            if not page.has_next or page.end_cursor is None:
                break
            after = page.end_cursor
        return out[:limit]

    def session(self, session_id: str) -> SessionReplay:
        """A session replayed (its traces oldest first, their steps in order); empty when
        the session is unknown."""
        return self.transport.session(session_id) or SessionReplay(session_id, [], [])

    def get_step(self, trace_id: str, step_id: str) -> StepView | None:
        return self.transport.get_step(trace_id, step_id)

    def verify_trace(self, trace_id: str) -> ChainVerification:
        return self.transport.verify_trace(trace_id)

    def verify_session(self, session_id: str) -> ChainVerification:
        return self.transport.verify_session(session_id)


def traced_function(fn: Callable[P, R], client_of: Callable[[], Client | None], *,
                    goal: str | None, agent_id: str | None,
                    capture_result: bool) -> Callable[P, R]:
    """``fn`` wrapped so that each call runs in a trace of ``client_of()`` (untraced when it
    gives no client)."""
    name = goal or fn.__qualname__
    extra: TraceFields = {"agent_id": agent_id} if agent_id else {}

    def answer(result: object) -> str | None:
        return str(result)[:4096] if capture_result and result is not None else None

    if inspect.iscoroutinefunction(fn):
        async_fn = cast(Callable[..., Awaitable[Any]], fn)

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            client = client_of()
            if client is None:
                return await async_fn(*args, **kwargs)
            with client.trace(name, **extra) as t:
                result = await async_fn(*args, **kwargs)
                t.complete("success", final_answer=answer(result))
                return result

        return cast(Callable[P, R], run_async)

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        client = client_of()
        if client is None:
            return fn(*args, **kwargs)
        with client.trace(name, **extra) as t:
            result = fn(*args, **kwargs)
            t.complete("success", final_answer=answer(result))
            return result

    return run
