"""DataLoader of each trace's own rollup: one ``TraceService.totals`` call per batch."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.records import Totals


def totals_loader(service: TraceService, tenant_id: str) -> DataLoader[str, Totals]:
    async def load(trace_ids: list[str]) -> list[Totals]:
        got = await run_in_threadpool(service.totals, tenant_id, trace_ids)
        return [got.get(t, Totals()) for t in trace_ids]

    return DataLoader(load_fn=load)
