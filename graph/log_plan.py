"""The tenant Merkle log's share of an append: which leaf rows, tree nodes and head to write.

Pure, like :mod:`.append_plan`: a backend reads the tenant's log head *under its own write
lock* (SQLite's writer lock, a Neo4j property write on the head node, Dgraph's conflict
detection on the head's predicates), calls :func:`plan_log_append` with the leaves of the
records it is about to write, and writes what it returns in the same transaction as the
entries. The leaf index therefore comes from the database, never from a process's memory,
so several servers on one database keep one dense log per tenant.

The head is derived data (verification recomputes the tree from the hashed records and
compares with a signed checkpoint); it only saves an append from reading any tree node.
See docs/dev/merkle-integration.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.merkle import HASH_SIZE
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, leaf_hashes
from tracegraph.schema.merkle_tree import CompactRange, NodeId


@dataclass(frozen=True, slots=True)
class LogHead:
    """A tenant log's size and right edge (the compact-range hashes, ``size.bit_count()``)."""

    size: int = 0
    edge: tuple[bytes, ...] = ()

    def encode_edge(self) -> bytes:
        """The edge as one byte string (32 bytes per hash), for a BLOB / byte-array column."""
        return b"".join(self.edge)

    @classmethod
    def decode(cls, size: int, edge: bytes | None) -> LogHead:
        """The head stored as ``size`` and :meth:`encode_edge` bytes; checks their lengths."""
        raw = edge or b""
        if len(raw) != size.bit_count() * HASH_SIZE:
            raise ValueError(f"log head of size {size}: edge is {len(raw)} bytes, "
                             f"expected {size.bit_count() * HASH_SIZE}")
        return cls(size, tuple(raw[i:i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE)))


@dataclass(frozen=True, slots=True)
class LeafRow:
    """One leaf to store: its index in the tenant log, the record and its leaf hash."""

    leaf_index: int
    leaf: LogLeaf
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class LogAppend:
    """What one append adds to the tenant log: leaf rows, completed tree nodes, new head."""

    leaves: list[LeafRow]
    #: Every node the new leaves complete, level 0 (the leaf hashes) included.
    nodes: list[tuple[NodeId, bytes]]
    head: LogHead


def entry_leaves(session_id: str, entries: Sequence[ChainEntry]) -> list[EntryLeaf]:
    """The log leaves of sealed chain entries of one trace (of session ``session_id``)."""
    return [EntryLeaf(e.tenant_id, session_id, e.trace_id, e.seq, e.kind, e.hash)
            for e in entries]


def plan_log_append(head: LogHead, leaves: Sequence[LogLeaf]) -> LogAppend:
    """The rows that append ``leaves`` to a log whose stored head is ``head``."""
    edge = CompactRange(head.size, head.edge)
    hashes = leaf_hashes(leaves)
    nodes = edge.append(hashes)
    pairs = enumerate(zip(leaves, hashes, strict=True))
    rows = [LeafRow(head.size + i, leaf, h) for i, (leaf, h) in pairs]
    return LogAppend(rows, nodes, LogHead(edge.size, tuple(edge.hashes)))
