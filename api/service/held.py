"""Items an adapter holds until what they wait for is stored (OTLP child spans whose parent
span has not arrived), by tenant and group.

Kept in the store when it can keep them (:class:`~tracegraph.graph.protocol.PendingStore`:
the embedded, Neo4j and Dgraph stores), so they survive a restart of the server and every
server on the same database sees them; otherwise in this process's memory. Bodies are
opaque bytes: the adapter encodes and decodes them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from tracegraph.graph.protocol import PendingStore

from .traces import TraceService

#: Held-items group prefix of the stream sinks' cursors (:mod:`.stream`): rows kept with the
#: held items but waiting for nothing, so not counted as held.
CURSOR_GROUP = "stream-cursor:"


class HeldItems:
    """The held items of one service's store (or of this process, when the store keeps
    none), with a running count of them."""

    def __init__(self, service: TraceService) -> None:
        store = service.store
        self._store = store if isinstance(store, PendingStore) else None
        self._memory: dict[tuple[str, str], dict[str, bytes]] = {}
        self._lock = threading.Lock()
        self._count = (self._store.count_pending(skip_prefix=CURSOR_GROUP)
                       if self._store is not None else 0)

    @property
    def durable(self) -> bool:
        """Whether held items survive a restart (the store keeps them)."""
        return self._store is not None

    def count(self) -> int:
        """How many items are held (those of other processes on the same store counted when
        this one started; what they hold and place since is not)."""
        with self._lock:
            return self._count

    def get(self, tenant_id: str, group: str) -> dict[str, bytes]:
        """The items held in ``group``, by id."""
        if self._store is not None:
            return dict(self._store.pending_items(tenant_id, group))
        with self._lock:
            return dict(self._memory.get((tenant_id, group), {}))

    def update(self, tenant_id: str, group: str, put: Mapping[str, bytes],
               remove: Sequence[str]) -> None:
        """Hold ``put`` (ids not held yet) and stop holding ``remove`` (ids :meth:`get` gave),
        in one store transaction. (A crash before it leaves placed spans held: placing them
        again finds them stored and skips them.)"""
        if self._store is not None:
            self._store.update_pending(tenant_id, group, list(put.items()), list(remove))
        else:
            with self._lock:
                held = self._memory.setdefault((tenant_id, group), {})
                held.update(put)
                for k in remove:
                    held.pop(k, None)
                if not held:
                    del self._memory[(tenant_id, group)]
        with self._lock:  # (other servers place what this one held: never below 0)
            self._count = max(self._count + len(put) - len(remove), 0)
