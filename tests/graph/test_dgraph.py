"""The Dgraph backend against the embedded reference, on a real Dgraph (scripts/dgraph).

The same appends go to a fresh embedded store and to Dgraph; every read, path and lineage
answer must then be identical. Plus what only the Dgraph backend has: the record codec,
list variables, concurrent retries of one batch, and values that look like DQL.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pydgraph
import pytest
from tracegraph.graph.dgraph import DgraphStore
from tracegraph.graph.dgraph.codec import decode_record, encode_record
from tracegraph.graph.dgraph.dql import bind
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.protocol import GraphStore, Tombstone, TraceCursor, TraceFilter
from tracegraph.schema.chain import tombstone_hash, verify_entries
from tracegraph.schema.errors import (
    AlreadyExists,
    BackendUnavailable,
    ChainConflict,
    InvalidInput,
    TraceClosed,
    TraceNotFound,
)
from tracegraph.schema.records import reasoning_hash

from ..conformance.backends.dgraph import ADDR, _script


# -- no server needed --------------------------------------------------------------------------
@pytest.mark.parametrize("record", [
    {"step_id": "s", "confidence": 0.1 + 0.2, "duration_ms": 12, "cost_usd": 1e-7,
     "latency_ms": 1e21, "input_tokens": 2**62, "content": "", "metadata": {"b": 1, "a": [1.5]},
     "input_data": "a string payload", "output_data": None, "alternatives_considered": ["x", "x"],
     "include_reasoning_trace": False},
    {"goal": "g", "confidence": "not a number", "input_tokens": 1.5, "unknown": {"z": [True]},
     "status_code": True, "session_id": 7},
])
def test_codec_round_trips_every_value_exactly(record: dict[str, Any]) -> None:
    stored = encode_record(record)
    assert all(k.startswith("rec.") for k in stored)
    assert decode_record(stored) == record
    # types survive too (a bool is not an int, an int stays an int)
    assert {k: type(v) for k, v in decode_record(stored).items()} == {
        k: type(v) for k, v in record.items()}


def test_mismatched_values_go_to_extra() -> None:
    stored = encode_record({"input_tokens": 1.5, "goal": 3, "new_field": "x"})
    assert set(stored) == {"rec.extra"}


def test_a_packed_entry_keeps_apart_only_the_fields_dql_reads() -> None:
    """A packed step is a few triples: created_at and depends_on (edge order) and one body."""
    record = {"step_id": "s1", "step_type": "A", "content": "c", "confidence": 0.5,
              "input_tokens": 3, "depends_on": ["s0"], "created_at": "2026-01-01T00:00:00Z",
              "metadata": {"k": [1]}, "input_data": 1.5}
    stored = encode_record(record, "step", packed=True)
    assert set(stored) == {"rec.created_at", "rec.depends_on", "rec.body"}
    assert decode_record(stored) == record
    assert encode_record({}, "api_call", packed=True) == {"rec.body": "{}"}
    # per field (traces started before packing): every field of the kind's table apart
    per_field = encode_record(record, "step")
    assert "rec.content" in per_field and "rec.body" not in per_field
    assert decode_record(per_field) == record


def test_bind_expands_lists_into_variables_only() -> None:
    query, variables = bind(
        "query q($t: string, $ids: [string]) { n(func: eq(node.id, $ids)) @filter(eq(x, $t)) "
        "{ uid } m(func: eq(trace.id, $ids)) { uid } }",
        {"t": '") { uid } }', "ids": ["a\"b", "c"]},
    )
    assert '"' not in query and "a" not in query.split("{")[0].replace("query q", "")
    assert "[$ids_0, $ids_1]" in query and query.count("[$ids_0, $ids_1]") == 2
    assert variables == {"$t": '") { uid } }', "$ids_0": 'a"b', "$ids_1": "c"}
    empty, values = bind("query q($ids: [string]) { n(func: eq(node.id, $ids)) { uid } }",
                         {"ids": []})
    assert values == {"$ids_0": ""} and "[$ids_0]" in empty


# -- on a real Dgraph --------------------------------------------------------------------------

class Workload:
    """A deterministic nested multi-agent workload, appended item by item to both stores."""

    def __init__(self, stores: list[GraphStore], seed: int) -> None:
        self.stores = stores
        self.rng = random.Random(seed)
        self.run = uuid.uuid4().hex[:8]
        self.clock = 0
        self.traces: dict[str, list[str]] = {}  # trace -> its step ids
        self.tenant_of: dict[str, str] = {}
        self.nodes: dict[str, list[str]] = {}  # tenant -> every node id
        self.tenants = (f"a{self.run}", f"b{self.run}")

    def now(self) -> str:
        self.clock += 1
        return f"2026-03-01T00:{self.clock // 3600 % 60:02d}:{self.clock % 3600 // 60:02d}." \
               f"{self.clock % 60:06d}Z"

    def append(self, tenant: str, trace: str, items: list[tuple[str, dict[str, Any]]],
               **kw: Any) -> list[Any]:
        results = [s.append(tenant, trace, items, **kw) for s in self.stores]
        assert all(r == results[0] for r in results)
        return results[0]

    def start(self, tenant: str, session: str, agent: str, parent: str | None = None,
              spawned_by: str | None = None, created_at: str | None = None) -> str:
        trace = f"{self.run}-t{len(self.traces)}"
        record: dict[str, Any] = {"session_id": session, "agent_id": agent,
                                  "goal": f"goal of {trace}", "created_at": created_at
                                  or self.now()}
        if parent:
            record["parent_trace_id"] = parent
        if spawned_by:
            record["spawned_by_step_id"] = spawned_by
        self.append(tenant, trace, [("trace_started", record)])
        self.traces[trace] = []
        self.tenant_of[trace] = tenant
        self.nodes.setdefault(tenant, []).append(trace)
        return trace

    def steps(self, trace: str, n: int) -> list[str]:
        tenant = self.tenant_of[trace]
        own = [s for t, ss in self.traces.items() if self.tenant_of[t] == tenant for s in ss]
        items = []
        batch: list[str] = []
        for _ in range(n):
            step_id = f"{trace}-s{len(self.traces[trace]) + len(batch)}"
            earlier = own + batch
            deps = sorted(self.rng.sample(earlier, k=min(len(earlier), self.rng.choice(
                [0, 0, 1, 2]))), key=lambda _: self.rng.random())
            content = f"thought {step_id} ✓"
            record: dict[str, Any] = {
                "step_id": step_id, "step_type": self.rng.choice(["Reasoning", "Decision"]),
                "content": content, "reasoning_hash": reasoning_hash(content),
                "input_data": {"q": self.rng.random(), "n": [1, None, True]},
                "confidence": round(self.rng.random(), 3), "model_id": self.rng.choice(
                    ["model-a", "model-b"]), "input_tokens": self.rng.randrange(100),
                "duration_ms": self.rng.choice([12, 12.5]), "created_at": self.now(),
            }
            if deps:
                record["depends_on"] = deps
            if self.rng.random() < 0.5:
                record["alternatives_considered"] = ["left", "right", "left"][
                    : self.rng.randrange(1, 4)]
                record["selected_alternative"] = "left"
            items.append(("step", record))
            batch.append(step_id)
        self.append(tenant, trace, items)
        self.traces[trace].extend(batch)
        self.nodes[tenant].extend(batch)
        for _kind, r in items:
            self.nodes[tenant].extend(
                f"{r['step_id']}#alt{i}" for i in range(len(r.get("alternatives_considered", []))))
        return batch

    def call(self, trace: str, step: str | None) -> str:
        call_id = f"{trace}-c{self.clock}"
        record: dict[str, Any] = {"call_id": call_id, "api_type": "llm", "cost_usd": 0.0125,
                                  "latency_ms": 320, "created_at": self.now()}
        if step:
            record["step_id"] = step
        self.append(self.tenant_of[trace], trace, [("api_call", record)])
        self.nodes[self.tenant_of[trace]].append(call_id)
        return call_id

    def ask(self, trace: str, step: str | None) -> str:
        input_id = f"{trace}-h{self.clock}"
        record: dict[str, Any] = {"input_id": input_id, "question": "ok?", "answer": "yes",
                                  "created_at": self.now()}
        if step:
            record["step_id"] = step
        self.append(self.tenant_of[trace], trace, [("human_input", record)])
        self.nodes[self.tenant_of[trace]].append(input_id)
        return input_id

    def complete(self, trace: str, outcome: str = "success") -> None:
        record = {"status": "completed" if outcome != "failure" else "failed",
                  "outcome": outcome, "final_answer": "42", "completed_at": self.now(),
                  "totals": {"input_tokens": 3}, "model_ids_used": ["model-a"],
                  "path_taken": ["Reasoning"]}
        self.append(self.tenant_of[trace], trace, [("trace_completed", record)])


@pytest.fixture(scope="module")
def both(dgraph: DgraphStore, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[EmbeddedStore, DgraphStore, Workload]]:
    embedded = EmbeddedStore(Path(tmp_path_factory.mktemp("reference")))
    w = Workload([embedded, dgraph], seed=7)
    for tenant in w.tenants:
        for session in ("s1", "s2"):
            root = w.start(tenant, f"{w.run}-{session}", "planner")
            rs = w.steps(root, 4)
            child = w.start(tenant, f"{w.run}-{session}", "worker", root, rs[1])
            cs = w.steps(child, 3)
            grand = w.start(tenant, f"{w.run}-{session}", "worker", child, cs[2])
            w.steps(grand, 2)
            w.steps(root, 3)
            w.call(root, rs[0])
            w.call(child, None)
            w.ask(root, rs[2])
            w.steps(child, 2)
            w.complete(grand)
            w.complete(child, "failure")
            w.start(tenant, f"{w.run}-{session}", "solo",
                    created_at="2026-03-01T00:00:00.000000Z")  # ties on created_at
            w.start(tenant, f"{w.run}-{session}", "solo",
                    created_at="2026-03-01T00:00:00.000000Z")
    yield embedded, dgraph, w
    embedded.close()


def test_reads_match_the_embedded_reference(
    both: tuple[EmbeddedStore, DgraphStore, Workload]
) -> None:
    ref, dg, w = both
    a, b = w.tenants
    traces = [*w.traces, "missing-trace"]
    for tenant in (a, b):
        assert ref.get_traces(tenant, traces) == dg.get_traces(tenant, traces)
        assert len(dg.get_traces(tenant, traces)) == len(traces) // 2
        assert ref.entries(tenant, traces) == dg.entries(tenant, traces)
        for kinds in (frozenset({"step"}), frozenset({"api_call", "human_input"})):
            assert ref.entries(tenant, traces, kinds) == dg.entries(tenant, traces, kinds)
        refs = [(t, s) for t in traces for s in range(0, 14, 3)]
        assert ref.entries_at(tenant, refs) == dg.entries_at(tenant, refs)
        assert ref.children(tenant, traces) == dg.children(tenant, traces)
        nodes = [*w.nodes[a], *w.nodes[b], "missing-node"]
        assert ref.resolve(tenant, nodes) == dg.resolve(tenant, nodes)
        for direction in ("out", "in"):
            assert ref.edges(tenant, nodes, direction) == dg.edges(tenant, nodes, direction)
    for trace, tenant in w.tenant_of.items():
        entries = dg.entries(tenant, [trace])[trace]
        row = dg.get_traces(tenant, [trace])[trace]
        assert verify_entries(entries, tenant_id=tenant, trace_id=trace,
                            expected_length=row.entry_count).valid


@pytest.mark.parametrize("flt", [
    TraceFilter(), TraceFilter(session_id="SESSION"), TraceFilter(agent_id="worker"),
    TraceFilter(status="failed"), TraceFilter(status="active"), TraceFilter(outcome="success"),
    TraceFilter(model_id="model-b"), TraceFilter(roots_only=True),
    TraceFilter(created_after="2026-03-01T00:00:00.000010Z",
                created_before="2026-03-01T00:00:01.000000Z"),
    TraceFilter(session_id="SESSION", agent_id="worker", roots_only=False, status="completed"),
    TraceFilter(parent_trace_id="PARENT"),
])
def test_listing_matches_page_by_page(
    both: tuple[EmbeddedStore, DgraphStore, Workload], flt: TraceFilter
) -> None:
    ref, dg, w = both
    first = next(iter(w.traces))
    if flt.session_id == "SESSION":
        flt = TraceFilter(**{**_fields(flt), "session_id": f"{w.run}-s1"})
    if flt.parent_trace_id == "PARENT":
        flt = TraceFilter(parent_trace_id=first)
    for tenant in w.tenants:
        expected = ref.list_traces(tenant, flt, 1000)
        assert expected == dg.list_traces(tenant, flt, 1000)
        pages, cursor = [], None
        while True:
            page = dg.list_traces(tenant, flt, 2, cursor)
            assert page == ref.list_traces(tenant, flt, 2, cursor)
            pages.extend(page)
            if len(page) < 2:
                break
            cursor = TraceCursor(page[-1].started["created_at"], page[-1].trace_id)
        assert pages == expected


def _fields(flt: TraceFilter) -> dict[str, Any]:
    return {k: getattr(flt, k) for k in TraceFilter.__dataclass_fields__}


def test_paths_and_lineage_match_the_embedded_reference(
    both: tuple[EmbeddedStore, DgraphStore, Workload]
) -> None:
    ref, dg, w = both
    rng = random.Random(11)
    a, b = w.tenants
    nodes = w.nodes[a]
    roots = [t for t in w.traces if w.tenant_of[t] == a]
    pairs = [(rng.choice(roots), rng.choice(nodes)) for _ in range(12)]
    pairs += [(rng.choice(nodes), rng.choice(nodes)) for _ in range(12)]
    pairs += [(nodes[0], nodes[0]), (nodes[0], w.nodes[b][0]), (nodes[0], "missing")]
    found = 0
    for src, dst in pairs:
        for mode, max_length, limit in (("SHORTEST", None, 100), ("SHORTEST", 2, 100),
                                        ("ALL_SIMPLE", 4, 100), ("ALL_SIMPLE", 6, 3),
                                        ("ALL_SIMPLE", None, 5)):
            expected = ref.paths(a, src, dst, mode, max_length, limit)  # type: ignore[arg-type]
            assert dg.paths(a, src, dst, mode, max_length, limit) == expected, (  # type: ignore[arg-type]
                src, dst, mode, max_length, limit)
            found += len(expected.paths)
    assert found > 20  # the pairs are not all unconnected
    for node in [*rng.sample(nodes, 15), roots[0], w.nodes[b][0], "missing"]:
        for direction, depth, limit in (("BOTH", 50, 10_000), ("UP", 2, 10_000),
                                        ("DOWN", 3, 5), ("DOWN", 0, 10)):
            expected_l = ref.lineage(a, node, direction, depth, limit)  # type: ignore[arg-type]
            assert dg.lineage(a, node, direction, depth, limit) == expected_l  # type: ignore[arg-type]


def test_long_unbounded_shortest_path(dgraph: DgraphStore, tmp_path: Path) -> None:
    """A 300-step chain: the unbounded search deepens past its first depths (8, 64)."""
    ref = EmbeddedStore(tmp_path)
    w = Workload([ref, dgraph], seed=1)
    w.rng = random.Random(0)
    tenant = f"c{w.run}"
    trace = w.start(tenant, "long", "a")
    w.rng.choice = lambda seq: seq[0]  # type: ignore[method-assign]  # no dependsOn
    steps = w.steps(trace, 300)
    got = dgraph.paths(tenant, steps[0], steps[-1])
    assert got == ref.paths(tenant, steps[0], steps[-1])
    assert len(got.paths[0].nodes) == 300
    ref.close()


def test_append_errors_and_idempotent_retries(dgraph: DgraphStore, tmp_path: Path) -> None:
    ref = EmbeddedStore(tmp_path)
    w = Workload([ref, dgraph], seed=3)
    tenant, other = f"e{w.run}", f"f{w.run}"
    trace = w.start(tenant, "s", "a")
    start_item = ("trace_started", dgraph.entries(tenant, [trace])[trace][0].record)
    for store in (ref, dgraph):
        # a retried start is idempotent; a different start is refused
        assert store.append(tenant, trace, [start_item])[0].seq == 0
        with pytest.raises(AlreadyExists):
            store.append(tenant, trace, [("trace_started", {**start_item[1], "goal": "x"})])
        with pytest.raises(TraceNotFound):  # another tenant's trace: not found by it ...
            store.append(other, trace, [("step", {"step_id": "x", "step_type": "A"})])
        # ... and its id is free there (ids are per tenant)
        (theirs,) = store.append(other, trace, [start_item])
        assert (theirs.tenant_id, theirs.seq) == (other, 0)
        with pytest.raises(TraceNotFound):
            store.append(tenant, "no-such-trace", [("step", {"step_id": "x", "step_type": "A"})])
    batch = [("step", {"step_id": f"{trace}-x{i}", "step_type": "Action",
                       "created_at": w.now()}) for i in range(3)]
    first = w.append(tenant, trace, batch)
    assert w.append(tenant, trace, batch) == first  # every id stored: the same entries
    for store in (ref, dgraph):
        with pytest.raises(AlreadyExists):  # some stored, some not
            store.append(tenant, trace, [*batch, ("step", {"step_id": f"{trace}-new",
                                                           "step_type": "A"})])
        with pytest.raises(AlreadyExists):  # an id of this trace, under another trace
            other_trace = f"{trace}-other"
            store.append(tenant, other_trace, [start_item])
            store.append(tenant, other_trace, batch[:1])
        with pytest.raises(ChainConflict):
            store.append(tenant, trace, [("step", {"step_id": "late", "step_type": "A"})],
                         expected_seq=1)
    w.complete(trace)
    for store in (ref, dgraph):
        with pytest.raises(TraceClosed):
            store.append(tenant, trace, [("step", {"step_id": "after", "step_type": "A"})])
    with pytest.raises(InvalidInput):  # an edge to a node that does not exist
        t2 = w.start(tenant, "s", "a")
        dgraph.append(tenant, t2, [("step", {"step_id": f"{t2}-d", "step_type": "A",
                                             "depends_on": ["nowhere"]})])
    assert dgraph.entries(tenant, [t2])[t2][-1].seq == 0  # nothing of the batch stored
    ref.close()


def test_concurrent_retries_of_one_batch_store_it_once(dgraph: DgraphStore) -> None:
    tenant, trace = f"r{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}"
    dgraph.append(tenant, trace, [("trace_started", {"session_id": "s",
                                                     "created_at": "2026-01-01T00:00:00Z"})])
    batch = [("step", {"step_id": f"{trace}-s{i}", "step_type": "A"}) for i in range(20)]
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def write() -> None:
        barrier.wait()
        results.append(dgraph.append(tenant, trace, batch))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 8 and all(r == results[0] for r in results)
    assert [e.seq for e in dgraph.entries(tenant, [trace])[trace]] == list(range(21))


def test_values_that_look_like_dql_are_stored_verbatim(dgraph: DgraphStore) -> None:
    tenant = f"q{uuid.uuid4().hex[:8]}"
    trace = f"t{uuid.uuid4().hex[:8]}"
    hostile = '") @filter(has(entry.key)) { uid } } <0x1> * * . _:x <a> "b" .'
    record = {"session_id": hostile, "goal": hostile + "\u0000\U0001F600",
              "metadata": {hostile: [hostile]}, "created_at": "2026-01-01T00:00:00Z"}
    sealed = dgraph.append(tenant, trace, [("trace_started", record)])
    assert dgraph.entries(tenant, [trace])[trace] == sealed
    assert [r.trace_id for r in dgraph.list_traces(tenant, TraceFilter(session_id=hostile),
                                                   10)] == [trace]
    assert dgraph.resolve(tenant, [hostile]) == {}


def test_remove_trace_leaves_a_tombstone_and_no_edges(
    dgraph: DgraphStore, tmp_path: Path
) -> None:
    ref = EmbeddedStore(tmp_path)
    w = Workload([ref, dgraph], seed=5)
    tenant = f"g{w.run}"
    root = w.start(tenant, "sess", "a")
    rs = w.steps(root, 3)
    child = w.start(tenant, "sess", "b", root, rs[0])
    cs = w.steps(child, 2)
    w.call(child, cs[0])
    later = w.steps(root, 2)  # may depend on the child's steps
    w.complete(child)
    row = dgraph.get_traces(tenant, [child])[child]
    removed_at = "2026-06-01T00:00:00.000000Z"
    stone_hash = tombstone_hash(tenant, child, "sess", row.entry_count, row.head_hash, removed_at)
    stone = Tombstone(tenant, child, "sess", row.entry_count, row.head_hash, removed_at,
                      stone_hash)
    for store in (ref, dgraph):
        store.remove_trace(tenant, child, stone)
        with pytest.raises(TraceNotFound):
            store.remove_trace(tenant, child, stone)
    assert dgraph.tombstones(tenant, "sess") == ref.tombstones(tenant, "sess") == [stone]
    assert dgraph.get_traces(tenant, [child]) == {}
    assert dgraph.entries(tenant, [child]) == {child: []}
    nodes = [root, child, *rs, *cs, *later]
    assert dgraph.resolve(tenant, nodes) == ref.resolve(tenant, nodes)
    for direction in ("out", "in"):
        assert dgraph.edges(tenant, nodes, direction) == ref.edges(tenant, nodes, direction)
    assert dgraph.children(tenant, [root]) == {root: []}
    assert dgraph.lineage(tenant, root) == ref.lineage(tenant, root)
    with pytest.raises(AlreadyExists):  # a removed trace id is not reused
        dgraph.append(tenant, child, [("trace_started", {"session_id": "sess",
                                                         "created_at": "2026-01-01T00:00:00Z"})])
    ref.close()


def test_fields_of_other_kinds_and_unknown_fields_round_trip(dgraph: DgraphStore) -> None:
    """A field a kind does not list is kept in rec.extra, read back and hashed like the rest."""
    tenant, trace = f"k{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}"
    dgraph.append(tenant, trace, [("trace_started", {"session_id": "s", "final_answer": "x",
                                                     "created_at": "2026-01-01T00:00:00Z"})])
    sealed = dgraph.append(tenant, trace, [("step", {
        "step_id": f"{trace}-s", "step_type": "A", "goal": "not a step field",
        "future_field": {"nested": [1, 2.5]}, "input_tokens": 1.5})])
    stored = dgraph.entries(tenant, [trace])[trace]
    assert stored[1] == sealed[0] and stored[1].record["goal"] == "not a step field"
    assert dgraph.entries_at(tenant, [(trace, 1)])[(trace, 1)] == sealed[0]
    assert dgraph.entries(tenant, [trace], frozenset({"step"}))[trace] == sealed
    assert verify_entries(stored, tenant_id=tenant, trace_id=trace).valid


def test_a_trace_started_per_field_is_read_and_extended_per_field(
    dgraph: DgraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trace started before packing (every field its own predicate, no trace.packed) reads,
    verifies and takes appends in its own layout; a new trace is packed."""
    from tracegraph.graph.dgraph import codec, nquads

    tenant, trace, packed = (f"l{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}",
                             f"p{uuid.uuid4().hex[:8]}")
    start = {"session_id": "s", "goal": "g", "created_at": "2026-01-01T00:00:00Z"}
    step = {"step_type": "A", "content": "old", "confidence": 0.25, "input_tokens": 7,
            "created_at": "2026-01-01T00:00:00Z"}
    raw = pydgraph.DgraphClient(dgraph._stub)

    def node(query: str, value: str) -> dict[str, Any]:
        got = raw.txn(read_only=True).query(query, variables={"$v": value})
        found: list[dict[str, Any]] = orjson.loads(got.json)["n"]
        assert len(found) == 1
        return found[0]

    with monkeypatch.context() as m:  # what the previous code wrote
        m.setattr(nquads, "record_literals",
                  lambda record, kind, packed: codec.record_literals(record, kind))
        old = [*dgraph.append(tenant, trace, [("trace_started", start)]),
               *dgraph.append(tenant, trace, [("step", {**step, "step_id": f"{trace}-0"})])]
    uid = node("query q($v: string) { n(func: eq(trace.id, $v)) { uid } }", trace)["uid"]
    raw.txn().mutate(del_obj={"uid": uid, "trace.packed": None}, commit_now=True)
    new = dgraph.append(tenant, trace, [("step", {**step, "step_id": f"{trace}-1",
                                                  "depends_on": [f"{trace}-0"]})])
    stored = dgraph.entries(tenant, [trace])[trace]
    assert stored == [*old, *new]
    assert verify_entries(stored, tenant_id=tenant, trace_id=trace).valid
    assert dgraph.entries_at(tenant, [(trace, 1), (trace, 2)]) == {(trace, 1): old[1],
                                                                   (trace, 2): new[0]}
    assert dgraph.entries(tenant, [trace], frozenset({"step"}))[trace] == [old[1], *new]
    out = dgraph.edges(tenant, [f"{trace}-1"], "out")[f"{trace}-1"]
    assert [(e.type, e.dst) for e in out] == [("DEPENDS_ON", f"{trace}-0")]
    by_id = "query q($v: string) { n(func: eq(node.id, $v)) { rec.content rec.body } }"
    assert node(by_id, f"{trace}-1") == {"rec.content": "old"}  # still per field
    # a new trace is packed, and both read together
    fresh = [*dgraph.append(tenant, packed, [("trace_started", start)]),
             *dgraph.append(tenant, packed, [("step", {**step, "step_id": f"{packed}-0"})])]
    assert set(node(by_id, f"{packed}-0")) == {"rec.body"}
    assert dgraph.entries(tenant, [trace, packed]) == {trace: stored, packed: fresh}
    assert dgraph.get_traces(tenant, [packed])[packed].started == start


