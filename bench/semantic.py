"""Figures of semantic search (issue 19): embeddings/s on one core, vector search p50 on the
embedded store at 10k and 100k embedded steps, ingest with embedding on vs off, recall@10.

``python -m tracegraph.bench.semantic [--sizes 10000 100000] [--runs 4] [--rounds 3]``;
``--search-only [--vectors random|real|both] [--base-cache F.npy]`` only the searches;
``--search-only --backend neo4j|dgraph --server URI|ADDR [--realistic]`` measures a
server's search (:mod:`.semantic_servers`).

* embeddings/s: CPU seconds of :class:`MiniLMEmbedder` (BLAS on one thread) over the
  workload's step texts, batches of 32;
* search: random unit vectors (384 wide), and realistic ones (mixes of the default model's
  embeddings of the workload's texts, :func:`synthetic`: random 384-wide vectors have no
  clusters, the case no ANN index handles well), with the workload's filter fields written
  straight through ``put_vectors``; p50/p95 (wall) and CPU ms of ``search_vectors`` for top
  10, without and with a step type filter, recall@10 against numpy's exact ranking; on the
  embedded store also the HNSW index's build, reopen and rebuild times and the exact
  search's figures on the same vectors; plus the query's own embedding time;
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
from typing import cast

import numpy as np
from tracegraph.api.embedding import MiniLMEmbedder
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded.vectors import EmbeddedVectors
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.registry import open_store
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorStore
from tracegraph.schema.sampling import EmbeddingSampling, SamplingPolicy

from . import semantic_eval
from .semantic_servers import server_search
from .timed_ingest import apply
from .vector_sets import workload_texts
from .workload import STEP_TYPES, as_inputs, make_run

DIM = 384


def embeddings_per_second(embedder: MiniLMEmbedder, texts: list[str]) -> float:
    embedder.embed(texts[:32])  # (warm)
    t = time.process_time()
    embedder.embed(texts)
    return len(texts) / (time.process_time() - t)


def _open(backend: str, folder: str, server: str | None) -> GraphStore:
    if backend == "embedded":
        return EmbeddedStore(Path(folder))
    if backend == "dgraph":
        return open_store("dgraph", addr=server or "127.0.0.1:9080")
    return open_store("neo4j", uri=server or "bolt://127.0.0.1:7687")


def synthetic(base: np.ndarray, n: int, seed: int, noise: float = 0.35) -> np.ndarray:
    """``n`` unit vectors like real embeddings: each a random mix of two of ``base`` (real
    embeddings) plus Gaussian noise of ``noise`` relative size."""
    rng = np.random.default_rng(seed)
    a, b = base[rng.integers(0, len(base), n)], base[rng.integers(0, len(base), n)]
    w = rng.uniform(0, 1, (n, 1)).astype(np.float32)
    m = w * a + (1 - w) * b + noise * rng.standard_normal((n, base.shape[1])).astype(
        np.float32) / np.sqrt(base.shape[1])
    return np.asarray(m / np.linalg.norm(m, axis=1, keepdims=True), dtype=np.float32)


def unit_random(n: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return np.asarray(m / np.linalg.norm(m, axis=1, keepdims=True), dtype=np.float32)


def _rows(matrix: np.ndarray, kinds: list[str], start: int) -> list[StepVector]:
    return [StepVector(
        step_id=f"s{start + i}", trace_id=f"t{(start + i) // 50}",
        session_id=f"sess{(start + i) // 500}", agent_id=f"a{(start + i) % 7}",
        step_type=kinds[start + i], step_index=(start + i) % 50,
        created_at=f"2026-01-01T00:00:00.{start + i:06d}Z", vector=v.tolist())
        for i, v in enumerate(matrix[start:start + 2000])]


def _timed(store: VectorStore, tenant: str, q: np.ndarray, matrix: np.ndarray,
           keep: np.ndarray, flt: VectorFilter) -> tuple[float, float, float, float]:
    """p50 and p95 wall ms, CPU ms per search, recall@10 against numpy's exact ranking."""
    store.search_vectors(tenant, "m", q[0].tolist(), 10, flt)  # (warm)
    times, found, cpu = [], 0, 0.0
    for v in q:
        t, c = time.perf_counter(), time.process_time()
        hits = store.search_vectors(tenant, "m", v.tolist(), 10, flt)
        cpu += time.process_time() - c
        times.append((time.perf_counter() - t) * 1000)
        scores = np.where(keep, matrix @ v, -np.inf)
        exact = {f"s{i}" for i in np.argsort(-scores)[:10]}
        found += len(exact & {h.step_id for h in hits})
    cpu_ms = cpu / len(q) * 1000  # (the search alone, not the exact ranking it is checked by)
    times.sort()
    return (round(statistics.median(times), 2), round(times[int(len(times) * 0.95)], 2),
            round(cpu_ms, 2), round(found / (10 * len(q)), 4))


