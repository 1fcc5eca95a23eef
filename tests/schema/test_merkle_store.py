"""The contract every Merkle node store keeps, run here on the in-memory store.

A backend's node store (a table keyed by ``(tenant, level, index)``, Neo4j or Dgraph nodes)
subclasses :class:`NodeStoreContract` with its own ``store`` fixture, as Trillian's storage
layers all run one storage test suite.
"""

from __future__ import annotations

import pytest
from tracegraph.schema.merkle import leaf_hash, tree_hash, verify_consistency, verify_inclusion
from tracegraph.schema.merkle_tree import MemoryNodeStore, MerkleTree, MissingNode, NodeStore


class NodeStoreContract:
    """Tests any :class:`NodeStore` must pass; subclasses provide the ``store`` fixture."""

    def test_nodes_read_back_in_the_order_asked(self, store: NodeStore) -> None:
        nodes = [((0, i), leaf_hash(bytes([i]))) for i in range(4)] + [((1, 0), leaf_hash(b"p"))]
        store.put_nodes(nodes)
        ids = [(1, 0), (0, 3), (0, 0), (0, 3)]
        assert store.get_nodes(ids) == [dict(nodes)[i] for i in ids]
        assert store.get_nodes([]) == []

    def test_a_missing_node_is_named(self, store: NodeStore) -> None:
        store.put_nodes([((0, 0), leaf_hash(b"a"))])
        with pytest.raises(MissingNode, match="level 0, index 1"):
            store.get_nodes([(0, 0), (0, 1)])

    def test_nodes_never_change(self, store: NodeStore) -> None:
        store.put_nodes([((0, 0), leaf_hash(b"a"))])
        store.put_nodes([((0, 0), leaf_hash(b"a"))])  # written again by a retried append
        with pytest.raises(ValueError, match="never change"):
            store.put_nodes([((0, 0), leaf_hash(b"b"))])
        assert store.get_nodes([(0, 0)]) == [leaf_hash(b"a")]

    @pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 31, 64, 100])
    def test_a_tree_over_the_store_gives_reference_roots_and_proofs(self, store: NodeStore,
                                                                     n: int) -> None:
        leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(n)]
        tree = MerkleTree(store)
        for start in range(0, n, 5):
            tree.append(leaves[start:start + 5])
        reopened = MerkleTree(store, n)  # a second process reading the same store
        assert reopened.root() == tree.root() == tree_hash(leaves)
        for size in {1, (n + 1) // 2, n}:
            root = tree_hash(leaves[:size])
            assert reopened.root(size) == root
            for index in {0, size // 2, size - 1}:
                verify_inclusion(index, size, leaves[index],
                                 reopened.inclusion_proof(index, size), root)
            verify_consistency(size, n, reopened.consistency_proof(size, n), root,
                               tree_hash(leaves))


class TestMemoryNodeStore(NodeStoreContract):
    @pytest.fixture
    def store(self) -> NodeStore:
        return MemoryNodeStore()
