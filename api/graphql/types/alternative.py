"""GraphQL ``Alternative``: one option a step considered; the chosen one is ``selected``."""

from __future__ import annotations

import strawberry


@strawberry.type(name="Alternative", description="An option a step considered.")
class Alternative:
    alternative_id: strawberry.ID = strawberry.field(
        description="Graph node id: the step id, ``#alt`` and the index.")
    text: str
    index: int
    selected: bool
