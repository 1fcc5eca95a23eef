"""The log share of an append (graph/log_plan.py), checked against the reference tree."""

from __future__ import annotations

import pytest
from tracegraph.graph.log_plan import LogHead, entry_leaves, plan_log_append
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.merkle import tree_hash
from tracegraph.schema.merkle_leaf import EntryLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import CompactRange, MemoryNodeStore, MerkleTree


def _leaf(i: int) -> EntryLeaf:
    return EntryLeaf("t1", "s1", f"tr{i // 5}", i % 5, "step", f"{i:064x}")


@pytest.mark.parametrize("batches", [[1], [3, 4], [1, 1, 1, 1, 1], [7, 9, 16], [64, 1, 30]])
def test_batches_build_the_same_tree_as_one_reference_log(batches: list[int]) -> None:
    head, store, all_leaves = LogHead(), MemoryNodeStore(), []
    for n in batches:
        leaves = [_leaf(len(all_leaves) + i) for i in range(n)]
        plan = plan_log_append(LogHead.decode(head.size, head.encode_edge()), leaves)
        assert [r.leaf_index for r in plan.leaves] == list(range(head.size, head.size + n))
        assert [r.leaf for r in plan.leaves] == leaves
        store.put_nodes(plan.nodes)
        head = plan.head
        all_leaves += leaves
    hashes = [leaf.hash() for leaf in all_leaves]
    assert head.size == len(all_leaves)
    assert CompactRange(head.size, head.edge).root() == tree_hash(hashes)
    reference = MerkleTree(MemoryNodeStore())
    reference.append(hashes)
    tree = MerkleTree(store, head.size)  # the stored nodes answer proofs like the reference
    assert tree.inclusion_proof(0) == reference.inclusion_proof(0)
    assert tree.consistency_proof(1) == reference.consistency_proof(1)


def test_tombstones_are_leaves_too_and_a_bad_stored_edge_is_named() -> None:
    tomb = TombstoneLeaf.sealed("t1", "s1", "tr0", 2, "ab" * 32, "2026-01-01T00:00:00Z")
    plan = plan_log_append(LogHead(), [_leaf(0), tomb])
    assert plan.leaves[1].leaf_hash == tomb.hash() and plan.head.size == 2
    with pytest.raises(ValueError, match="size 3: edge is 32 bytes, expected 64"):
        LogHead.decode(3, b"x" * 32)


def test_entry_leaves_name_the_session_the_backend_gives() -> None:
    e = ChainEntry("t1", "tr1", 4, "00" * 32, "step", {"step_id": "a"}, "11" * 32)
    assert entry_leaves("s9", [e]) == [EntryLeaf("t1", "s9", "tr1", 4, "step", "11" * 32)]
