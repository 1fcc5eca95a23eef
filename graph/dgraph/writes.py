"""Dgraph writes, each the body of one transaction: an append and a trace's removal.

An append reads what :func:`~tracegraph.graph.append_plan.plan_append` needs in one query
(:data:`dql.APPEND_CONTEXT`: the chain head, a tombstone, which of the batch's ids are
stored, the nodes its edges point to outside the batch, and the tenant's log head) and
writes what the plan returns as one N-Quads mutation with ``commit_now``: every entry, node
and edge, the new head, and the entries' log leaves, tree nodes and new log head
(``log.py``). A removal deletes a trace with everything that points to it and leaves a
tombstone and its log leaf.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pydgraph
from pydgraph.proto import api_pb2 as api
from tracegraph.graph.append_plan import (
    Items,
    Replay,
    SealedAppend,
    StoredHead,
    StoredId,
    batch_ids,
    plan_append,
)
from tracegraph.graph.log_plan import entry_leaves
from tracegraph.graph.protocol import Tombstone
from tracegraph.schema.chain import GENESIS_PREV_HASH, ChainEntry
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.errors import AlreadyExists, InvalidInput, TraceNotFound
from tracegraph.schema.merkle_leaf import EntryLeaf, TombstoneLeaf

from . import dql, log
from .keys import entry_key, key, keys
from .nodes import entries_by_ref, many, merged_entries, owner_of
from .nquads import NQuads, node_ref

_NODE_TYPE = {
    EntryKind.STEP.value: "Step",
    EntryKind.API_CALL.value: "ApiCall",
    EntryKind.HUMAN_INPUT.value: "HumanInput",
}
#: Edge types whose source, and whose destination, is a trace (the others join records).
_FROM_TRACE = frozenset({"HAS_STEP", "CHILD_OF"})
_TO_TRACE = frozenset({"CHILD_OF", "SPAWNED"})


def query_in(txn: pydgraph.Txn, query: str, values: Mapping[str, str | Sequence[str]],
             timeout: float) -> dict[str, Any]:
    """Run ``query`` inside ``txn`` (it sees the transaction's snapshot)."""
    text, variables = dql.bind(query, values)
    resp = txn.query(text, variables=variables, timeout=timeout)
    result: dict[str, Any] = orjson.loads(resp.json)
    return result


def outside_references(items: Items) -> tuple[list[str], str | None]:
    """The record ids the batch's edges point to outside it, and its parent trace."""
    batch = set(batch_ids(items))
    refs: dict[str, None] = {}
    parent: str | None = None
    for kind, record in items:
        if kind == EntryKind.TRACE_STARTED:
            parent = record.get("parent_trace_id")
            if "spawned_by_step_id" in record:
                refs[record["spawned_by_step_id"]] = None
        elif kind == EntryKind.STEP:
            refs.update((dep, None) for dep in record.get("depends_on", ()) if dep not in batch)
        elif "step_id" in record and record["step_id"] not in batch:
            refs[record["step_id"]] = None
    return list(refs), parent


def append(txn: pydgraph.Txn, timeout: float, tenant_id: str, trace_id: str, items: Items,
           expected_seq: int | None) -> list[ChainEntry]:
    """One append attempt inside ``txn``; commits when it stores anything."""
    refs, parent = outside_references(items)
    ctx = query_in(txn, dql.APPEND_CONTEXT, {
        "tenant": tenant_id, "trace": key(tenant_id, trace_id),
        "ids": keys(tenant_id, batch_ids(items)), "refs": keys(tenant_id, refs),
        "parent": key(tenant_id, parent) if parent else dql.NO_MATCH,
    }, timeout)
    heads = ctx.get("head", [])
    node = heads[0] if heads else None
    head = None
    if node is not None:
        last = node.get("trace.last_step") or {}
        head = StoredHead(node.get("trace.entry_count", 0), node.get("trace.step_count", 0),
                          node.get("trace.head_hash", GENESIS_PREV_HASH), last.get("node.id"),
                          bool(node.get("trace.end")),
                          tuple(orjson.loads(node.get("trace.open_questions") or "[]")))
    stored: dict[str, StoredId] = {}
    for n in ctx.get("have", []):  # (every tenant's records of these ids: keep this one's)
        owner = owner_of(n)
        if owner is None or owner[0] == tenant_id:
            stored[n["node.id"]] = StoredId(owner[1] if owner else None, n.get("entry.seq"))
    plan = plan_append(tenant_id, trace_id, items, expected_seq, head=head,
                       tombstoned=bool(ctx.get("tomb")), stored=stored)
    if isinstance(plan, Replay):
        wanted = {(trace_id, seq) for seq in plan.seqs}
        got = query_in(txn, dql.ENTRIES_AT,
                       {"keys": [entry_key(tenant_id, trace_id, s) for s in plan.seqs]}, timeout)
        found = entries_by_ref(tenant_id, merged_entries(got), wanted)
        return plan.entries({seq: e for (_, seq), e in found.items()})
    quads = _nquads(plan, node, ctx)
    session = plan.start.session_id if plan.start is not None else (node or {}).get(
        "trace.session")
    log.add_leaves(quads, tenant_id, ctx, entry_leaves(str(session), plan.sealed()))
    mutation = api.Mutation(set_nquads=quads.text())
    txn.do_request(txn.create_request(mutations=[mutation], commit_now=True), timeout=timeout)
    return plan.sealed()


def _nquads(plan: SealedAppend, head: dict[str, Any] | None, ctx: dict[str, Any]) -> NQuads:
    """The mutation of a planned append: entries, nodes, edges, trace index and new head.

    ``head``: the trace node read (``None`` for a new trace); ``ctx``: the append context,
    whose ``refs`` and ``parent`` are what edges point to outside the batch.
    """
    tenant_id, trace_id = plan.tenant_id, plan.trace_id
    records: dict[str, str] = {}  # record or alternative id -> subject (blank node or uid)
    for n in ctx.get("refs", []):
        owner = owner_of(n)
        if owner is not None and owner[0] == tenant_id:
            records[n["node.id"]] = node_ref(n["uid"])
    if head is None:
        trace, packed = "_:trace", True
    else:
        trace, packed = node_ref(head["uid"]), bool(head.get("trace.packed"))
        last = head.get("trace.last_step")
        if last:
            records[last["node.id"]] = node_ref(last["uid"])
    traces = {trace_id: trace}

    def record(node_id: str) -> str:
        found = records.get(node_id)
        if found is None:
            raise InvalidInput(f"{node_id} not found: an edge would point to nothing",
                               field="id")
        return found

    q = NQuads()
    s = plan.start
    if s is not None:
        q.value(trace, "dgraph.type", "Trace")
        q.value(trace, "trace.id", trace_id)
        q.value(trace, "trace.key", key(tenant_id, trace_id))
        q.value(trace, "trace.tenant", tenant_id)
        q.value(trace, "trace.session", s.session_id)
        q.value(trace, "trace.status", plan.status or "active")
        q.value(trace, "trace.created_at", s.created_at)
        q.value(trace, "trace.packed", True)
        if s.agent_id is not None:
            q.value(trace, "trace.agent", s.agent_id)
        if s.parent_trace_id is not None:
            parent = ctx.get("parent", [])
            if not parent or parent[0].get("trace.tenant") != tenant_id:
                raise InvalidInput(f"parent trace {s.parent_trace_id} not found",
                                   field="parentTraceId")
            q.value(trace, "trace.parent_id", s.parent_trace_id)
            traces[s.parent_trace_id] = node_ref(parent[0]["uid"])
    for p in plan.entries:
        e, node_id = p.entry, p.node_id
        me = f"_:e{e.seq}"
        q.value(me, "entry.key", entry_key(tenant_id, trace_id, e.seq))
        q.link(me, "entry.trace", trace)
        q.value(me, "entry.seq", e.seq)
        q.value(me, "entry.kind", e.kind)
        q.value(me, "entry.hash", e.hash)
        q.value(me, "entry.prev_hash", e.prev_hash)
        q.value(me, "entry.version", e.version)
        q.value(me, "entry.tenant", e.tenant_id)
        q.record(me, e.record, e.kind, packed=packed)
        if node_id is None:
            q.value(me, "dgraph.type", "Entry")
        else:
            q.value(me, "dgraph.type", _NODE_TYPE[e.kind])
            q.value(me, "node.id", node_id)
            q.value(me, "node.key", key(tenant_id, node_id))
            records[node_id] = me
        if e.kind == EntryKind.TRACE_STARTED:
            q.link(trace, "trace.start", me)
        elif e.kind == EntryKind.TRACE_COMPLETED:
            q.link(trace, "trace.end", me)
        for a in p.alternatives():
            alt = f"_:a{e.seq}_{a.index}"
            q.value(alt, "dgraph.type", "Alternative")
            q.value(alt, "node.id", a.node_id)
            q.value(alt, "node.key", key(tenant_id, a.node_id))
            records[a.node_id] = alt
        for edge in p.edge_list:
            src = traces[edge.src] if edge.type in _FROM_TRACE else record(edge.src)
            dst = traces[edge.dst] if edge.type in _TO_TRACE else record(edge.dst)
            q.link(src, dql.EDGE_PREDICATES[edge.type], dst)
    if plan.status is not None and s is None:  # (a new trace got it above)
        q.value(trace, "trace.status", plan.status)
    if plan.status is not None:  # (the questions still waiting, as a JSON array)
        q.value(trace, "trace.open_questions", orjson.dumps(plan.open_questions or []).decode())
    c = plan.completion
    if c is not None:
        q.value(trace, "trace.status", c.status)
        if c.outcome is not None:
            q.value(trace, "trace.outcome", c.outcome)
        if c.completed_at is not None:
            q.value(trace, "trace.completed_at", c.completed_at)
    for model in plan.models:
        q.value(trace, "trace.models", model)
    q.value(trace, "trace.entry_count", plan.entry_count)
    q.value(trace, "trace.step_count", plan.step_count)
    q.value(trace, "trace.head_hash", plan.head_hash)
    if plan.last_step_id is not None:
        q.link(trace, "trace.last_step", records[plan.last_step_id])
    return q


def remove(txn: pydgraph.Txn, timeout: float, tenant_id: str, trace_id: str,
           tombstone: Tombstone) -> None:
    """Delete the trace, its entries, nodes and every edge touching them; add the tombstone.

    A query finds the nodes and the edges that reach them from outside the trace (a
    dependent step elsewhere, a child trace, the spawning step), one request deletes them
    all and sets the tombstone, and commits.
    """
    got = query_in(txn, dql.REMOVAL, {"tenant": tenant_id, "trace": key(tenant_id, trace_id)},
                   timeout)
    traces = [t for t in got.get("t", []) if t.get("trace.tenant") == tenant_id]
    if not traces:
        raise TraceNotFound(f"trace {trace_id} not found")
    trace = traces[0]
    doomed = [trace["uid"]]
    inbound: list[tuple[str, str, str]] = []  # (src uid, predicate, dst uid)
    for pred in dql.EDGE_PREDICATES.values():
        inbound.extend((src["uid"], pred, trace["uid"]) for src in many(trace.get(f"~{pred}")))
    for e in many(trace.get("e")):
        doomed.append(e["uid"])
        doomed.extend(a["uid"] for a in many(e.get("edge.considered")))
        for pred in dql.EDGE_PREDICATES.values():
            inbound.extend((src["uid"], pred, e["uid"]) for src in many(e.get(f"~{pred}")))
    gone = set(doomed)
    deletions: list[dict[str, Any]] = [{"uid": u} for u in doomed]
    deletions.extend({"uid": src, pred: [{"uid": dst}]}
                     for src, pred, dst in inbound if src not in gone)
    t = tombstone
    stone = {
        "uid": "_:tomb", "dgraph.type": "Tombstone", "tomb.trace_id": t.trace_id,
        "tomb.key": key(t.tenant_id, t.trace_id),
        "tomb.tenant": t.tenant_id, "tomb.session": t.session_id,
        "tomb.entry_count": t.entry_count, "tomb.final_hash": t.final_hash,
        "tomb.removed_at": t.removed_at, "tomb.hash": t.hash,
    }
    leaf = NQuads()
    log.add_leaves(leaf, tenant_id, got, [TombstoneLeaf(
        t.tenant_id, t.session_id, t.trace_id, t.entry_count, t.final_hash, t.removed_at,
        t.hash)])
    mutations = [api.Mutation(delete_json=orjson.dumps(deletions)),
                 api.Mutation(set_json=orjson.dumps([stone])),
                 api.Mutation(set_nquads=leaf.text())]
    txn.do_request(txn.create_request(mutations=mutations, commit_now=True), timeout=timeout)


def restore_tombstone(txn: pydgraph.Txn, timeout: float, tenant_id: str,
                      removed: Sequence[EntryLeaf], tombstone: Tombstone) -> bool:
    """Store an imported tombstone of a trace the tenant never held, and append its removed
    entries' log records then its leaf to the tenant log, in one request (the head read in
    the same transaction, so a concurrent append conflicts and reruns)."""
    t = tombstone
    got = query_in(txn, dql.RESTORE_TOMBSTONE,
                   {"tenant": tenant_id, "trace": key(tenant_id, t.trace_id)}, timeout)
    if any(x.get("trace.tenant") == tenant_id for x in got.get("t", [])):
        raise AlreadyExists(f"trace {t.trace_id} is stored: its tombstone cannot be")
    held = [x for x in got.get("tomb", []) if x.get("tomb.tenant") == tenant_id]
    if held:
        if held[0].get("tomb.hash") == t.hash:
            txn.discard()
            return False
        raise AlreadyExists(f"trace {t.trace_id}: another tombstone is stored")
    stone = {
        "uid": "_:tomb", "dgraph.type": "Tombstone", "tomb.trace_id": t.trace_id,
        "tomb.key": key(t.tenant_id, t.trace_id),
        "tomb.tenant": t.tenant_id, "tomb.session": t.session_id,
        "tomb.entry_count": t.entry_count, "tomb.final_hash": t.final_hash,
        "tomb.removed_at": t.removed_at, "tomb.hash": t.hash,
    }
    leaves = NQuads()
    log.add_leaves(leaves, tenant_id, got, [*removed, TombstoneLeaf(
        t.tenant_id, t.session_id, t.trace_id, t.entry_count, t.final_hash, t.removed_at,
        t.hash)])
    mutations = [api.Mutation(set_json=orjson.dumps([stone])),
                 api.Mutation(set_nquads=leaves.text())]
    txn.do_request(txn.create_request(mutations=mutations, commit_now=True), timeout=timeout)
    return True
