"""GraphQL ``BranchSummary``: the branches not taken in a trace or a whole run."""

from __future__ import annotations

import strawberry

from .step_branches import StepBranchesType
from .trace_branch_counts import TraceBranchCountsType


@strawberry.type(name="BranchSummary", description="Steps that considered alternatives "
                 "(traces breadth first, steps in order), counts per trace and in total.")
class BranchSummaryType:
    steps: list[StepBranchesType]
    traces: list[TraceBranchCountsType]
    steps_with_alternatives: int
    alternatives: int
    not_taken: int
