"""The REST interface's response bodies (pydantic v2): what seed 003 names, in its field
names, and the error body every route answers with."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from tracegraph.api.service.runs import AgentRun, RunPage
from tracegraph.schema.iteration import Iteration
from tracegraph.schema.views import TraceView

RunState = Literal["running", "paused", "completed", "failed", "cancelled"]
_TIME: JsonDict = {"format": "date-time"}


class Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReasoningIteration(Body):
    """One iteration of a run (seed 003's trace format): a thought, the tool it chose, the
    tool's input and response and whether the call succeeded."""

    iteration: int = Field(ge=1, description="Sequence number, 1-indexed.")
    timestamp: datetime = Field(description="When this iteration executed.")
    thought: str | None = Field(description="The agent's reasoning: why it chose the action.")
    action: str | None = Field(description="Which tool was called.")
    action_input: Any = Field(description="Parameters passed to the tool (secrets redacted "
                              "at storage time).")
    observation: Any = Field(description="The tool's response (large payloads truncated).")
    success: bool | None = Field(description="Whether the tool call succeeded.")

    @classmethod
    def of(cls, it: Iteration) -> ReasoningIteration:
        return cls(iteration=it.iteration, timestamp=it.timestamp, thought=it.thought,
                   action=it.action, action_input=it.action_input,
                   observation=it.observation, success=it.success)


class TriggeredRun(Body):
    """A run started by this run (a trace nested under it)."""

    agent_run_id: str
    status: RunState


class AgentRunStatus(Body):
    """An agent run's status (``GET /agents/{id}/status``); ``reasoning_trace`` only with
    ``include_trace=true``."""

    agent_run_id: str
    agent_id: str | None
    session_id: str
    status: RunState = Field(description="running, paused (waiting for human input), "
                             "completed, failed or cancelled.")
    objective: str | None = Field(description="The run's goal.")
    iterations: int = Field(ge=0, description="Number of iterations so far.")
    final_answer: str | None
    confidence: float | None
    triggered_runs: list[TriggeredRun]
    created_at: str = Field(json_schema_extra=_TIME)
    completed_at: str | None = Field(json_schema_extra=_TIME)
    error_details: str | None
    reasoning_trace: list[ReasoningIteration] | None = Field(
        default=None, description="The iterations, when include_trace=true.")

    @classmethod
    def of(cls, run: AgentRun, *, include_trace: bool) -> AgentRunStatus:
        t = run.trace
        return cls(
            agent_run_id=t.trace_id, agent_id=t.agent_id, session_id=t.session_id,
            status=run.state, objective=t.goal,
            iterations=len(run.iterations), final_answer=t.final_answer,
            confidence=t.confidence,
            triggered_runs=[TriggeredRun(agent_run_id=r.run_id, status=r.state)
                            for r in run.triggered],
            created_at=t.created_at, completed_at=t.completed_at,
            error_details=t.error_details,
            reasoning_trace=[ReasoningIteration.of(i) for i in run.iterations]
            if include_trace else None)


class AgentRunTrace(Body):
    """A run's complete reasoning trace (``GET /agents/{id}/trace``): its iterations and
    metadata about the run."""

    agent_run_id: str
    status: RunState
    objective: str | None
    iterations: int = Field(ge=0)
    created_at: str = Field(json_schema_extra=_TIME)
    completed_at: str | None = Field(json_schema_extra=_TIME)
    reasoning_trace: list[ReasoningIteration]

    @classmethod
    def of(cls, run: AgentRun) -> AgentRunTrace:
        t = run.trace
        return cls(agent_run_id=t.trace_id, status=run.state,
                   objective=t.goal, iterations=len(run.iterations),
                   created_at=t.created_at, completed_at=t.completed_at,
                   reasoning_trace=[ReasoningIteration.of(i) for i in run.iterations])


class AgentRunSummary(Body):
    """A run as listed by ``GET /agents``."""

    agent_run_id: str
    agent_id: str | None
    session_id: str
    status: RunState
    objective: str | None
    final_answer: str | None
    created_at: str = Field(json_schema_extra=_TIME)
    completed_at: str | None = Field(json_schema_extra=_TIME)

    @classmethod
    def of(cls, t: TraceView, state: str) -> AgentRunSummary:
        return cls(agent_run_id=t.trace_id, agent_id=t.agent_id, session_id=t.session_id,
                   status=state, objective=t.goal,
                   final_answer=t.final_answer, created_at=t.created_at,
                   completed_at=t.completed_at)


class AgentRunList(Body):
    """A page of runs, newest first."""

    agents: list[AgentRunSummary]
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)
    has_more: bool = Field(description="More (older) runs follow this page.")

    @classmethod
    def of(cls, page: RunPage) -> AgentRunList:
        return cls(agents=[AgentRunSummary.of(t, s)
                           for t, s in zip(page.runs, page.states, strict=True)],
                   limit=page.limit, offset=page.offset, has_more=page.has_more)


class ErrorDetail(Body):
    code: str = Field(description="BAD_USER_INPUT, LIMIT_EXCEEDED, NOT_FOUND, "
                      "UNAUTHENTICATED, FORBIDDEN, ...")
    message: str = Field(description="What is wrong, naming the field and the limit.")
    field: str | None = Field(default=None, description="The parameter at fault.")


class ErrorBody(Body):
    """Every error: ``{"error": {"code", "message", "field"?}}``."""

    error: ErrorDetail
