"""Dgraph ids keyed by tenant (graph/dgraph/keys.py), on a real Dgraph (scripts/dgraph).

Only the tenant-scoped keys carry ``@upsert``; two tenants' appends on the same ids write no
common index key; data written before the keys is keyed when a store opens the cluster.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import orjson
import pydgraph
import pytest
from tracegraph.graph.dgraph import DgraphStore, dql, store
from tracegraph.graph.dgraph.keys import entry_key, key, migrate
from tracegraph.graph.protocol import Tombstone
from tracegraph.schema.chain import tombstone_hash, verify_entries
from tracegraph.schema.errors import AlreadyExists

from ..conformance.backends.dgraph import ADDR


def test_only_tenant_scoped_keys_are_upserted() -> None:
    upserted = {p for p, spec in dql.expected_predicates().items() if spec.get("upsert")}
    assert {"trace.key", "node.key", "tomb.key", "entry.key"} <= upserted
    assert not upserted & {"trace.id", "node.id", "tomb.trace_id"}



def _start(created_at: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    return {"session_id": "s", "goal": "g", "created_at": created_at}


def _step(step_id: str, **extra: Any) -> dict[str, Any]:
    return {"step_id": step_id, "step_type": "Decision", "content": "c",
            "created_at": "2026-01-01T00:00:01Z", **extra}


def _query(raw: pydgraph.DgraphClient, text: str, value: str) -> list[dict[str, Any]]:
    got = raw.txn(read_only=True).query(text, variables={"$v": value})
    found: list[dict[str, Any]] = orjson.loads(got.json)["n"]
    return found


def test_two_tenants_store_the_same_ids_under_their_own_keys(dgraph: DgraphStore) -> None:
    run = uuid.uuid4().hex[:8]
    a, b, trace, step = f"a{run}", f"b{run}", f"t{run}", f"s{run}"
    for tenant in (a, b):
        dgraph.append(tenant, trace, [("trace_started", _start())])
        dgraph.append(tenant, trace, [("step", _step(step, alternatives_considered=["x"]))])
    dgraph.append(b, f"{trace}-2", [("trace_started", _start())])
    with pytest.raises(AlreadyExists):  # within a tenant an id is still taken once
        dgraph.append(b, f"{trace}-2", [("step", _step(step))])
    raw = pydgraph.DgraphClient(dgraph._stub)
    by_id = "query q($v: string) { n(func: eq(node.id, $v)) { node.key entry.key } }"
    assert sorted(n["node.key"] for n in _query(raw, by_id, step)) == [key(a, step),
                                                                       key(b, step)]
    assert sorted(n["entry.key"] for n in _query(raw, by_id, step)) == [
        entry_key(a, trace, 1), entry_key(b, trace, 1)]
    traces = "query q($v: string) { n(func: eq(trace.id, $v)) { trace.key } }"
    assert sorted(n["trace.key"] for n in _query(raw, traces, trace)) == [key(a, trace),
                                                                          key(b, trace)]
    alt = "query q($v: string) { n(func: eq(node.id, $v)) { node.key } }"
    assert sorted(n["node.key"] for n in _query(raw, alt, f"{step}#alt0")) == [
        key(a, f"{step}#alt0"), key(b, f"{step}#alt0")]


def _unkey(raw: pydgraph.DgraphClient, tenant: str, trace: str) -> None:
    """Make the trace look as the code before the keys wrote it."""
    q = """query q($v: string) {
      n(func: eq(trace.key, $v)) { uid e: ~entry.trace { uid entry.key node.id
        edge.considered { uid } } }
    }"""
    got = _query(raw, q, key(tenant, trace))
    assert len(got) == 1
    t = got[0]
    dels: list[dict[str, Any]] = [{"uid": t["uid"], "trace.key": None}]
    sets: list[dict[str, Any]] = []
    for e in t["e"]:
        dels.append({"uid": e["uid"], "node.key": None})
        dels.extend({"uid": x["uid"], "node.key": None} for x in e.get("edge.considered", []))
        sets.append({"uid": e["uid"], "entry.key": e["entry.key"].split("/", 1)[1]})
    raw.txn().mutate(del_obj=dels, commit_now=True)
    raw.txn().mutate(set_obj=sets, commit_now=True)


def test_data_from_before_the_keys_is_keyed_when_a_store_opens(
    dgraph: DgraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = uuid.uuid4().hex[:8]
    tenant, trace, gone = f"m{run}", f"t{run}", f"g{run}"
    dgraph.append(tenant, trace, [("trace_started", _start())])
    dgraph.append(tenant, trace, [("step", _step(f"{trace}-0", alternatives_considered=["x"])),
                                  ("step", _step(f"{trace}-1", depends_on=[f"{trace}-0"]))])
    dgraph.append(tenant, gone, [("trace_started", _start())])
    before = dgraph.entries(tenant, [trace])[trace]
    removed = dgraph.get_traces(tenant, [gone])[gone]
    at = "2026-02-01T00:00:00.000000Z"
    stone = Tombstone(tenant, gone, "s", removed.entry_count, removed.head_hash, at,
                      tombstone_hash(tenant, gone, "s", removed.entry_count,
                                     removed.head_hash, at))
    dgraph.remove_trace(tenant, gone, stone)
    raw = pydgraph.DgraphClient(dgraph._stub)
    _unkey(raw, tenant, trace)
    stones = "query q($v: string) { n(func: eq(tomb.key, $v)) { uid } }"
    uid = _query(raw, stones, key(tenant, gone))[0]["uid"]
    raw.txn().mutate(del_obj={"uid": uid, "tomb.key": None}, commit_now=True)
    assert dgraph.get_traces(tenant, [trace]) == {}  # unkeyed: not found until migrated

    monkeypatch.setattr(store, "_SCHEMA_APPLIED", set())
    reopened = DgraphStore(ADDR)
    try:
        assert migrate(reopened._client, reopened._read, 10.0) == 0  # nothing left
        assert reopened.entries(tenant, [trace])[trace] == before
        assert verify_entries(before, tenant_id=tenant, trace_id=trace).valid
        assert set(reopened.resolve(tenant, [f"{trace}-0", f"{trace}-0#alt0", trace])) == {
            f"{trace}-0", f"{trace}-0#alt0", trace}
        out = reopened.edges(tenant, [f"{trace}-1"], "out")[f"{trace}-1"]
        assert ("DEPENDS_ON", f"{trace}-0") in [(e.type, e.dst) for e in out]
        assert reopened.entries_at(tenant, [(trace, 1)]) == {(trace, 1): before[1]}
        assert _query(raw, stones, key(tenant, gone))
        reopened.append(tenant, gone + "x", [("trace_started", _start())])
        with pytest.raises(AlreadyExists):
            reopened.append(tenant, gone + "x", [("step", _step(f"{trace}-0"))])
        more = reopened.append(tenant, trace, [("step", _step(f"{trace}-2"))])
        assert reopened.entries(tenant, [trace])[trace] == [*before, *more]
    finally:
        reopened.close()


def test_two_tenants_writing_the_same_ids_at_once_both_store_them(dgraph: DgraphStore) -> None:
    """Tenants starting the same trace and recording the same step ids at the same moment
    each store their own (their writes share no upserted key)."""
    run = uuid.uuid4().hex[:8]
    trace, tenants = f"t{run}", [f"x{run}", f"y{run}"]
    barrier = threading.Barrier(len(tenants))
    errors: list[BaseException] = []

    def write(tenant: str) -> None:
        try:
            barrier.wait()
            dgraph.append(tenant, trace, [("trace_started", _start())])
            for i in range(5):
                dgraph.append(tenant, trace, [("step", _step(f"{trace}-{i}"))])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(t,)) for t in tenants]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for tenant in tenants:
        stored = dgraph.entries(tenant, [trace])[trace]
        assert [e.seq for e in stored] == list(range(6))
        assert {e.tenant_id for e in stored} == {tenant}
        assert verify_entries(stored, tenant_id=tenant, trace_id=trace).valid
