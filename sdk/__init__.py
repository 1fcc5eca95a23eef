"""The tracegraph Python SDK: record agent traces in process or over HTTP, in the background.

>>> import tempfile
>>> import tracegraph.sdk as tg
>>> client = tg.configure(tg.Client.local(tempfile.mkdtemp()))
>>> @tg.traced
... def plan(city: str) -> str:
...     tg.current_trace().step("Decision", f"Fly to {city}")
...     return city
>>> with tg.trace(goal="Book a trip", agent_id="travel") as t:
...     plan("Rome")
'Rome'
>>> client.flush()
True
>>> [c.goal for c in client.list_traces(parent_trace_id=t.trace_id)]
['plan']
>>> client.close()
True

See docs/sdk.md for the whole reference: transports, nesting across threads and tasks,
batching and what happens when the server is down, and the seeds' helpers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, Unpack, overload

from tracegraph.api.service import SessionReplay

from .aio import AsyncActiveTrace, AsyncClient
from .batcher import Dropped, SdkStats
from .client import ActiveTrace, ApiCallFields, Client, StepFields, TraceFields, traced_function
from .context import configure, current_trace, default_client, in_context
from .ledger import Ledger
from .thinking import ThinkingStep, ThinkingTraces, TokenUsage

P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger("tracegraph.sdk")

__all__ = [
    "ActiveTrace", "ApiCallFields", "AsyncActiveTrace", "AsyncClient", "Client", "Dropped",
    "Ledger", "SdkStats", "SessionReplay", "StepFields", "ThinkingStep", "ThinkingTraces",
    "TokenUsage", "TraceFields", "configure", "current_trace", "in_context", "trace", "traced",
]


def trace(goal: str | None = None, *, trace_id: str | None = None,
          **fields: Unpack[TraceFields]) -> ActiveTrace:
    """Start a trace with the current trace's client (nested under it), else with the
    configured default client (:func:`configure`)."""
    client = default_client()
    if client is None:
        raise RuntimeError("no tracegraph client: call tracegraph.sdk.configure(Client.local("
                           "...)) or Client.http(...) first, or use client.trace(...)")
    return client.trace(goal, trace_id=trace_id, **fields)


_warned: list[bool] = []


def _client_or_warn() -> Client | None:
    client = default_client()
    if client is None and not _warned:
        _warned.append(True)
        log.warning("tracegraph sdk: @traced function called with no client configured; "
                    "running it untraced")
    return client


@overload
def traced(fn: Callable[P, R], /) -> Callable[P, R]: ...


@overload
def traced(fn: None = None, /, *, goal: str | None = None, agent_id: str | None = None,
           capture_result: bool = False) -> Callable[[Callable[P, R]], Callable[P, R]]: ...


def traced(fn: Callable[P, R] | None = None, /, *, goal: str | None = None,
           agent_id: str | None = None, capture_result: bool = False) -> Any:
    """Decorator: each call runs in a trace of the caller's client (the current trace's,
    else the configured default; untraced when there is none), nested under the current
    trace. Works on sync and async functions."""
    def decorate(f: Callable[P, R]) -> Callable[P, R]:
        return traced_function(f, _client_or_warn, goal=goal, agent_id=agent_id,
                               capture_result=capture_result)

    return decorate if fn is None else decorate(fn)
