"""Data the conformance tests build through the public service layer."""

from __future__ import annotations

from tracegraph.api.service import TraceService
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.views import TraceView


def small_trace(service: TraceService, tenant: str, *, session: str = "s1",
                steps: int = 3, complete: bool = True) -> TraceView:
    """A trace with ``steps`` steps (alternatives, JSON payloads, a dependsOn edge), one API
    call, one human input and, when ``complete``, its completion: 3 + steps (+1) entries."""
    t = service.start_trace(tenant, StartTraceInput(session_id=session, agent_id="agent-1",
                                                    goal="answer the question"))
    made = service.record_steps(tenant, t.trace_id, [
        StepInput(step_type="Reasoning", content=f"thought {i} ünïcødé ✓",
                  input_data={"q": i, "nested": {"x": [1, 2.5, None, True]}},
                  output_data={"answer": f"a{i}"}, confidence=0.5 + i / 100,
                  alternatives_considered=["left", "right"], selected_alternative="left",
                  model_id="model-a", input_tokens=10, output_tokens=5, thinking_tokens=7,
                  duration_ms=12.5)
        for i in range(steps)
    ])
    service.record_steps(tenant, t.trace_id, [
        StepInput(step_type="Decision", content="decide", depends_on=[made[0].step_id])
    ]) if steps else None
    service.record_api_call(tenant, t.trace_id, ApiCallInput(
        step_id=made[0].step_id if made else None, api_type="llm", endpoint="/v1/chat",
        method="POST", status_code=200, latency_ms=320, cost_usd=0.0125))
    service.record_human_input(tenant, t.trace_id, HumanInputInput(
        question="Proceed?", answer="yes", answered_by="alice"))
    if complete:
        service.complete_trace(tenant, t.trace_id, CompleteTraceInput(
            outcome="success", final_answer="42"))
    view = service.get_trace(tenant, t.trace_id)
    assert view is not None
    return view
