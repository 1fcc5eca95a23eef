"""The tenant Merkle log on the embedded store: written by every append and removal, read back
as leaves, nodes and head, built once for a file made before it, one log across processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.protocol import LogStore, StoredCheckpoint, Tombstone
from tracegraph.schema.chain import tombstone_hash
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput
from tracegraph.schema.merkle import tree_hash, verify_inclusion
from tracegraph.schema.merkle_leaf import EntryLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import CompactRange, MissingNode, fold_plan, inclusion_plan


class _Nodes:
    """The store's log nodes of one tenant as a read-only NodeStore (for ``fold_plan``)."""

    def __init__(self, store: EmbeddedStore, tenant: str) -> None:
        self.store, self.tenant = store, tenant

    def get_nodes(self, ids: list[tuple[int, int]]) -> list[bytes]:
        return self.store.log_nodes(self.tenant, ids)

    def put_nodes(self, nodes: object) -> None:
        raise AssertionError("read only")


def _run(svc: TraceService, tenant: str, session: str, steps: int) -> str:
    t = svc.start_trace(tenant, StartTraceInput(session_id=session, agent_id="a"))
    for i in range(steps):
        svc.record_steps(tenant, t.trace_id, [StepInput(step_type="Reasoning", content=f"{i}")])
    svc.complete_trace(tenant, t.trace_id, CompleteTraceInput(outcome="success"))
    return t.trace_id


def _recomputed(store: EmbeddedStore, tenant: str) -> list[bytes]:
    """Leaf hashes rebuilt from the entry rows (not from the leaf rows), in log order."""
    out = []
    for stored in store.log_leaves(tenant, 0, store.log_head(tenant).size):
        leaf = stored.leaf
        if isinstance(leaf, EntryLeaf):
            e = store.entries_at(tenant, [(leaf.trace_id, leaf.seq)])[(leaf.trace_id, leaf.seq)]
            session = store.get_traces(tenant, [leaf.trace_id])[leaf.trace_id].started[
                "session_id"]
            leaf = EntryLeaf(tenant, session, e.trace_id, e.seq, str(e.kind), e.hash)
        out.append(leaf.hash())
    return out


def test_every_entry_gets_a_dense_leaf_and_the_head_is_the_tree_of_the_entries(
        store: EmbeddedStore, service: TraceService) -> None:
    assert isinstance(store, LogStore)
    a = _run(service, "t1", "s1", 3)
    b = _run(service, "t1", "s2", 2)
    _run(service, "t2", "s1", 1)  # another tenant: a log of its own
    head = store.log_head("t1")
    leaves = store.log_leaves("t1", 0, 100)
    assert [x.leaf_index for x in leaves] == list(range(head.size)) and head.size == 5 + 4
    assert [(x.leaf.trace_id, getattr(x.leaf, "seq", None)) for x in leaves] == \
        [(a, s) for s in range(5)] + [(b, s) for s in range(4)]
    assert CompactRange(head.size, head.edge).root() == tree_hash(_recomputed(store, "t1"))
    assert store.log_head("t2").size == 3
    assert [x.leaf_index for x in store.leaves_of_traces("t1", [b])] == list(range(5, 9))
    assert {x.leaf.trace_id for x in store.leaves_of_session("t1", "s2")} == {b}
    assert store.leaves_of_traces("t2", [a]) == []


def test_the_stored_nodes_answer_inclusion_proofs_and_name_a_missing_node(
        store: EmbeddedStore, service: TraceService) -> None:
    for i in (0, 1, 2, 3, 40, 31):  # 85 leaves: stored nodes from level 4, rebuilt below
        _run(service, "t1", "s1", i)
    t = service.start_trace("t1", StartTraceInput(session_id="s1"))  # one run of 37 leaves
    service.record_steps("t1", t.trace_id, [StepInput(step_type="R", content=f"{i}")
                                            for i in range(37)])
    size = store.log_head("t1").size
    every = store.log_leaves("t1", 0, size)
    assert [x.leaf_index for x in every] == list(range(size))
    for start, stop in ((0, 1), (90, 100), (100, 124), (87, 88), (5, 5), (size - 3, size + 9)):
        assert store.log_leaves("t1", start, stop) == every[start:stop]
    root = CompactRange(size, store.log_head("t1").edge).root()
    for index in range(size):
        proof = fold_plan(inclusion_plan(index, size), _Nodes(store, "t1"))
        leaf = store.log_leaves("t1", index, index + 1)[0].leaf.hash()
        verify_inclusion(index, size, leaf, proof, root)  # raises when wrong
    with pytest.raises(MissingNode, match="level 0, index 999"):
        store.log_nodes("t1", [(0, 0), (0, 999)])


