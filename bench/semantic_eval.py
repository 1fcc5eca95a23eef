"""The labelled evaluation of semantic search (tests/data/semantic): recall@10 of the
default embedder against a keyword (BM25) baseline and a hybrid of the two.

``eval_steps.tsv`` holds agent reasoning steps (id, step type, text), grouped into runs by the
letter their id starts with; ``eval_queries.tsv`` holds queries, each with the ids of the
steps that answer it. Steps go in through the service (sampling rate 1.0: every step
embedded), queries come back through :meth:`SemanticSearch.search_steps`, so the figure is
the product's, not a side computation's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tracegraph.api.service import TraceService
from tracegraph.schema.inputs import StartTraceInput, StepInput

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "semantic"
K = 10
#: Reciprocal rank fusion's constant (Cormack et al. 2009).
RRF_K = 60
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class EvalSet:
    steps: list[tuple[str, str, str]]  # (id, step type, text)
    queries: list[tuple[str, set[str]]]  # (text, relevant ids)


def load(folder: Path = DATA) -> EvalSet:
    steps = [tuple(line.split("\t", 2)) for line in
             (folder / "eval_steps.tsv").read_text().splitlines() if line.strip()]
    queries = [(q, set(ids.split())) for q, ids in
               (line.split("\t", 1) for line in
                (folder / "eval_queries.tsv").read_text().splitlines() if line.strip())]
    return EvalSet([(a, b, c) for a, b, c in steps], queries)


def ingest(service: TraceService, tenant: str, data: EvalSet) -> dict[str, str]:
    """Record the steps, one run per id letter; returns stored step id -> eval id."""
    runs: dict[str, list[tuple[str, str, str]]] = {}
    for step in data.steps:
        runs.setdefault(step[0][0], []).append(step)
    ids: dict[str, str] = {}
    for letter, steps in sorted(runs.items()):
        t = service.start_trace(tenant, StartTraceInput(agent_id=f"agent-{letter}",
                                                         session_id=f"session-{letter}"))
        stored = service.record_steps(tenant, t.trace_id, [
            StepInput(step_id=f"{tenant}-{sid}", step_type=kind, content=text)
            for sid, kind, text in steps])
        ids.update({s.step_id: sid for s, (sid, _, _) in zip(stored, steps, strict=True)})
    return ids


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def bm25_rank(query: str, docs: Sequence[tuple[str, str]], k1: float = 1.2,
              b: float = 0.75) -> list[str]:
    """Okapi BM25 over ``(id, text)`` documents; ids best first (documents scoring 0 left
    out, ties by id)."""
    tokens = {d: words(t) for d, t in docs}
    avg = sum(len(t) for t in tokens.values()) / max(len(tokens), 1)
    df = Counter(w for t in tokens.values() for w in set(t))
    n = len(tokens)
    scores: dict[str, float] = {}
    for d, t in tokens.items():
        tf = Counter(t)
        s = 0.0
        for w in set(words(query)):
            if w in tf:
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
                s += idf * tf[w] * (k1 + 1) / (tf[w] + k1 * (1 - b + b * len(t) / avg))
        if s > 0:
            scores[d] = s
    return sorted(scores, key=lambda d: (-scores[d], d))


def rrf(*rankings: Sequence[str]) -> list[str]:
    """Reciprocal rank fusion of rankings (best first)."""
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, d in enumerate(ranking):
            score[d] = score.get(d, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(score, key=lambda d: (-score[d], d))


def recall_at(ranking: Sequence[str], relevant: set[str], k: int = K) -> float:
    return len(set(ranking[:k]) & relevant) / len(relevant)


def evaluate(service: TraceService, tenant: str = "eval") -> dict[str, float]:
    """Mean recall@10 over the queries: ``semantic`` (the service's search), ``keyword``
    (BM25 over the same texts) and ``hybrid`` (their reciprocal rank fusion)."""
    data = load()
    ids = ingest(service, tenant, data)
    assert service.semantic is not None and service.semantic.drain(600)
    search = service.semantic_search()
    docs = [(sid, text) for sid, _, text in data.steps]
    totals = {"semantic": 0.0, "keyword": 0.0, "hybrid": 0.0}
    for query, relevant in data.queries:
        page = search.search_steps(tenant, query, first=50)
        semantic = [ids[h.step.step_id] for h in page.hits]
        keyword = bm25_rank(query, docs)
        totals["semantic"] += recall_at(semantic, relevant)
        totals["keyword"] += recall_at(keyword, relevant)
        totals["hybrid"] += recall_at(rrf(semantic, keyword), relevant)
    return {name: total / len(data.queries) for name, total in totals.items()}
