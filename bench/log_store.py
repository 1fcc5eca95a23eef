"""The tenant Merkle log as the embedded store keeps it, at a million leaves: signing a
checkpoint, inclusion and consistency proofs read from the stored tree (time and size), and
a trace's leaves proved at once (what verifyTrace does).

Prints figures; it is not a timed test. The log is filled with synthetic entry leaves in
appends of 500 (runs of one trace), through the same writer the append uses, so what is
read is exactly what an ingest of that many entries leaves behind (without the entries):

    .venv/bin/python -m tracegraph.bench.log_store [--leaves 1000000] [--samples 200]
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

import click
from tracegraph.api.service.audit import AuditService
from tracegraph.api.service.log_verify import LogNodes
from tracegraph.api.service.signing import LogSigning
from tracegraph.api.service.traces import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded import log as embedded_log
from tracegraph.schema.merkle import verify_consistency, verify_inclusion
from tracegraph.schema.merkle_leaf import EntryLeaf
from tracegraph.schema.merkle_tree import (
    CompactRange,
    consistency_plan,
    fold_plan,
    inclusion_plan,
    multi_plan,
    root_of_leaves,
)

TENANT = "bench"
BATCH = 500


def fill(store: EmbeddedStore, leaves: int) -> float:
    """Append ``leaves`` synthetic entry leaves in runs of :data:`BATCH`; seconds taken."""
    db = store._conn()
    start = time.perf_counter()
    for first in range(0, leaves, BATCH):
        trace = f"trace-{first // BATCH}"
        batch = [EntryLeaf(TENANT, "session", trace, seq, "step", os.urandom(32).hex())
                 for seq in range(min(BATCH, leaves - first))]
        db.execute("BEGIN IMMEDIATE")
        embedded_log.append_leaves(db, TENANT, batch)
        db.execute("COMMIT")
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


@click.command()
@click.option("--leaves", default=1_000_000, show_default=True, type=click.IntRange(1000))
@click.option("--samples", default=200, show_default=True, type=click.IntRange(1))
def main(leaves: int, samples: int) -> None:
    """Checkpoint, proofs and whole-trace proving on a stored log of LEAVES leaves."""
    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp) / "data")
        took = fill(store, leaves)
        size = store.log_head(TENANT).size
        disk = sum(p.stat().st_size for p in (Path(tmp) / "data").iterdir())
        print(f"log of {size:,} leaves written in {took:.1f} s ({size / took:,.0f} leaves/s); "
              f"{disk / size:.1f} bytes per leaf on disk (runs, nodes from level 4, WAL)")
        audit = AuditService(TraceService(store),
                             LogSigning.load(key_dir=Path(tmp) / "keys", environ={}))
        start = time.perf_counter()
        cp = audit.create_checkpoint(TENANT)
        print(f"first checkpoint (read head, root, sign, journal, store): "
              f"{ms(time.perf_counter() - start)}")
        root = bytes.fromhex(cp.root_hash)
        nodes = LogNodes(store, TENANT)
        rng = random.Random(7)
        times, lengths = [], []
        for index in (rng.randrange(size) for _ in range(samples)):
            start = time.perf_counter()
            leaf = store.log_leaves(TENANT, index, index + 1)[0].leaf
            proof = fold_plan(inclusion_plan(index, size), nodes)
            verify_inclusion(index, size, leaf.hash(), proof, root)
            times.append(time.perf_counter() - start)
            lengths.append(len(proof))
        times.sort()
        print(f"inclusion proof from the store (read leaf and nodes, verify): p50 "
              f"{ms(times[len(times) // 2])}, p95 {ms(times[int(len(times) * .95)])}; "
              f"{max(lengths)} hashes ({max(lengths) * 32} bytes) at most")
        times, lengths = [], []
        for old in (rng.randrange(1, size) for _ in range(samples)):
            start = time.perf_counter()
            proof = fold_plan(consistency_plan(old, size), nodes)
            old_root = CompactRange.from_store(nodes, old).root()
            verify_consistency(old, size, proof, old_root, root)
            times.append(time.perf_counter() - start)
            lengths.append(len(proof))
        times.sort()
        print(f"consistency proof (and the old root) from the store: p50 "
              f"{ms(times[len(times) // 2])}, p95 {ms(times[int(len(times) * .95)])}; "
              f"{max(lengths)} hashes at most")
        first = (size // 2) // BATCH * BATCH
        trace = store.log_leaves(TENANT, first, first + BATCH)
        start = time.perf_counter()
        indexes = [s.leaf_index for s in trace]
        hashes = store.log_nodes(TENANT, multi_plan(indexes, size))
        ok = root_of_leaves(indexes, [s.leaf.hash() for s in trace], size, hashes) == root
        print(f"a {len(trace)}-entry trace proved at once (multi-leaf proof, "
              f"{len(hashes)} stored nodes): {ms(time.perf_counter() - start)}, valid={ok}")
        start = time.perf_counter()
        cp = audit.create_checkpoint(TENANT)
        print(f"next checkpoint (consistency with the last one checked first): "
              f"{ms(time.perf_counter() - start)}")
        store.close()


if __name__ == "__main__":
    main()
