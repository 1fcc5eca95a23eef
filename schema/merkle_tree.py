"""An append-only RFC 6962 Merkle tree over a node store: compact range, roots and proofs.

Every *perfect* subtree of the tree — ``2**level`` leaves starting at leaf
``index * 2**level`` — is a node ``(level, index)``; its hash never changes once its last
leaf is appended, so a store writes each node once and never updates it. Level 0 holds the
leaf hashes. A tree of ``size`` leaves is then:

* its **compact range**: the perfect subtrees that cover ``[0, size)``, one per set bit of
  ``size`` (at most 64), whose hashes folded from the right are the root. Appending a leaf
  touches only those: O(log n) hashes, and the new nodes it completes are written;
* its **proofs**: every hash of an RFC 6962 ``PATH`` or ``PROOF`` is the hash of a subtree
  ``[begin, end)`` whose start is aligned to its size, i.e. the right fold of at most
  ``log n`` stored nodes. :func:`inclusion_plan` and :func:`consistency_plan` list those
  node ids (pure arithmetic), the store is read once for all of them, and the proof is
  folded from the result. A backend implements :class:`NodeStore` (a table keyed by
  ``(level, index)``, or one node per row) and gets roots and proofs of any earlier size.

>>> store = MemoryNodeStore()
>>> tree = MerkleTree(store)
>>> from tracegraph.schema.merkle import leaf_hash, verify_inclusion
>>> tree.append([leaf_hash(bytes([i])) for i in range(5)])
0
>>> verify_inclusion(3, 5, leaf_hash(b"\\x03"), tree.inclusion_proof(3), tree.root())
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from .merkle import EMPTY_ROOT, HASH_SIZE, fold_right, leaf_hash, node_hash

#: A perfect subtree: ``(level, index)`` covers leaves ``[index << level, (index + 1) << level)``.
NodeId = tuple[int, int]


class MissingNode(LookupError):
    """The node store does not hold a node the tree needs (names the node)."""


class NodeStore(Protocol):
    """Where a tree's perfect-subtree hashes live; each node is written once, never changed."""

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        """The hashes of these nodes, in the same order; :class:`MissingNode` if one is absent."""
        ...

    def put_nodes(self, nodes: Sequence[tuple[NodeId, bytes]]) -> None:
        """Store new nodes (a node already stored with the same hash may be written again)."""
        ...


class MemoryNodeStore:
    """A :class:`NodeStore` in memory: one byte array per level, 32 bytes a node.

    Nodes of a level are written left to right (the tree only grows), so a level is one
    contiguous array: 2 million nodes (a tree of 1M leaves) take 64 MB.
    """

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        levels = self._levels
        out: list[bytes] = []
        for level, index in ids:
            start = index * HASH_SIZE
            if level >= len(levels) or index < 0 or start + HASH_SIZE > len(levels[level]):
                raise MissingNode(f"node (level {level}, index {index}) is not stored")
            out.append(bytes(levels[level][start:start + HASH_SIZE]))
        return out

    def put_nodes(self, nodes: Sequence[tuple[NodeId, bytes]]) -> None:
        for (level, index), value in nodes:
            if len(value) != HASH_SIZE:
                raise ValueError(f"node (level {level}, index {index}): hash is "
                                 f"{len(value)} bytes, not {HASH_SIZE}")
            while len(self._levels) <= level:
                self._levels.append(bytearray())
            row = self._levels[level]
            start = index * HASH_SIZE
            if start == len(row):
                row += value
            elif start < len(row) and row[start:start + HASH_SIZE] == value:
                continue  # the same node written again
            elif start < len(row):
                raise ValueError(f"node (level {level}, index {index}) is stored with "
                                 "another hash; nodes never change")
            else:
                raise ValueError(f"node (level {level}, index {index}) would leave a gap: "
                                 f"level {level} holds {len(row) // HASH_SIZE} nodes")

    def node_count(self) -> int:
        """How many nodes are stored (all levels)."""
        return sum(len(row) for row in self._levels) // HASH_SIZE


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The perfect subtrees covering ``[begin, end)``, left to right, largest first.

    ``begin`` must be a multiple of the largest power of two not above ``end - begin`` (true
    of ``[0, n)`` and of every subtree in an RFC 6962 proof); the right fold of their hashes
    is then the RFC 6962 hash of the range.

    >>> range_nodes(0, 13)
    [(3, 0), (2, 2), (0, 12)]
    """
    size = end - begin
    if size <= 0:
        raise ValueError(f"empty range [{begin}, {end})")
    out: list[NodeId] = []
    pos = begin
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            if pos % (1 << level):
                raise ValueError(f"range [{begin}, {end}) is not aligned for level {level}")
            out.append((level, pos >> level))
            pos += 1 << level
    return out


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``): RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_plan(index: int, size: int) -> list[list[NodeId]]:
    """The nodes of each hash of RFC 6962 ``PATH(index, D[0:size])``, leaf side first.

    Each item is a list of node ids whose right fold is one proof hash.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not below the tree size {size}")
    plan: list[list[NodeId]] = []
    begin, end = 0, size
    while end - begin > 1:  # walk down from the root; the hashes are collected top first
        k = _split(end - begin)
        if index < begin + k:
            plan.append(range_nodes(begin + k, end))
            end = begin + k
        else:
            plan.append(range_nodes(begin, begin + k))
            begin += k
    plan.reverse()
    return plan


