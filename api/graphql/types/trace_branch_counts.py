"""GraphQL ``TraceBranchCounts``: branch counts of one trace."""

from __future__ import annotations

import strawberry


@strawberry.type(name="TraceBranchCounts", description="Branch counts of one trace.")
class TraceBranchCountsType:
    trace_id: strawberry.ID
    steps_with_alternatives: int
    alternatives: int
    not_taken: int
