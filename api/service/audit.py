"""The tenant Merkle log as the service offers it: signed checkpoints, proofs, verification.

:class:`AuditService` sits beside a :class:`~.traces.TraceService` (the same store) with the
deployment's :class:`~.signing.LogSigning` (``None`` when no signing key is configured:
verification then checks records against the log's leaves but not against a signature, and
checkpoints cannot be made). Adapters (GraphQL, CLI, ``serve``'s checkpointer) call it;
docs/hash-chain.md and docs/audit-bundle.md describe what it proves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracegraph.graph.protocol import LogStore, StoredCheckpoint
from tracegraph.schema.checkpoint import Checkpoint, SignedCheckpoint, open_checkpoint
from tracegraph.schema.errors import InvalidInput, NotFound, TraceGraphError, TraceNotFound
from tracegraph.schema.inputs import utc_iso
from tracegraph.schema.merkle import ProofError, verify_consistency, verify_inclusion
from tracegraph.schema.merkle_leaf import EntryLeaf
from tracegraph.schema.merkle_tree import (
    CompactRange,
    consistency_plan,
    fold_plan,
    inclusion_plan,
)
from tracegraph.schema.views import (
    ChainVerification,
    CheckpointView,
    ConsistencyProofView,
    InclusionProofView,
    VerificationBadge,
)

from . import log_verify
from .badges import Badges, badges_of
from .paging import every_trace_row
from .signing import JournalRecord, LogSigning, SigningError
from .traces import TraceService
from .views import TraceQuery


class LogInconsistent(TraceGraphError):
    """The stored log does not extend the last signed checkpoint: nothing is signed."""

    code = "LOG_INCONSISTENT"
    http_status = 409


@dataclass
class CheckpointRound:
    """What one :meth:`AuditService.checkpoint_grown` round did: the checkpoints it signed,
    and the tenants it could not sign (tenant id -> reason)."""

    made: list[CheckpointView] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class AuditService:
    """Checkpoints, proofs and log verification over one service's store."""

    def __init__(self, service: TraceService, signing: LogSigning | None = None) -> None:
        self.service = service
        self.signing = signing
        self.badges = Badges.in_file(signing.store_dir) if signing is not None else Badges()

    def close(self) -> None:
        """Release the badge file (the service's store is closed by its owner)."""
        self.badges.close()

    @property
    def log(self) -> LogStore:
        return log_verify.log_store(self.service.store)

    def _signing(self) -> LogSigning:
        if self.signing is None:
            raise SigningError("no checkpoint signing key is configured (set "
                               "TRACEGRAPH_SIGNING_KEY or TRACEGRAPH_KEY_DIR)")
        return self.signing

    def _nodes(self, tenant_id: str) -> log_verify.LogNodes:
        return log_verify.LogNodes(self.log, tenant_id)

    # -- checkpoints ---------------------------------------------------------------------
    def latest_checkpoint(self, tenant_id: str) -> SignedCheckpoint | None:
        """The newest trusted (journal, signature verified) checkpoint, if any."""
        return self.signing.latest(tenant_id) if self.signing is not None else None

    def create_checkpoint(self, tenant_id: str) -> CheckpointView:
        """Sign the tenant log's current tree head, after proving it extends the last
        trusted checkpoint; keep it in the journal and the store. Raises
        :class:`LogInconsistent` when the stored log was rewritten or cut."""
        signing = self._signing()
        log = self.log
        head = log.log_head(tenant_id)
        root = CompactRange(head.size, head.edge).root()
        prev = signing.latest(tenant_id)
        if prev is not None:
            self._check_extends(tenant_id, prev.checkpoint, head.size, root)
        cp = Checkpoint(signing.origin(tenant_id), head.size, root, utc_iso())
        note = signing.keys.sign(cp)
        signing.append_journal(tenant_id, JournalRecord(cp.size, note, cp.timestamp))
        log.add_checkpoint(tenant_id, StoredCheckpoint(cp.size, note, cp.timestamp))
        return log_verify.checkpoint_view(open_checkpoint(note, [signing.keys.signer.key]))

    def _check_extends(self, tenant_id: str, prev: Checkpoint, size: int, root: bytes) -> None:
        if size < prev.size:
            raise LogInconsistent(f"the log of tenant {tenant_id} holds {size} leaves, fewer "
                                  f"than the {prev.size} of its last signed checkpoint: "
                                  "leaves were removed; run tracegraph verify --tenant-wide")
        try:
            if prev.size == 0:
                return
            proof = ([] if size == prev.size else
                     fold_plan(consistency_plan(prev.size, size), self._nodes(tenant_id)))
            verify_consistency(prev.size, size, proof, prev.root, root)
        except (ProofError, LookupError) as exc:
            raise LogInconsistent(f"the log of tenant {tenant_id} does not extend its last "
                                  f"signed checkpoint ({prev.size} leaves): {exc}; run "
                                  "tracegraph verify --tenant-wide") from None

    def checkpoint_grown(self) -> CheckpointRound:
        """Sign a checkpoint for every tenant whose log grew since its last trusted one
        (the interval checkpointer, ``checkpoint --all-tenants``).

        A tenant that cannot be signed (its log no longer extends its last checkpoint, an
        id that makes no log origin, a journal that cannot be written) is reported in
        :attr:`CheckpointRound.failed` with the reason, and the round goes on with the
        others. Without a signing key nothing can be signed: that raises."""
        self._signing()
        out = CheckpointRound()
        for tenant_id in self.service.tenants():
            try:
                latest = self.latest_checkpoint(tenant_id)
                size = self.log.log_head(tenant_id).size
                if size and (latest is None or size > latest.checkpoint.size):
                    out.made.append(self.create_checkpoint(tenant_id))
            except (TraceGraphError, OSError, ValueError) as exc:
                out.failed[tenant_id] = str(exc) or type(exc).__name__
        return out

    def checkpoints(self, tenant_id: str) -> list[CheckpointView]:
        """The tenant's trusted checkpoints from the journal, oldest first."""
        signed = list(self._signing().trusted(tenant_id))
        signed.reverse()
        return [log_verify.checkpoint_view(s) for s in signed]

    # -- proofs --------------------------------------------------------------------------
    def _tree_size(self, tenant_id: str, tree_size: int | None
                   ) -> tuple[int, bytes, SignedCheckpoint | None]:
        """A tree size (default: the latest trusted checkpoint's, else the log's) and its
        root: the signed root when a trusted checkpoint has that size."""
        head = self.log.log_head(tenant_id)
        trusted = list(self.signing.trusted(tenant_id)) if self.signing is not None else []
        if tree_size is None:
            tree_size = trusted[0].checkpoint.size if trusted else head.size
        if not 0 < tree_size <= head.size:
            raise InvalidInput(f"treeSize: must be between 1 and the log's size {head.size}, "
                               f"got {tree_size}", field="treeSize")
        for t in trusted:
            if t.checkpoint.size == tree_size:
                return tree_size, t.checkpoint.root, t
        try:
            root = CompactRange.from_store(self._nodes(tenant_id), tree_size).root()
        except LookupError as exc:
            raise LogInconsistent(f"the log's nodes of {tree_size} leaves are incomplete "
                                  f"({exc})") from None
        return tree_size, root, None

    def inclusion_proof(self, tenant_id: str, trace_id: str, seq: int,
                        tree_size: int | None = None) -> InclusionProofView:
        """The proof that entry ``seq`` of a trace is leaf ``i`` of the tree of ``tree_size``."""
        leaf = next((s for s in self.log.leaves_of_traces(tenant_id, [trace_id])
                     if isinstance(s.leaf, EntryLeaf) and s.leaf.seq == seq), None)
        if leaf is None:
            raise NotFound(f"seq: the log has no entry {seq} of trace {trace_id}")
        size, root, signed = self._tree_size(tenant_id, tree_size)
        if leaf.leaf_index >= size:
            raise InvalidInput(f"treeSize: entry {seq} is leaf {leaf.leaf_index}, not in a tree "
                               f"of {size} leaves (not yet checkpointed)", field="treeSize")
        leaf_hash = leaf.leaf.hash()
        try:
            hashes = fold_plan(inclusion_plan(leaf.leaf_index, size), self._nodes(tenant_id))
            verify_inclusion(leaf.leaf_index, size, leaf_hash, hashes, root)
        except (ProofError, LookupError) as exc:
            raise LogInconsistent(f"the stored log cannot prove entry {seq} of trace "
                                  f"{trace_id} in the tree of {size} leaves ({exc}): run "
                                  "tracegraph verify --tenant-wide") from None
        return InclusionProofView(
            leaf_index=leaf.leaf_index, tree_size=size, leaf_hash=leaf_hash.hex(),
            root_hash=root.hex(), hashes=[h.hex() for h in hashes], trace_id=trace_id,
            seq=seq, checkpoint=log_verify.checkpoint_view(signed) if signed else None)

    def consistency_proof(self, tenant_id: str, from_size: int,
                          to_size: int | None = None) -> ConsistencyProofView:
        """The proof that the tree of ``to_size`` (default: the latest trusted checkpoint's,
        else the log's) extends the tree of ``from_size``."""
        size2, root2, _ = self._tree_size(tenant_id, to_size)
        if not 0 < from_size <= size2:
            raise InvalidInput(f"fromSize: must be between 1 and {size2}, got {from_size}",
                               field="fromSize")
        try:
            size1, root1, _ = self._tree_size(tenant_id, from_size)
            nodes = self._nodes(tenant_id)
            hashes = [] if size1 == size2 else fold_plan(consistency_plan(size1, size2), nodes)
            verify_consistency(size1, size2, hashes, root1, root2)
        except (ProofError, LookupError) as exc:
            raise LogInconsistent(f"the stored log cannot prove that its tree of {size2} "
                                  f"leaves extends the tree of {from_size} ({exc}): run "
                                  "tracegraph verify --tenant-wide") from None
        return ConsistencyProofView(from_size=size1, to_size=size2, from_root=root1.hex(),
                                    to_root=root2.hex(), hashes=[h.hex() for h in hashes])

    # -- verification --------------------------------------------------------------------
    def verify_trace(self, tenant_id: str, trace_id: str) -> ChainVerification:
        """Verify a trace against the latest trusted checkpoint (chain only on a backend
        without a log)."""
        store = self.service.store
        if not isinstance(store, LogStore):
            return self.service.verify_trace(tenant_id, trace_id)
        leaves = store.leaves_of_traces(tenant_id, [trace_id])
        if not leaves and not store.get_traces(tenant_id, [trace_id]):
            raise TraceNotFound(f"trace {trace_id} not found")
        result = log_verify.verify_traces(store, tenant_id, [trace_id], leaves,
                                          self.latest_checkpoint(tenant_id), single=trace_id)
        self._remember(tenant_id, [trace_id], result)
        return result

    def verify_session(self, tenant_id: str, session_id: str) -> ChainVerification:
        """Verify every trace the log or the store files under a session."""
        store = self.service.store
        if not isinstance(store, LogStore):
            return self.service.verify_session(tenant_id, session_id)
        leaves = store.leaves_of_session(tenant_id, session_id)
        listed = [r.trace_id for r in reversed(every_trace_row(
            store, tenant_id, TraceQuery(session_id=session_id)))]
        traces = list(dict.fromkeys([*(s.leaf.trace_id for s in leaves), *listed]))
        if not traces and not store.tombstones(tenant_id, session_id):
            raise InvalidInput(f"sessionId: session {session_id} not found", field="sessionId")
        result = log_verify.verify_traces(store, tenant_id, traces, leaves,
                                          self.latest_checkpoint(tenant_id))
        self._remember(tenant_id, traces, result)
        return result

    def verify_tenant(self, tenant_id: str) -> ChainVerification:
        """Verify every trace of the tenant and the whole log against the signed root."""
        store = self.service.store
        listed = [r.trace_id for r in every_trace_row(store, tenant_id, TraceQuery())]
        trusted = list(self.signing.trusted(tenant_id)) if self.signing is not None else []
        result = log_verify.verify_tenant(store, tenant_id, listed,
                                          trusted[0] if trusted else None, trusted)
        self._remember(tenant_id, listed, result)
        return result

    def _remember(self, tenant_id: str, trace_ids: list[str],
                  result: ChainVerification) -> None:
        self.badges.put(tenant_id, badges_of(
            trace_ids, [(p.trace_id, p.message) for p in result.problems],
            result.verified_at or utc_iso(), result.checkpoint, result.reason))

    def last_verification(self, tenant_id: str, trace_id: str) -> VerificationBadge | None:
        """The verdict of the trace's last verification (badge data): kept beside the
        checkpoint journal when signing is configured (every server and CLI run of the
        deployment), else in this service's memory."""
        return self.badges.get(tenant_id, trace_id)
