"""DataLoader of rollups over each trace and all its nested descendants.

One ``TraceService.subtrees_totals`` call per batch: store calls grow with the nesting
depth, not with the number of traces. (It does not share the totals loader: when that
loader's batch would fire relative to other fields' loads depends on thread timing, and
the number of store calls of a request should not.)
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.records import Totals


def subtree_totals_loader(service: TraceService, tenant_id: str) -> DataLoader[str, Totals]:
    async def load(roots: list[str]) -> list[Totals]:
        got = await run_in_threadpool(service.subtrees_totals, tenant_id, roots)
        return [got[r] for r in roots]

    return DataLoader(load_fn=load)
