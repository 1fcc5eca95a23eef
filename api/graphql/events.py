"""Wake-ups for live subscriptions: appends made through this process's GraphQL mutations
wake the subscribers of that trace (and of its tenant's sessions) at once; a short poll
catches appends made anywhere else (other interfaces, other processes)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress

#: Longest time a subscriber waits before looking at the store again.
POLL_SECONDS = 0.2
ANY_TRACE = "*"


class EventHub:
    """Per-process registry of subscribers waiting for appends, keyed by (tenant, trace)."""

    def __init__(self, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self._waiters: dict[tuple[str, str], set[asyncio.Event]] = {}

    def notify(self, tenant_id: str, trace_id: str) -> None:
        """Something was appended to ``trace_id``: wake its watchers and the tenant's."""
        for key in ((tenant_id, trace_id), (tenant_id, ANY_TRACE)):
            for event in self._waiters.get(key, ()):
                event.set()

    @contextmanager
    def watch(self, tenant_id: str, trace_id: str = ANY_TRACE) -> Iterator[asyncio.Event]:
        """An event set on every append to ``trace_id`` (any trace of the tenant by default)
        while the ``with`` block runs; registered before the first look at the store, so no
        wake-up is lost between a look and the next wait."""
        event = asyncio.Event()
        key = (tenant_id, trace_id)
        self._waiters.setdefault(key, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]

    async def wait(self, event: asyncio.Event) -> None:
        """Until ``event`` is set or the poll interval passes; then clears it."""
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), self.poll_seconds)
        event.clear()
