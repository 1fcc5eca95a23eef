"""GraphQL ``ChainVerification``: what verifying a trace, a session or a tenant found, and
the signed checkpoint (``Checkpoint``) it was checked against."""

from __future__ import annotations

import strawberry


@strawberry.type(name="Checkpoint", description="A signed checkpoint of the tenant's Merkle "
                 "log (a C2SP signed note): its tree size and root, when and by which key.")
class CheckpointType:
    origin: str = strawberry.field(description="The log's name and the tenant.")
    size: int = strawberry.field(description="Leaves (entries and tombstones) it covers.")
    root_hash: str = strawberry.field(description="RFC 6962 root of those leaves, hex.")
    timestamp: str = strawberry.field(description="When it was signed (UTC).")
    key_id: str = strawberry.field(description="The signing key's id.")
    note: str = strawberry.field(description="The signed note, to keep or publish.")


@strawberry.type(name="VerificationProblem", description="One thing verification found "
                 "broken, and where.")
class VerificationProblemType:
    code: str = strawberry.field(description="content_changed, entry_missing, missing_trace, "
                                 "entry_inserted, forged_tombstone, entry_after_completion, "
                                 "derived_row, not_in_signed_tree, root_mismatch, ...")
    message: str
    trace_id: strawberry.ID | None
    seq: int | None
    leaf_index: int | None = strawberry.field(description="The leaf in the tenant's log.")


@strawberry.type(name="ChainVerification", description="What verifying a hash chain found.")
class ChainVerificationType:
    valid: bool
    entries_checked: int
    first_broken_seq: int | None = strawberry.field(
        description="Seq of the first entry that does not verify (null when valid).")
    reason: str | None = strawberry.field(
        description="Why it is broken, or notes such as traces removed by retention.")
    trace_id: strawberry.ID | None = strawberry.field(
        description="The trace checked, or for a session the trace that broke.")
    traces_checked: int
    head_hash: str | None = strawberry.field(
        description="Hash of the last entry checked (a trace's chain head).")
    problems: list[VerificationProblemType] = strawberry.field(
        description="Every break found (the first is in reason).")
    checkpoint: CheckpointType | None = strawberry.field(
        description="The trusted signed checkpoint the log was checked against (null when "
        "none is signed yet: records are then checked against the log's leaves only).")
    verified_at: str | None = strawberry.field(description="When this verification ran.")
    entries_not_checkpointed: int = strawberry.field(
        description="Entries logged after the checkpoint: chain-checked, not yet signed.")
    log_checked: bool = strawberry.field(
        description="Whether the records were checked against the Merkle log.")


@strawberry.type(name="VerificationBadge", description="When a trace was last verified, the "
                 "checkpoint it was verified against and the verdict.")
class VerificationBadgeType:
    valid: bool
    verified_at: str
    checkpoint: CheckpointType | None
    reason: str | None


@strawberry.type(name="InclusionProof", description="RFC 6962 inclusion proof of a trace's "
                 "entry in the tenant's log (check it with any RFC 6962 verifier).")
class InclusionProofType:
    trace_id: strawberry.ID | None
    seq: int | None
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    hashes: list[str] = strawberry.field(description="The audit path, leaf side first, hex.")
    checkpoint: CheckpointType | None = strawberry.field(
        description="The signed checkpoint of tree_size leaves, when there is one.")


@strawberry.type(name="ConsistencyProof", description="RFC 6962 consistency proof that the "
                 "tree of toSize leaves extends the tree of fromSize.")
class ConsistencyProofType:
    from_size: int
    to_size: int
    from_root: str
    to_root: str
    hashes: list[str]
