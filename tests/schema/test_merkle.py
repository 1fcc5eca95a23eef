"""The RFC 6962 tree: published vectors, proofs against a reference, corrupted proofs fail.

The reference here is RFC 6962 section 2.1 written as its recursive definitions (MTH, PATH,
SUBPROOF) over the leaf list; the code under test computes the same from stored nodes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tracegraph.schema.merkle import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    node_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from tracegraph.schema.merkle_tree import (
    CompactRange,
    MemoryNodeStore,
    MerkleTree,
    MissingNode,
    range_nodes,
)

TD = Path(__file__).resolve().parents[1] / "vectors" / "merkle" / "transparency-dev"
INCLUSION = sorted(TD.glob("inclusion/**/*.json"))
CONSISTENCY = sorted(TD.glob("consistency/**/*.json"))
# transparency-dev/merkle testonly.LeafInputs and RootHashes (sizes 0..8)
LEAF_INPUTS = [bytes.fromhex(x) for x in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(x) for x in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]


def b(text: str) -> bytes:
    return base64.b64decode(text)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# -- the reference: RFC 6962 section 2.1, literally --------------------------------------

def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return leaf_hash(d[0])
    k = k_of(len(d))
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = k_of(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], whole: bool) -> list[bytes]:
    if m == len(d):
        return [] if whole else [ref_mth(d)]
    k = k_of(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], whole), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def build(leaves: list[bytes]) -> MerkleTree:
    tree = MerkleTree(MemoryNodeStore())
    tree.append_data(leaves)
    return tree


# -- published vectors --------------------------------------------------------------------

def test_the_transparency_dev_vectors_are_all_there() -> None:
    assert len(INCLUSION) == 98 and len(CONSISTENCY) == 98
    assert sum(load(p)["wantErr"] for p in INCLUSION + CONSISTENCY) > 180


def test_rfc6962_hasher_vectors() -> None:
    # transparency-dev/merkle rfc6962_test.go
    assert EMPTY_ROOT.hex() == ROOTS[0].hex()
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")


@pytest.mark.parametrize("path", INCLUSION, ids=lambda p: str(p.relative_to(TD)))
def test_inclusion_vector(path: Path) -> None:
    v = load(path)
    args = (v["leafIdx"], v["treeSize"], b(v["leafHash"]), [b(p) for p in v["proof"] or []],
            b(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=lambda p: str(p.relative_to(TD)))
def test_consistency_vector(path: Path) -> None:
    v = load(path)
    args = (v["size1"], v["size2"], [b(p) for p in v["proof"] or []], b(v["root1"]),
            b(v["root2"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_roots_of_every_size_match_the_published_ones() -> None:
    tree = build(LEAF_INPUTS)
    assert [tree.root(n) for n in range(9)] == ROOTS
    assert [tree_hash([leaf_hash(x) for x in LEAF_INPUTS[:n]]) for n in range(9)] == ROOTS


@pytest.mark.parametrize("path", [p for p in INCLUSION + CONSISTENCY
                                  if p.name == "happy-path.json"],
                         ids=lambda p: str(p.relative_to(TD)))
def test_generated_proofs_are_the_published_ones(path: Path) -> None:
    v = load(path)
    tree = build(LEAF_INPUTS)
    want = [b(p) for p in v["proof"] or []]
    if "leafIdx" in v:
        assert tree.inclusion_proof(v["leafIdx"], v["treeSize"]) == want
        assert b(v["root"]) == tree.root(v["treeSize"])
    elif v["size1"]:
        assert tree.consistency_proof(v["size1"], v["size2"]) == want


# -- against the reference, for many sizes -----------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=140))
def test_every_proof_of_a_random_tree_is_the_reference_and_verifies(leaves: list[bytes]) -> None:
    tree = build(leaves)
    n = len(leaves)
    roots = [ref_mth(leaves[:m]) for m in range(n + 1)]
    assert tree.root() == roots[n]
    for size in {1, n // 2 or 1, n}:
        assert tree.root(size) == roots[size]
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == ref_path(index, leaves[:size])
            verify_inclusion(index, size, leaf_hash(leaves[index]), proof, roots[size])
    for size1 in range(1, n + 1):
        proof = tree.consistency_proof(size1, n)
        assert proof == ref_subproof(size1, leaves, True)
        verify_consistency(size1, n, proof, roots[size1], roots[n])


def _corruptions(proof: list[bytes]) -> list[list[bytes]]:
    out = [[*proof, proof[0] if proof else EMPTY_ROOT], [EMPTY_ROOT, *proof]]
    for i, p in enumerate(proof):
        out.append([*proof[:i], bytes([p[0] ^ 1]) + p[1:], *proof[i + 1:]])
        out.append(proof[:i] + proof[i + 1:])
    if len(proof) > 1:
        out.append(proof[::-1])
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=300), st.data())
def test_corrupted_inclusion_proofs_fail(n: int, data: st.DataObject) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(n)]
    tree = build(leaves)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof, root, leaf = tree.inclusion_proof(index), tree.root(), leaf_hash(leaves[index])
    for bad in _corruptions(proof):
        if bad != proof:
            with pytest.raises(ProofError):
                verify_inclusion(index, n, leaf, bad, root)
    for wrong_index in {index - 1, index + 1, index ^ 1, n} - {index}:
        if wrong_index >= 0:
            with pytest.raises(ProofError):
                verify_inclusion(wrong_index, n, leaf, proof, root)
    # a size whose path to the root has another length (the same length and the same turns,
    # e.g. leaf 0 of 3 or of 4 leaves, is the same proof: RFC 6962 roots do not hash the size)
    for wrong_size in {n - 1, n + 1, 2 * n} - {index, n}:
        if wrong_size > index and len(ref_path(index, [b""] * wrong_size)) != len(proof):
            with pytest.raises(ProofError):
                verify_inclusion(index, wrong_size, leaf, proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, n, leaf_hash(b"other"), proof, root)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=300), st.data())
def test_corrupted_consistency_proofs_fail(n: int, data: st.DataObject) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(n)]
    tree = build(leaves)
    size1 = data.draw(st.integers(min_value=1, max_value=n - 1))
    proof, root1, root2 = tree.consistency_proof(size1), tree.root(size1), tree.root()
    verify_consistency(size1, n, proof, root1, root2)
    for bad in _corruptions(proof):
        if bad != proof:
            with pytest.raises(ProofError):
                verify_consistency(size1, n, bad, root1, root2)
    for s1, s2 in {(size1 - 1, n), (size1 + 1, n), (size1, n - 1), (size1, n + 1)}:
        if (s1, s2) != (size1, n) and 0 < s1 <= s2 and len(
                ref_subproof(s1, [b""] * s2, True)) != len(proof):
            with pytest.raises(ProofError):
                verify_consistency(s1, s2, proof, root1, root2)
    with pytest.raises(ProofError):
        verify_consistency(size1, n, proof, root2, root1)


# -- the store and the compact range -------------------------------------------------------

def test_range_nodes_are_the_binary_decomposition() -> None:
    assert range_nodes(0, 1) == [(0, 0)]
    assert range_nodes(0, 8) == [(3, 0)]
    assert range_nodes(8, 13) == [(2, 2), (0, 12)]
    with pytest.raises(ValueError, match="not aligned"):
        range_nodes(1, 4)


def test_append_stores_each_node_once_and_the_edge_reloads_from_the_store() -> None:
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    for i in range(37):  # one leaf at a time
        tree.append([leaf_hash(bytes([i]))])
    assert store.node_count() == 2 * 37 - bin(37).count("1")  # every perfect subtree
    again = MerkleTree(store, 37)
    assert again.root() == tree.root() == tree_hash([leaf_hash(bytes([i])) for i in range(37)])
    edge = CompactRange.from_store(store, 37)
    assert edge.node_ids() == [(5, 0), (2, 8), (0, 36)]
    assert edge.hashes == store.get_nodes(edge.node_ids())


def test_appending_in_batches_gives_the_same_tree() -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(100)]
    one, batches = MerkleTree(MemoryNodeStore()), MerkleTree(MemoryNodeStore())
    one.append(leaves)
    for start in range(0, 100, 7):
        assert batches.append(leaves[start:start + 7]) == start
    assert one.root() == batches.root()
    assert one.inclusion_proof(50, 77) == batches.inclusion_proof(50, 77)


def test_memory_store_refuses_changed_nodes_gaps_and_bad_hashes() -> None:
    store = MemoryNodeStore()
    h = leaf_hash(b"x")
    store.put_nodes([((0, 0), h)])
    store.put_nodes([((0, 0), h)])  # the same node again is fine
    with pytest.raises(ValueError, match="nodes never change"):
        store.put_nodes([((0, 0), leaf_hash(b"y"))])
    with pytest.raises(ValueError, match="gap"):
        store.put_nodes([((0, 2), h)])
    with pytest.raises(ValueError, match="32"):
        store.put_nodes([((0, 1), b"short")])
    with pytest.raises(MissingNode, match="level 1, index 0"):
        store.get_nodes([(1, 0)])


def test_sizes_and_indexes_out_of_range_are_refused() -> None:
    tree = build(LEAF_INPUTS)
    with pytest.raises(ValueError, match="tree size 9"):
        tree.root(9)
    with pytest.raises(ValueError, match="leaf index 8"):
        tree.inclusion_proof(8)
    with pytest.raises(ValueError, match="0 < size1"):
        tree.consistency_proof(0, 8)
    with pytest.raises(ValueError, match="hashes"):
        CompactRange(3, [EMPTY_ROOT])


@pytest.mark.parametrize("text", ["plain", "ünï\u2028cødé", "tab\tquote\"back\\slash\x01",
                                  "emoji 🧠"])
def test_entry_leaf_data_is_rfc8785_on_the_fast_path_and_off_it(text: str) -> None:
    from tracegraph.schema.canonical import canonical_json
    from tracegraph.schema.merkle_leaf import LEAF_CONTEXT, EntryLeaf

    for seq in (0, 7, 2**53 - 1):
        leaf = EntryLeaf("t" + text, "s" + text, text, seq, "step", "ab" * 32)
        assert leaf.data() == LEAF_CONTEXT + canonical_json(leaf.record())


def test_entry_leaf_data_refuses_what_rfc8785_refuses() -> None:
    import rfc8785
    from tracegraph.schema.merkle_leaf import EntryLeaf

    with pytest.raises(rfc8785.CanonicalizationError):
        EntryLeaf("t", "s", "lone \ud800 surrogate", 0, "step", "ab" * 32).data()


_ids = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_ids, _ids, _ids, st.integers(0, 2**53 - 1),
                          st.sampled_from(["step", "api_call", "trace_started", "x\"y"]),
                          st.text(max_size=70)), max_size=8), st.booleans())
def test_leaf_hashes_of_a_batch_are_each_leafs_hash(
        rows: list[tuple[str, str, str, int, str, str]], share: bool) -> None:
    from tracegraph.schema.merkle_leaf import EntryLeaf, TombstoneLeaf, leaf_hashes

    leaves: list[EntryLeaf | TombstoneLeaf] = [
        EntryLeaf(t, s if not share else "s", tr if not share else "tr", seq, kind, h)
        for t, s, tr, seq, kind, h in rows]
    leaves.insert(len(leaves) // 2, TombstoneLeaf.sealed("t", "s", "tr", 2, "ab" * 32, "now"))
    assert leaf_hashes(leaves) == [leaf.hash() for leaf in leaves]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.data())
def test_one_multi_leaf_proof_gives_the_root_of_the_reference_tree(
        size: int, data: st.DataObject) -> None:
    from tracegraph.schema.merkle_tree import (
        MemoryNodeStore,
        MerkleTree,
        multi_plan,
        root_of_leaves,
    )

    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    tree = MerkleTree(MemoryNodeStore())
    tree.append(leaves)
    picked = sorted(data.draw(st.sets(st.integers(0, size - 1), min_size=1)))
    plan = multi_plan(picked, size)
    nodes = tree.store.get_nodes(plan)
    assert root_of_leaves(picked, [leaves[i] for i in picked], size, nodes) == tree_hash(leaves)
    changed = [leaves[i] for i in picked]
    changed[-1] = leaf_hash(b"other")
    assert root_of_leaves(picked, changed, size, nodes) != tree_hash(leaves)
