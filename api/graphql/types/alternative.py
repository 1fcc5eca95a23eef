"""GraphQL ``Alternative``: one option a step considered; the chosen one is ``selected``."""

from __future__ import annotations

import strawberry
from tracegraph.graph.algorithms.branches import Alternative as Branch


@strawberry.type(name="Alternative", description="An option a step considered.")
class Alternative:
    alternative_id: strawberry.ID = strawberry.field(
        description="Graph node id: the step id, ``#alt`` and the index.")
    text: str
    index: int
    selected: bool

    @classmethod
    def from_branch(cls, branch: Branch) -> Alternative:
        return cls(alternative_id=strawberry.ID(branch.node_id), text=branch.text,
                   index=branch.index, selected=branch.selected)
