"""Verification of traces, sessions and whole tenants against the latest signed checkpoint.

docs/hash-chain.md ("Verification against a signed checkpoint") is the contract. For each
trace in scope the store's leaf rows, entries and tombstone go through
:func:`tracegraph.schema.log_audit.audit_trace` (every leaf has its record, every record its
leaf, the chain, completion terminal), then :func:`.derived.check_derived` (status, session,
parent, edges recomputed from the hashed records). Step 1 ties it to the signature: a trace
or session proves each intact entry's rebuilt leaf is in the signed tree (inclusion proofs
from the stored nodes); a tenant rebuilds every leaf of the checkpoint from the records and
compares the tree's root with the signed root, so leaves forged together with their entries,
nodes and head are found too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from tracegraph.graph.protocol import GraphStore, LogStore, StoredLeaf
from tracegraph.schema.checkpoint import SignedCheckpoint, b64
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.inputs import utc_iso
from tracegraph.schema.log_audit import (
    NOT_IN_SIGNED_TREE,
    ROOT_MISMATCH,
    LogProblem,
    TraceAudit,
    audit_trace,
)
from tracegraph.schema.merkle import ProofError, tree_hash, verify_inclusion
from tracegraph.schema.merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import (
    MissingNode,
    NodeId,
    fold_plan,
    inclusion_plan,
    multi_plan,
    root_of_leaves,
)
from tracegraph.schema.views import ChainVerification, CheckpointView, VerificationProblem

from .derived import check_derived

#: Traces read and checked per batch; leaf rows read per store call; proofs folded per call.
TRACE_BATCH = 200
LEAF_CHUNK = 5000
PROOF_CHUNK = 256
#: Problems listed in one result (the count of the others is in ``reason``).
MAX_PROBLEMS = 100


class LogNodes:
    """A read-only :class:`~tracegraph.schema.merkle_tree.NodeStore` over a tenant's log."""

    def __init__(self, log: LogStore, tenant_id: str) -> None:
        self.log, self.tenant_id = log, tenant_id

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        return self.log.log_nodes(self.tenant_id, ids)

    def put_nodes(self, nodes: Sequence[tuple[NodeId, bytes]]) -> None:
        raise TypeError("the service never writes log nodes; the store's append does")


def log_store(store: GraphStore) -> LogStore:
    if not isinstance(store, LogStore):
        raise InvalidInput(f"backend {store.backend_name} keeps no Merkle log yet",
                           field="backend")
    return store


def checkpoint_view(signed: SignedCheckpoint) -> CheckpointView:
    cp = signed.checkpoint
    return CheckpointView(origin=cp.origin, size=cp.size, root_hash=cp.root.hex(),
                          timestamp=cp.timestamp, key_id=signed.key.key_id, note=signed.note)


def all_leaves(log: LogStore, tenant_id: str, size: int) -> Iterator[StoredLeaf]:
    for start in range(0, size, LEAF_CHUNK):
        yield from log.log_leaves(tenant_id, start, min(start + LEAF_CHUNK, size))


