"""Conformance: retention removes whole expired traces on every backend.

Children go before parents (a parent whose nested trace is still young stays), each removed
trace leaves a tombstone (trace id, entry count, final hash, removal time) whose hash is
:func:`tracegraph.schema.chain.tombstone_hash`, verifying the session reports the removal and
stays valid, the removed nodes are gone from every read (resolve, edges, paths, lineage), and
other tenants are untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from tracegraph.api.embedding.protocol import Vectors, unit_rows
from tracegraph.api.service import TraceService
from tracegraph.api.service.retention import apply_retention
from tracegraph.graph.protocol import GraphStore, TraceFilter
from tracegraph.schema.chain import tombstone_hash
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

from .harness import Harness

NOW = datetime.now(UTC).replace(microsecond=0)
OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=10)
SESSION = "kept-and-removed"


@dataclass
class Made:
    """What a trace holds: every node id it put in the graph."""

    trace_id: str
    step_ids: list[str] = field(default_factory=list)
    other_ids: list[str] = field(default_factory=list)  # calls, inputs, alternatives

    @property
    def node_ids(self) -> list[str]:
        return [self.trace_id, *self.step_ids, *self.other_ids]


def _trace(svc: TraceService, tenant: str, at: datetime, *, parent: Made | None = None,
           depends_on: str | None = None, done: bool = True,
           session: str = SESSION) -> Made:
    t = svc.start_trace(tenant, StartTraceInput(
        session_id=session, created_at=at, parent_trace_id=parent.trace_id if parent else None,
        spawned_by_step_id=parent.step_ids[-1] if parent else None))
    made = Made(t.trace_id)
    steps = svc.record_steps(tenant, t.trace_id, [
        StepInput(step_type="Decision", content="pick", alternatives_considered=["x", "y"],
                  selected_alternative="x", depends_on=[depends_on] if depends_on else []),
        StepInput(step_type="Action", content="act"),
    ])
    made.step_ids = [s.step_id for s in steps]
    made.other_ids = [f"{steps[0].step_id}#alt0", f"{steps[0].step_id}#alt1"]
    call = svc.record_api_call(tenant, t.trace_id, ApiCallInput(step_id=steps[1].step_id))
    human = svc.record_human_input(tenant, t.trace_id, HumanInputInput(
        step_id=steps[1].step_id, question="go?", answer="yes"))
    made.other_ids += [call.call_id, human.input_id]
    if done:
        svc.complete_trace(tenant, t.trace_id, CompleteTraceInput(outcome="success"))
    return made


@dataclass
class World:
    old: Made
    root: Made
    child: Made
    grandchild: Made
    old_parent: Made
    young_child: Made
    old_active: Made
    recent: Made
    foreign: Made  # another tenant's old trace, same session id

    @property
    def removed(self) -> list[Made]:
        return [self.old, self.root, self.child, self.grandchild]

    @property
    def kept(self) -> list[Made]:
        return [self.old_parent, self.young_child, self.old_active, self.recent]


@pytest.fixture
def world(service: TraceService, tenant: str, harness: Harness) -> World:
    old = _trace(service, tenant, OLD)
    root = _trace(service, tenant, OLD)
    child = _trace(service, tenant, OLD, parent=root)
    grandchild = _trace(service, tenant, OLD, parent=child)
    old_parent = _trace(service, tenant, OLD)
    young_child = _trace(service, tenant, RECENT, parent=old_parent)
    old_active = _trace(service, tenant, OLD, done=False)
    # a kept step depends on a step of a trace that retention removes
    recent = _trace(service, tenant, RECENT, depends_on=old.step_ids[0])
    foreign = _trace(service, harness.new_tenant(), OLD)
    return World(old, root, child, grandchild, old_parent, young_child, old_active, recent,
                 foreign)


def _foreign_tenant(store: GraphStore, world: World, tenant: str) -> str:
    (owner,) = [t for t in store.tenants() if t != tenant
                and store.get_traces(t, [world.foreign.trace_id])]
    return owner


def test_dry_run_lists_and_removes_nothing(store: GraphStore, tenant: str, world: World) -> None:
    report = apply_retention(store, tenant, 90, now=NOW, dry_run=True)
    assert {s.trace_id for s in report.removed} == {m.trace_id for m in world.removed}
    every = [m.trace_id for m in world.removed + world.kept]
    assert set(store.get_traces(tenant, every)) == set(every)


def test_expired_traces_leave_tombstones(store: GraphStore, service: TraceService, tenant: str,
                                         world: World) -> None:
    before = store.get_traces(tenant, [m.trace_id for m in world.removed])
    report = apply_retention(store, tenant, 90, now=NOW)

    order = [s.trace_id for s in report.removed]
    assert set(order) == {m.trace_id for m in world.removed}
    assert order.index(world.grandchild.trace_id) < order.index(world.child.trace_id)
    assert order.index(world.child.trace_id) < order.index(world.root.trace_id)
    assert report.kept_with_children == [world.old_parent.trace_id]

    stones = {s.trace_id: s for s in store.tombstones(tenant, SESSION)}
    assert set(stones) == set(order)
    for trace_id, row in before.items():
        stone = stones[trace_id]
        assert (stone.tenant_id, stone.session_id) == (tenant, SESSION)
        assert stone.entry_count == row.entry_count == 6
        assert stone.final_hash == row.head_hash
        assert stone.hash == tombstone_hash(tenant, trace_id, SESSION, row.entry_count,
                                            row.head_hash, stone.removed_at)
    assert stones == {s.trace_id: s for s in report.removed}

    session = service.verify_session(tenant, SESSION)
    assert session.valid and session.first_broken_seq is None
    assert session.reason is not None and "4 trace(s) removed by retention" in session.reason
    assert all(m.trace_id in session.reason for m in world.removed)
    assert session.traces_checked == len(world.kept)
    for kept in world.kept:
        assert service.verify_trace(tenant, kept.trace_id).valid

    # idempotent: nothing more expires
    assert apply_retention(store, tenant, 90, now=NOW).removed == []


def test_removed_nodes_leave_every_read(store: GraphStore, tenant: str, world: World) -> None:
    gone = [n for m in world.removed for n in m.node_ids]
    kept = [n for m in world.kept for n in m.node_ids]
    assert set(store.resolve(tenant, gone)) == set(gone)
    assert store.paths(tenant, world.root.trace_id, world.grandchild.step_ids[-1]).paths
    dep = world.recent.step_ids[0]
    assert world.old.step_ids[0] in {n.node_id for n in
                                     store.lineage(tenant, dep, "UP").nodes}

    apply_retention(store, tenant, 90, now=NOW)

    assert store.resolve(tenant, gone) == {}
    assert set(store.resolve(tenant, kept)) == set(kept)
    assert store.get_traces(tenant, [m.trace_id for m in world.removed]) == {}
    assert all(v == [] for v in store.entries(tenant, [m.trace_id
                                                       for m in world.removed]).values())
    assert all(v == [] for v in store.children(tenant, [world.root.trace_id]).values())
    assert store.paths(tenant, world.root.trace_id, world.grandchild.step_ids[-1]).paths == []
    assert store.paths(tenant, world.old.step_ids[0], dep).paths == []
    for direction in ("out", "in"):
        edges = store.edges(tenant, gone + kept, direction)  # type: ignore[arg-type]
        touched = {n for es in edges.values() for e in es for n in (e.src, e.dst)}
        assert not touched & set(gone), direction
    lineage = {n.node_id for k in (dep, world.young_child.trace_id)
               for n in store.lineage(tenant, k, "BOTH").nodes}
    assert not lineage & set(gone)
    assert world.old_parent.trace_id in lineage  # the kept parent is still linked
    listed = store.list_traces(tenant, TraceFilter(), 100)
    assert {r.trace_id for r in listed} == {m.trace_id for m in world.kept}


def test_other_tenants_are_untouched(store: GraphStore, service: TraceService, tenant: str,
                                     world: World) -> None:
    other = _foreign_tenant(store, world, tenant)
    assert {tenant, other} <= set(store.tenants())
    before = store.get_traces(other, [world.foreign.trace_id])
    apply_retention(store, tenant, 90, now=NOW)
    assert store.get_traces(other, [world.foreign.trace_id]) == before
    assert set(store.resolve(other, world.foreign.node_ids)) == set(world.foreign.node_ids)
    assert store.tombstones(other, SESSION) == []
    assert service.verify_session(other, SESSION).reason is None
    # and the other tenant's own retention removes its trace only
    report = apply_retention(store, other, 90, now=NOW)
    assert [s.trace_id for s in report.removed] == [world.foreign.trace_id]
    assert set(store.get_traces(tenant, [m.trace_id for m in world.kept])) == {
        m.trace_id for m in world.kept}


def test_longer_policy_keeps_everything(store: GraphStore, tenant: str, world: World) -> None:
    assert apply_retention(store, tenant, 365, now=NOW).removed == []
    assert len(store.get_traces(tenant, [m.trace_id for m in world.removed])) == 4


def test_a_tenant_whose_traces_are_all_removed_keeps_its_log_signed(
        store: GraphStore, service: TraceService, harness: Harness,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """Retention removing a tenant's last trace grows its log by a tombstone leaf: the
    tenant stays listed (operators' --all-tenants work, the interval checkpointer, stream
    sinks), so the checkpointer signs the log with the removal in it."""
    from tracegraph.api.service.audit import AuditService
    from tracegraph.api.service.signing import LogSigning

    alone = harness.new_tenant()
    _trace(service, alone, OLD)
    keys = tmp_path_factory.mktemp("keys")
    audit = AuditService(service, LogSigning.load(key_dir=keys, environ={}))
    first = audit.create_checkpoint(alone).size
    assert apply_retention(store, alone, 90, now=NOW).removed
    assert store.list_traces(alone, TraceFilter(), 10) == []
    assert alone in store.tenants()
    audit.checkpoint_grown()
    latest = audit.latest_checkpoint(alone)
    assert latest is not None and latest.checkpoint.size == first + 1  # + the tombstone leaf
    audit.close()


def test_retention_removes_the_traces_step_vectors(store: GraphStore, service: TraceService,
                                                   tenant: str) -> None:
    """Embeddings are derived from a step's content: retention removes them with the trace
    (every model), and leaves the vectors of kept traces."""
    from tracegraph.graph.vectors import StepVector, VectorFilter, VectorStore

    if not isinstance(store, VectorStore):
        pytest.skip(f"the {store.backend_name} backend keeps no vectors")
    old, kept = _trace(service, tenant, OLD), _trace(service, tenant, RECENT)
    rng = np.random.default_rng(11)
    rows = []
    for made in (old, kept):
        for i, step_id in enumerate(made.step_ids):
            v = rng.standard_normal(384).astype(np.float32)
            rows.append(StepVector(step_id=step_id, trace_id=made.trace_id, session_id=SESSION,
                                   agent_id=None, step_type="Decision", step_index=i,
                                   created_at="2026-01-01T00:00:00.000000Z",
                                   vector=(v / np.linalg.norm(v)).tolist()))
    for model in ("m1", "m2"):
        store.put_vectors(tenant, model, rows)
    apply_retention(store, tenant, 90, now=NOW)
    for model in ("m1", "m2"):
        got = store.trace_vectors(tenant, model, [old.trace_id, kept.trace_id])
        assert set(got) == {kept.trace_id}
        assert store.vector_ids(tenant, model, old.step_ids + kept.step_ids) == set(
            kept.step_ids)
        hits = store.search_vectors(tenant, model, rows[0].vector, 10, VectorFilter())
        assert {h.trace_id for h in hits} == {kept.trace_id}


class _RemovingEmbedder:
    """An embedder during whose first call retention removes the trace being embedded (as
    retention on another server would): the worker read the trace before, and writes its
    vectors after, the removal."""

    name = "race-test"
    dimensions = 384

    def __init__(self, remove: Callable[[], object]) -> None:
        self.remove = remove
        self.calls = 0
        self.recorded = threading.Event()  # (the trace is whole: retention may remove it)

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        if self.calls == 1:
            assert self.recorded.wait(60)
            self.remove()
        rng = np.random.default_rng(len(texts))
        return unit_rows(rng.standard_normal((len(texts), self.dimensions)))


def test_vectors_written_while_retention_removes_the_trace_are_removed(
        store: GraphStore, tenant: str) -> None:
    """The embedding worker embeds a step of a trace that retention removes before the
    vectors are written: they are removed too (not merely left out of answers), and the
    steps of a trace recorded after are embedded as before."""
    from tracegraph.graph.vectors import VectorFilter, VectorStore
    from tracegraph.schema.sampling import EmbeddingSampling, SamplingPolicy

    if not isinstance(store, VectorStore):
        pytest.skip(f"the {store.backend_name} backend keeps no vectors")
    svc = TraceService(store, sampling=SamplingPolicy(default=EmbeddingSampling(rate=1.0)))
    embedder = _RemovingEmbedder(lambda: apply_retention(store, tenant, 90, now=NOW))
    semantic = svc.enable_semantic(embedder, catch_up=False)
    try:
        old = _trace(svc, tenant, OLD)
        embedder.recorded.set()
        assert semantic.drain(60)
        assert embedder.calls >= 1 and not store.get_traces(tenant, [old.trace_id])
        recent = _trace(svc, tenant, RECENT)
        assert semantic.drain(60)
    finally:
        semantic.close()
    model = embedder.name
    assert store.vector_ids(tenant, model, old.step_ids) == set()
    assert store.trace_vectors(tenant, model, [old.trace_id]) == {}
    assert store.vector_ids(tenant, model, recent.step_ids) == set(recent.step_ids)
    query = unit_rows(np.ones((1, embedder.dimensions)))[0].tolist()
    hits = store.search_vectors(tenant, model, query, 10, VectorFilter())
    assert {h.trace_id for h in hits} == {recent.trace_id}