def consistency_plan(size1: int, size2: int) -> list[list[NodeId]]:
    """The nodes of each hash of RFC 6962 ``PROOF(size1, D[0:size2])``, in proof order."""
    if not 0 < size1 <= size2:
        raise ValueError(f"a consistency proof needs 0 < size1 <= size2, got {size1}, {size2}")
    plan: list[list[NodeId]] = []
    begin, end, m, whole = 0, size2, size1, True
    while m != end - begin:  # SUBPROOF(m, D[begin:end], whole), collected top first
        k = _split(end - begin)
        if m <= k:
            plan.append(range_nodes(begin + k, end))
            end = begin + k
        else:
            plan.append(range_nodes(begin, begin + k))
            begin, m, whole = begin + k, m - k, False
    if not whole:
        plan.append(range_nodes(begin, end))
    plan.reverse()
    return plan


def multi_plan(indexes: Sequence[int], size: int) -> list[NodeId]:
    """The perfect subtrees holding none of the sorted leaf ``indexes`` whose hashes, with
    those leaves' hashes, give the root of the tree of ``size`` (:func:`root_of_leaves`): one
    proof for many leaves, which shares every node their single proofs would repeat.

    >>> multi_plan([4, 5, 6], 8)
    [(2, 0), (0, 7)]
    """
    out: list[NodeId] = []
    _walk(indexes, 0, size, out, None, None)
    return out


def root_of_leaves(indexes: Sequence[int], leaves: Sequence[bytes], size: int,
                   nodes: Sequence[bytes]) -> bytes:
    """The root of the tree of ``size`` from the hashes of the leaves at the sorted
    ``indexes`` and the hashes of :func:`multi_plan`'s nodes, in its order."""
    at = dict(zip(indexes, leaves, strict=True))
    return _walk(indexes, 0, size, None, at, iter(nodes))


def _walk(indexes: Sequence[int], begin: int, end: int, plan: list[NodeId] | None,
          leaves: dict[int, bytes] | None, nodes: Iterator[bytes] | None) -> bytes:
    """MTH of ``[begin, end)`` (RFC 6962's split): a range holding none of ``indexes`` is
    its perfect subtrees (named in ``plan``, or read from ``nodes``), a leaf is its hash."""
    lo = bisect.bisect_left(indexes, begin)
    if lo == len(indexes) or indexes[lo] >= end:
        ids = range_nodes(begin, end)
        if plan is not None:
            plan.extend(ids)
            return b""
        assert nodes is not None
        return fold_right([next(nodes) for _ in ids])
    if end - begin == 1:
        return b"" if leaves is None else leaves[begin]
    k = _split(end - begin)
    left = _walk(indexes, begin, begin + k, plan, leaves, nodes)
    right = _walk(indexes, begin + k, end, plan, leaves, nodes)
    return b"" if plan is not None else node_hash(left, right)


