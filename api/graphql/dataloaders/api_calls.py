"""DataLoader of each trace's API calls in order: one ``TraceService.api_calls`` call per batch."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.views import ApiCallView


def api_calls_loader(
    service: TraceService, tenant_id: str
) -> DataLoader[str, list[ApiCallView]]:
    async def load(trace_ids: list[str]) -> list[list[ApiCallView]]:
        got = await run_in_threadpool(service.api_calls, tenant_id, trace_ids)
        return [got.get(t, []) for t in trace_ids]

    return DataLoader(load_fn=load)
