"""Figures of semantic search (issue 19): embeddings/s on one core, vector search p50 on the
embedded store at 10k and 100k embedded steps, ingest with embedding on vs off, recall@10.

``python -m tracegraph.bench.semantic [--sizes 10000 100000] [--runs 4] [--rounds 3]``;
``--search-only --backend neo4j|dgraph --server URI|ADDR`` measures a server's search.

* embeddings/s: CPU seconds of :class:`MiniLMEmbedder` (BLAS on one thread) over the
  workload's step texts, batches of 32;
* search: random unit vectors (384 wide) with the workload's filter fields written straight
  through ``put_vectors``; p50/p95 of ``search_vectors`` for top 10, without and with a
  step type filter, plus the query's own embedding time;
* ingest: the workload's runs appended in-process (:mod:`.timed_ingest`), alternating
  rounds off/on, best round each: wall seconds and the ingest thread's CPU seconds (the
  hot path; the worker's embedding runs on its own thread), and how long the worker took
  to finish after the last append.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from tracegraph.api.embedding import MiniLMEmbedder
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.registry import open_store
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorStore
from tracegraph.schema.sampling import EmbeddingSampling, SamplingPolicy

from . import semantic_eval
from .timed_ingest import apply
from .workload import STEP_TYPES, as_inputs, make_run

DIM = 384


def embeddings_per_second(embedder: MiniLMEmbedder, texts: list[str]) -> float:
    embedder.embed(texts[:32])  # (warm)
    t = time.process_time()
    embedder.embed(texts)
    return len(texts) / (time.process_time() - t)


def workload_texts(n: int) -> list[str]:
    texts: list[str] = []
    i = 0
    while len(texts) < n:
        for op in as_inputs(make_run(i)):
            if op.kind == "record_steps":
                texts.extend(s.content for s in op.payload if s.content)
        i += 1
    return texts[:n]


def _open(backend: str, folder: str, server: str | None) -> GraphStore:
    if backend == "embedded":
        return EmbeddedStore(Path(folder))
    if backend == "dgraph":
        return open_store("dgraph", addr=server or "127.0.0.1:9080")
    return open_store("neo4j", uri=server or "bolt://127.0.0.1:7687")


def search_latency(size: int, queries: int = 200, backend: str = "embedded",
                   server: str | None = None) -> dict[str, float]:
    """p50/p95 ms of top-10 searches over ``size`` random vectors in a fresh store (a new
    tenant on a server), and recall@10 against the exact ranking (numpy)."""
    rng = np.random.default_rng(size)
    tenant = f"bench-{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory() as folder:
        store = _open(backend, folder, server)
        assert isinstance(store, VectorStore)
        kinds = [STEP_TYPES[i % len(STEP_TYPES)] for i in range(size)]
        matrix = np.zeros((size, DIM), dtype=np.float32)
        for start in range(0, size, 2000):
            m = rng.standard_normal((min(2000, size - start), DIM)).astype(np.float32)
            m /= np.linalg.norm(m, axis=1, keepdims=True)
            matrix[start:start + len(m)] = m
            store.put_vectors(tenant, "m", [StepVector(
                step_id=f"s{start + i}", trace_id=f"t{(start + i) // 50}",
                session_id=f"sess{(start + i) // 500}", agent_id=f"a{(start + i) % 7}",
                step_type=kinds[start + i], step_index=(start + i) % 50,
                created_at=f"2026-01-01T00:00:00.{start + i:06d}Z", vector=v.tolist())
                for i, v in enumerate(m)])
        q = rng.standard_normal((queries, DIM)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        decisions = np.array([k == "Decision" for k in kinds])
        out: dict[str, float] = {}
        for name, flt, keep in (("all", VectorFilter(), np.ones(size, dtype=bool)),
                                ("decisions", VectorFilter(step_types=("Decision",)),
                                 decisions)):
            store.search_vectors(tenant, "m", q[0].tolist(), 10, flt)  # (warm)
            times, found = [], 0
            for v in q:
                t = time.perf_counter()
                hits = store.search_vectors(tenant, "m", v.tolist(), 10, flt)
                times.append((time.perf_counter() - t) * 1000)
                scores = np.where(keep, matrix @ v, -np.inf)
                exact = {f"s{i}" for i in np.argsort(-scores)[:10]}
                found += len(exact & {h.step_id for h in hits})
            times.sort()
            out[f"{name}_p50_ms"] = round(statistics.median(times), 2)
            out[f"{name}_p95_ms"] = round(times[int(len(times) * 0.95)], 2)
            out[f"{name}_recall_at_10_vs_exact"] = round(found / (10 * queries), 4)
        store.close()
    return out


def ingest(embedder: MiniLMEmbedder, runs: int, rounds: int) -> dict[str, float]:
    ops = [as_inputs(make_run(i)) for i in range(runs)]
    steps = sum(op.steps for r in ops for op in r)
    best: dict[str, list[float]] = {"off": [], "on": []}
    thread_cpu: dict[str, list[float]] = {"off": [], "on": []}
    drain: list[float] = []
    embedded = 0
    for _ in range(rounds):
        for mode in ("off", "on"):
            with tempfile.TemporaryDirectory() as folder:
                service = TraceService(EmbeddedStore(Path(folder)))
                if mode == "on":
                    service.enable_semantic(embedder)
                wall, cpu = time.perf_counter(), time.thread_time()
                for r in ops:
                    for op in r:
                        apply(service, "bench", op)
                thread_cpu[mode].append(time.thread_time() - cpu)
                best[mode].append(time.perf_counter() - wall)
                if service.semantic is not None:
                    t = time.perf_counter()
                    service.semantic.drain(3600)
                    drain.append(time.perf_counter() - t)
                    store = service.store
                    assert isinstance(store, EmbeddedStore)
                    embedded = len(store.search_vectors("bench", embedder.name, [0.0] * DIM,
                                                        10**7, VectorFilter()))
                service.close()
    off, on = min(best["off"]), min(best["on"])
    return {"steps": steps, "embedded_steps": embedded,
            "off_steps_per_s": round(steps / off), "on_steps_per_s": round(steps / on),
            "wall_overhead_pct": round(100 * (on / off - 1), 1),
            "thread_cpu_overhead_pct": round(
                100 * (min(thread_cpu["on"]) / min(thread_cpu["off"]) - 1), 1),
            "worker_drain_s_after_last_append": round(min(drain), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=4, help="workload runs (700 steps each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--search-only", action="store_true")
    parser.add_argument("--ingest-only", action="store_true")
    parser.add_argument("--backend", default="embedded",
                        choices=["embedded", "neo4j", "dgraph"])
    parser.add_argument("--server", default=None,
                        help="Neo4j URI or Dgraph address [default: the default ports]")
    args = parser.parse_args()
    if args.search_only:
        for size in args.sizes:
            print(f"search at {size} embedded steps ({args.backend}):",
                  search_latency(size, 100, args.backend, args.server), flush=True)
        return
    embedder = MiniLMEmbedder()
    if args.ingest_only:
        print("ingest, embedding off vs on:", ingest(embedder, args.runs, args.rounds))
        return
    print("embeddings/s (one core, CPU time):",
          round(embeddings_per_second(embedder, workload_texts(512)), 1))
    t = time.process_time()
    for _ in range(20):
        embedder.embed(["decisions about pricing for enterprise customers"])
    print("query embedding ms (CPU):", round((time.process_time() - t) / 20 * 1000, 2))
    for size in args.sizes:
        print(f"search at {size} embedded steps:", search_latency(size))
    if not args.skip_ingest:
        print("ingest, embedding off vs on:", ingest(embedder, args.runs, args.rounds))
    with tempfile.TemporaryDirectory() as folder:
        service = TraceService(EmbeddedStore(Path(folder)),
                               sampling=SamplingPolicy(default=EmbeddingSampling(rate=1.0)))
        service.enable_semantic(embedder)
        print("recall@10:", semantic_eval.evaluate(service))
        service.close()


if __name__ == "__main__":
    main()
