"""The trace an agent is in: a context variable, so nesting follows threads and asyncio tasks.

``with client.trace(...)`` makes its trace current until the block ends; a trace started
inside it (in the same thread, or in an asyncio task created inside it, which copies the
context) is nested under it. Threads do not inherit context variables: hand them the
caller's with :func:`in_context` (``pool.submit(in_context(work), arg)``).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from .client import ActiveTrace, Client

P = ParamSpec("P")
R = TypeVar("R")

_current: contextvars.ContextVar[ActiveTrace | None] = contextvars.ContextVar(
    "tracegraph_sdk_trace", default=None)
_default: list[Client] = []


def current_trace() -> ActiveTrace | None:
    """The innermost trace entered with ``with`` in this context, if any."""
    return _current.get()


def enter(trace: ActiveTrace) -> contextvars.Token[ActiveTrace | None]:
    return _current.set(trace)


def leave(token: contextvars.Token[ActiveTrace | None]) -> None:
    _current.reset(token)


def in_context(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` bound to the caller's context: run in another thread, traces it starts nest
    under the caller's current trace.

    >>> import threading
    >>> seen = []
    >>> t = threading.Thread(target=in_context(lambda: seen.append(current_trace())))
    >>> t.start(); t.join(); seen
    [None]
    """
    ctx = contextvars.copy_context()

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # a copy per call: one Context cannot be entered by two threads at once
        return ctx.copy().run(fn, *args, **kwargs)

    return run


def configure(client: Client) -> Client:
    """Make ``client`` the default of :func:`tracegraph.sdk.trace` and
    :func:`tracegraph.sdk.traced` (outside any trace); returns it."""
    _default[:] = [client]
    return client


def default_client() -> Client | None:
    """The client of the current trace, else the configured default."""
    current = _current.get()
    if current is not None:
        return current.client
    return _default[0] if _default else None