def search_latency(size: int, queries: int = 200, backend: str = "embedded",
                   server: str | None = None, base: np.ndarray | None = None
                   ) -> dict[str, float]:
    """p50/p95 ms of top-10 searches over ``size`` vectors (random unit vectors, or
    :func:`synthetic` ones from ``base``) in a fresh store (a new tenant on a server), and
    recall@10 against the exact ranking (numpy). On the embedded store also: the time to
    build its HNSW index (the first search), to reopen with the saved index and to rebuild
    it from the stored vectors, and the exact search's figures on the same vectors."""
    tenant = f"bench-{secrets.token_hex(4)}"
    matrix = unit_random(size, size) if base is None else synthetic(base, size, size)
    q = unit_random(queries, size + 1) if base is None else synthetic(base, queries, size + 1)
    kinds = [STEP_TYPES[i % len(STEP_TYPES)] for i in range(size)]
    decisions = np.array([k == "Decision" for k in kinds])
    filters = (("all", VectorFilter(), np.ones(size, dtype=bool)),
               ("decisions", VectorFilter(step_types=("Decision",)), decisions))
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        store: VectorStore
        if backend == "embedded":
            store = vectors = EmbeddedVectors(Path(folder), background=False)
        else:
            opened = _open(backend, folder, server)
            assert isinstance(opened, VectorStore)
            store = opened
        for start in range(0, size, 2000):
            store.put_vectors(tenant, "m", _rows(matrix, kinds, start))
        if backend == "embedded":
            wall, cpu = time.perf_counter(), time.process_time()
            vectors.state(tenant, "m")  # (reads the rows, builds the index from ann_min on)
            out["index_build_s"] = round(time.perf_counter() - wall, 2)
            out["index_build_cpu_s"] = round(time.process_time() - cpu, 2)
        for name, flt, keep in filters:
            p50, p95, cpu_ms, recall = _timed(store, tenant, q, matrix, keep, flt)
            out |= {f"{name}_p50_ms": p50, f"{name}_p95_ms": p95, f"{name}_cpu_ms": cpu_ms,
                    f"{name}_recall_at_10_vs_exact": recall}
        if backend != "embedded":
            cast(GraphStore, store).close()
            return out
        vectors.close()
        for label, drop in (("reopen_saved_index_s", False), ("reopen_rebuild_index_s", True)):
            if drop:
                for f in Path(folder, "vectors-ann").glob("*.usearch"):
                    f.unlink()
            again = EmbeddedVectors(Path(folder), background=False)
            wall = time.perf_counter()
            again.state(tenant, "m")
            out[label] = round(time.perf_counter() - wall, 2)
            again.close()
        exact = EmbeddedVectors(Path(folder), ann_min=size + 1)
        for name, flt, keep in filters[:1]:
            p50, p95, cpu_ms, _ = _timed(exact, tenant, q, matrix, keep, flt)
            out |= {f"exact_{name}_p50_ms": p50, f"exact_{name}_p95_ms": p95,
                    f"exact_{name}_cpu_ms": cpu_ms}
        exact.close()
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


def base_vectors(embedder: MiniLMEmbedder, n: int, cache: str | None) -> np.ndarray:
    """Embeddings of ``n`` of the workload's step texts (read from / saved to ``cache``, an
    .npy file, when given: embedding 2,000 texts takes about 2 CPU minutes here)."""
    if cache and Path(cache).exists():
        return np.asarray(np.load(cache), dtype=np.float32)
    texts = workload_texts(n)
    m = np.concatenate([embedder.embed(texts[i:i + 32]) for i in range(0, n, 32)])
    if cache:
        np.save(cache, m)
    return m.astype(np.float32)


def searches(args: argparse.Namespace, embedder: MiniLMEmbedder | None) -> None:
    """Search figures at each size, for random and/or realistic vectors."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")  # (as the default embedder sets it)
    kinds = ["random", "real"] if args.vectors == "both" else [args.vectors]
    base = None
    if "real" in kinds:
        base = base_vectors(embedder or MiniLMEmbedder(), args.base_texts, args.base_cache)
    for kind in kinds:
        for size in args.sizes:
            got = search_latency(size, args.queries, args.backend, args.server,
                                 base if kind == "real" else None)
            print(f"search at {size} embedded steps ({args.backend}, {kind} vectors):", got,
                  flush=True)


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
    parser.add_argument("--vectors", default="both", choices=["random", "real", "both"],
                        help="random unit vectors, and/or mixes of real embeddings")
    parser.add_argument("--base-texts", type=int, default=2000,
                        help="workload texts embedded for the realistic vectors")
    parser.add_argument("--base-cache", default=None, help=".npy file of those embeddings")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--server-pid", type=int, default=None,
                        help="server search: the server's process id, to report its CPU "
                             "time per search (Linux /proc)")
    parser.add_argument("--realistic", action="store_true",
                        help="server search: vectors built from real embeddings "
                             "(bench/vector_sets.py) instead of uniform random ones")
    args = parser.parse_args()
    if args.search_only and args.backend != "embedded":
        for size in args.sizes:
            print(f"search at {size} embedded steps ({args.backend}):",
                  server_search(size, args.backend, args.server, args.realistic,
                                args.queries, args.server_pid), flush=True)
        return
    if args.search_only:
        searches(args, None)
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
    searches(args, embedder)
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
