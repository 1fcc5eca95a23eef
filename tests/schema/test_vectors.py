"""The published hash-chain vectors in tests/vectors/: canonical forms, hashes and verdicts.

Every file is checked three ways: its ``canonical`` strings re-derive from the entries (with
the reference RFC 8785 implementation, not only ours), ``verify_entries`` returns exactly its
``expected`` verdict, and the file is byte for byte what ``scripts/make_vectors.py`` writes.
When Node.js is installed, the independent JavaScript checker in the same folder runs too.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import rfc8785
from tracegraph.schema.canonical import canonical_json
from tracegraph.schema.chain import GENESIS_PREV_HASH, ChainEntry, verify_entries

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
NAMES = sorted(p.name for p in VECTORS.glob("*.json"))
EXPECTED_NAMES = {
    "valid_chain.json", "valid_single.json", "changed_field.json", "deleted_entry.json",
    "inserted_entry.json", "reordered_entries.json", "wrong_prev_hash.json",
    "wrong_version.json",
}
HASHED_FIELDS = {"version", "tenant_id", "trace_id", "seq", "prev_hash", "kind", "record"}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return data


def make_vectors() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", ROOT / "scripts/make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_kind_of_vector_is_published() -> None:
    assert set(NAMES) == EXPECTED_NAMES


@pytest.mark.parametrize("name", NAMES)
def test_file_shape(name: str) -> None:
    data = load(name)
    assert {"description", "tenant_id", "trace_id", "entries", "expected"} <= set(data)
    assert set(data["expected"]) == {"valid", "first_broken_seq", "reason_prefix"}
    for e in data["entries"]:
        assert set(e) == HASHED_FIELDS | {"hash", "canonical"}
        assert None not in e["record"].values(), "records omit nulls"


@pytest.mark.parametrize("name", NAMES)
def test_canonical_forms_rederive(name: str) -> None:
    for e in load(name)["entries"]:
        obj = {k: e[k] for k in HASHED_FIELDS}
        assert canonical_json(obj).decode("utf-8") == e["canonical"]
        assert rfc8785.dumps(obj).decode("utf-8") == e["canonical"]


@pytest.mark.parametrize("name", ["valid_chain.json", "valid_single.json"])
def test_valid_vectors_hash_their_canonical_text(name: str) -> None:
    data = load(name)
    prev = GENESIS_PREV_HASH
    for seq, e in enumerate(data["entries"]):
        digest = hashlib.sha256(b"\x00" + e["canonical"].encode("utf-8")).hexdigest()
        assert digest == e["hash"]
        assert (e["seq"], e["prev_hash"]) == (seq, prev)
        prev = e["hash"]


@pytest.mark.parametrize("name", NAMES)
def test_verify_entries_gives_exactly_the_expected_verdict(name: str) -> None:
    data = load(name)
    entries = [ChainEntry.from_json(e) for e in data["entries"]]
    result = verify_entries(entries, tenant_id=data["tenant_id"], trace_id=data["trace_id"])
    expected = data["expected"]
    assert result.valid is expected["valid"]
    assert result.first_broken_seq == expected["first_broken_seq"]
    if expected["reason_prefix"] is None:
        assert result.reason is None
        assert result.entries_checked == len(entries)
        assert result.head_hash == entries[-1].hash
    else:
        assert result.reason is not None
        assert result.reason.startswith(expected["reason_prefix"]), result.reason


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES - {"valid_chain.json",
                                                           "valid_single.json"}))
def test_tampered_vectors_differ_from_the_valid_chain_only_where_described(name: str) -> None:
    valid = {e["hash"] for e in load("valid_chain.json")["entries"]}
    data = load(name)
    foreign = [e["seq"] for e in data["entries"] if e["hash"] not in valid]
    if name == "deleted_entry.json" or name == "reordered_entries.json":
        assert foreign == []  # only removed or moved, nothing altered
        assert len({e["hash"] for e in data["entries"]}) == len(data["entries"])
    elif name == "changed_field.json":
        # the hash was kept: detect the change by re-hashing the canonical text
        changed = [e["seq"] for e in data["entries"] if hashlib.sha256(
            b"\x00" + e["canonical"].encode()).hexdigest() != e["hash"]]
        assert changed == [data["expected"]["first_broken_seq"]]
    else:
        assert foreign == [data["expected"]["first_broken_seq"]]


def test_files_are_what_the_script_writes(tmp_path: Path) -> None:
    module = make_vectors()
    for name, data in module.build().items():
        assert module.render(data) == (VECTORS / name).read_text(encoding="utf-8"), (
            f"{name} is stale: run scripts/make_vectors.py")
    # and the script is deterministic from one run to the next
    assert module.main(["make_vectors", str(tmp_path)]) == 0
    for name in EXPECTED_NAMES:
        assert (tmp_path / name).read_bytes() == (VECTORS / name).read_bytes()


@pytest.mark.skipif(shutil.which("node") is None and os.environ.get("CI") != "true",
                    reason="Node.js is not installed (required under CI=true)")
def test_independent_javascript_checker_agrees() -> None:
    script = VECTORS / "check_vectors.mjs"
    done = subprocess.run(["node", str(script), str(VECTORS)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    chain = [line for line in done.stdout.splitlines() if not line[5:].startswith("merkle/")]
    merkle = [line for line in done.stdout.splitlines() if line[5:].startswith("merkle/")]
    assert len(chain) == len(EXPECTED_NAMES) and all(x.startswith("ok ") for x in chain)
    # transparency-dev inclusion and consistency, tree.json, checkpoint.json, every bundle
    bundles = json.loads((VECTORS / "merkle" / "bundles" / "expected.json").read_text())
    assert len(merkle) == 4 + len(bundles) and all(x.startswith("ok ") for x in merkle)


def test_the_python_example_in_the_docs_checks_the_vectors(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "hash-chain.md").read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "check.py"
    script.write_text(code, encoding="utf-8")
    files = [str(VECTORS / name) for name in NAMES]
    done = subprocess.run([sys.executable, str(script), *files], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok ") == len(EXPECTED_NAMES), done.stdout
    assert "FAIL" not in done.stdout
