"""Conformance: the per-tenant Merkle log (RFC 6962) every backend keeps (issue 14).

Every append adds one leaf per sealed entry and retention one tombstone leaf, in the
transaction that writes what they log; leaf indexes are dense from 0 per tenant, each
trace's leaves rise with seq, the stored head's root is the tree of the leaves rebuilt from
the entry and tombstone rows, the stored nodes answer inclusion proofs, a replay adds no
leaf, and two processes appending to one tenant at once still make one dense log with the
right root (docs/dev/merkle-integration.md, sections 2 and 5).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.retention import apply_retention
from tracegraph.graph.protocol import GraphStore, LogStore, StoredCheckpoint, StoredLeaf
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput
from tracegraph.schema.merkle import tree_hash, verify_inclusion
from tracegraph.schema.merkle_leaf import EntryLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import (
    CompactRange,
    MissingNode,
    NodeId,
    fold_plan,
    inclusion_plan,
)

from .harness import Harness

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=120)


def _log(store: GraphStore) -> LogStore:
    assert isinstance(store, LogStore), f"{type(store).__name__} keeps no Merkle log"
    return store


class _Nodes:
    """One tenant's stored log nodes as a read-only NodeStore (for ``fold_plan``)."""

    def __init__(self, store: LogStore, tenant: str) -> None:
        self.store, self.tenant = store, tenant

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        return self.store.log_nodes(self.tenant, ids)

    def put_nodes(self, nodes: object) -> None:
        raise AssertionError("read only")


def _run(svc: TraceService, tenant: str, session: str, steps: int, *,
         at: datetime | None = None, batch: int = 1) -> str:
    t = svc.start_trace(tenant, StartTraceInput(session_id=session, agent_id="a",
                                                created_at=at))
    for i in range(0, steps, batch):
        svc.record_steps(tenant, t.trace_id, [
            StepInput(step_type="Reasoning", content=f"{j}")
            for j in range(i, min(i + batch, steps))])
    svc.complete_trace(tenant, t.trace_id, CompleteTraceInput(outcome="success"))
    return t.trace_id


def _from_entries(store: GraphStore, tenant: str, leaves: Sequence[StoredLeaf]) -> list[bytes]:
    """Leaf hashes rebuilt from the stored entry rows and trace sessions (not from the leaf
    rows); every leaf must be an entry leaf whose entry is stored."""
    refs = [(x.leaf.trace_id, x.leaf.seq) for x in leaves if isinstance(x.leaf, EntryLeaf)]
    assert len(refs) == len(leaves)
    entries = store.entries_at(tenant, refs)
    traces = store.get_traces(tenant, [t for t, _ in refs])
    return [EntryLeaf(tenant, traces[t].started["session_id"], t, s, str(entries[t, s].kind),
                      entries[t, s].hash).hash() for t, s in refs]


def _check_dense(leaves: Sequence[StoredLeaf], size: int) -> None:
    assert [x.leaf_index for x in leaves] == list(range(size))
    by_trace: dict[str, list[int]] = {}
    for x in leaves:
        if isinstance(x.leaf, EntryLeaf):
            by_trace.setdefault(x.leaf.trace_id, []).append(x.leaf.seq)
    for trace, seqs in by_trace.items():
        assert seqs == list(range(len(seqs))), f"{trace}: leaves out of seq order {seqs}"


