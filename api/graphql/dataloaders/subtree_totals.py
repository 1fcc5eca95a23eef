"""DataLoader of rollups over each trace and all its nested descendants.

A batch walks the nesting of every requested trace together, one ``children`` call per
level, then reads all the traces' own rollups in one ``totals`` call: store calls grow with
the nesting depth, not with the number of traces. (It does not share the totals loader:
when that loader's batch would fire relative to other fields' loads depends on thread
timing, and the number of store calls of a request should not.)
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.records import Totals


def subtree_totals_loader(service: TraceService, tenant_id: str) -> DataLoader[str, Totals]:
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
        own = await run_in_threadpool(service.totals, tenant_id, everyone)
        out: list[Totals] = []
        for root in roots:
            total = Totals()
            for t in members[root]:
                total = total + own.get(t, Totals())
            out.append(total)
        return out

    return DataLoader(load_fn=load)
