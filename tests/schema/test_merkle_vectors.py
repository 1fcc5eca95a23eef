"""tests/vectors/merkle: what the script writes, and each tamper found where it was made."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tracegraph.schema.bundle_verify import verify_bundle
from tracegraph.schema.checkpoint import (
    BadSignature,
    CheckpointKey,
    UnknownKey,
    open_checkpoint,
    unb64,
)
from tracegraph.schema.merkle import leaf_hash, tree_hash, verify_consistency, verify_inclusion
from tracegraph.schema.merkle_leaf import LEAF_CONTEXT, leaf_from_record

ROOT = Path(__file__).resolve().parents[2]
MERKLE = ROOT / "tests" / "vectors" / "merkle"
EXPECTED = json.loads((MERKLE / "bundles" / "expected.json").read_text(encoding="utf-8"))


def make() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_merkle_vectors", ROOT / "scripts" / "make_merkle_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((MERKLE / name).read_text(encoding="utf-8"))
    return data


def test_files_are_what_the_script_writes() -> None:
    files = make().build()
    on_disk = {str(p.relative_to(MERKLE)) for p in MERKLE.rglob("*")
               if p.is_file() and "transparency-dev" not in p.parts}
    assert on_disk == set(files)
    for name, data in files.items():
        assert (MERKLE / name).read_bytes() == data, f"{name} is stale: run the script"


def test_tree_vector_leaves_roots_and_proofs() -> None:
    v = load("tree.json")
    hashes = []
    for leaf in v["leaves"]:
        parsed = leaf_from_record(leaf["record"])
        assert parsed.data().decode() == leaf["data"]
        assert leaf["data"].startswith(LEAF_CONTEXT.decode())
        hashes.append(leaf_hash(leaf["data"].encode()))
        assert hashes[-1].hex() == leaf["leaf_hash"]
    roots = [bytes.fromhex(r) for r in v["roots"]]
    assert [tree_hash(hashes[:m]) for m in range(len(hashes) + 1)] == roots
    for x in v["inclusion"]:
        verify_inclusion(x["index"], x["size"], hashes[x["index"]],
                         [bytes.fromhex(p) for p in x["proof"]], roots[x["size"]])
    for x in v["consistency"]:
        verify_consistency(x["size1"], x["size2"], [bytes.fromhex(p) for p in x["proof"]],
                           roots[x["size1"]], roots[x["size2"]])
    kinds = [leaf["record"]["leaf"] for leaf in v["leaves"]]
    assert kinds.count("tombstone") == 1 and kinds[-1] == "tombstone"


def test_checkpoint_vector_verifies_and_its_tampered_copies_do_not() -> None:
    v = load("checkpoint.json")
    key = CheckpointKey(unb64(v["public_key"], "public_key"))
    signed = open_checkpoint(v["note"], [key])
    assert signed.checkpoint.size == len(load("tree.json")["leaves"])
    assert signed.checkpoint.root.hex() == load("tree.json")["roots"][-1]
    assert key.key_id == v["key_id"]
    for case in v["must_fail"]:
        error = BadSignature if case["why"].startswith("bad_signature") else UnknownKey
        with pytest.raises(error):
            open_checkpoint(case["note"], [key])


def test_our_signer_reproduces_go_sumdb_note_byte_for_byte() -> None:
    go = load("checkpoint.json")["go_note"]
    # golang.org/x/mod/sumdb/note's package example, verbatim
    assert go["verifier_key"] == (
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    assert go["note"] == go["text"] + (
        "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
        "gKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bundle_report_is_the_published_one(name: str) -> None:
    report = verify_bundle(MERKLE / "bundles" / name)
    assert report.valid is EXPECTED[name]["valid"]
    assert [{"code": p.code, "trace_id": p.trace_id, "seq": p.seq, "leaf_index": p.leaf_index}
            for p in report.problems] == EXPECTED[name]["problems"]


#: each tamper and the problem it must at least produce: (code, trace, seq)
MUST_FIND = {
    "changed_content.jsonl": ("content_changed", "trace-a", 2),
    "rehashed_chain.jsonl": ("bad_inclusion_proof", "trace-a", 2),
    "deleted_entry.jsonl": ("entry_missing", "trace-b", 1),
    "entry_after_completion.jsonl": ("entry_after_completion", "trace-a", 5),
    "wrong_leaf_index.jsonl": ("bad_inclusion_proof", "trace-b", 0),
    "flipped_proof_bit.jsonl": ("bad_inclusion_proof", "trace-a", 1),
    "forged_tombstone.jsonl": ("bad_tombstone_hash", "trace-c", None),
    "session_moved.jsonl": ("session_mismatch", "trace-b", 2),
    "bad_checkpoint_signature.jsonl": ("bad_checkpoint_signature", None, None),
    "unknown_key.jsonl": ("unknown_key_id", None, None),
    "bad_key_id.jsonl": ("bad_key_id", None, None),
    "tenant_deleted_trace.jsonl": ("missing_leaf", None, None),
    "tenant_cut_tail.jsonl": ("missing_leaf", None, None),
    "tenant_tombstone_deleted.jsonl": ("entry_missing", "trace-c", 0),
}


def test_every_tampered_bundle_is_listed() -> None:
    assert set(MUST_FIND) == set(EXPECTED) - {"valid_session.jsonl", "valid_tenant.jsonl"}


@pytest.mark.parametrize("name", sorted(MUST_FIND))
def test_tamper_is_named_where_it_was_made(name: str) -> None:
    report = verify_bundle(MERKLE / "bundles" / name)
    assert not report.valid
    assert MUST_FIND[name] in {(p.code, p.trace_id, p.seq) for p in report.problems}
    assert "INVALID" in report.text()


def test_valid_bundle_report() -> None:
    report = verify_bundle(MERKLE / "bundles" / "valid_session.jsonl")
    assert report.valid and report.problems == []
    assert report.entries_checked == 5 + 3  # trace-c's three entries were removed
    assert report.tombstones_checked == 1
    assert {t.trace_id: t.completed for t in report.traces} == {"trace-a": True,
                                                                "trace-b": False}
    assert report.checkpoint is not None and report.checkpoint.size == 12
    assert not report.key_trusted


def test_a_tenant_bundle_holds_every_leaf_and_names_the_gaps() -> None:
    report = verify_bundle(MERKLE / "bundles" / "valid_tenant.jsonl")
    assert report.valid and report.checkpoint is not None
    assert report.entries_checked + report.tombstones_checked + 3 == report.checkpoint.size
    cut = verify_bundle(MERKLE / "bundles" / "tenant_cut_tail.jsonl")
    # trace-b is active: its chain alone cannot show the cut, the signed log does
    assert [(p.code, p.leaf_index) for p in cut.problems] == [("missing_leaf", 7)]
    assert "leaf 7 of the signed log is not in the bundle" in cut.problems[0].message
    gone = verify_bundle(MERKLE / "bundles" / "tenant_deleted_trace.jsonl")
    assert "leaves 5-7" in gone.problems[0].message


def test_a_trusted_key_other_than_the_bundles_is_unknown() -> None:
    trusted = CheckpointKey(bytes(32))
    report = verify_bundle(MERKLE / "bundles" / "valid_session.jsonl", trusted_keys=[trusted])
    assert [p.code for p in report.problems] == ["unknown_key_id"]
    key = CheckpointKey(unb64(load("checkpoint.json")["public_key"], "key"))
    report = verify_bundle(MERKLE / "bundles" / "valid_session.jsonl", trusted_keys=[key])
    assert report.valid and report.key_trusted
