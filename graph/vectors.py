"""``VectorStore``: the optional capability of keeping step embeddings and searching them.

A backend that has it stores one vector per (tenant, model, step) beside the chains, with the
fields searches filter by (step type, agent, session, trace, time), and answers nearest-
neighbour queries by cosine similarity (vectors are unit length, so by dot product) within
one tenant and one model. Vectors are derived data: the service writes them after the
append (never inside it), a missing one is written again on catch-up, and writing one that
is there already changes nothing. Which steps get one is the service's decision
(:mod:`tracegraph.schema.sampling`), not the backend's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class StepVector:
    """One embedded step: its vector and the fields searches filter by."""

    step_id: str
    trace_id: str
    session_id: str
    agent_id: str | None
    step_type: str
    step_index: int
    created_at: str
    vector: Sequence[float]


@dataclass(frozen=True)
class VectorFilter:
    """What a search keeps: every given field must match (``step_types``: any of them;
    ``created_after`` / ``created_before``: ISO 8601 UTC times, inclusive)."""

    step_types: tuple[str, ...] = ()
    agent_id: str | None = None
    session_id: str | None = None
    trace_id: str | None = None
    created_after: str | None = None
    created_before: str | None = None
    exclude_trace_id: str | None = None


@dataclass(frozen=True, slots=True)
class VectorHit:
    step_id: str
    trace_id: str
    score: float


@runtime_checkable
class VectorStore(Protocol):
    """Step vectors of a tenant, per embedding model (``model``: the embedder's name)."""

    def put_vectors(self, tenant_id: str, model: str, rows: Sequence[StepVector]) -> None:
        """Store ``rows``; a step that has a vector for ``model`` already keeps it."""
        ...

    def vector_ids(self, tenant_id: str, model: str, step_ids: Sequence[str]) -> set[str]:
        """Those of ``step_ids`` that have a vector for ``model``."""
        ...

    def trace_vectors(self, tenant_id: str, model: str, trace_ids: Sequence[str]
                      ) -> Mapping[str, list[tuple[int, str, list[float]]]]:
        """Each trace's vectors as ``(step_index, step_id, vector)`` in step order."""
        ...

    def search_vectors(self, tenant_id: str, model: str, query: Sequence[float], k: int,
                       flt: VectorFilter) -> list[VectorHit]:
        """The ``k`` vectors most similar to ``query`` that ``flt`` keeps, best first (ties
        by step id)."""
        ...

    def remove_trace_vectors(self, tenant_id: str, trace_ids: Sequence[str]) -> None:
        """Remove every model's vectors of these traces. ``remove_trace`` removes a trace's
        vectors itself, after (or also after) its removal commits; the embedding worker calls
        this for the traces it finds removed once it has written their vectors, so a vector
        written while its trace was being removed does not stay behind."""
        ...


#: Filtered hits the top ``k`` is taken from, per wanted hit: an index's answer is trusted
#: only when at least ``k * POOL`` of the neighbours it returned pass the tenant, model and
#: filter (fewer: ask again wider, or search exactly).
POOL = 10
#: Margin on the expected number of passing neighbours (the tenant's share and the filter's
#: selectivity are estimates).
SLACK = 1.5


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """How a search over a shared index (every tenant's vectors in one HNSW graph, filtered
    after the search) is run: ``candidates`` neighbours asked of the index, or, when
    ``candidates`` is ``None``, an exact search over the tenant's vectors."""

    candidates: int | None


def plan_search(k: int, tenant_vectors: int, total_vectors: int, *, breadth: int,
                most: int, exact_below: int, passing: float = 1.0) -> SearchPlan:
    """The cheapest search that still finds a full pool of ``k * POOL`` hits.

    A tenant holding ``share = tenant_vectors / total_vectors`` of a shared index gets about
    ``share * passing`` of any neighbours the index returns (``passing``: the part of the
    tenant's vectors the filter keeps, 1 without a filter, else measured on a previous try),
    so the index is asked for ``k * POOL * SLACK / (share * passing)`` neighbours, and at least
    ``breadth`` (the HNSW search's breadth that gives the wanted recall). A tenant of fewer
    than ``exact_below`` vectors, or a search that would need more than ``most`` neighbours,
    is answered exactly over the tenant's vectors instead (cheaper there than the index).
    """
    if tenant_vectors <= 0 or passing <= 0.0 or tenant_vectors < exact_below:
        return SearchPlan(None)
    share = min(1.0, tenant_vectors / max(total_vectors, 1)) * min(passing, 1.0)
    want = max(breadth, math.ceil(k * POOL * SLACK / share))
    if want > most and total_vectors > most:
        return SearchPlan(None)
    return SearchPlan(min(want, max(total_vectors, breadth)))


#: Index searches a planned search tries (each wider) before it searches exactly.
TRIES = 3


def planned_search(k: int, tenant_vectors: int, total_vectors: int, *, breadth: int, most: int,
                   exact_below: int, index: Callable[[int, int], Sequence[VectorHit]],
                   exact: Callable[[int], Sequence[VectorHit]]) -> list[VectorHit]:
    """The top ``k`` of a search over a shared index, run as :func:`plan_search` plans it.

    ``index(candidates, pool)`` asks the index for ``candidates`` neighbours and returns the
    best ``pool`` (``k * POOL``) of those the tenant, model and filter keep, best first;
    ``exact(k)`` ranks the tenant's vectors exactly. An index answer is trusted when it
    holds a full pool, or when the whole index was asked; a short one measures the filter's
    pass rate and asks again as wide as that needs (at most :data:`TRIES` times), and what is
    still short, or planned past ``most``, is answered exactly: an answer is never short.
    """
    pool = k * POOL
    plan = plan_search(k, tenant_vectors, total_vectors, breadth=breadth, most=most,
                       exact_below=exact_below)
    for _ in range(TRIES):
        if plan.candidates is None:
            break
        got = index(plan.candidates, pool)
        if len(got) >= pool or plan.candidates >= total_vectors:
            return list(got[:k])  # (a full pool, or the index read whole)
        share = tenant_vectors / max(total_vectors, 1)
        passing = len(got) / (plan.candidates * share)
        plan = plan_search(k, tenant_vectors, total_vectors, breadth=plan.candidates * 2,
                           most=most, exact_below=exact_below, passing=passing)
    return list(exact(k))
