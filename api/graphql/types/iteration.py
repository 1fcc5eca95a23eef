"""GraphQL ``Iteration``: one think-act-observe round of a trace, rebuilt from its steps
(seed 003's format; the mapping is :mod:`tracegraph.schema.iteration`)."""

from __future__ import annotations

import strawberry

from ..scalars import JSON, DateTime


@strawberry.type(name="Iteration", description="One think-act-observe round of an agent run, "
                 "rebuilt from the steps tagged metadata.iteration (1-indexed).")
class IterationType:
    iteration: int
    timestamp: DateTime
    thought: str | None
    action: str | None
    action_input: JSON | None
    observation: JSON | None
    success: bool | None
