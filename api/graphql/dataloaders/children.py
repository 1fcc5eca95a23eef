"""DataLoader of the ids of each trace's nested traces: one ``TraceService.children`` per batch."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService


def children_loader(service: TraceService, tenant_id: str) -> DataLoader[str, list[str]]:
    async def load(trace_ids: list[str]) -> list[list[str]]:
        got = await run_in_threadpool(service.children, tenant_id, trace_ids)
        return [list(got.get(t, [])) for t in trace_ids]

    return DataLoader(load_fn=load)
