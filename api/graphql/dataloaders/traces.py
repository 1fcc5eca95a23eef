"""DataLoader of traces by id: one ``TraceService.get_traces`` call per batch."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.views import TraceView


def traces_loader(service: TraceService, tenant_id: str) -> DataLoader[str, TraceView | None]:
    async def load(trace_ids: list[str]) -> list[TraceView | None]:
        got = await run_in_threadpool(service.get_traces, tenant_id, trace_ids)
        return [got.get(t) for t in trace_ids]

    return DataLoader(load_fn=load)
