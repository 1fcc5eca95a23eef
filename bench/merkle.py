"""Merkle log figures: append, root, proofs and checkpoints at 1M leaves, bundle verification.

Prints figures; it is not a timed test. In-memory node store, one process:

    .venv/bin/python -m tracegraph.bench.merkle [--leaves 1000000] [--bundle-entries 50000]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracegraph.schema.bundle import write_bundle
from tracegraph.schema.bundle_verify import verify_bundle
from tracegraph.schema.chain import GENESIS_PREV_HASH, seal_many
from tracegraph.schema.checkpoint import Checkpoint, CheckpointSigner, open_checkpoint
from tracegraph.schema.merkle import verify_consistency, verify_inclusion
from tracegraph.schema.merkle_leaf import EntryLeaf
from tracegraph.schema.merkle_log import TenantLog
from tracegraph.schema.merkle_tree import MemoryNodeStore, MerkleTree


def per_call_us(fn: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6


def tree_figures(n: int, samples: int) -> None:
    leaves = [EntryLeaf("tenant", "session", f"trace-{i // 50}", i % 50, "step",
                        os.urandom(32).hex()) for i in range(n)]
    start = time.perf_counter()
    hashes = [leaf.hash() for leaf in leaves]
    leaf_s = time.perf_counter() - start
    store = MemoryNodeStore()
    tree = MerkleTree(store)
    start = time.perf_counter()
    for i in range(0, n, 100):  # appends of 100 leaves, as a busy ingest would log them
        tree.append(hashes[i:i + 100])
    append_s = time.perf_counter() - start
    print(f"leaves: {n:,}; leaf records hashed in {leaf_s:.2f} s "
          f"({n / leaf_s:,.0f}/s); appended in {append_s:.2f} s ({n / append_s:,.0f}/s, "
          f"{store.node_count():,} nodes stored)")
    root = tree.root()
    print(f"root of the current tree: {per_call_us(tree.root, 1000):.1f} us; "
          f"of an earlier size (read from the store): "
          f"{per_call_us(lambda: tree.root(max(1, n - 12345)), samples):.1f} us")
    rng = random.Random(1)
    idx = [rng.randrange(n) for _ in range(samples)]
    proofs = [tree.inclusion_proof(i) for i in idx[:10]]
    gen = per_call_us(lambda: tree.inclusion_proof(rng.randrange(n)), samples)
    ver = per_call_us(lambda: verify_inclusion(idx[0], n, hashes[idx[0]], proofs[0], root),
                      samples)
    print(f"inclusion proof at {n:,}: {len(proofs[0])} hashes "
          f"({32 * len(proofs[0])} bytes); generate {gen:.1f} us, verify {ver:.1f} us")
    size1 = max(1, n - 54321)
    root1 = tree.root(size1)
    cproof = tree.consistency_proof(size1)
    gen = per_call_us(lambda: tree.consistency_proof(rng.randrange(1, n)), samples)
    ver = per_call_us(lambda: verify_consistency(size1, n, cproof, root1, root), samples)
    print(f"consistency proof {size1:,} -> {n:,}: {len(cproof)} hashes; generate "
          f"{gen:.1f} us, verify {ver:.1f} us")
    signer = CheckpointSigner.from_seed(os.urandom(32))
    cp = Checkpoint("tracegraph/tenant", n, root, "2026-12-04T16:00:00.000000Z")
    note = signer.sign(cp)
    sign = per_call_us(lambda: signer.sign(cp), samples)
    check = per_call_us(lambda: open_checkpoint(note, [signer.key]), samples)
    print(f"checkpoint at {n:,}: root {per_call_us(tree.root, 1000):.1f} us + sign "
          f"{sign:.1f} us; open and verify {check:.1f} us")


def bundle_figures(entries: int) -> None:
    log = TenantLog("tenant", "tracegraph")
    per_trace = 50
    for t in range(entries // per_trace):
        items: list[tuple[str, dict[str, Any]]] = [("trace_started", {"session_id": "s",
                                    "created_at": "2026-01-01T00:00:00.000000Z"})]
        items += [("step", {"step_id": f"{t}-{i}", "step_type": "Observation", "step_index": i,
                            "content": "x" * 300, "created_at": "2026-01-01T00:00:01.000000Z"})
                  for i in range(per_trace - 1)]
        log.append_entries("s", seal_many("tenant", f"trace-{t}", 0, GENESIS_PREV_HASH, items))
    signer = CheckpointSigner.from_seed(os.urandom(32))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.jsonl"
        start = time.perf_counter()
        with path.open("wb") as f:
            write_bundle(f, log.bundle(signer, [signer.key], "tenant", None,
                                       "2026-12-04T16:00:00.000000Z"))
        written = time.perf_counter() - start
        start = time.perf_counter()
        report = verify_bundle(path)
        took = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
    assert report.valid, report.text()
    print(f"bundle of {report.entries_checked:,} entries ({size_mb:.1f} MB, tree of "
          f"{log.tree.size:,}): written in {written:.2f} s, verified in {took:.2f} s = "
          f"{report.entries_checked / took:,.0f} entries/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--bundle-entries", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args(argv)
    tree_figures(args.leaves, args.samples)
    bundle_figures(args.bundle_entries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
