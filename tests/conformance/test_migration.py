"""A tenant's history moved embedded -> Neo4j -> Dgraph -> embedded through export files
(`tracegraph export` / `tracegraph import`): every hash, every edge and every verification
the same at each stop. Runs when all three backends are up (the conformance servers)."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.retention import tombstone_for
from tracegraph.api.service.transfer import export_lines, import_lines
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.protocol import Edge, GraphStore, LogStore
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

from .harness import Harness
from .runs import Names, complete_run, nested_run, random_run

ORDER = ["embedded", "neo4j", "dgraph", "embedded"]


@pytest.fixture(scope="module")
def harnesses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Harness]]:
    made = {name: importlib.import_module(f"{__package__}.backends.{name}")
            .make_harness(tmp_path_factory) for name in dict.fromkeys(ORDER)}
    yield made
    for h in made.values():
        h.close()


def _edges(store: GraphStore, tenant: str, nodes: list[str]) -> list[Edge]:
    return sorted(e for d in ("out", "in") for e in store.edges(tenant, nodes, d))  # type: ignore[arg-type]


def test_history_moves_through_every_backend_with_every_hash_kept(
        harnesses: dict[str, Harness], tmp_path: Path) -> None:
    # (the last stop is a new embedded store: the harness's is the first stop's)
    stores = [harnesses[name].open() for name in ORDER[:-1]] + [EmbeddedStore(tmp_path)]
    missing = [name for name, s in zip(ORDER, stores, strict=True)
               if not isinstance(s, LogStore)]
    if missing:
        pytest.skip(f"{', '.join(missing)} keeps no Merkle log yet, which export reads its "
                    "order from (issue 14)")
    tenant = f"mig-{uuid.uuid4().hex[:8]}"
    n = Names(f"m{uuid.uuid4().hex[:6]}-")
    first = TraceService(stores[0])
    gone = first.start_trace(tenant, StartTraceInput(session_id=n("old"), goal="removed"))
    first.record_steps(tenant, gone.trace_id, [StepInput(step_type="Reasoning", content="x")])
    first.complete_trace(tenant, gone.trace_id, CompleteTraceInput(outcome="success"))
    row = stores[0].get_traces(tenant, [gone.trace_id])[gone.trace_id]
    stones = [tombstone_for(row, "2026-12-05T00:00:00Z")]
    stores[0].remove_trace(tenant, gone.trace_id, stones[0])
    nested_run(first, tenant, n)
    complete_run(first, tenant, n)
    traces = [n(t) for t in ("R", "C1", "C2", "G")] + random_run(first, tenant, n, seed=7).traces
    want = {t: [e.hash for e in es] for t, es in stores[0].entries(tenant, traces).items()}
    nodes = [r.node_id for r in stores[0].resolve(tenant, [n(x) for x in ("r0", "r1", "c0",
                                                                           "g0", "d0")]).values()]
    want_edges = _edges(stores[0], tenant, nodes)
    sessions = sorted({str(row.started["session_id"])
                       for row in stores[0].get_traces(tenant, traces).values()})
    lines = [orjson.dumps(x) + b"\n" for x in export_lines(first, tenant)]
    for name, store in zip(ORDER[1:], stores[1:], strict=True):
        svc = TraceService(store)
        report = import_lines(svc, lines)
        assert report.entries_stored == sum(len(h) for h in want.values()), name
        got = {t: [e.hash for e in es] for t, es in store.entries(tenant, traces).items()}
        assert got == want, name
        assert _edges(store, tenant, nodes) == want_edges, name
        assert all(svc.verify_session(tenant, s).valid for s in sessions), name
        assert report.tombstones_restored == 1, name
        assert store.tombstones(tenant, n("old")) == stones, name
        assert svc.verify_session(tenant, n("old")).valid, name
        lines = [orjson.dumps(x) + b"\n" for x in export_lines(svc, tenant)]
