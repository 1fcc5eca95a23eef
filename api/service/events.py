"""The service's event stream: every append it makes is published here, in process.

Subscribers (GraphQL subscriptions today; a Kafka sink and the web UI later) register a
listener; the service publishes one :class:`EntriesAppended` after each successful append,
from whatever thread ran the append. A listener must be quick and must not block; one that
raises is logged and the others still run. Appends made by other processes are not seen
here (subscriptions also poll the store for those).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("tracegraph.api.service.events")


@dataclass(frozen=True, slots=True)
class EntriesAppended:
    """Entries were appended to a trace's chain; ``head_hash`` is its new head."""

    tenant_id: str
    trace_id: str
    head_hash: str
    entries: int


Listener = Callable[[EntriesAppended], None]


class EventStream:
    """Publish/subscribe of :class:`EntriesAppended` within one process.

    >>> stream = EventStream()
    >>> seen = []
    >>> stop = stream.subscribe(seen.append)
    >>> stream.publish(EntriesAppended("t", "run-1", "ab12", 3))
    >>> stop()
    >>> stream.publish(EntriesAppended("t", "run-1", "cd34", 1))
    >>> [e.head_hash for e in seen]
    ['ab12']
    """

    def __init__(self) -> None:
        self._listeners: tuple[Listener, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every event from now on; returns the unsubscribe function."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = tuple(x for x in self._listeners if x is not listener)

        return unsubscribe

    def publish(self, event: EntriesAppended) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # one broken subscriber must not fail the append it reports
                log.exception("event listener %r failed", listener)