def test_appends_and_a_removal_make_one_dense_log_whose_root_is_the_tree_of_the_records(
        store: GraphStore, service: TraceService, tenant: str) -> None:
    log = _log(store)
    gone = _run(service, tenant, "s1", 2, at=OLD)
    kept = [_run(service, tenant, "s1", 3), _run(service, tenant, "s2", 1)]
    size = log.log_head(tenant).size
    assert size == 4 + 5 + 3
    before = log.log_leaves(tenant, 0, size + 5)
    _check_dense(before, size)
    rebuilt = _from_entries(store, tenant, before)
    assert [x.leaf.hash() for x in before] == rebuilt
    assert log.log_nodes(tenant, [(0, i) for i in range(size)]) == rebuilt

    report = apply_retention(store, tenant, 90, now=NOW)
    assert [t.trace_id for t in report.removed] == [gone]
    head = log.log_head(tenant)
    assert head.size == size + 1
    leaves = log.log_leaves(tenant, 0, head.size)
    _check_dense(leaves, head.size)
    assert leaves[:size] == before  # leaves never change, even those of a removed trace
    (stone,) = store.tombstones(tenant, "s1")
    last = leaves[-1].leaf
    assert isinstance(last, TombstoneLeaf) and last.hash_matches()
    assert last == TombstoneLeaf(tenant, stone.session_id, stone.trace_id, stone.entry_count,
                                 stone.final_hash, stone.removed_at, stone.hash)
    assert last.entry_count == 4 == sum(
        isinstance(x.leaf, EntryLeaf) for x in log.leaves_of_traces(tenant, [gone]))
    # the root of the stored head is the tree of the records: the entries as they were
    # appended, then the tombstone row
    assert CompactRange(head.size, head.edge).root() == tree_hash([*rebuilt, last.hash()])
    assert [x.leaf_index for x in log.leaves_of_traces(tenant, [gone])] == [0, 1, 2, 3, size]
    assert [x.leaf_index for x in log.leaves_of_traces(tenant, kept[1:])] == [9, 10, 11]
    assert {x.leaf.trace_id for x in log.leaves_of_session(tenant, "s1")} == {gone, kept[0]}
    assert log.log_leaves(tenant, 3, 5) == leaves[3:5]
    assert log.log_leaves(tenant, head.size, head.size + 3) == []


