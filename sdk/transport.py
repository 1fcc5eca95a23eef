"""The transport contract: how the SDK stores lines and reads traces, in process or over HTTP.

Reads return the service layer's own results (:class:`TracePage`, :class:`SessionReplay`
and the views of :mod:`tracegraph.schema.views`) on both transports.

Both transports (:mod:`.inprocess`, :mod:`.http`) store a batch of lines in order, each line
atomic, and report how far they got:

- success: every line is stored; the result holds, per line, what the store returned for
  its ops (the stored views in process, nothing over HTTP);
- :class:`Rejected`: the first ``stored`` lines are stored, line ``failed`` was refused for
  good (bad input, unknown or completed trace, ...), the lines after it were not run;
- :class:`Unavailable`: the store could not be reached, or not for long enough; the first
  ``stored`` lines are known to be stored, the others may or may not be (resending them is
  safe: every record carries the id the SDK chose, and the store replays a retried append).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tracegraph.api.service import SessionReplay, TracePage
from tracegraph.schema.views import ChainVerification, StepView, TraceView

from .ops import Line

#: Error codes that mean "try again later", not "this line is wrong".
TRANSIENT_CODES = frozenset({"CHAIN_CONFLICT", "BACKEND_UNAVAILABLE"})


class Unavailable(Exception):
    """The store did not answer (connection refused, timeout, 5xx): retry later.

    ``answered``: it did answer, with an unexpected error (HTTP 500, an exception in
    process) that may be this batch's fault; the batcher retries it a few times only."""

    def __init__(self, message: str, *, stored: int = 0,
                 results: list[Any] | None = None, answered: bool = False) -> None:
        super().__init__(message)
        self.stored = stored
        self.answered = answered
        self.results = results if results is not None else [None] * stored


class Rejected(Exception):
    """Line ``failed`` was refused (``None``: the whole request, e.g. a bad API key)."""

    def __init__(self, message: str, *, code: str, stored: int, failed: int | None,
                 results: list[Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.stored = stored
        self.failed = failed
        self.results = results if results is not None else [None] * stored


@dataclass(frozen=True)
class TraceQuery:
    """Filters of a trace listing (every one optional; all given ones must match)."""

    session_id: str | None = None
    agent_id: str | None = None
    status: str | None = None
    outcome: str | None = None
    model_id: str | None = None
    parent_trace_id: str | None = None


class Transport(Protocol):
    """Where the SDK's records go and where its reads come from."""

    #: The tenant this transport writes for (``None``: the one the server's API key names).
    tenant_id: str | None

    def send(self, lines: Sequence[Line]) -> list[Any]:
        """Store ``lines`` in order; per line, what the store returned (see module doc)."""
        ...

    def get_trace(self, trace_id: str) -> TraceView | None: ...

    def list_traces(self, query: TraceQuery, first: int, after: str | None) -> TracePage:
        """Newest first, ``first`` (1..100) traces after the cursor ``after``."""
        ...

    def session(self, session_id: str) -> SessionReplay | None:
        """The session's traces oldest first, their steps trace by trace in order."""
        ...

    def get_step(self, trace_id: str, step_id: str) -> StepView | None: ...

    def verify_trace(self, trace_id: str) -> ChainVerification: ...

    def verify_session(self, session_id: str) -> ChainVerification: ...

    def close(self) -> None: ...
