"""GraphQL ``ChainVerification``: the result of recomputing a trace's or session's hash chain."""

from __future__ import annotations

import strawberry


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