def fold_plan(plan: Sequence[Sequence[NodeId]], store: NodeStore) -> list[bytes]:
    """The proof hashes of a plan, reading every node it names from the store in one call."""
    ids = [node for item in plan for node in item]
    hashes = iter(store.get_nodes(ids))
    return [fold_right([next(hashes) for _ in item]) for item in plan]


class CompactRange:
    """The right edge of a tree of ``size`` leaves: the hashes of :func:`range_nodes(0, size)`.

    This is all an append needs. :meth:`append` returns the nodes the new leaves complete,
    which the caller stores (in the same transaction as the new size, for a database).
    """

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a compact range of {size} leaves has {size.bit_count()} "
                             f"hashes, got {len(hashes)}")
        self.size = size
        self._hashes = list(hashes)

    @classmethod
    def from_store(cls, store: NodeStore, size: int) -> CompactRange:
        """The compact range of the first ``size`` leaves of a stored tree."""
        return cls(size, store.get_nodes(range_nodes(0, size)) if size else [])

    @property
    def hashes(self) -> list[bytes]:
        return list(self._hashes)

    def node_ids(self) -> list[NodeId]:
        return range_nodes(0, self.size) if self.size else []

    def append(self, leaf_hashes: Iterable[bytes]) -> list[tuple[NodeId, bytes]]:
        """Add leaves (their hashes); returns every node they complete, leaves included."""
        new: list[tuple[NodeId, bytes]] = []
        hashes, size = self._hashes, self.size
        for h in leaf_hashes:
            if len(h) != HASH_SIZE:
                raise ValueError(f"leaf {size}: hash is {len(h)} bytes, not {HASH_SIZE}")
            new.append(((0, size), h))
            hashes.append(h)
            level, index = 0, size
            while index & 1:  # the new leaf closes a perfect subtree at each set low bit
                right = hashes.pop()
                hashes[-1] = node_hash(hashes[-1], right)
                level, index = level + 1, index >> 1
                new.append(((level, index), hashes[-1]))
            size += 1
        self.size = size
        return new

    def root(self) -> bytes:
        """The RFC 6962 root of the first ``size`` leaves."""
        return fold_right(self._hashes) if self._hashes else EMPTY_ROOT


class MerkleTree:
    """An append-only tree of ``size`` leaves whose nodes live in a :class:`NodeStore`."""

    def __init__(self, store: NodeStore, size: int = 0) -> None:
        self.store = store
        self._edge = CompactRange.from_store(store, size)

    @property
    def size(self) -> int:
        return self._edge.size

    def append(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append leaves (their hashes); returns the index of the first. One store write."""
        first = self._edge.size
        self.store.put_nodes(self._edge.append(leaf_hashes))
        return first

    def append_data(self, leaves: Iterable[bytes]) -> int:
        """Append leaves given as leaf data (hashed with :func:`leaf_hash`)."""
        return self.append(map(leaf_hash, leaves))

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree of ``size`` leaves (default: now), from stored nodes."""
        if size is None or size == self.size:
            return self._edge.root()
        self._check_size(size)
        return CompactRange.from_store(self.store, size).root()

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 ``PATH`` of leaf ``index`` in the tree of ``size`` leaves (default: now)."""
        size = self._check_size(size)
        return fold_plan(inclusion_plan(index, size), self.store)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """RFC 6962 ``PROOF`` that the tree of ``size2`` (default: now) extends ``size1``."""
        size2 = self._check_size(size2)
        return fold_plan(consistency_plan(size1, size2), self.store)

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is not between 0 and {self.size}")
        return size