def test_stored_nodes_answer_inclusion_proofs_and_a_missing_node_is_named(
        store: GraphStore, service: TraceService, tenant: str) -> None:
    log = _log(store)
    _run(service, tenant, "s1", 45, batch=15)  # subtrees of 16 and 32 leaves too
    for steps in range(4):
        _run(service, tenant, "s1", steps)
    head = log.log_head(tenant)
    assert head.size == 47 + 14
    root = CompactRange(head.size, head.edge).root()
    leaves = log.log_leaves(tenant, 0, head.size)
    for size in (head.size, head.size - 3, 33, 32, 17):
        sub_root = tree_hash([x.leaf.hash() for x in leaves[:size]])
        for index in (0, 5, 16, size // 2, size - 1):
            proof = fold_plan(inclusion_plan(index, size), _Nodes(log, tenant))
            verify_inclusion(index, size, leaves[index].leaf.hash(), proof,
                             root if size == head.size else sub_root)
    with pytest.raises(MissingNode, match="level 0, index 999"):
        log.log_nodes(tenant, [(0, 0), (0, 999)])
    assert log.log_nodes(tenant, []) == []
    hashes = [x.leaf.hash() for x in leaves]
    assert log.log_nodes(tenant, [(5, 0), (1, 0), (4, 2), (0, 60), (1, 0)]) == [
        tree_hash(hashes[:32]), tree_hash(hashes[:2]), tree_hash(hashes[32:48]), hashes[60],
        tree_hash(hashes[:2])]
    with pytest.raises(MissingNode, match="level 4, index 3"):
        log.log_nodes(tenant, [(4, 3)])  # (leaves 48..63: not all appended yet)


def test_replays_add_no_leaf_and_tenants_keep_their_own_logs(
        store: GraphStore, service: TraceService, tenant: str, harness: Harness) -> None:
    log = _log(store)
    t = service.start_trace(tenant, StartTraceInput(session_id="s1", trace_id="tr-1"))
    step = StepInput(step_type="R", content="x", step_id="k1")
    service.record_steps(tenant, t.trace_id, [step])
    before = log.log_leaves(tenant, 0, 10)
    service.record_steps(tenant, t.trace_id, [step])  # an idempotent retry
    assert log.log_head(tenant).size == 2 and log.log_leaves(tenant, 0, 10) == before
    other = harness.new_tenant()
    _run(service, other, "s1", 0)
    assert log.log_head(other).size == 2 and log.log_head(tenant).size == 2
    assert [x.leaf.tenant_id for x in log.log_leaves(other, 0, 5)] == [other, other]
    assert log.leaves_of_traces(other, ["tr-1"]) == []
    assert log.log_head(harness.new_tenant()).size == 0


def test_tenant_ids_that_extend_another_keep_their_own_logs(
        store: GraphStore, service: TraceService, tenant: str) -> None:
    # (Dgraph keys runs and nodes "<tenant>/<index>": these ids sort among another's keys)
    log = _log(store)
    tenants = [tenant, f"{tenant}/000000000000001", f"{tenant}/0", f"{tenant}/0/0"]
    traces = {t: _run(service, t, "s1", i) for i, t in enumerate(tenants)}
    for i, t in enumerate(tenants):
        leaves = log.log_leaves(t, 0, 50)
        _check_dense(leaves, 2 + i)
        assert {(x.leaf.tenant_id, x.leaf.trace_id) for x in leaves} == {(t, traces[t])}
        assert log.log_leaves(t, 1, 2) == leaves[1:2]
        assert log.leaves_of_session(t, "s1") == leaves
        assert log.log_nodes(t, [(0, 1)]) == [leaves[1].leaf.hash()]


def test_checkpoints_are_kept_once_and_listed_largest_first(
        store: GraphStore, tenant: str) -> None:
    log = _log(store)
    cp = StoredCheckpoint(3, f"tracegraph/{tenant}\n3\nroot\n\n— key sig\n",
                          "2026-12-05T00:00:00Z")
    older = StoredCheckpoint(1, "older", "2026-12-04T00:00:00Z")
    log.add_checkpoint(tenant, cp)
    log.add_checkpoint(tenant, cp)
    log.add_checkpoint(tenant, older)
    assert log.checkpoints(tenant, 10) == [cp, older]
    assert log.checkpoints(tenant, 1) == [cp]
    assert log.checkpoints(tenant + "x", 10) == []


# -- two processes on one backend --------------------------------------------------------------
def _location(harness: Harness) -> str:
    """Where a second process finds the harness's backend."""
    for attribute in ("data_dir", "uri", "addr"):
        if hasattr(harness, attribute):
            return str(getattr(harness, attribute))
    raise AssertionError(f"{harness.name}: no location for a second process")


def _open(backend: str, location: str) -> GraphStore:
    if backend == "embedded":
        from tracegraph.graph.embedded import EmbeddedStore
        return EmbeddedStore(Path(location))
    if backend == "neo4j":
        from tracegraph.graph.neo4j import Neo4jStore
        return Neo4jStore(location)
    from tracegraph.graph.dgraph import DgraphStore
    return DgraphStore(location)


def _writer(backend: str, location: str, tenant: str, worker: int, traces: int) -> None:
    store = _open(backend, location)
    try:
        svc = TraceService(store)
        for i in range(traces):
            _run(svc, tenant, f"s{worker}", i % 3)
    finally:
        store.close()


def test_two_processes_appending_to_one_tenant_keep_one_dense_log(
        store: GraphStore, harness: Harness, tenant: str) -> None:
    log = _log(store)
    ctx = multiprocessing.get_context("spawn")
    traces = 6
    procs = [ctx.Process(target=_writer, args=(harness.name, _location(harness), tenant, w,
                                               traces)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0, f"writer exited with {p.exitcode}"
    head = log.log_head(tenant)
    assert head.size == 2 * sum(2 + i % 3 for i in range(traces))
    leaves = log.log_leaves(tenant, 0, head.size + 10)
    _check_dense(leaves, head.size)
    assert len({x.leaf.trace_id for x in leaves}) == 2 * traces
    assert CompactRange(head.size, head.edge).root() == tree_hash(
        _from_entries(store, tenant, leaves))
