"""The stream of appended entries, read back from the store for an outbound sink (Kafka).

A sink does not carry entries from the append to the broker itself: an append only wakes it
(:mod:`.events`), and it reads what to publish from the tenant's Merkle log, in leaf order
(the order the store accepted the entries, so every trace's entries in chain order), from a
per-tenant cursor: the first leaf it has not had acknowledged yet. That keeps ingest free of
the broker (an outage costs it nothing) and lets a sink catch up after an outage or a
restart, on any server sharing the database, by reading again from the cursor.

Each leaf is published as its line of the export file (:mod:`tracegraph.schema.transfer`,
docs/export-import.md): an ``entry`` line (every hashed member, its hash, its session), a
``tombstone`` line, or a ``removed_entry`` line for an entry that retention removed before
it was read. Cursors are kept in the store when it keeps held items
(:class:`~tracegraph.graph.protocol.PendingStore`), so they survive restarts and are shared
by every server on the database; otherwise in this process (a restart publishes the
tenant's log again from its start: more duplicates, never a gap).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracegraph.graph.protocol import PendingStore
from tracegraph.schema import transfer
from tracegraph.schema.merkle_leaf import EntryLeaf

from .held import CURSOR_GROUP
from .log_verify import log_store
from .traces import TraceService

#: The item id of a sink's cursor, in its group (:data:`~.held.CURSOR_GROUP` + the topic).
CURSOR_ID = "acknowledged"


@dataclass(frozen=True, slots=True)
class StreamItem:
    """One leaf of a tenant's log as a sink publishes it: ``line`` is its export line."""

    tenant_id: str
    leaf_index: int
    trace_id: str
    line: dict[str, Any]


class EntryStream:
    """Reads a service's tenants' logs for one named sink (a topic), and keeps its cursors."""

    def __init__(self, service: TraceService, name: str) -> None:
        self.service = service
        self.group = CURSOR_GROUP + name
        store = service.store
        self._log = log_store(store)
        self._held = store if isinstance(store, PendingStore) else None
        self._memory: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def durable(self) -> bool:
        """Whether cursors survive a restart (kept in the store)."""
        return self._held is not None

    def tenants(self) -> list[str]:
        """Every tenant with a stored trace."""
        return self.service.store.tenants()

    def size(self, tenant_id: str) -> int:
        """How many leaves the tenant's log holds now."""
        return self._log.log_head(tenant_id).size

    def read(self, tenant_id: str, start: int, stop: int) -> list[StreamItem]:
        """The leaves ``start <= leaf_index < stop`` of the tenant's log as stream items,
        in leaf order, with each entry as stored now."""
        leaves = self._log.log_leaves(tenant_id, start, stop)
        refs = [(s.leaf.trace_id, s.leaf.seq) for s in leaves if isinstance(s.leaf, EntryLeaf)]
        found = self.service.store.entries_at(tenant_id, refs) if refs else {}
        items = []
        for stored in leaves:
            leaf, index = stored.leaf, stored.leaf_index
            if not isinstance(leaf, EntryLeaf):
                line = transfer.tombstone(leaf, index)
            else:
                e = found.get((leaf.trace_id, leaf.seq))
                line = (transfer.removed_entry(leaf, index) if e is None
                        else transfer.entry(e, leaf.session_id, index))
            items.append(StreamItem(tenant_id, index, leaf.trace_id, line))
        return items

    def cursor(self, tenant_id: str) -> int:
        """The tenant's acknowledged cursor: every leaf before it was published."""
        if self._held is not None:
            for item_id, body in self._held.pending_items(tenant_id, self.group):
                if item_id == CURSOR_ID:
                    return int(body)
            return 0
        with self._lock:
            return self._memory.get(tenant_id, 0)

    def save_cursors(self, cursors: Sequence[tuple[str, int]]) -> None:
        """Move cursors forward (a cursor never moves back: another server sharing the
        database may have moved it further)."""
        for tenant_id, position in cursors:
            if self._held is not None:
                if position > self.cursor(tenant_id):
                    self._held.update_pending(tenant_id, self.group,
                                              [(CURSOR_ID, str(position).encode())], [])
                continue
            with self._lock:
                if position > self._memory.get(tenant_id, 0):
                    self._memory[tenant_id] = position