def test_an_unreachable_alpha_is_backend_unavailable() -> None:
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"unreachable.*scripts/dgraph start"):
        DgraphStore("127.0.0.1:1", reconnect_timeout=1.0)
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_a_store_rides_out_an_alpha_restart(dgraph: DgraphStore) -> None:
    """The same store object reads and appends after the server restarted under it, while
    an append waits for the restarting alpha instead of failing."""
    tenant, trace = f"z{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}"
    dgraph.append(tenant, trace, [("trace_started", {"session_id": "s",
                                                     "created_at": "2026-01-01T00:00:00Z"})])
    assert _script("stop").returncode == 0
    restarted = threading.Thread(target=_script, args=("start",))
    restarted.start()
    sealed = dgraph.append(tenant, trace, [("step", {"step_id": f"{trace}-s0",
                                                     "step_type": "A"})])
    restarted.join()
    assert [e.seq for e in dgraph.entries(tenant, [trace])[trace]] == [0, 1]
    assert dgraph.entries(tenant, [trace])[trace][1] == sealed[0]


def test_an_open_does_not_alter_a_schema_in_place(
    dgraph: DgraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alter waits for every pending transaction of the cluster: a store only alters when
    the schema it reads back differs from its own."""
    from tracegraph.graph.dgraph import dql, store

    assert dgraph._schema_in_place()
    monkeypatch.setattr(store, "_SCHEMA_APPLIED", set())
    altered: list[object] = []
    monkeypatch.setattr(pydgraph.DgraphClient, "alter",
                        lambda self, op, **kw: altered.append(op))
    DgraphStore(ADDR).close()
    assert altered == []
    wanted = dql.expected_predicates()
    wanted["trace.id"] = {**wanted["trace.id"], "tokenizer": ["hash"]}
    monkeypatch.setattr(dql, "expected_predicates", lambda: wanted)
    assert not dgraph._schema_in_place()
    store._SCHEMA_APPLIED.clear()
    DgraphStore(ADDR).close()
    assert len(altered) == 1
