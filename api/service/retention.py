"""Retention: remove whole expired traces and leave a verifiable tombstone for each.

A trace expires when it is no longer active and was created before the tenant's cutoff
(default 90 days). Nested traces go first: a trace is removed only once none of its
children remain, so a run tree never loses its parent while a child stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tracegraph.graph.protocol import GraphStore, Tombstone, TraceRow
from tracegraph.schema.chain import tombstone_hash
from tracegraph.schema.inputs import utc_iso

from .nesting import walk_nesting
from .paging import every_trace_row
from .views import TraceQuery

PAGE = 500


@dataclass
class RetentionReport:
    tenant_id: str
    cutoff: str
    removed: list[Tombstone] = field(default_factory=list)
    kept_with_children: list[str] = field(default_factory=list)


def tombstone_for(row: TraceRow, removed_at: str) -> Tombstone:
    session = str(row.started.get("session_id", ""))
    return Tombstone(
        tenant_id=row.tenant_id, trace_id=row.trace_id, session_id=session,
        entry_count=row.entry_count, final_hash=row.head_hash, removed_at=removed_at,
        hash=tombstone_hash(row.tenant_id, row.trace_id, session, row.entry_count,
                            row.head_hash, removed_at),
    )


def expired(store: GraphStore, tenant_id: str, cutoff: str) -> list[TraceRow]:
    """Traces created before ``cutoff`` that are no longer active, newest first."""
    rows = every_trace_row(store, tenant_id, TraceQuery(created_before=cutoff), PAGE)
    return [r for r in rows if r.status not in ("active", "paused")]


def apply_retention(
    store: GraphStore, tenant_id: str, days: int, *, now: datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Remove the tenant's traces older than ``days``; returns what was (or would be) removed."""
    now = now or datetime.now(UTC)
    cutoff = utc_iso(now - timedelta(days=days))
    report = RetentionReport(tenant_id, cutoff)
    candidates = expired(store, tenant_id, cutoff)
    nesting = walk_nesting(lambda level: store.children(tenant_id, level),
                           [r.trace_id for r in candidates]).children
    pending = list(candidates)
    removed_ids: set[str] = set()
    while pending:  # one pass per nesting level: a trace goes once its children are gone
        waiting = []
        for row in pending:
            if any(c not in removed_ids for c in nesting.get(row.trace_id, [])):
                waiting.append(row)
                continue
            stone = tombstone_for(row, utc_iso(now))
            if not dry_run:
                store.remove_trace(tenant_id, row.trace_id, stone)
            removed_ids.add(row.trace_id)
            report.removed.append(stone)
        if len(waiting) == len(pending):
            report.kept_with_children = [r.trace_id for r in waiting]
            break
        pending = waiting
    return report
