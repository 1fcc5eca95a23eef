"""Semantic search over embedded steps: by a text query, steps like a step, runs like a run.

Each answer is scoped to one tenant and to the vectors of the service's embedder. Hits are
read back from the chains (a step removed by retention since it was embedded is left out),
ranked by cosine similarity, ties by step id. Pages are Relay cursors over the ranking (a
cursor is the rank of the last hit seen); a ranking is read at most :data:`MAX_DEPTH` deep.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tracegraph.graph.vectors import VectorFilter, VectorHit
from tracegraph.schema.errors import InvalidInput, LimitExceeded, TraceNotFound
from tracegraph.schema.views import StepView, TraceView

from .semantic import SemanticIndex

MAX_PAGE = 100
DEFAULT_PAGE = 10
#: How far down a ranking pages may go (first + the cursor's rank).
MAX_DEPTH = 1000
#: A run's steps used to find candidate runs, and the candidates kept per step.
RUN_PROBES = 16
RUN_CANDIDATES = 50
MAX_QUERY_CHARS = 2000


@dataclass(frozen=True, slots=True)
class StepSearch:
    """What a step search keeps: every given field must match (times: ISO 8601 UTC,
    inclusive)."""

    step_types: tuple[str, ...] = ()
    agent_id: str | None = None
    session_id: str | None = None
    trace_id: str | None = None
    created_after: str | None = None
    created_before: str | None = None


@dataclass(frozen=True, slots=True)
class StepHit:
    step: StepView
    score: float
    cursor: str


@dataclass(frozen=True, slots=True)
class StepHitPage:
    hits: list[StepHit]
    has_next: bool
    has_previous: bool


@dataclass(frozen=True, slots=True)
class RunHit:
    """A run like the one asked about: ``score`` is the mean cosine similarity of their
    embedded steps aligned by order, ``aligned_steps`` how many pairs were compared."""

    trace: TraceView
    score: float
    aligned_steps: int


def _cursor(rank: int) -> str:
    return base64.urlsafe_b64encode(f"rank|{rank}".encode()).decode()


def _rank(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        tag, value = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        if tag != "rank":
            raise ValueError(tag)
        return int(value) + 1
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"after: {cursor[:64]!r} is not a cursor this server issued",
                           field="after") from None


def _page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise LimitExceeded(f"first: {size} is outside 1..{MAX_PAGE}", field="first")
    return size


class SemanticSearch:
    """The searches of one :class:`SemanticIndex` (the service's embedder and store)."""

    def __init__(self, index: SemanticIndex) -> None:
        self.index = index
        self.service = index.service

    def search_steps(self, tenant_id: str, query: str, first: int | None = None,
                     after: str | None = None, flt: StepSearch | None = None) -> StepHitPage:
        """Embedded steps most like ``query`` (the text), best first, a page at a time."""
        if not query.strip():
            raise InvalidInput("query: must not be empty", field="query")
        if len(query) > MAX_QUERY_CHARS:
            raise LimitExceeded(f"query: {len(query)} characters exceed the limit of "
                                f"{MAX_QUERY_CHARS}", field="query")
        size, start = _page_size(first), _rank(after)
        if start + size > MAX_DEPTH:
            raise LimitExceeded(f"after: pages end {MAX_DEPTH} hits deep", field="after")
        vector = self.index.embedder.embed([query])[0]
        f = flt or StepSearch()
        hits = self.index.vectors.search_vectors(
            tenant_id, self.index.model, vector.tolist(), start + size + 1,
            VectorFilter(step_types=f.step_types, agent_id=f.agent_id, session_id=f.session_id,
                         trace_id=f.trace_id, created_after=f.created_after,
                         created_before=f.created_before))
        page = self._hits(tenant_id, hits[start:start + size + 1], start)
        return StepHitPage(page[:size], has_next=len(page) > size, has_previous=start > 0)

    def similar_steps(self, tenant_id: str, step_id: str, first: int | None = None
                      ) -> list[StepHit]:
        """Embedded steps most like the embedded step ``step_id`` (itself left out)."""
        size = _page_size(first)
        ref = self.service.store.resolve(tenant_id, [step_id]).get(step_id)
        if ref is None or ref.kind != "step":
            raise InvalidInput(f"stepId: step {step_id} not found", field="stepId")
        own = self.index.vectors.trace_vectors(tenant_id, self.index.model, [ref.trace_id])
        vector = next((v for _, s, v in own.get(ref.trace_id, []) if s == step_id), None)
        if vector is None:
            raise InvalidInput(f"stepId: step {step_id} has no embedding (see hasEmbedding)",
                               field="stepId")
        hits = self.index.vectors.search_vectors(tenant_id, self.index.model, vector,
                                                 size + 1, VectorFilter())
        return self._hits(tenant_id, [h for h in hits if h.step_id != step_id][:size], 0)

    def similar_runs(self, tenant_id: str, trace_id: str, first: int | None = None
                     ) -> list[RunHit]:
        """Runs whose reasoning follows a similar course: candidates are the runs of the
        steps nearest to the run's own embedded steps; each is scored by its embedded steps
        aligned by order with the run's (:func:`aligned_similarity`)."""
        size = _page_size(first)
        if self.service.get_trace(tenant_id, trace_id) is None:
            raise TraceNotFound(f"trace {trace_id} not found")
        model, vectors = self.index.model, self.index.vectors
        own = [v for _, _, v in vectors.trace_vectors(tenant_id, model, [trace_id]).get(
            trace_id, [])]
        if not own:
            return []
        probes = own if len(own) <= RUN_PROBES else [
            own[round(i * (len(own) - 1) / (RUN_PROBES - 1))] for i in range(RUN_PROBES)]
        candidates: set[str] = set()
        for v in probes:
            candidates.update(h.trace_id for h in vectors.search_vectors(
                tenant_id, model, v, RUN_CANDIDATES, VectorFilter(exclude_trace_id=trace_id)))
        theirs = vectors.trace_vectors(tenant_id, model, sorted(candidates))
        mine = np.asarray(own, dtype=np.float32)
        scored = sorted(((aligned_similarity(mine, np.asarray([v for _, _, v in rows],
                                                                dtype=np.float32)), t)
                         for t, rows in theirs.items() if rows), key=lambda x: (-x[0][0], x[1]))
        views = self.service.get_traces(tenant_id, [t for _, t in scored[:size * 2]])
        out = [RunHit(views[t], score, pairs) for (score, pairs), t in scored if t in views]
        return out[:size]

    def _hits(self, tenant_id: str, hits: Sequence[VectorHit], start: int) -> list[StepHit]:
        """The hits' steps from the chains, in ranking order; steps gone are left out."""
        store = self.service.store
        refs = store.resolve(tenant_id, [h.step_id for h in hits])
        at = [(r.trace_id, r.seq) for r in refs.values() if r.kind == "step" and r.seq is not None]
        got = store.entries_at(tenant_id, at) if at else {}
        steps = {str(e.record["step_id"]): StepView.from_entry(e) for e in got.values()}
        out = []
        for rank, h in enumerate(hits, start=start):
            step = steps.get(h.step_id)
            if step is not None:
                out.append(StepHit(step, h.score, _cursor(rank)))
        return out


def aligned_similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Mean cosine similarity of two runs' step vectors (unit rows, in step order) paired
    by relative position: over ``max(len(a), len(b))`` positions, position ``i`` pairs
    ``a[i * len(a) // n]`` with ``b[i * len(b) // n]``. Symmetric; 1.0 for the same
    course at any speed; returns the score and the number of pairs."""
    n = max(len(a), len(b))
    ia = (np.arange(n) * len(a)) // n
    ib = (np.arange(n) * len(b)) // n
    return float(np.einsum("ij,ij->i", a[ia], b[ib]).mean()), n
