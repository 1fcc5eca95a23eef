"""Seed 002's thinking-trace calls as thin async helpers over an :class:`~.aio.AsyncClient`.

Start a thinking trace, record thinking steps (with their token usage) and API calls,
complete it, and query traces by session, agent, status, outcome and model with
``limit``/``offset``. The tenant is the client's (its API key's over HTTP): a ``tenant_id``
argument that names another tenant is refused.

>>> import asyncio, tempfile
>>> from tracegraph.sdk import AsyncClient
>>> async def main() -> list[str]:
...     service = ThinkingTraces(AsyncClient.local(tempfile.mkdtemp()))
...     trace_id = await service.start_thinking_trace(
...         session_id="sess-123", actor_urn="urn:matih:agent:acme:bi-agent",
...         goal="Show me total sales by region")
...     await service.record_thinking_step(trace_id, ThinkingStep(
...         step_type="INTENT_ANALYSIS", reasoning="User wants sales grouped by region",
...         confidence=0.95, model_id="gpt-4",
...         token_usage=TokenUsage(input_tokens=150, output_tokens=50, thinking_tokens=200)))
...     await service.complete_thinking_trace(trace_id, outcome="success")
...     found = await service.query_thinking_traces(session_id="sess-123", status="completed")
...     await service.client.close()
...     return [t.status for t in found]
>>> asyncio.run(main())
['completed']
"""

from __future__ import annotations

from typing import Any, Unpack, cast

from pydantic import BaseModel, ConfigDict, Field
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.inputs import Confidence, DurationMs, Tokens
from tracegraph.schema.views import TraceView

from .aio import AsyncActiveTrace, AsyncClient
from .client import ApiCallFields, StepFields, TraceFields


class TokenUsage(BaseModel):
    """Token usage of one thinking step (seed 002's ``TokenUsageRecord``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: Tokens = 0
    output_tokens: Tokens = 0
    thinking_tokens: Tokens = 0


class ThinkingStep(BaseModel):
    """One thinking step (seed 002's ``AgentThinkingStep``); ``reasoning`` is its content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step_type: str
    reasoning: str | None = None
    input_summary: str | None = None
    output_summary: str | None = None
    alternatives_considered: list[str] = Field(default_factory=list)
    selected_alternative: str | None = None
    confidence: Confidence | None = None
    duration_ms: DurationMs | None = None
    model_id: str | None = None
    token_usage: TokenUsage | None = None
    depends_on: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None
    step_id: str | None = None


class ThinkingTraces:
    """``start_thinking_trace`` / ``record_thinking_step`` / ``record_api_call`` /
    ``complete_thinking_trace`` / ``query_thinking_traces`` over one async client."""

    def __init__(self, client: AsyncClient, *, wait: float = 10.0) -> None:
        self.client = client
        self.wait = wait
        self._active: dict[str, AsyncActiveTrace] = {}

    def _check_tenant(self, tenant_id: str | None) -> None:
        own = self.client.sync.transport.tenant_id
        if tenant_id is not None and own is not None and tenant_id != own:
            raise InvalidInput(f"tenant_id: this client records for tenant {own!r}, "
                               f"not {tenant_id!r}", field="tenant_id")

    def _trace(self, trace_id: str) -> AsyncActiveTrace:
        trace = self._active.get(trace_id)
        if trace is None:
            trace = self._active[trace_id] = self.client.attach(trace_id)
        return trace

    async def start_thinking_trace(
        self, *, session_id: str | None = None, goal: str | None = None,
        actor_urn: str | None = None, agent_id: str | None = None,
        parent_trace_id: str | None = None, tenant_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Start a trace; returns its id (chosen here, so it can be used at once)."""
        self._check_tenant(tenant_id)
        fields: TraceFields = {}
        if session_id is not None:
            fields["session_id"] = session_id
        if actor_urn is not None:
            fields["actor_urn"] = actor_urn
        if agent_id is not None:
            fields["agent_id"] = agent_id
        if metadata is not None:
            fields["metadata"] = metadata
        trace = self.client.trace(goal, parent=parent_trace_id, nest=False, **fields)
        self._active[trace.trace_id] = trace
        return trace.trace_id

    async def record_thinking_step(self, trace_id: str, step: ThinkingStep) -> str:
        """Queue a thinking step; returns its id."""
        values = step.model_dump(exclude={"token_usage", "reasoning", "step_type", "step_id"},
                                 exclude_none=True)
        fields = cast(StepFields, values)
        usage = step.token_usage
        if usage is not None:
            fields["input_tokens"] = usage.input_tokens
            fields["output_tokens"] = usage.output_tokens
            fields["thinking_tokens"] = usage.thinking_tokens
        return await self._trace(trace_id).step(step.step_type, step.reasoning,
                                                step_id=step.step_id, **fields)

    async def record_api_call(self, trace_id: str, api_type: str = "llm", *,
                              step_id: str | None = None,
                              **fields: Unpack[ApiCallFields]) -> str:
        """Queue an API call of the trace (tied to its last thinking step by default)."""
        return await self._trace(trace_id).api_call(api_type, step_id=step_id, **fields)

    async def complete_thinking_trace(
        self, trace_id: str, outcome: str = "success", *, final_answer: str | None = None,
        confidence: float | None = None, error_details: str | None = None,
    ) -> None:
        """Queue the completion; the store then computes the trace's rollups."""
        trace = self._trace(trace_id)
        await trace.complete(outcome, final_answer=final_answer, confidence=confidence,
                             error_details=error_details)
        self._active.pop(trace_id, None)

    async def query_thinking_traces(
        self, *, tenant_id: str | None = None, session_id: str | None = None,
        agent_id: str | None = None, status: str | None = None, outcome: str | None = None,
        model_id: str | None = None, limit: int = 50, offset: int = 0,
    ) -> list[TraceView]:
        """Traces newest first, filtered, once everything queued so far is stored (waiting
        ``wait`` seconds at most)."""
        self._check_tenant(tenant_id)
        await self.client.flush(self.wait)
        return await self.client.list_traces(session_id=session_id, agent_id=agent_id,
                                             status=status, outcome=outcome,
                                             model_id=model_id, limit=limit, offset=offset)
