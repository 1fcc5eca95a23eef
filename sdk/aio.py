"""The asyncio client: the same queue and worker as :class:`~.client.Client`, awaitable.

Writes are coroutines that validate and queue (waiting for room with ``asyncio.sleep`` when
the queue is full, never blocking the event loop); :meth:`AsyncClient.flush`, ``close`` and
the reads run the blocking parts in a worker thread (``asyncio.to_thread``).

>>> import asyncio, tempfile
>>> async def main() -> list[str]:
...     async with AsyncClient.local(tempfile.mkdtemp()) as tg:
...         async with tg.trace(goal="Say hello") as t:
...             await t.step("FinalAnswer", "hello")
...         await tg.flush()
...         return [s.content for s in (await tg.session(t.session_id)).steps]
>>> asyncio.run(main())
['hello']
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Unpack

from tracegraph.api.service import SessionReplay, TraceService
from tracegraph.schema.views import ChainVerification, StepView, TraceView

from .batcher import SdkStats
from .client import (
    ActiveTrace,
    ApiCallFields,
    Client,
    StepFields,
    TraceFields,
    record_id,
)
from .inprocess import LOCAL_TENANT


class AsyncActiveTrace:
    """:class:`~.client.ActiveTrace` with awaitable writes and ``async with``."""

    def __init__(self, inner: ActiveTrace) -> None:
        self.inner = inner

    @property
    def trace_id(self) -> str:
        return self.inner.trace_id

    @property
    def session_id(self) -> str:
        return self.inner.session_id

    @property
    def last_step_id(self) -> str | None:
        return self.inner.last_step_id

    async def step(self, step_type: str, content: str | None = None, *,
                   step_id: str | None = None, **fields: Unpack[StepFields]) -> str:
        op = self.inner.step_op(step_type, content, step_id=step_id, **fields)
        await self.inner.client.batcher.aput(op)
        return record_id(op)

    async def api_call(self, api_type: str = "llm", *, step_id: str | None = None,
                       attach: bool = True, call_id: str | None = None,
                       **fields: Unpack[ApiCallFields]) -> str:
        op = self.inner.api_call_op(api_type, step_id=step_id, attach=attach, call_id=call_id,
                                    **fields)
        await self.inner.client.batcher.aput(op)
        return record_id(op)

    async def human_input(self, question: str, answer: str | None = None, *,
                          answered_by: str | None = None, answered_at: datetime | None = None,
                          step_id: str | None = None, attach: bool = True,
                          input_id: str | None = None) -> str:
        op = self.inner.human_input_op(question, answer, answered_by=answered_by,
                                       answered_at=answered_at, step_id=step_id,
                                       attach=attach, input_id=input_id)
        await self.inner.client.batcher.aput(op)
        return record_id(op)

    async def complete(self, outcome: str = "success", *, final_answer: str | None = None,
                       confidence: float | None = None, error_details: str | None = None,
                       status: str | None = None) -> None:
        op = self.inner.complete_op(outcome, final_answer=final_answer, confidence=confidence,
                                    error_details=error_details, status=status)
        await self.inner.client.batcher.aput(op)

    def trace(self, goal: str | None = None, *, trace_id: str | None = None,
              **fields: Unpack[TraceFields]) -> AsyncActiveTrace:
        """A trace nested under this one."""
        return AsyncActiveTrace(self.inner.trace(goal, trace_id=trace_id, **fields))

    async def __aenter__(self) -> AsyncActiveTrace:
        self.inner.activate()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.inner.deactivate()
        if not self.inner.completed:
            if exc is None:
                await self.complete("success")
            else:
                await self.complete("failure",
                                    error_details=f"{type(exc).__name__}: {exc}"[:4096])


class AsyncClient:
    """Records traces from coroutines; wraps a :class:`~.client.Client` (``.sync``)."""

    def __init__(self, client: Client) -> None:
        self.sync = client

    @classmethod
    def local(cls, data_dir: str | Path | None = None, *, service: TraceService | None = None,
              tenant: str = LOCAL_TENANT, **options: Any) -> AsyncClient:
        return cls(Client.local(data_dir, service=service, tenant=tenant, **options))

    @classmethod
    def http(cls, url: str, *, api_key: str | None = None, tenant: str | None = None,
             timeout: float = 10.0, **options: Any) -> AsyncClient:
        return cls(Client.http(url, api_key=api_key, tenant=tenant, timeout=timeout, **options))

    def trace(self, goal: str | None = None, *, trace_id: str | None = None,
              parent: ActiveTrace | AsyncActiveTrace | str | None = None, nest: bool = True,
              **fields: Unpack[TraceFields]) -> AsyncActiveTrace:
        """Start a trace (see :meth:`Client.trace`); ``async with`` makes it current in this
        task (and the tasks it creates) and completes it on exit."""
        inner_parent = parent.inner if isinstance(parent, AsyncActiveTrace) else parent
        return AsyncActiveTrace(self.sync.trace(goal, trace_id=trace_id, parent=inner_parent,
                                                nest=nest, **fields))

    def attach(self, trace_id: str, session_id: str | None = None) -> AsyncActiveTrace:
        return AsyncActiveTrace(self.sync.attach(trace_id, session_id))

    def traced(self, fn: Any = None, /, *, goal: str | None = None, agent_id: str | None = None,
               capture_result: bool = False) -> Any:
        """Decorator, as :meth:`Client.traced`."""
        return self.sync.traced(fn, goal=goal, agent_id=agent_id,
                                capture_result=capture_result)

    async def flush(self, timeout: float | None = None) -> bool:
        return await asyncio.to_thread(self.sync.flush, timeout)

    async def close(self, timeout: float | None = None) -> bool:
        return await asyncio.to_thread(self.sync.close, timeout)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def stats(self) -> SdkStats:
        return self.sync.stats

    async def get_trace(self, trace_id: str) -> TraceView | None:
        return await asyncio.to_thread(self.sync.get_trace, trace_id)

    async def list_traces(self, **filters: Any) -> list[TraceView]:
        """As :meth:`Client.list_traces`."""
        return await asyncio.to_thread(lambda: self.sync.list_traces(**filters))

    async def session(self, session_id: str) -> SessionReplay:
        return await asyncio.to_thread(self.sync.session, session_id)

    async def get_step(self, trace_id: str, step_id: str) -> StepView | None:
        return await asyncio.to_thread(self.sync.get_step, trace_id, step_id)

    async def verify_trace(self, trace_id: str) -> ChainVerification:
        return await asyncio.to_thread(self.sync.verify_trace, trace_id)

    async def verify_session(self, session_id: str) -> ChainVerification:
        return await asyncio.to_thread(self.sync.verify_session, session_id)