@dataclass
class _Run:
    """One verification's traces, results and trusted checkpoint."""

    store: GraphStore
    log: LogStore
    tenant_id: str
    signed: SignedCheckpoint | None

    @property
    def size(self) -> int:
        return self.signed.checkpoint.size if self.signed is not None else 0

    def audit(self, trace_ids: Sequence[str]) -> Iterator[TraceAudit]:
        """Steps 2-5 for the traces, in batches. Per batch the log's size is read, then the
        entries, then the traces' leaves (see :func:`audit_trace`), so appends running
        meanwhile are not taken for tampering."""
        for start in range(0, len(trace_ids), TRACE_BATCH):
            batch = list(trace_ids[start:start + TRACE_BATCH])
            before = self.log.log_head(self.tenant_id).size
            entries = self.store.entries(self.tenant_id, batch)
            leaves = group_leaves(self.log.leaves_of_traces(self.tenant_id, batch))
            sessions = {leaf.session_id for t in batch for _, leaf in leaves.get(t, [])}
            sessions |= {str(es[0].record.get("session_id", "")) for es in entries.values()
                         if es}
            stones = {s.trace_id: TombstoneLeaf(s.tenant_id, s.session_id, s.trace_id,
                                                s.entry_count, s.final_hash, s.removed_at,
                                                s.hash)
                      for session in sorted(sessions)
                      for s in self.store.tombstones(self.tenant_id, session)}
            audits = {t: audit_trace(self.tenant_id, t, leaves.get(t, []),
                                     entries.get(t, []), stones.get(t), self.size,
                                     logged_before=before)
                      for t in batch}
            check_derived(self.store, self.tenant_id, audits, entries, self.count_logged)
            yield from audits.values()

    def count_logged(self, trace_ids: list[str]) -> dict[str, int]:
        """How many entry leaves each trace has in the log now."""
        out = dict.fromkeys(trace_ids, 0)
        for s in self.log.leaves_of_traces(self.tenant_id, trace_ids):
            if isinstance(s.leaf, EntryLeaf):
                out[s.leaf.trace_id] += 1
        return out

    def prove(self, audits: Iterable[TraceAudit]) -> list[LogProblem]:
        """Step 1 for a trace or session: each intact entry's rebuilt leaf is in the tree."""
        if self.signed is None:
            return []
        size, root = self.size, self.signed.checkpoint.root
        items = [(a, i, h, seq) for a in audits for i, h, seq in a.to_prove]
        nodes = LogNodes(self.log, self.tenant_id)
        if self._all_in_tree(items, nodes):
            return []
        bad: list[LogProblem] = []
        for start in range(0, len(items), PROOF_CHUNK):
            chunk = items[start:start + PROOF_CHUNK]
            plans = [inclusion_plan(i, size) for _, i, _, _ in chunk]
            try:
                proofs = _split(fold_plan([p for plan in plans for p in plan], nodes),
                                [len(p) for p in plans])
            except MissingNode as exc:
                bad.append(LogProblem(NOT_IN_SIGNED_TREE, f"the log's nodes are incomplete "
                                      f"({exc}): the stored tree was changed"))
                return bad
            for (audit, index, leaf, seq), proof in zip(chunk, proofs, strict=True):
                try:
                    verify_inclusion(index, size, leaf, proof, root)
                except ProofError:
                    bad.append(LogProblem(
                        NOT_IN_SIGNED_TREE, f"trace {audit.trace_id}: entry {seq} (leaf "
                        f"{index}) is not in the signed checkpoint of {size} leaves: the "
                        "entry or its log leaf was changed after it was signed",
                        audit.trace_id, seq, index))
        return bad


    def _all_in_tree(self, items: Sequence[tuple[TraceAudit, int, bytes, int]],
                     nodes: LogNodes) -> bool:
        """One multi-leaf proof for every item (the nodes their single proofs share read
        once): true when the rebuilt leaves give the signed root. Otherwise each leaf is
        proved alone, which names the ones that are not in the tree."""
        assert self.signed is not None
        at = {i: h for _, i, h, _ in items}
        indexes = sorted(at)
        if not indexes or len(at) != len(items):
            return not indexes
        try:
            hashes = nodes.get_nodes(multi_plan(indexes, self.size))
        except MissingNode:
            return False
        found = root_of_leaves(indexes, [at[i] for i in indexes], self.size, hashes)
        return found == self.signed.checkpoint.root


def _split(hashes: list[bytes], lengths: list[int]) -> list[list[bytes]]:
    out, pos = [], 0
    for n in lengths:
        out.append(hashes[pos:pos + n])
        pos += n
    return out


def group_leaves(leaves: Iterable[StoredLeaf]) -> dict[str, list[tuple[int, LogLeaf]]]:
    out: dict[str, list[tuple[int, LogLeaf]]] = {}
    for s in leaves:
        out.setdefault(s.leaf.trace_id, []).append((s.leaf_index, s.leaf))
    return out


