"""The diff of two runs, as the adapters ask for it (GraphQL ``diffRuns``, ``tracegraph diff``):
loads each run through :class:`.TraceService` and hands both to
:func:`tracegraph.schema.run_diff.diff_runs`."""

from __future__ import annotations

from tracegraph.schema.errors import TraceNotFound
from tracegraph.schema.run_diff import RunDiff, RunSide, diff_runs

from .traces import TraceService


def load_run(service: TraceService, tenant_id: str, trace_id: str) -> RunSide:
    """The trace ``trace_id`` and every trace nested under it, with steps and API calls."""
    if service.get_trace(tenant_id, trace_id) is None:
        raise TraceNotFound(f"trace {trace_id} not found")
    ids = service.subtree_ids(tenant_id, trace_id)
    views = service.get_traces(tenant_id, ids)
    return RunSide(trace_id=trace_id, traces=[views[t] for t in ids if t in views],
                   steps=service.steps(tenant_id, ids),
                   api_calls=service.api_calls(tenant_id, ids),
                   totals=service.subtree_totals(tenant_id, trace_id))


def diff_stored_runs(service: TraceService, tenant_id: str, a: str, b: str) -> RunDiff:
    """Diff of the stored runs rooted at traces ``a`` and ``b`` of one tenant."""
    return diff_runs(load_run(service, tenant_id, a), load_run(service, tenant_id, b))
