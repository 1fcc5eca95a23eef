"""GraphQL ``Alternative``: one option a step considered; the chosen one is ``selected``.

Resolvers return :class:`tracegraph.api.service.views.AlternativeView` values as they
are (the fields below read its attributes), so a run's alternatives cost no conversion.
"""

from __future__ import annotations

import strawberry


@strawberry.type(name="Alternative", description="An option a step considered.")
class Alternative:
    node_id: strawberry.ID = strawberry.field(
        name="alternativeId", description="Graph node id: the step id, ``#alt`` and the index.")
    text: str
    index: int
    selected: bool
