"""Conformance: ids reused across record kinds are refused on every backend.

A retry with ids that are all stored gets the stored entries back (idempotent appends); an
id that already names a record of another kind (an API call id that is a step's id) is no
retry: ``AlreadyExists`` naming the field, and nothing is stored. (Found by the GraphQL
fuzz test: the step came back dressed as an API call.)
"""

from __future__ import annotations

import pytest
from tracegraph.api.service import TraceService
from tracegraph.schema.errors import AlreadyExists
from tracegraph.schema.inputs import ApiCallInput, HumanInputInput, StartTraceInput, StepInput


def test_an_id_of_another_kind_is_already_taken(service: TraceService, tenant: str) -> None:
    t = service.start_trace(tenant, StartTraceInput())
    (step,) = service.record_steps(tenant, t.trace_id, [StepInput(step_type="Decision")])
    call = service.record_api_call(tenant, t.trace_id, ApiCallInput())
    human = service.record_human_input(tenant, t.trace_id, HumanInputInput(question="ok?"))
    attempts = [
        ("callId", lambda: service.record_api_call(
            tenant, t.trace_id, ApiCallInput(call_id=step.step_id))),
        ("inputId", lambda: service.record_human_input(
            tenant, t.trace_id, HumanInputInput(input_id=call.call_id, question="q"))),
        ("stepId", lambda: service.record_steps(
            tenant, t.trace_id, [StepInput(step_id=human.input_id, step_type="Action")])),
    ]
    for field, attempt in attempts:
        with pytest.raises(AlreadyExists, match=f"^{field}: .* already names a"):
            attempt()
    row = service.store.get_traces(tenant, [t.trace_id])[t.trace_id]
    assert row.entry_count == 4
    # a true retry (same kind, same id) is still idempotent
    again = service.record_api_call(tenant, t.trace_id, ApiCallInput(call_id=call.call_id))
    assert again.seq == call.seq and again.hash == call.hash
    assert service.verify_trace(tenant, t.trace_id).valid
