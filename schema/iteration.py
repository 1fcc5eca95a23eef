"""Iterations, the trace format some agent runtimes emit, and their lossless mapping to steps.

An iteration ``{iteration, timestamp, thought, action, action_input, observation, success}``
becomes up to three steps, each tagged ``metadata.iteration = n``: the thought a
``Reasoning`` step, the action a ``ToolCall`` step (``content`` = action name,
``input_data`` = action input) and the observation a ``ToolResult`` step (``output_data`` =
observation, ``metadata.success``). :func:`iterations_from_steps` inverts it exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .inputs import JSONPayload, LongText, ShortText, StepInput
from .views import StepView

_MARK = "iteration"


class Iteration(BaseModel):
    """One think-act-observe round of an agent run (1-indexed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iteration: Annotated[int, Field(ge=1, le=1_000_000)]
    timestamp: datetime
    thought: LongText | None = None
    action: ShortText | None = None
    action_input: JSONPayload | None = None
    observation: JSONPayload | None = None
    success: bool | None = None


def steps_from_iteration(it: Iteration) -> list[StepInput]:
    """The steps an iteration becomes, in order (thought, action, observation).

    >>> from datetime import UTC
    >>> it = Iteration(iteration=1, timestamp=datetime(2026, 2, 1, tzinfo=UTC),
    ...                thought="look it up", action="lookup_ticket",
    ...                action_input={"ticket_id": "TK-1"}, observation={"status": "open"},
    ...                success=True)
    >>> [s.step_type for s in steps_from_iteration(it)]
    ['Reasoning', 'ToolCall', 'ToolResult']
    """
    tag = {_MARK: it.iteration}
    out: list[StepInput] = []
    if it.thought is not None:
        out.append(StepInput(step_type="Reasoning", content=it.thought, metadata=tag,
                             created_at=it.timestamp))
    if it.action is not None or it.action_input is not None:
        out.append(StepInput(step_type="ToolCall", content=it.action,
                             input_data=it.action_input, metadata=tag,
                             created_at=it.timestamp))
    if it.observation is not None or it.success is not None:
        meta: dict[str, Any] = dict(tag)
        if it.success is not None:
            meta["success"] = it.success
        out.append(StepInput(step_type="ToolResult", output_data=it.observation,
                             metadata=meta, created_at=it.timestamp))
    if not out:  # an empty iteration still keeps its place and time
        out.append(StepInput(step_type="Reasoning", metadata=tag, created_at=it.timestamp))
    return out


def steps_from_iterations(iterations: Iterable[Iteration]) -> list[StepInput]:
    return [s for it in iterations for s in steps_from_iteration(it)]


def iterations_from_steps(steps: Sequence[StepView]) -> list[Iteration]:
    """Rebuild iterations from stored steps; steps without an iteration tag are skipped."""
    grouped: dict[int, list[StepView]] = {}
    for s in steps:
        n = (s.metadata or {}).get(_MARK)
        if isinstance(n, int) and not isinstance(n, bool):
            grouped.setdefault(n, []).append(s)
    out: list[Iteration] = []
    for n in sorted(grouped):
        fields: dict[str, Any] = {"iteration": n, "timestamp": grouped[n][0].created_at}
        for s in grouped[n]:
            if s.step_type == "Reasoning":
                fields["thought"] = s.content
            elif s.step_type == "ToolCall":
                fields["action"] = s.content
                fields["action_input"] = s.input_data
            elif s.step_type == "ToolResult":
                fields["observation"] = s.output_data
                fields["success"] = (s.metadata or {}).get("success")
        out.append(Iteration.model_validate(fields))
    return out
