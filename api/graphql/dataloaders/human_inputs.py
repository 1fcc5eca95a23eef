"""DataLoader of each trace's human inputs: one ``TraceService.human_inputs`` call per batch."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.views import HumanInputView


def human_inputs_loader(
    service: TraceService, tenant_id: str
) -> DataLoader[str, list[HumanInputView]]:
    async def load(trace_ids: list[str]) -> list[list[HumanInputView]]:
        got = await run_in_threadpool(service.human_inputs, tenant_id, trace_ids)
        return [got.get(t, []) for t in trace_ids]

    return DataLoader(load_fn=load)
