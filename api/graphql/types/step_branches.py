"""GraphQL ``StepBranches``: the alternatives one step considered and those not taken."""

from __future__ import annotations

import strawberry
from tracegraph.api.service.views import AlternativeView, StepBranchesView

from .alternative import Alternative


@strawberry.type(name="StepBranches", description="A step's alternatives, the selected one "
                 "flagged.")
class StepBranchesType:
    step_id: strawberry.ID
    trace_id: strawberry.ID
    step_index: int
    step_type: str
    selected: str | None

    @strawberry.field(graphql_type=list[Alternative])
    def alternatives(self, root: strawberry.Parent[StepBranchesView]) -> list[AlternativeView]:
        return root.alternatives

    @strawberry.field(graphql_type=list[Alternative], description="Alternatives other than "
                      "the selected one (all of them when none was selected).")
    def not_taken(self, root: strawberry.Parent[StepBranchesView]) -> list[AlternativeView]:
        return root.not_taken
