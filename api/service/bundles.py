"""Audit bundles of a trace, a session or a tenant, written from the store's Merkle log.

The lines are those of :mod:`tracegraph.schema.bundle` in the order of the reference,
:meth:`tracegraph.schema.merkle_log.TenantLog.bundle`: header, public keys, a signed
checkpoint of the tenant's log (signed now when the log grew since the last one), then each
trace's entries in seq order with their leaf index and inclusion proof, then the scope's
tombstones and the log records of entries retention removed, in leaf order. Leaves appended
after the checkpoint are left out (the next bundle holds them). ``tracegraph verify-bundle``
checks the file offline (docs/audit-bundle.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tracegraph.graph.protocol import StoredLeaf
from tracegraph.schema.bundle import (
    Scope,
    bundle_lines,
    entry_line,
    header_line,
    removed_entry_line,
    tombstone_line,
)
from tracegraph.schema.errors import InvalidInput, NotFound
from tracegraph.schema.inputs import utc_iso
from tracegraph.schema.merkle_leaf import EntryLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import fold_plan, inclusion_plan

from . import log_verify
from .audit import AuditService

PROOFS_PER_READ = 256
TRACES_PER_READ = 200


def _proofs(nodes: log_verify.LogNodes, indexes: Sequence[int], size: int
            ) -> dict[int, list[bytes]]:
    out: dict[int, list[bytes]] = {}
    for start in range(0, len(indexes), PROOFS_PER_READ):
        chunk = indexes[start:start + PROOFS_PER_READ]
        plans = [inclusion_plan(i, size) for i in chunk]
        hashes = fold_plan([p for plan in plans for p in plan], nodes)
        pos = 0
        for i, plan in zip(chunk, plans, strict=True):
            out[i] = hashes[pos:pos + len(plan)]
            pos += len(plan)
    return out


def bundle(audit: AuditService, tenant_id: str, scope: Scope, scope_id: str | None
           ) -> Iterator[dict[str, object]]:
    """The lines of an audit bundle; signs a checkpoint first when the log grew."""
    if (scope == "tenant") != (scope_id is None):
        raise InvalidInput("scope: a trace or session bundle names its id, a tenant bundle "
                           "none", field="scope")
    signing = audit._signing()
    log = audit.log
    latest = signing.latest(tenant_id)
    if latest is None or latest.checkpoint.size < log.log_head(tenant_id).size:
        audit.create_checkpoint(tenant_id)
        latest = signing.latest(tenant_id)
    assert latest is not None
    size = latest.checkpoint.size
    leaves: list[StoredLeaf]
    if scope == "trace":
        assert scope_id is not None
        leaves = log.leaves_of_traces(tenant_id, [scope_id])
    elif scope == "session":
        assert scope_id is not None
        leaves = log.leaves_of_session(tenant_id, scope_id)
    else:
        leaves = list(log_verify.all_leaves(log, tenant_id, size))
    leaves = [s for s in leaves if s.leaf_index < size]
    if not leaves and scope != "tenant":
        raise NotFound(f"{scope}Id: the signed log holds no {scope} {scope_id}")
    header = header_line(tenant_id, scope, scope_id, utc_iso())
    items = _items(audit, tenant_id, leaves, size)
    return bundle_lines(header, signing.keys.verification_keys, latest.note, items)


def _items(audit: AuditService, tenant_id: str, leaves: list[StoredLeaf], size: int
           ) -> Iterator[dict[str, object]]:
    store = audit.service.store
    nodes = log_verify.LogNodes(audit.log, tenant_id)
    by_trace: dict[str, dict[int, StoredLeaf]] = {}
    for s in leaves:
        if isinstance(s.leaf, EntryLeaf):
            by_trace.setdefault(s.leaf.trace_id, {})[s.leaf.seq] = s
    present: set[int] = set()
    traces = list(by_trace)
    for start in range(0, len(traces), TRACES_PER_READ):
        batch = traces[start:start + TRACES_PER_READ]
        entries = store.entries(tenant_id, batch)
        pairs = [(e, by_trace[t][e.seq]) for t in batch for e in entries.get(t, [])
                 if e.seq in by_trace[t]]
        proofs = _proofs(nodes, [s.leaf_index for _, s in pairs], size)
        for e, s in pairs:
            assert isinstance(s.leaf, EntryLeaf)
            present.add(s.leaf_index)
            yield entry_line(e, s.leaf.session_id, s.leaf_index, proofs[s.leaf_index])
    rest = [s for s in leaves if s.leaf_index not in present]
    proofs = _proofs(nodes, [s.leaf_index for s in rest], size)
    for s in rest:
        if isinstance(s.leaf, TombstoneLeaf):
            yield tombstone_line(s.leaf, s.leaf_index, proofs[s.leaf_index])
        else:
            yield removed_entry_line(s.leaf, s.leaf_index, proofs[s.leaf_index])
