"""RFC 6962 Merkle tree hashing and proof verification (RFC 9162 section 2.1 algorithms).

The tree hash of a list of leaves is ``MTH`` of RFC 6962 section 2.1 with SHA-256::

    leaf hash = SHA-256(0x00 || leaf data)
    node hash = SHA-256(0x01 || left || right)
    MTH({})   = SHA-256()                      (the empty string)

Verification follows the algorithms of RFC 9162 sections 2.1.3.2 (inclusion) and 2.1.4.2
(consistency) step by step, with the argument checks of transparency-dev/merkle, whose
published vectors (``tests/vectors/merkle/transparency-dev/``) it passes. Proof *generation*
from stored subtree hashes is :mod:`tracegraph.schema.merkle_tree`; what a leaf of the
tracegraph log holds is :mod:`tracegraph.schema.merkle_leaf`.

>>> root = tree_hash([leaf_hash(b"a"), leaf_hash(b"b")])
>>> verify_inclusion(1, 2, leaf_hash(b"b"), [leaf_hash(b"a")], root)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
#: MTH of the empty tree: the SHA-256 of no bytes.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A Merkle proof does not verify; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf: SHA-256 over ``0x00`` and the leaf data."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node: SHA-256 over ``0x01``, left and right child."""
    return _sha256(NODE_PREFIX + left + right).digest()


def tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """``MTH`` of a tree whose leaves have these hashes, in O(n) time and O(log n) space.

    The reference the stored tree is checked against: leaves are merged pairwise as they
    arrive (a stack of perfect subtrees), then the stack is folded from the right, which is
    exactly RFC 6962's split at the largest power of two below ``n``.
    """
    stack: list[bytes] = []
    for count, h in enumerate(leaf_hashes, start=1):
        stack.append(h)
        done = count
        while done & 1 == 0:  # each trailing zero bit of the count closes one perfect subtree
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            done >>= 1
    return fold_right(stack) if stack else EMPTY_ROOT


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """The hash of perfect subtrees of decreasing size, left to right: ``h0 (h1 (h2 ...))``.

    This is how RFC 6962 hashes any range ``[begin, end)`` that starts on a multiple of the
    largest power of two it contains; the tree's root is the case ``[0, n)``.
    """
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, a SHA-256 hash is {HASH_SIZE}")


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root that an inclusion proof for leaf ``index`` of a tree of ``size`` leads to.

    RFC 9162 section 2.1.3.2, steps 1 to 4; raises :class:`ProofError` when the proof has
    too many or too few hashes for the index and size, or the index is not below the size.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    _check_hash(leaf, "leaf hash")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash(p, "proof hash")
        if sn == 0:
            raise ProofError("proof has more hashes than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof has fewer hashes than the path to the root")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a leaf hash) is leaf ``index`` of the tree of ``size`` with ``root``.

    Returns nothing when it is; raises :class:`ProofError` naming the failed check otherwise.
    """
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root of "
                         f"the tree of size {size}")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree of ``size1``, ``root1``.

    RFC 9162 section 2.1.4.2. As in transparency-dev/merkle, ``size1`` must be at least 1
    (a proof from the empty tree proves nothing), equal sizes need an empty proof and equal
    roots, and otherwise the proof must not be empty. Raises :class:`ProofError`.
    """
    if size2 < size1:
        raise ProofError(f"size2 {size2} is smaller than size1 {size1}")
    if size1 < 1:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if root1 != root2:
            raise ProofError("equal sizes but different roots")
        return
    if not proof:
        raise ProofError("empty proof for different sizes")
    for p in proof:
        _check_hash(p, "proof hash")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof has more hashes than the trees need")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof has fewer hashes than the trees need")
    if fr != root1:
        raise ProofError(f"proof does not lead to the root of the tree of size {size1}")
    if sr != root2:
        raise ProofError(f"proof does not lead to the root of the tree of size {size2}")
