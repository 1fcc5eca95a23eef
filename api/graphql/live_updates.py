"""Wake-ups for live subscriptions, fed by the service's event stream.

Appends made through this process's service (any adapter: GraphQL mutations, bulk ingest,
the CLI) wake the subscribers of that trace (and of its tenant's sessions) at once; a short
poll catches appends made by other processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from tracegraph.api.service import EntriesAppended, EventStream

#: Longest time a subscriber waits before looking at the store again.
POLL_SECONDS = 0.2
ANY_TRACE = "*"


class LiveUpdates:
    """Per-process registry of subscribers waiting for appends, keyed by (tenant, trace).

    Subscribe it to a service's :class:`EventStream` with :meth:`listen_to`; events may be
    published from any thread, so each waiter is woken on its own event loop.
    """

    def __init__(self, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self._waiters: dict[tuple[str, str],
                            dict[asyncio.Event, asyncio.AbstractEventLoop]] = {}

    def listen_to(self, stream: EventStream) -> Callable[[], None]:
        """Wake subscribers on every event of ``stream``; returns the unsubscribe function."""
        return stream.subscribe(self.on_appended)

    def on_appended(self, event: EntriesAppended) -> None:
        self.notify(event.tenant_id, event.trace_id)

    def notify(self, tenant_id: str, trace_id: str) -> None:
        """Something was appended to ``trace_id``: wake its watchers and the tenant's."""
        for key in ((tenant_id, trace_id), (tenant_id, ANY_TRACE)):
            for event, loop in list(self._waiters.get(key, {}).items()):
                with suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(event.set)

    @contextmanager
    def watch(self, tenant_id: str, trace_id: str = ANY_TRACE) -> Iterator[asyncio.Event]:
        """An event set on every append to ``trace_id`` (any trace of the tenant by default)
        while the ``with`` block runs; registered before the first look at the store, so no
        wake-up is lost between a look and the next wait."""
        event = asyncio.Event()
        key = (tenant_id, trace_id)
        self._waiters.setdefault(key, {})[event] = asyncio.get_running_loop()
        try:
            yield event
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.pop(event, None)
                if not waiters:
                    del self._waiters[key]

    async def wait(self, event: asyncio.Event) -> None:
        """Until ``event`` is set or the poll interval passes; then clears it."""
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), self.poll_seconds)
        event.clear()
