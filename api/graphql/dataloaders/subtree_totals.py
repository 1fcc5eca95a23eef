"""DataLoader of rollups over each trace and all its nested descendants.

A batch walks the nesting of every requested trace together, one ``children`` call per
level, then reads the traces' own rollups through the totals loader: store calls grow with
the nesting depth, not with the number of traces.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.records import Totals


def subtree_totals_loader(
    service: TraceService, tenant_id: str, totals: DataLoader[str, Totals]
) -> DataLoader[str, Totals]:
    async def load(roots: list[str]) -> list[Totals]:
        members: dict[str, list[str]] = {r: [r] for r in roots}
        frontier: dict[str, list[str]] = {r: [r] for r in roots}
        while any(frontier.values()):
            level = list(dict.fromkeys(t for ts in frontier.values() for t in ts))
            kids = await run_in_threadpool(service.children, tenant_id, level)
            for root, ts in frontier.items():
                seen = set(members[root])
                nxt = [c for t in ts for c in kids.get(t, []) if c not in seen]
                members[root].extend(nxt)
                frontier[root] = nxt
        everyone = list(dict.fromkeys(t for ts in members.values() for t in ts))
        own = dict(zip(everyone, await totals.load_many(everyone), strict=True))
        out: list[Totals] = []
        for root in roots:
            total = Totals()
            for t in members[root]:
                total = total + own[t]
            out.append(total)
        return out

    return DataLoader(load_fn=load)
