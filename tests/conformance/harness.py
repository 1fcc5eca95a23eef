"""What a backend provides to the conformance suite: fresh stores, restarts, raw tampering.

Each backend adds one ``Harness`` subclass in ``tests/conformance/backends/``. Tampering
goes through the database's own query language, behind tracegraph's back.
"""

from __future__ import annotations

import os
import uuid
from abc import ABC, abstractmethod
from typing import Any

import pytest
from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.chain import ChainEntry

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip locally when a backend's server is missing; fail under CI=true."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


class Harness(ABC):
    """One backend under test. Tests are isolated by a fresh tenant id each."""

    name: str

    @staticmethod
    def new_tenant() -> str:
        return f"t{uuid.uuid4().hex[:12]}"

    @abstractmethod
    def open(self) -> GraphStore:
        """A store connected to the backend (the same data every time it is opened)."""

    @abstractmethod
    def restart(self) -> None:
        """Stop and start the server (or reopen the file) with its data kept."""

    @abstractmethod
    def close(self) -> None:
        """Release the stores this harness opened (servers stay up for the next session)."""

    def location(self) -> str:
        """Where another process (a second store, a `tracegraph serve`) finds the backend:
        the embedded data folder, the Neo4j Bolt URI or the Dgraph address."""
        for attribute in ("data_dir", "uri", "addr"):
            if hasattr(self, attribute):
                return str(getattr(self, attribute))
        raise AssertionError(f"{self.name}: no location for a second process")

    # -- tampering through the database itself ----------------------------------------------
    @abstractmethod
    def change_record_field(self, trace_id: str, seq: int, key: str, value: Any) -> None:
        """Overwrite one field of the record of entry ``seq``."""

    @abstractmethod
    def delete_entry(self, trace_id: str, seq: int) -> None:
        """Remove entry ``seq`` (and nothing else)."""

    @abstractmethod
    def insert_entry(self, entry: ChainEntry) -> None:
        """Store a forged entry; ``entry.seq`` may collide with or follow existing ones."""

    @abstractmethod
    def swap_entries(self, trace_id: str, seq_a: int, seq_b: int) -> None:
        """Exchange the positions of two entries (their stored seq)."""

    @abstractmethod
    def renumber_entry(self, trace_id: str, seq: int, new_seq: int) -> None:
        """File entry ``seq`` under ``new_seq`` (its stored position only, not its content)."""

    def reopen(self) -> None:
        """Drop the stores this harness opened (and any cache in them), keeping the server."""
        self.restart()

    # -- tampering with the Merkle log's view of the data (tests/conformance/test_tamper.py) --
    #: Why this backend cannot run the tamper matrix yet (``None``: it can).
    log_tamper_missing: str | None = ("the Merkle log (LogStore) has not landed on this "
                                      "backend yet; its raw tamper operations come with it")

    def rewrite_from(self, trace_id: str, seq: int, key: str, value: Any,
                     *, with_leaves: bool = False) -> None:
        """Change a record field of entry ``seq``, re-seal it and every later entry (links
        and hashes recomputed, as an attacker would) and move the trace's head; with
        ``with_leaves`` also rewrite their log leaves' hashes."""
        raise NotImplementedError

    def cut_tail(self, trace_id: str, keep: int) -> None:
        """Delete entries from ``keep`` on and make the trace row read active again."""
        raise NotImplementedError

    def append_after_completion(self, trace_id: str, record: dict[str, Any]) -> None:
        """Seal a correctly chained step after the trace's last entry and move the head."""
        raise NotImplementedError

    def delete_trace(self, trace_id: str) -> None:
        """Delete a whole trace: its entries, its row, its nodes and edges (not its leaves)."""
        raise NotImplementedError

    def forge_tombstone(self, trace_id: str) -> None:
        """Insert a retention tombstone by hand, then delete the trace's entries and row."""
        raise NotImplementedError

    def set_trace_column(self, trace_id: str, column: str, value: str) -> None:
        """Change a derived column of the trace row (status, session_id, parent_trace_id)."""
        raise NotImplementedError

    def add_edge(self, tenant_id: str, src: str, dst: str, type: str) -> None:
        """Store a graph edge no record holds."""
        raise NotImplementedError

    def delete_edges(self, tenant_id: str, src: str, type: str) -> None:
        """Delete the edges of a type leaving ``src``."""
        raise NotImplementedError

    def refuses_update(self, trace_id: str, seq: int) -> bool | None:
        """True when the database itself refuses to change a sealed entry.

        ``None`` means the database has no mechanism to refuse it (the test says why).
        """
        return None

    def refuses_delete(self, trace_id: str, seq: int) -> bool | None:
        """True when the database itself refuses to delete a sealed entry; ``None`` as above."""
        return None
