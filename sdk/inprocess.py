"""The in-process transport: lines go straight to a :class:`TraceService` in this process.

No server and no serialisation: each line is one service call (``record_steps`` for a run of
steps, ``record_api_calls`` for a run of calls), the same calls and checks the GraphQL and
bulk HTTP adapters make. The SDK is an adapter: it opens the store through the service
layer and lists with the service's own query type.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from tracegraph.api.service import SessionReplay, TracePage, TraceService, open_service
from tracegraph.api.service import TraceQuery as ServiceTraceQuery
from tracegraph.schema.errors import TraceGraphError
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.views import ChainVerification, StepView, TraceView

from .ops import Line
from .transport import TRANSIENT_CODES, Rejected, TraceQuery, Unavailable

LOCAL_TENANT = "default"
T = TypeVar("T")


def open_embedded_service(data_dir: str | Path) -> TraceService:
    """A service over the embedded store in ``data_dir`` (the service layer opens it)."""
    return open_service("embedded", data_dir=Path(data_dir))


def trace_filter(query: TraceQuery) -> ServiceTraceQuery:
    """The service's listing filter for the SDK's ``query``."""
    return ServiceTraceQuery(session_id=query.session_id, agent_id=query.agent_id,
                             status=query.status, outcome=query.outcome,
                             model_id=query.model_id, parent_trace_id=query.parent_trace_id)


class InProcessTransport:
    """Stores lines through ``service`` for one tenant; closes the store when it opened it."""

    def __init__(self, service: TraceService, tenant_id: str = LOCAL_TENANT, *,
                 owns_store: bool = False) -> None:
        self.service = service
        self.tenant_id: str | None = tenant_id
        self._tenant = tenant_id
        self._owns_store = owns_store

    def send(self, lines: Sequence[Line]) -> list[Any]:
        results: list[Any] = []
        for i, line in enumerate(lines):
            try:
                results.append(self._run(line))
            except TraceGraphError as exc:
                if exc.code in TRANSIENT_CODES:
                    raise Unavailable(f"{exc.code}: {exc}", stored=i, results=results) from exc
                raise Rejected(str(exc), code=exc.code, stored=i, failed=i,
                               results=results) from exc
            except Exception as exc:  # the store failed (disk, lock) or a bug: a few retries
                raise Unavailable(f"{type(exc).__name__}: {exc}", stored=i,
                                  results=results, answered=True) from exc
        return results

    def _run(self, line: Line) -> Any:
        s, t = self.service, self._tenant
        payloads = [o.payload for o in line.ops]
        if line.op == "record_steps":
            return s.record_steps(t, line.trace_id, _typed(payloads, StepInput))
        if line.op == "record_api_calls":
            return s.record_api_calls(t, line.trace_id, _typed(payloads, ApiCallInput))
        (one,) = payloads
        if isinstance(one, StartTraceInput):
            return s.start_trace(t, one)
        if isinstance(one, HumanInputInput):
            return s.record_human_input(t, line.trace_id, one)
        assert isinstance(one, CompleteTraceInput)
        return s.complete_trace(t, line.trace_id, one)

    # -- reads ----------------------------------------------------------------------------
    def get_trace(self, trace_id: str) -> TraceView | None:
        return self.service.get_trace(self._tenant, trace_id)

    def list_traces(self, query: TraceQuery, first: int, after: str | None) -> TracePage:
        return self.service.list_traces(self._tenant, trace_filter(query), first=first,
                                        after=after)

    def session(self, session_id: str) -> SessionReplay | None:
        return self.service.replay_session(self._tenant, session_id)

    def get_step(self, trace_id: str, step_id: str) -> StepView | None:
        steps = self.service.steps(self._tenant, [trace_id]).get(trace_id, [])
        return next((s for s in steps if s.step_id == step_id), None)

    def verify_trace(self, trace_id: str) -> ChainVerification:
        return self.service.verify_trace(self._tenant, trace_id)

    def verify_session(self, session_id: str) -> ChainVerification:
        return self.service.verify_session(self._tenant, session_id)

    def close(self) -> None:
        if self._owns_store:
            self.service.store.close()


def _typed(payloads: list[Any], kind: type[T]) -> list[T]:
    assert all(isinstance(p, kind) for p in payloads)
    return payloads
