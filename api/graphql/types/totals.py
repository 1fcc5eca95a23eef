"""GraphQL ``Totals``: token, cost and time rollups of a trace alone or of its subtree."""

from __future__ import annotations

import strawberry

# The rules are schema/records.py ``rollup``; docs/rollups.md explains them with examples.
_TOTALS = (
    "Rollup of a trace's token usage, cost and step time, from its steps and API calls. "
    "Human inputs add nothing. A completed trace's totals were sealed into its completion "
    "entry (hashed); an active trace's are computed from its entries at read time. "
    "`Trace.totals` counts the trace alone, `Trace.subtreeTotals` adds every nested "
    "descendant's own totals. See docs/rollups.md."
)


@strawberry.type(name="Totals", description=_TOTALS)
class TotalsType:
    thinking_tokens: int = strawberry.field(
        description="Sum of the steps' thinkingTokens (API calls have none).")
    input_tokens: int = strawberry.field(
        description="Sum of the steps' inputTokens, plus the requestTokens of each API call "
                    "whose step reported no usage (neither inputTokens nor outputTokens) or "
                    "that names no step: usage is counted once, on the step when it has it.")
    output_tokens: int = strawberry.field(
        description="Sum of the steps' outputTokens, plus the responseTokens of each API call "
                    "whose step reported no usage or that names no step (as inputTokens).")
    cost_usd: float = strawberry.field(
        description="Sum of the API calls' costUsd (steps carry no cost), rounded to 10 "
                    "decimals.")
    duration_ms: float = strawberry.field(
        description="Sum of the steps' durationMs (API call latencies are not added).")
    step_count: int = strawberry.field(description="Number of steps.")
    api_call_count: int = strawberry.field(description="Number of API calls.")
