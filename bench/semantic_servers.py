"""Vector search on a server backend (Neo4j or Dgraph) at a given size: p50/p95 of
``search_vectors`` for the top 10 and recall@10 against the exact ranking (numpy), issue 19.

``python -m tracegraph.bench.semantic --search-only --backend neo4j|dgraph --sizes 100000
[--realistic] [--server URI|ADDR]``

The set (:mod:`.vector_sets`: realistic or uniform random) is written once under a tenant
named after it (``bench-real-100000``, ``bench-unif-100000``) in batches of
:data:`LOAD_BATCH` with progress; a rerun finds it written and only searches. Beside it a
*small tenant* of :data:`SMALL` vectors from the same distribution (``...-small``) measures
what a tenant that holds 1% of a shared index gets: both server indexes span every tenant
and filter after the search. Searches: the top 10 without a filter and with a step type
filter (``Decision``: 1 step in 12), :data:`QUERIES` queries each, after one warm-up.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.registry import open_store
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorStore

from . import vector_sets
from .workload import STEP_TYPES

MODEL = "bench-minilm"
#: Vectors per ``put_vectors`` call while loading a set (the store splits it further).
LOAD_BATCH = 2000
QUERIES = 100
#: Seconds a Dgraph request may take: one write of 250 vectors into a 90k-vector HNSW index
#: took 45-64 s here (the index inserts one vector at a time, ~200 ms each).
WRITE_TIMEOUT = 600.0
SMALL = 1000
K = 10


def open_server(backend: str, server: str | None) -> GraphStore:
    if backend == "dgraph":
        return open_store("dgraph", addr=server or "127.0.0.1:9080", timeout=WRITE_TIMEOUT)
    return open_store("neo4j", uri=server or "bolt://127.0.0.1:7687")


def kinds(size: int) -> list[str]:
    return [STEP_TYPES[i % len(STEP_TYPES)] for i in range(size)]


def _row(i: int, kind: str, v: np.ndarray) -> StepVector:
    return StepVector(step_id=f"s{i:07d}", trace_id=f"t{i // 50}", session_id=f"sess{i // 500}",
                      agent_id=f"a{i % 7}", step_type=kind, step_index=i % 50,
                      created_at=f"2026-01-01T00:00:00.{i:06d}Z", vector=v.tolist())


def load(store: VectorStore, tenant: str, matrix: np.ndarray) -> float:
    """Write ``matrix`` as ``tenant``'s vectors unless they are there, so an interrupted load
    tops up: a batch whose last vector is stored is skipped, and ``put_vectors`` skips the
    vectors of a batch that are (a step keeps its first vector); returns the seconds spent
    writing."""
    types = kinds(len(matrix))
    spent, written = 0.0, 0
    for start in range(0, len(matrix), LOAD_BATCH):
        end = min(start + LOAD_BATCH, len(matrix))
        if store.vector_ids(tenant, MODEL, [f"s{end - 1:07d}"]):
            continue
        t = time.perf_counter()
        store.put_vectors(tenant, MODEL, [_row(i, types[i], matrix[i])
                                          for i in range(start, end)])
        spent += time.perf_counter() - t
        written += end - start
        print(f"  {tenant}: {end}/{len(matrix)} stored ({spent:.0f} s, at most "
              f"{written / spent:.1f} vectors/s)", file=sys.stderr, flush=True)
    return spent


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) process ``pid`` has used (Linux ``/proc``), 0 without."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(store: VectorStore, tenant: str, matrix: np.ndarray, queries: np.ndarray,
            flt: VectorFilter, server_pid: int | None = None) -> dict[str, float]:
    """p50/p95 ms of top-10 searches, recall@10 against numpy's exact ranking, and with
    ``server_pid`` the server's CPU ms per search."""
    keep = np.ones(len(matrix), dtype=bool)
    if flt.step_types:
        keep = np.isin(np.array(kinds(len(matrix))), flt.step_types)
    store.search_vectors(tenant, MODEL, queries[0].tolist(), K, flt)  # (warm)
    times, found, cpu = [], 0, 0.0
    for q in queries:
        c = process_cpu(server_pid)
        t = time.perf_counter()
        hits = store.search_vectors(tenant, MODEL, q.tolist(), K, flt)
        times.append((time.perf_counter() - t) * 1000)
        cpu += process_cpu(server_pid) - c
        exact = np.argsort(-np.where(keep, matrix @ q, -np.inf))[:K]
        found += len({f"s{i:07d}" for i in exact} & {h.step_id for h in hits})
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95)], 1),
            "recall_at_10": round(found / (K * len(queries)), 3),
            **({"server_cpu_ms": round(cpu / len(queries) * 1000, 1)} if server_pid else {}),
            "load_average": round(os.getloadavg()[0], 1)}


def server_search(size: int, backend: str, server: str | None, realistic: bool,
                  queries: int = QUERIES, server_pid: int | None = None) -> dict[str, Any]:
    """Load (once) and search the set of ``size`` vectors and the small tenant beside it."""
    store = open_server(backend, server)
    assert isinstance(store, VectorStore)
    name = f"bench-{'real' if realistic else 'unif'}-{size}"
    matrix, qs = vector_sets.vector_set(size, realistic)
    small, _ = vector_sets.vector_set(SMALL, realistic)
    qs = qs[:queries]
    out: dict[str, Any] = {"set": name, "load_s": round(load(store, name, matrix)
                                                        + load(store, name + "-small", small))}
    try:
        for label, flt in (("all", VectorFilter()),
                           ("decisions", VectorFilter(step_types=("Decision",)))):
            out[label] = measure(store, name, matrix, qs, flt, server_pid)
            out[f"small_tenant_{label}"] = measure(store, name + "-small", small, qs, flt,
                                                   server_pid)
            print(f"  {label}: {out[label]}, small tenant: {out[f'small_tenant_{label}']}",
                  file=sys.stderr, flush=True)
    finally:
        store.close()
    return out
