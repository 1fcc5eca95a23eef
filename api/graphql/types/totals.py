"""GraphQL ``Totals``: token, cost and time rollups of a trace alone or of its subtree."""

from __future__ import annotations

import strawberry


@strawberry.type(name="Totals", description="Rollup of token usage, cost and step time.")
class TotalsType:
    thinking_tokens: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    duration_ms: float
    step_count: int
    api_call_count: int
