"""GraphQL ``Mutation``: the trace lifecycle, each operation one service call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, TypeVar

import strawberry
from pydantic import ValidationError
from tracegraph.api.service.pauses import pause_trace, resume_trace
from tracegraph.schema.inputs import (
    AnswerInput,
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.views import (
    ApiCallView,
    CheckpointView,
    HumanInputView,
    StepView,
    TraceView,
)

from .context import Info
from .ids import checked_id
from .inputs.api_call import ApiCallInputType
from .inputs.human_input import AnswerInputType, HumanInputInputType
from .inputs.start_trace import StartTraceInputType
from .inputs.step import StepInputType
from .inputs.validated import input_error
from .types.api_call import ApiCall
from .types.chain_verification import CheckpointType
from .types.enums import OutcomeEnum, TraceStatusEnum
from .types.human_input import HumanInput
from .types.step import Step
from .types.trace import Trace

P = TypeVar("P")
R = TypeVar("R")


async def _append(info: Info, record: Callable[[str, str, P], R], trace_id: str,
                  payload: P) -> R:
    """One append of the service layer to the trace ``trace_id`` (checked first, named
    ``traceId``) in the thread pool (the service tells live subscribers)."""
    ctx = info.context
    checked = checked_id(trace_id, "traceId")
    return await ctx.call(record, ctx.tenant_id, checked, payload)


@strawberry.type(name="Mutation")
class Mutation:
    @strawberry.mutation(graphql_type=CheckpointType, description="Sign a checkpoint of the "
                         "tenant's Merkle log now (it must extend the last signed one); it "
                         "is kept in the store and in the journal outside the database.")
    async def create_checkpoint(self, info: Info) -> CheckpointView:
        ctx = info.context
        return await ctx.call(ctx.log.create_checkpoint, ctx.tenant_id)

    @strawberry.mutation(graphql_type=Trace, description="Start a trace (nested when "
                         "parentTraceId is given).")
    async def start_trace(
        self, info: Info,
        input: Annotated[StartTraceInput, strawberry.argument(graphql_type=StartTraceInputType)],
    ) -> TraceView:
        ctx = info.context
        return await ctx.call(ctx.service.start_trace, ctx.tenant_id, input)

    @strawberry.mutation(graphql_type=list[Step], description="Append steps to an active "
                         "trace: all of the batch is stored or none of it.")
    async def record_steps(
        self, info: Info, trace_id: strawberry.ID,
        steps: Annotated[list[StepInput], strawberry.argument(graphql_type=list[StepInputType])],
    ) -> list[StepView]:
        return await _append(info, info.context.service.record_steps, trace_id, steps)

    @strawberry.mutation(graphql_type=ApiCall, description="Record an API call made during "
                         "an active trace.")
    async def record_api_call(
        self, info: Info, trace_id: strawberry.ID,
        call: Annotated[ApiCallInput, strawberry.argument(graphql_type=ApiCallInputType)],
    ) -> ApiCallView:
        return await _append(info, info.context.service.record_api_call, trace_id, call)

    @strawberry.mutation(graphql_type=list[ApiCall], description="Record API calls made "
                         "during an active trace: all of the batch is stored or none of it.")
    async def record_api_calls(
        self, info: Info, trace_id: strawberry.ID,
        calls: Annotated[list[ApiCallInput],
                         strawberry.argument(graphql_type=list[ApiCallInputType])],
    ) -> list[ApiCallView]:
        return await _append(info, info.context.service.record_api_calls, trace_id, calls)

    @strawberry.mutation(graphql_type=HumanInput, description="Record a human-in-the-loop "
                         "question and answer in an open trace. A question without an answer "
                         "pauses the trace (status PAUSED, waiting for human input); an "
                         "answer makes it ACTIVE again.")
    async def record_human_input(
        self, info: Info, trace_id: strawberry.ID,
        input: Annotated[HumanInputInput, strawberry.argument(graphql_type=HumanInputInputType)],
    ) -> HumanInputView:
        return await _append(info, info.context.service.record_human_input, trace_id, input)

    @strawberry.mutation(graphql_type=HumanInput, description="Pause a trace until a human "
                         "answers: records the question (answer left out) as a human input; "
                         "the trace is PAUSED until resumeTrace records the answer.")
    async def pause_trace(
        self, info: Info, trace_id: strawberry.ID,
        input: Annotated[HumanInputInput, strawberry.argument(graphql_type=HumanInputInputType)],
    ) -> HumanInputView:
        service = info.context.service
        return await _append(info, functools.partial(pause_trace, service), trace_id, input)

    @strawberry.mutation(graphql_type=HumanInput, description="Resume a PAUSED trace: records "
                         "the answer to the question it waits on (a human input answering "
                         "it); the trace is ACTIVE again.")
    async def resume_trace(
        self, info: Info, trace_id: strawberry.ID,
        input: Annotated[AnswerInput, strawberry.argument(graphql_type=AnswerInputType)],
    ) -> HumanInputView:
        service = info.context.service
        return await _append(info, functools.partial(resume_trace, service), trace_id, input)

    @strawberry.mutation(graphql_type=Trace, description="Complete a trace: seals its chain and "
                         "stores its rollups. status defaults from the outcome (failure -> "
                         "failed, otherwise completed).")
    async def complete_trace(
        self, info: Info, trace_id: strawberry.ID, outcome: OutcomeEnum,
        final_answer: str | None = None, confidence: float | None = None,
        error_details: str | None = None, status: TraceStatusEnum | None = None,
    ) -> TraceView:
        trace_id = strawberry.ID(checked_id(trace_id, "traceId"))
        data = {"outcome": outcome.value, "final_answer": final_answer,
                "confidence": confidence, "error_details": error_details,
                "status": None if status is None else status.value}
        try:
            inp = CompleteTraceInput.model_validate({k: v for k, v in data.items()
                                                     if v is not None})
        except ValidationError as exc:
            raise input_error(exc, ()) from None
        ctx = info.context
        return await ctx.call(ctx.service.complete_trace, ctx.tenant_id, trace_id, inp)
