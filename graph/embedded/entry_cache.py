"""Decoded chain entries, reused while their stored bytes are the same.

Reading a run means decoding every entry's JSON body, the largest part of a read's CPU.
Entries never change once stored, so the store keeps recently appended and recently read
entries decoded, each with the exact journal row it came from. A read still fetches every
row from SQLite and uses a kept entry only when the row's ``kind``, ``hash`` and ``body``
are byte for byte the row it was decoded from: whatever is on disk is what a read answers,
even if the file was altered behind the store's back.

Kept entries are shared between readers: their records must not be mutated (no code
does; views copy what they keep). The cache is bounded by the bytes of the bodies it
holds, oldest out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from tracegraph.schema.chain import ChainEntry

#: Default bound: bodies of about 12,000 typical steps; their decoded form takes a few times
#: as much memory as the bodies.
DEFAULT_BYTES = 16 * 1024 * 1024

Row = tuple[Any, ...]  # (seq, kind, hash, body), as SELECT_ENTRIES returns it


class DecodedEntries:
    """``(tenant_id, trace_id, seq)`` → the row and its decoded entry, bounded by body bytes."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        # An OrderedDict, not a dict: evicting the oldest of a plain dict (next(iter(d)))
        # scans past every slot freed by earlier evictions, about 10 us per put once full.
        self._kept: OrderedDict[tuple[str, str, int], tuple[str, str, bytes, ChainEntry]] = (
            OrderedDict())
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, tenant_id: str, trace_id: str, row: Row) -> ChainEntry | None:
        """The entry decoded from exactly this row, if it is kept."""
        seq, kind, hash_, body = row
        kept = self._kept.get((tenant_id, trace_id, seq))
        if kept is None or kept[2] != body or kept[1] != hash_ or kept[0] != kind:
            return None
        return kept[3]

    def put(self, tenant_id: str, trace_id: str, row: Row, entry: ChainEntry) -> None:
        """Keep ``entry``, decoded from ``row``; the oldest entries go past the bound."""
        if self.max_bytes <= 0:
            return
        seq, kind, hash_, body = row
        body = bytes(body)
        with self._lock:
            old = self._kept.pop((tenant_id, trace_id, seq), None)
            if old is not None:
                self._bytes -= len(old[2])
            self._kept[(tenant_id, trace_id, seq)] = (kind, hash_, body, entry)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._kept:
                self._bytes -= len(self._kept.popitem(last=False)[1][2])

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._bytes = 0