def result(audits: Sequence[TraceAudit], extra: Sequence[LogProblem],
           signed: SignedCheckpoint | None, *, single: str | None = None) -> ChainVerification:
    """The verification result of the audits (and problems found across them)."""
    problems = [*extra, *(p for a in audits for p in a.problems)]
    first = problems[0] if problems else None
    removed = [a for a in audits if a.removed]
    reason = first.message if first else None
    if first and len(problems) > 1:
        reason = f"{reason} (and {len(problems) - 1} more problem(s))"
    if first is None and removed:
        reason = f"{len(removed)} trace(s) removed by retention: " + ", ".join(
            a.trace_id for a in removed)
    head = next((a.head_hash for a in audits if a.trace_id == single), None)
    return ChainVerification(
        valid=first is None, entries_checked=sum(a.entries_checked for a in audits),
        first_broken_seq=first.seq if first else None, reason=reason,
        trace_id=first.trace_id if first else single,
        traces_checked=len(audits) - len(removed),
        head_hash=head,
        problems=[VerificationProblem(code=p.code, message=p.message, trace_id=p.trace_id,
                                      seq=p.seq, leaf_index=p.leaf_index)
                  for p in problems[:MAX_PROBLEMS]],
        checkpoint=checkpoint_view(signed) if signed is not None else None,
        verified_at=utc_iso(), log_checked=True,
        entries_not_checkpointed=sum(a.not_checkpointed for a in audits))


def verify_traces(store: GraphStore, tenant_id: str, trace_ids: Sequence[str],
                  leaves: Iterable[StoredLeaf], signed: SignedCheckpoint | None,
                  *, single: str | None = None) -> ChainVerification:
    """Verify a trace (``single``) or a session's traces against the signed checkpoint."""
    run = _Run(store, log_store(store), tenant_id, signed)
    named = [s.leaf.trace_id for s in leaves]
    audits = list(run.audit(list(dict.fromkeys([*trace_ids, *named]))))
    return result(audits, run.prove(audits), signed, single=single)


def verify_tenant(store: GraphStore, tenant_id: str, trace_ids: Sequence[str],
                  signed: SignedCheckpoint | None,
                  trusted: Sequence[SignedCheckpoint] = ()) -> ChainVerification:
    """Verify every trace of the tenant and the whole log against the signed root.

    ``trace_ids`` are the traces the store lists; the traces the log names are added.
    ``trusted`` (every trusted checkpoint, any order) narrows a root mismatch down to the
    leaves between the last checkpoint that still matches and the first that does not.
    """
    log = log_store(store)
    size = log.log_head(tenant_id).size
    if signed is not None:
        size = max(size, signed.checkpoint.size)
    leaves = list(all_leaves(log, tenant_id, size))
    grouped = group_leaves(leaves)
    order = list(dict.fromkeys([*grouped, *trace_ids]))
    run = _Run(store, log, tenant_id, signed)
    audits = list(run.audit(order))
    extra: list[LogProblem] = []
    if signed is not None:
        extra = _root_check(leaves, audits, signed, trusted)
    return result(audits, extra, signed)


def _root_check(leaves: Sequence[StoredLeaf], audits: Sequence[TraceAudit],
                signed: SignedCheckpoint, trusted: Sequence[SignedCheckpoint]
                ) -> list[LogProblem]:
    """Step 1 for a tenant: the tree of the leaves rebuilt from the records (the leaf row
    where the record is gone) against the signed root."""
    size = signed.checkpoint.size
    by_index = {s.leaf_index: s.leaf for s in leaves if s.leaf_index < size}
    gaps = [i for i in range(size) if i not in by_index]
    if gaps:
        return [LogProblem(ROOT_MISMATCH, f"the log has no leaf {gaps[0]} ({len(gaps)} of the "
                           f"{size} leaves of the signed checkpoint missing): leaf rows were "
                           "deleted", leaf_index=gaps[0])]
    hashes = [by_index[i].hash() for i in range(size)]
    for audit in audits:
        for index, h, _ in audit.to_prove:
            hashes[index] = h
    if tree_hash(hashes) == signed.checkpoint.root:
        return []
    good, bad = 0, size
    for cp in sorted((t.checkpoint for t in trusted), key=lambda c: c.size):
        if 0 < cp.size <= size:
            if tree_hash(hashes[:cp.size]) == cp.root:
                good = max(good, cp.size)
            else:
                bad = min(bad, cp.size)
    leaf = by_index[good] if good < size else None
    where = (f" (trace {leaf.trace_id}"
             + (f", entry {leaf.seq})" if isinstance(leaf, EntryLeaf) else ")")) if leaf else ""
    return [LogProblem(ROOT_MISMATCH, f"the log's {size} leaves rebuilt from the stored "
                       f"records do not hash to the signed root {b64(signed.checkpoint.root)}"
                       f": a change between leaf {good} and leaf {bad - 1}{where}",
                       leaf.trace_id if leaf else None,
                       leaf.seq if isinstance(leaf, EntryLeaf) else None, good)]
