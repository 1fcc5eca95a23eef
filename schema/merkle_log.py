"""A tenant's Merkle log kept in memory: the reference the storage backends implement.

It appends one leaf per chain entry and per tombstone (:mod:`.merkle_leaf`) to a
:class:`~.merkle_tree.MerkleTree`, states signed checkpoints and writes audit bundles. A
backend does the same with its node table and its own order (docs/audit-bundle.md); tests,
the published vectors and the bench build logs with this class.

>>> from tracegraph.schema.chain import GENESIS_PREV_HASH, seal
>>> log = TenantLog("t", "tracegraph")
>>> log.append_entries("s", [seal("t", "tr", 0, GENESIS_PREV_HASH, "trace_started", {})])
[0]
>>> log.checkpoint("2026-01-01T00:00:00.000000Z").size
1
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .bundle import (
    Scope,
    bundle_lines,
    entry_line,
    header_line,
    removed_entry_line,
    tombstone_line,
)
from .chain import ChainEntry
from .checkpoint import Checkpoint, CheckpointKey, CheckpointSigner, log_origin
from .merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf
from .merkle_tree import MemoryNodeStore, MerkleTree, NodeStore


class TenantLog:
    """One tenant's log: its leaves in order, the tree over them, the entries they name."""

    def __init__(self, tenant_id: str, log_name: str, store: NodeStore | None = None) -> None:
        self.tenant_id = tenant_id
        self.origin = log_origin(log_name, tenant_id)
        self.tree = MerkleTree(store if store is not None else MemoryNodeStore())
        self.leaves: list[LogLeaf] = []
        self.entries: dict[int, tuple[str, ChainEntry]] = {}

    def append_entries(self, session_id: str, entries: Sequence[ChainEntry]) -> list[int]:
        """Log sealed entries of one session's trace; returns their leaf indexes."""
        leaves = [EntryLeaf(e.tenant_id, session_id, e.trace_id, e.seq, e.kind, e.hash)
                  for e in entries]
        first = self.tree.append(leaf.hash() for leaf in leaves)
        self.leaves += leaves
        for offset, e in enumerate(entries):
            self.entries[first + offset] = (session_id, e)
        return list(range(first, first + len(entries)))

    def append_tombstone(self, leaf: TombstoneLeaf) -> int:
        """Log a retention tombstone and forget the trace's entries, as retention deletes
        them; returns its leaf index."""
        index = self.tree.append([leaf.hash()])
        self.leaves.append(leaf)
        gone = [i for i, (_, e) in self.entries.items() if e.trace_id == leaf.trace_id]
        for i in gone:
            del self.entries[i]
        return index

    def checkpoint(self, timestamp: str, size: int | None = None) -> Checkpoint:
        """The checkpoint of the log at ``size`` leaves (default: all), unsigned."""
        size = self.tree.size if size is None else size
        return Checkpoint(self.origin, size, self.tree.root(size), timestamp)

    def bundle(self, signer: CheckpointSigner, keys: Sequence[CheckpointKey], scope: Scope,
               scope_id: str | None, created_at: str) -> Iterator[dict[str, Any]]:
        """The lines of an audit bundle of a trace, a session or the whole tenant, with a
        checkpoint of the whole log signed now."""
        note = signer.sign(self.checkpoint(created_at))
        size = self.tree.size

        def wanted(session_id: str, trace_id: str) -> bool:
            return (scope == "tenant" or (scope == "trace" and trace_id == scope_id)
                    or (scope == "session" and session_id == scope_id))

        by_trace: dict[str, list[int]] = {}
        for index, (session_id, e) in self.entries.items():
            if wanted(session_id, e.trace_id):
                by_trace.setdefault(e.trace_id, []).append(index)
        items: list[dict[str, Any]] = []
        for indexes in by_trace.values():
            for index in sorted(indexes, key=lambda i: self.entries[i][1].seq):
                session_id, e = self.entries[index]
                items.append(entry_line(e, session_id, index,
                                        self.tree.inclusion_proof(index, size)))
        for index, leaf in enumerate(self.leaves):
            if not wanted(leaf.session_id, leaf.trace_id):
                continue
            if isinstance(leaf, TombstoneLeaf):
                items.append(tombstone_line(leaf, index, self.tree.inclusion_proof(index, size)))
            elif index not in self.entries:  # removed by retention: its record stays
                items.append(removed_entry_line(leaf, index,
                                                self.tree.inclusion_proof(index, size)))
        header = header_line(self.tenant_id, scope, scope_id, created_at)
        return bundle_lines(header, keys, note, items)
