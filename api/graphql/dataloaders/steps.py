"""DataLoader of each trace's steps in order: one ``TraceService.steps`` call per batch."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.views import StepView


def steps_loader(service: TraceService, tenant_id: str) -> DataLoader[str, list[StepView]]:
    async def load(trace_ids: list[str]) -> list[list[StepView]]:
        got = await run_in_threadpool(service.steps, tenant_id, trace_ids)
        return [got.get(t, []) for t in trace_ids]

    return DataLoader(load_fn=load)