def test_replays_add_no_leaf_and_removal_adds_a_tombstone_leaf(
        store: EmbeddedStore, service: TraceService) -> None:
    t = service.start_trace("t1", StartTraceInput(session_id="s1", trace_id="tr-1"))
    service.record_steps("t1", t.trace_id, [StepInput(step_type="R", content="x", step_id="k")])
    size = store.log_head("t1").size
    service.record_steps("t1", t.trace_id, [StepInput(step_type="R", content="x", step_id="k")])
    assert store.log_head("t1").size == size == 2
    entries = store.entries("t1", ["tr-1"])["tr-1"]
    removed_at = "2026-12-05T00:00:00Z"
    h = tombstone_hash("t1", "tr-1", "s1", len(entries), entries[-1].hash, removed_at)
    store.remove_trace("t1", "tr-1", Tombstone("t1", "tr-1", "s1", len(entries),
                                               entries[-1].hash, removed_at, h))
    last = store.log_leaves("t1", 0, 10)[-1]
    assert last.leaf_index == 2 and isinstance(last.leaf, TombstoneLeaf)
    assert last.leaf.hash_matches() and last.leaf.entry_count == 2
    # the entry leaves stay: the log still names what retention removed
    assert [x.leaf_index for x in store.leaves_of_traces("t1", ["tr-1"])] == [0, 1, 2]


def test_leaf_and_node_rows_refuse_changes_and_checkpoints_are_kept_once(
        store: EmbeddedStore, service: TraceService) -> None:
    _run(service, "t1", "s1", 1)
    db = sqlite3.connect(store.path, isolation_level=None)
    for stmt in ("UPDATE log_runs SET first_seq = 9", "DELETE FROM log_runs"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(stmt)
    db.close()
    cp = StoredCheckpoint(3, "tracegraph/t1\n3\nroot\n\n— key sig\n", "2026-12-05T00:00:00Z")
    store.add_checkpoint("t1", cp)
    store.add_checkpoint("t1", cp)
    store.add_checkpoint("t1", StoredCheckpoint(1, "older", "2026-12-04T00:00:00Z"))
    assert store.checkpoints("t1", 10) == [cp, StoredCheckpoint(1, "older",
                                                                 "2026-12-04T00:00:00Z")]
    assert store.checkpoints("t1", 1) == [cp] and store.checkpoints("t2", 10) == []


def test_a_file_made_before_the_log_gets_its_leaves_when_opened(data_dir: Path) -> None:
    s = EmbeddedStore(data_dir)
    svc = TraceService(s)
    a = _run(svc, "t1", "s1", 2)
    _run(svc, "t2", "s1", 1)
    want = s.log_head("t1")
    s.close()
    db = sqlite3.connect(data_dir / "tracegraph.sqlite3")  # back to the layout before the log
    for stmt in ("DROP TABLE log_runs", "DROP TABLE log_nodes", "DROP TABLE log_heads",
                 "DROP TABLE log_sessions",
                 "UPDATE meta SET value = '2' WHERE key = 'schema_version'"):
        db.execute(stmt)
    db.commit()
    db.close()
    s = EmbeddedStore(data_dir)
    try:
        assert s.log_head("t1") == want and s.log_head("t2").size == 3
        assert [x.leaf.trace_id for x in s.log_leaves("t1", 0, 4)] == [a] * 4
        assert CompactRange(want.size, want.edge).root() == tree_hash(_recomputed(s, "t1"))
    finally:
        s.close()


def _writer(data_dir: str, worker: int) -> None:
    s = EmbeddedStore(data_dir)
    try:
        svc = TraceService(s)
        for i in range(5):
            _run(svc, "t1", f"s{worker}", i % 3)
    finally:
        s.close()


def test_processes_writing_one_file_keep_one_dense_log(data_dir: Path) -> None:
    EmbeddedStore(data_dir).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(data_dir), w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    s = EmbeddedStore(data_dir)
    try:
        head = s.log_head("t1")
        leaves = s.log_leaves("t1", 0, head.size + 10)
        assert [x.leaf_index for x in leaves] == list(range(head.size))
        assert head.size == 3 * sum(2 + i % 3 for i in range(5))
        for trace in {x.leaf.trace_id for x in leaves}:
            seqs = [x.leaf.seq for x in leaves if x.leaf.trace_id == trace
                    and isinstance(x.leaf, EntryLeaf)]
            assert seqs == sorted(seqs) == list(range(len(seqs)))
        assert CompactRange(head.size, head.edge).root() == tree_hash(_recomputed(s, "t1"))
    finally:
        s.close()
