"""Checks of a batch of steps or API calls before it is appended: what the ids refer to.

The inputs' shapes and limits were checked by their pydantic models; these checks need the
store (a ``dependsOn`` or ``stepId`` naming a stored step) or the batch as a whole
(repeated ids, a ``dependsOn`` that is not earlier). Each error names the field.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.errors import InvalidInput, LimitExceeded
from tracegraph.schema.ids import new_id
from tracegraph.schema.inputs import ApiCallInput, StepInput
from tracegraph.schema.limits import MAX_BATCH_STEPS


def check_batch_size(field: str, what: str, count: int) -> None:
    """At least one and at most :data:`MAX_BATCH_STEPS` items per call."""
    if not count:
        raise InvalidInput(f"{field}: at least one {what} is required", field=field)
    if count > MAX_BATCH_STEPS:
        raise LimitExceeded(f"{field}: {count} {what}s exceed the limit of "
                            f"{MAX_BATCH_STEPS} per call", field=field)


def step_ids(store: GraphStore, tenant_id: str, steps: Sequence[StepInput]) -> list[str]:
    """The ids of ``steps`` (new ones where none is given), after checking that every
    ``dependsOn`` names an earlier step of this batch or a stored step of the tenant, and
    that a selected alternative is one of those considered."""
    ids = [s.step_id or new_id() for s in steps]
    for i, s in enumerate(steps):
        if s.selected_alternative is not None and s.alternatives_considered and (
            s.selected_alternative not in s.alternatives_considered
        ):
            raise InvalidInput(f"steps[{i}].selectedAlternative: must be one of "
                               "alternativesConsidered", field="selectedAlternative")
    if len(set(ids)) != len(ids):
        raise InvalidInput("steps: stepId values repeat within the batch", field="stepId")
    wanted = {d for s in steps for d in s.depends_on} - set(ids)
    known = store.resolve(tenant_id, sorted(wanted)) if wanted else {}
    position = {step_id: i for i, step_id in enumerate(ids)}
    for i, s in enumerate(steps):
        for j, dep in enumerate(s.depends_on):
            where = f"steps[{i}].dependsOn[{j}]"
            if dep in position:
                if position[dep] >= i:
                    raise InvalidInput(f"{where}: step {dep} is not earlier than this step; "
                                       "the edge would create a cycle", field="dependsOn")
                continue
            ref = known.get(dep)
            if ref is None or ref.kind != "step":
                raise InvalidInput(f"{where}: step {dep} not found", field="dependsOn")
    return ids


def call_ids(store: GraphStore, tenant_id: str, trace_id: str,
             calls: Sequence[ApiCallInput], batch_steps: Collection[str] = ()) -> list[str]:
    """The ids of ``calls`` (new ones where none is given), after checking that each
    ``stepId`` names a step of ``trace_id``: one of ``batch_steps`` (appended with the
    calls) or a stored one."""
    wanted = sorted({c.step_id for c in calls if c.step_id is not None} - set(batch_steps))
    known = store.resolve(tenant_id, wanted) if wanted else {}
    for i, c in enumerate(calls):
        if c.step_id is None or c.step_id in batch_steps:
            continue
        ref = known.get(c.step_id)
        if ref is None or ref.kind != "step" or ref.trace_id != trace_id:
            raise InvalidInput(f"calls[{i}].stepId: step {c.step_id} not found in trace "
                               f"{trace_id}", field="stepId")
    ids = [c.call_id or new_id() for c in calls]
    if len(set(ids)) != len(ids):
        raise InvalidInput("calls: callId values repeat within the batch", field="callId")
    return ids
