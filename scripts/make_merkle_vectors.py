#!/usr/bin/env python3
"""Write tracegraph's Merkle log, checkpoint and audit-bundle vectors to tests/vectors/merkle/.

Deterministic (fixed ids, times and a published *test-only* Ed25519 seed); the files in the
repository are exactly what this writes (tests/schema/test_merkle_vectors.py checks it):

* ``tree.json``: the leaves of a small tenant log (entry and tombstone records, leaf data,
  leaf hashes), the root of every size, every inclusion proof and every consistency proof
  of the final tree;
* ``checkpoint.json``: a signed checkpoint of that log, the key that signed it, notes that
  must fail (changed text, another key), and Go's ``sumdb/note`` example note, which our
  signer reproduces byte for byte;
* ``bundles/*.jsonl`` with ``bundles/expected.json``: a valid session bundle and a valid
  tenant bundle, and tampered copies, each with the problems ``verify_bundle`` must report.

    .venv/bin/python scripts/make_merkle_vectors.py [OUT_DIR]
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

from tracegraph.schema.bundle import write_bundle
from tracegraph.schema.bundle_verify import verify_bundle_lines
from tracegraph.schema.chain import GENESIS_PREV_HASH, seal_many
from tracegraph.schema.checkpoint import CheckpointSigner, b64
from tracegraph.schema.merkle_leaf import TombstoneLeaf
from tracegraph.schema.merkle_log import TenantLog

TENANT, LOG_NAME, SESSION = "tenant-vectors", "tracegraph.example", "session-1"
T = "2025-06-01T12:00:{:02d}.000000Z"
#: Test only: a published seed, never a real key.
TEST_SEED = bytes(range(32))
OTHER_SEED = bytes(range(32, 64))
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")


def build_log() -> TenantLog:
    """Three traces: one completed, one active, one removed by retention."""
    log = TenantLog(TENANT, LOG_NAME)
    for n, steps, done in (("trace-a", 3, True), ("trace-b", 2, False), ("trace-c", 1, True)):
        items: list[tuple[str, dict[str, Any]]] = [
            ("trace_started", {"session_id": SESSION, "goal": f"goal of {n}",
                               "created_at": T.format(0)})]
        items += [("step", {"step_id": f"{n}-s{i}", "step_type": "Observation",
                            "step_index": i, "content": f"step {i} of {n} \u00e9\u2603",
                            "created_at": T.format(i + 1)}) for i in range(steps)]
        if done:
            items.append(("trace_completed", {"status": "completed", "outcome": "success",
                                              "completed_at": T.format(9), "totals": {}}))
        entries = seal_many(TENANT, n, 0, GENESIS_PREV_HASH, items)
        # interleave: log the chain in two appends, as concurrent traces are
        log.append_entries(SESSION, entries[:2])
        log.append_entries(SESSION, entries[2:])
    gone = [e for _, e in log.entries.values() if e.trace_id == "trace-c"]
    log.append_tombstone(TombstoneLeaf.sealed(TENANT, SESSION, "trace-c", len(gone),
                                              gone[-1].hash, T.format(30)))
    return log


def tree_vector(log: TenantLog) -> dict[str, Any]:
    n = log.tree.size
    return {
        "description": "a tenant log of three traces and a tombstone (docs/audit-bundle.md)",
        "leaves": [{"record": leaf.record(), "data": leaf.data().decode("utf-8"),
                    "leaf_hash": leaf.hash().hex()} for leaf in log.leaves],
        "roots": [log.tree.root(m).hex() for m in range(n + 1)],
        "inclusion": [{"index": i, "size": n,
                       "proof": [p.hex() for p in log.tree.inclusion_proof(i)]}
                      for i in range(n)],
        "consistency": [{"size1": m, "size2": n,
                         "proof": [p.hex() for p in log.tree.consistency_proof(m)]}
                        for m in range(1, n + 1)],
    }


def checkpoint_vector(log: TenantLog) -> dict[str, Any]:
    signer, other = CheckpointSigner.from_seed(TEST_SEED), CheckpointSigner.from_seed(OTHER_SEED)
    cp = log.checkpoint(T.format(40))
    note = signer.sign(cp)
    forged_root = note.replace(b64(cp.root), b64(log.tree.root(cp.size - 1)))
    go = CheckpointSigner.from_seed(base64.b64decode(GO_SIGNER.split("+", 4)[4])[1:])
    return {
        "description": "a C2SP signed-note checkpoint; the seeds are published test keys",
        "test_seed": TEST_SEED.hex(),
        "public_key": b64(signer.key.public_key),
        "key_id": signer.key_id,
        "verifier_key": signer.key.verifier_key(cp.origin),
        "checkpoint": {"origin": cp.origin, "size": cp.size, "root": b64(cp.root),
                       "timestamp": cp.timestamp},
        "note": note,
        "must_fail": [
            {"why": "bad_signature: the root line was changed", "note": forged_root},
            {"why": "bad_signature: the size line was changed",
             "note": note.replace(f"\n{cp.size}\n", f"\n{cp.size + 1}\n", 1)},
            {"why": "unknown_key: signed by another key", "note": other.sign(cp)},
        ],
        "go_note": {"verifier_key": go.key.verifier_key("PeterNeumann"), "text": GO_TEXT,
                    "note": go.sign_note(GO_TEXT, "PeterNeumann")},
    }


def bundles(log: TenantLog) -> dict[str, list[dict[str, Any]]]:
    signer, other = CheckpointSigner.from_seed(TEST_SEED), CheckpointSigner.from_seed(OTHER_SEED)
    valid = list(log.bundle(signer, [signer.key], "session", SESSION, T.format(40)))
    out: dict[str, list[dict[str, Any]]] = {"valid_session.jsonl": valid}

    def changed(name: str, edit: Any) -> None:
        lines = json.loads(json.dumps(valid))
        edit(lines)
        out[name] = lines

    def entry(lines: list[dict[str, Any]], trace: str, seq: int) -> dict[str, Any]:
        return next(x for x in lines if x["type"] == "entry"
                    and x["entry"]["trace_id"] == trace and x["entry"]["seq"] == seq)

    def rehash_from(lines: list[dict[str, Any]], trace: str, seq: int) -> None:
        """An attacker with the database: edit seq, re-hash it and everything after."""
        chain = [x for x in lines if x["type"] == "entry" and x["entry"]["trace_id"] == trace]
        chain[seq]["entry"]["record"]["content"] = "rewritten"
        prev = chain[seq]["entry"]["prev_hash"]
        items = [(x["entry"]["kind"], x["entry"]["record"]) for x in chain[seq:]]
        for x, e in zip(chain[seq:], seal_many(TENANT, trace, seq, prev, items), strict=True):
            x["entry"] = e.to_json()

    def after_completion(lines: list[dict[str, Any]]) -> None:
        last = entry(lines, "trace-a", 4)
        (extra,) = seal_many(TENANT, "trace-a", 5, last["entry"]["hash"], [
            ("step", {"step_id": "late", "step_type": "Observation", "step_index": 3,
                      "created_at": T.format(50)})])
        lines.insert(lines.index(last) + 1, {**last, "leaf_index": last["leaf_index"] + 1,
                                             "entry": extra.to_json()})

    changed("changed_content.jsonl",
            lambda ls: entry(ls, "trace-a", 2)["entry"]["record"].update(content="edited"))
    changed("rehashed_chain.jsonl", lambda ls: rehash_from(ls, "trace-a", 2))
    changed("deleted_entry.jsonl", lambda ls: ls.remove(entry(ls, "trace-b", 1)))
    changed("entry_after_completion.jsonl", after_completion)
    changed("wrong_leaf_index.jsonl",
            lambda ls: entry(ls, "trace-b", 0).update(leaf_index=0))
    changed("flipped_proof_bit.jsonl", lambda ls: entry(ls, "trace-a", 1)["proof"].__setitem__(
        0, "1" + entry(ls, "trace-a", 1)["proof"][0][1:]))
    changed("forged_tombstone.jsonl", lambda ls: next(
        x for x in ls if x["type"] == "tombstone")["tombstone"].update(entry_count=1))
    changed("session_moved.jsonl",
            lambda ls: entry(ls, "trace-b", 2).update(session_id="session-2"))
    changed("bad_checkpoint_signature.jsonl", lambda ls: ls[2].update(
        note=ls[2]["note"].replace(f"\n{log.tree.size}\n", f"\n{log.tree.size - 1}\n")))
    changed("unknown_key.jsonl", lambda ls: ls[1].update(
        key_id=other.key_id, public_key=b64(other.key.public_key)))
    changed("bad_key_id.jsonl", lambda ls: ls[1].update(key_id="0" * 16))

    # a tenant bundle holds every leaf: deletions show as leaves missing from it
    tenant = list(log.bundle(signer, [signer.key], "tenant", None, T.format(40)))
    out["valid_tenant.jsonl"] = tenant

    def without(name: str, drop: Any) -> None:
        out[name] = [x for x in json.loads(json.dumps(tenant)) if not drop(x)]

    def of_trace(x: dict[str, Any], trace: str) -> bool:
        return x["type"] == "entry" and x["entry"]["trace_id"] == trace

    without("tenant_deleted_trace.jsonl", lambda x: of_trace(x, "trace-b"))
    without("tenant_cut_tail.jsonl", lambda x: of_trace(x, "trace-b") and x["entry"]["seq"] == 2)
    without("tenant_tombstone_deleted.jsonl", lambda x: x["type"] == "tombstone")
    return out


def render(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_bundle(lines: list[dict[str, Any]]) -> bytes:
    from io import BytesIO
    buf = BytesIO()
    write_bundle(buf, lines)
    return buf.getvalue()


def build() -> dict[str, bytes]:
    """Every file (relative path -> bytes)."""
    log = build_log()
    files = {"tree.json": render(tree_vector(log)).encode(),
             "checkpoint.json": render(checkpoint_vector(log)).encode()}
    expected: dict[str, Any] = {}
    for name, lines in bundles(log).items():
        data = render_bundle(lines)
        files[f"bundles/{name}"] = data
        report = verify_bundle_lines(data.splitlines())
        expected[name] = {"valid": report.valid, "problems": [
            {"code": p.code, "trace_id": p.trace_id, "seq": p.seq, "leaf_index": p.leaf_index}
            for p in report.problems]}
    files["bundles/expected.json"] = render(expected).encode()
    return files


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    out = Path(argv[1]) if len(argv) > 1 else root / "tests" / "vectors" / "merkle"
    for name, data in build().items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
