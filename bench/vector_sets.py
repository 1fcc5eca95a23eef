"""Vector sets for the search benchmarks: uniform random, or *realistic* (built from real
embeddings of the benchmark workload's step texts), cached on disk so reruns are fast.

Realistic set of ``size`` vectors, 384 wide, from the default embedder (all-MiniLM-L6-v2):

1. *bases*: the embeddings of the first :data:`BASES` step texts of the benchmark workload
   (:func:`workload_texts`) plus the 82 steps of the labelled evaluation set
   (tests/data/semantic/eval_steps.tsv);
2. vector ``i`` is ``unit(b[p] + w * b[q] + e)``: ``p`` and ``q`` two bases drawn
   uniformly, ``w`` uniform in [0, 0.5] (a step that mixes two others' topics) and ``e``
   Gaussian noise of norm about :data:`NOISE` (each coordinate N(0, NOISE^2 / 384)), so each
   base is the centre of a cluster of about ``size / bases`` variants whose cosine to it is
   about 0.9, as real traces repeat a template with other details;
3. *queries*: the embeddings of :data:`QUERIES` other workload texts (texts
   ``BASES .. BASES + QUERIES - 40``, not bases) and the 40 evaluation queries
   (tests/data/semantic/eval_queries.tsv), i.e. real embedded texts that are not in the set.

Everything is seeded (``numpy.random.default_rng(size)``): the same size gives the same set
on every machine. Embedding the ~4,200 texts takes about two CPU minutes once; the bases
and the built sets are kept under ``~/.cache/tracegraph/bench-vectors`` (``TRACEGRAPH_CACHE``
moves it).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from . import semantic_eval
from .workload import as_inputs, make_run

F32 = npt.NDArray[np.float32]
DIM = 384
#: Workload texts embedded as cluster centres.
BASES = 4000
#: Held-out real texts embedded as queries (workload texts + the evaluation's 40 queries).
QUERIES = 200
#: Norm of the noise added to each synthetic vector (before normalising).
NOISE = 0.35
MAX_MIX = 0.5
VERSION = 1


def cache_dir() -> Path:
    root = Path(os.environ.get("TRACEGRAPH_CACHE", Path.home() / ".cache" / "tracegraph"))
    folder = root / "bench-vectors"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _unit(m: F32) -> F32:
    out: F32 = (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)
    return out


def _embedded_texts() -> tuple[F32, F32]:
    """(bases, queries): real embeddings, computed once and cached."""
    path = cache_dir() / f"minilm-bases-{BASES}-queries-{QUERIES}-v{VERSION}.npz"
    if path.exists():
        with np.load(path) as f:
            return f["bases"], f["queries"]
    from tracegraph.api.embedding import MiniLMEmbedder


    data = semantic_eval.load()
    texts = workload_texts(BASES + QUERIES - len(data.queries))
    base_texts = texts[:BASES] + [text for _, _, text in data.steps]
    query_texts = texts[BASES:] + [q for q, _ in data.queries]
    embedder = MiniLMEmbedder()
    bases: list[F32] = []
    queries: list[F32] = []
    for name, src, out in (("bases", base_texts, bases), ("queries", query_texts, queries)):
        for start in range(0, len(src), 256):
            out.append(np.asarray(embedder.embed(src[start:start + 256]), dtype=np.float32))
            print(f"  embedded {min(start + 256, len(src))}/{len(src)} {name}", flush=True)
    b, q = np.concatenate(bases), np.concatenate(queries)
    np.savez(path, bases=b, queries=q)
    return b, q


def realistic(size: int) -> tuple[F32, F32]:
    """(``size`` vectors, queries) of the realistic set (module docstring), cached."""
    path = cache_dir() / f"realistic-{size}-v{VERSION}.npz"
    if path.exists():
        with np.load(path) as f:
            return f["matrix"], f["queries"]
    bases, queries = _embedded_texts()
    rng = np.random.default_rng(size)
    p = rng.integers(0, len(bases), size)
    q = rng.integers(0, len(bases), size)
    w = rng.uniform(0.0, MAX_MIX, size).astype(np.float32)[:, None]
    noise = rng.standard_normal((size, DIM)).astype(np.float32) * np.float32(
        NOISE / np.sqrt(DIM))
    matrix = _unit(bases[p] + w * bases[q] + noise)
    np.savez(path, matrix=matrix, queries=queries)
    return matrix, queries


def uniform(size: int, queries: int = QUERIES) -> tuple[F32, F32]:
    """(``size`` random unit vectors, ``queries`` random unit queries): no clusters, the
    hard case for HNSW."""
    rng = np.random.default_rng(size)
    return (_unit(rng.standard_normal((size, DIM)).astype(np.float32)),
            _unit(rng.standard_normal((queries, DIM)).astype(np.float32)))


def vector_set(size: int, realistic_set: bool) -> tuple[F32, F32]:
    return realistic(size) if realistic_set else uniform(size)


def workload_texts(n: int) -> list[str]:
    """The first ``n`` step texts of the bench workload's runs."""
    texts: list[str] = []
    i = 0
    while len(texts) < n:
        for op in as_inputs(make_run(i)):
            if op.kind == "record_steps":
                texts.extend(s.content for s in op.payload if s.content)
        i += 1
    return texts[:n]
