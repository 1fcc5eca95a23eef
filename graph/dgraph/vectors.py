"""The Dgraph store's step vectors: ``StepVector`` nodes under a ``float32vector`` HNSW index.

One node per (tenant, model, step), keyed by ``vec.key`` (``@upsert``: two writers of the
same step conflict and one retries, finding it written). The schema is applied on the first
write. The HNSW index spans every tenant and model and ``@filter`` applies after it, so a
search asks it (``similar_to``) for as many neighbours as
:func:`~tracegraph.graph.vectors.plan_search` sizes (at least :data:`BREADTH`, with a filter
:data:`FILTERED_BREADTH`) from the tenant's share of the index (and,
after a short try, the share the filter kept), the same planning as the Neo4j store
(:func:`~tracegraph.graph.vectors.planned_search`). Dgraph keeps the tenant's, model's and
filter's nodes, scores them itself (``math(e dot $vector)``: the stored vectors and the query
are unit length, so this is the cosine) and returns the best ``k * POOL`` ids with their
score, ordered by it; the stored vectors never leave the server. A tenant under
:data:`EXACT_BELOW` vectors, a plan past :data:`MAX_CANDIDATES`, or three short tries, is
answered exactly: the same scoring over all of the tenant's vectors, so an answer is never
short. Ties in score are ordered by step id here (Dgraph sorts by one value variable only).

Each query is assembled from the constant fragments of :data:`FILTERS` chosen by which filter
fields are given; every value is a DQL variable.
"""

from __future__ import annotations

import functools
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import orjson
import pydgraph
from tracegraph.graph.vectors import (
    StepVector,
    VectorFilter,
    VectorHit,
    planned_search,
)
from tracegraph.schema.errors import ChainConflict

SCHEMA = """
vec.key: string @index(exact) @upsert .
vec.tenant: string @index(exact) .
vec.model: string @index(exact) .
vec.step_id: string .
vec.trace_id: string @index(exact) .
vec.session_id: string .
vec.agent_id: string .
vec.step_type: string .
vec.step_index: int .
vec.created_at: string .
vec.embedding: float32vector @index(hnsw(metric:"cosine")) .

type StepVector {
  vec.key
  vec.tenant
  vec.model
  vec.step_id
  vec.trace_id
  vec.session_id
  vec.agent_id
  vec.step_type
  vec.step_index
  vec.created_at
  vec.embedding
}
"""
PREFIX = "vec."
TYPE = "StepVector"
HAS_SCHEMA = "schema(pred: [vec.key]) { type }"
HAVE = """
query have($keys: [string]) {
  v(func: eq(vec.key, $keys)) { vec.step_id }
}
"""
#: The vector nodes of one trace (every model), which retention deletes with it.
OF_TRACE = """
query of_trace($tenant: string, $trace: string) {
  v(func: eq(vec.trace_id, $trace)) @filter(eq(vec.tenant, $tenant)) { uid }
}
"""
TRACE_VECTORS = """
query traces($tenant: string, $model: string, $ids: [string]) {
  v(func: eq(vec.trace_id, $ids)) @filter(eq(vec.tenant, $tenant) AND eq(vec.model, $model)) {
    vec.trace_id vec.step_index vec.step_id vec.embedding
  }
}
"""
#: (the tenant's vectors of a model, all vectors in the index), for planning.
COUNTS = """
query counts($tenant: string, $model: string) {
  mine(func: eq(vec.tenant, $tenant)) @filter(eq(vec.model, $model)) { count(uid) }
  all(func: has(vec.key)) { count(uid) }
}
"""
_SEARCH = """
query search($vector: float32vector, $pool: int, $tenant: string, $model: string{decls}) {{
  var(func: {root}) @filter(eq(vec.tenant, $tenant) AND eq(vec.model, $model){filters}) {{
    e as vec.embedding
    s as math(e dot $vector)
  }}
  v(func: uid(s), orderdesc: val(s), first: $pool) {{ vec.step_id vec.trace_id score: val(s) }}
}}
"""
#: The root of a search: the index's ``candidates`` nearest, or (exact) the tenant's nodes.
ROOT_INDEX = ", $candidates: int", "similar_to(vec.embedding, $candidates, $vector)"
ROOT_EXACT = "", "eq(vec.tenant, $tenant)"
#: filter field -> (variable declaration, filter expression); ``step_types`` is a list.
FILTERS: dict[str, tuple[str, str]] = {
    "step_types": ("$step_types: [string]", "eq(vec.step_type, $step_types)"),
    "agent_id": ("$agent_id: string", "eq(vec.agent_id, $agent_id)"),
    "session_id": ("$session_id: string", "eq(vec.session_id, $session_id)"),
    "trace_id": ("$trace_id: string", "eq(vec.trace_id, $trace_id)"),
    "exclude_trace_id": ("$exclude_trace_id: string", "NOT eq(vec.trace_id, $exclude_trace_id)"),
    "created_after": ("$created_after: string", "ge(vec.created_at, $created_after)"),
    "created_before": ("$created_before: string", "le(vec.created_at, $created_before)"),
}

#: Vectors per write transaction (2,000 of 384 values missed a 60 s deadline under load).
WRITE_BATCH = 250
#: The index's breadth (neighbours asked at least): Dgraph's HNSW (default options) needs
#: far more than Neo4j's for recall@10 >= 0.95 against exact at 100k realistic vectors:
#: 150 -> 0.79, 600 -> 0.91, 1000 -> 0.93, 2000 -> 0.98 (p50 76 / 191 / 167 / 263 ms; the
#: exact search of those 100k: 1.7 s). A search past MAX_CANDIDATES, or of a tenant under
#: EXACT_BELOW vectors, is exact (docs/semantic-search.md: figures).
BREADTH = 2000
#: The breadth of a filtered search: the filter's hits lie deeper in the index's list, where
#: its recall is lower (Decision filter, 1 step in 12, 30 queries: 2,000 -> 0.90, 4,000 ->
#: 0.96, 8,000 -> 0.99; p50 243 / 351 / 505 ms).
FILTERED_BREADTH = 4000
MAX_CANDIDATES = 16000
EXACT_BELOW = 2000
#: Seconds the vector counts are reused for planning (estimates: answers stay exact to the
#: pool rule whatever they are).
COUNT_TTL = 30.0
#: Rows past the k-th an exact search returns, so that equal scores at the cut are ordered
#: by step id here.
TIE_ROOM = 100


@functools.cache
def search_query(used: tuple[str, ...], exact: bool) -> str:
    """The search for the filter fields named in ``used`` (keys of :data:`FILTERS`): over the
    index's nearest ``$candidates`` or, ``exact``, over all of the tenant's vectors."""
    decl, root = ROOT_EXACT if exact else ROOT_INDEX
    decls = decl + "".join(f", {FILTERS[n][0]}" for n in used)
    filters = "".join(f" AND {FILTERS[n][1]}" for n in used)
    return _SEARCH.format(decls=decls, root=root, filters=filters)


def search_values(tenant_id: str, model: str, query: Sequence[float], flt: VectorFilter
                  ) -> dict[str, str | Sequence[str]]:
    """The DQL variables of a search: the query, tenant, model and the filter fields ``flt``
    gives (an absent field has no variable, and no fragment in :func:`search_query`)."""
    out: dict[str, str | Sequence[str]] = {"vector": vector_text(query), "tenant": tenant_id,
                                           "model": model}
    if flt.step_types:
        out["step_types"] = list(flt.step_types)
    for name in FILTERS:
        value = getattr(flt, name)
        if name != "step_types" and value is not None:
            out[name] = value
    return out


def key(tenant_id: str, model: str, step_id: str) -> str:
    return f"{tenant_id}\x00{model}\x00{step_id}"


def node(tenant_id: str, model: str, r: StepVector) -> dict[str, Any]:
    """The JSON mutation object of one vector."""
    return {"dgraph.type": TYPE, "vec.key": key(tenant_id, model, r.step_id),
            "vec.tenant": tenant_id, "vec.model": model, "vec.step_id": r.step_id,
            "vec.trace_id": r.trace_id, "vec.session_id": r.session_id,
            "vec.agent_id": r.agent_id or "", "vec.step_type": r.step_type,
            "vec.step_index": r.step_index, "vec.created_at": r.created_at,
            "vec.embedding": orjson.dumps([float(x) for x in r.vector]).decode()}


def vector_text(query: Sequence[float]) -> str:
    """``query`` at unit length (so the dot product is the cosine), as Dgraph reads it."""
    norm = math.sqrt(sum(float(x) * float(x) for x in query)) or 1.0
    return orjson.dumps([float(x) / norm for x in query]).decode()


def hits(rows: Sequence[Mapping[str, Any]]) -> list[VectorHit]:
    """The rows of a search (best first) as hits, equal scores ordered by step id."""
    got = [VectorHit(str(r["vec.step_id"]), str(r["vec.trace_id"]), float(r["score"]))
           for r in rows]
    return sorted(got, key=lambda h: (-h.score, h.step_id))


T = TypeVar("T")

#: Alphas that have the vector schema, applied on a first write.
_VECTOR_SCHEMA: set[str] = set()


class _Host(Protocol):
    """What the mixin uses of the store it is part of (graph/dgraph/store.py)."""

    addr: str
    timeout: float
    max_attempts: int
    _vector_count_cache: dict[tuple[str, str], tuple[int, int, float]]

    @property
    def _client(self) -> pydgraph.DgraphClient: ...

    def _read(self, query: str, values: Mapping[str, str | Sequence[str]]) -> dict[str, Any]: ...

    def _retrying(self, call: Callable[[], T]) -> T: ...

    def _has_vector_schema(self) -> bool: ...

    def _put_batch(self, tenant_id: str, model: str, rows: Sequence[StepVector]) -> None: ...

    def _vector_counts(self, tenant_id: str, model: str) -> tuple[int, int]: ...

    def _scored(self, values: Mapping[str, str | Sequence[str]], candidates: int | None,
                pool: int) -> list[VectorHit]: ...

    def vector_ids(self, tenant_id: str, model: str, step_ids: Sequence[str]) -> set[str]: ...

    def _remove_vectors(self, tenant_id: str, trace_id: str) -> None: ...


class DgraphVectors:
    """:class:`~tracegraph.graph.vectors.VectorStore` of :class:`DgraphStore` (a mixin: it
    runs this module's queries through the store's client)."""

    def put_vectors(self: _Host, tenant_id: str, model: str, rows: Sequence[StepVector]) -> None:
        if not rows:
            return
        if self.addr not in _VECTOR_SCHEMA:
            self._retrying(lambda: self._client.alter(pydgraph.Operation(schema=SCHEMA),
                                                      timeout=self.timeout))
            _VECTOR_SCHEMA.add(self.addr)
        self._vector_count_cache.pop((tenant_id, model), None)  # (planned anew)
        for start in range(0, len(rows), WRITE_BATCH):
            self._put_batch(tenant_id, model, rows[start:start + WRITE_BATCH])

    def _put_batch(self: _Host, tenant_id: str, model: str, rows: Sequence[StepVector]) -> None:
        """Write the vectors of ``rows`` not stored yet, in one transaction (retried when a
        concurrent writer of the same steps conflicts: it then finds them written)."""
        for attempt in range(self.max_attempts):
            have = self.vector_ids(tenant_id, model, [r.step_id for r in rows])
            new = [node(tenant_id, model, r) for r in rows if r.step_id not in have]
            if not new:
                return
            try:
                self._retrying(lambda new=new: self._client.txn().mutate(  # type: ignore[misc]
                    set_obj=new, commit_now=True, timeout=self.timeout))
                return
            except pydgraph.errors.AbortedError:
                if attempt == self.max_attempts - 1:
                    raise ChainConflict("step vectors: concurrent writes kept conflicting; "
                                        "retry") from None
                time.sleep(random.uniform(0.005, 0.05))

    def vector_ids(self: _Host, tenant_id: str, model: str, step_ids: Sequence[str]) -> set[str]:
        if self.addr not in _VECTOR_SCHEMA and not self._has_vector_schema():
            return set()
        keys = [key(tenant_id, model, s) for s in step_ids]
        return {str(r["vec.step_id"]) for r in self._read(HAVE, {"keys": keys}).get("v", [])}

    def _has_vector_schema(self: _Host) -> bool:
        got = self._read(HAS_SCHEMA, {}).get("schema", [])
        if got:
            _VECTOR_SCHEMA.add(self.addr)
        return bool(got)

    def trace_vectors(self: _Host, tenant_id: str, model: str, trace_ids: Sequence[str]
                      ) -> Mapping[str, list[tuple[int, str, list[float]]]]:
        if self.addr not in _VECTOR_SCHEMA and not self._has_vector_schema():
            return {}
        out: dict[str, list[tuple[int, str, list[float]]]] = {}
        got = self._read(TRACE_VECTORS, {"tenant": tenant_id, "model": model,
                                         "ids": list(trace_ids)}).get("v", [])
        for r in sorted(got, key=lambda r: (r["vec.trace_id"], r["vec.step_index"])):
            out.setdefault(r["vec.trace_id"], []).append(
                (int(r["vec.step_index"]), str(r["vec.step_id"]),
                 [float(x) for x in r["vec.embedding"]]))
        return out

    def search_vectors(self: _Host, tenant_id: str, model: str, query: Sequence[float], k: int,
                       flt: VectorFilter) -> list[VectorHit]:
        if k <= 0 or (self.addr not in _VECTOR_SCHEMA and not self._has_vector_schema()):
            return []
        mine, total = self._vector_counts(tenant_id, model)
        values = search_values(tenant_id, model, query, flt)
        breadth = FILTERED_BREADTH if any(n in values for n in FILTERS) else BREADTH
        return planned_search(
            k, mine, total, breadth=breadth, most=MAX_CANDIDATES, exact_below=EXACT_BELOW,
            index=lambda candidates, pool: self._scored(values, candidates, pool),
            exact=lambda n: self._scored(values, None, n + TIE_ROOM)[:n])

    def _scored(self: _Host, values: Mapping[str, str | Sequence[str]], candidates: int | None,
                pool: int) -> list[VectorHit]:
        """The best ``pool`` of the ``candidates`` nearest neighbours in the index (``None``:
        of all the tenant's vectors) that the tenant, model and filter of ``values``
        (:func:`search_values`) keep, scored by Dgraph, best first."""
        used = tuple(n for n in FILTERS if n in values)
        asked = {"pool": str(pool)} | ({} if candidates is None
                                       else {"candidates": str(candidates)})
        return hits(self._read(search_query(used, candidates is None), {**values, **asked}
                               ).get("v", []))

    def remove_trace_vectors(self: _Host, tenant_id: str, trace_ids: Sequence[str]) -> None:
        for trace_id in trace_ids:
            self._remove_vectors(tenant_id, trace_id)

    def _remove_vectors(self: _Host, tenant_id: str, trace_id: str) -> None:
        """Delete a removed trace's step vectors (after its removal committed, as the
        embedded store does: a vector the embedding worker writes for it later is removed
        by the worker, :meth:`remove_trace_vectors`)."""
        if self.addr not in _VECTOR_SCHEMA and not self._has_vector_schema():
            return
        got = self._read(OF_TRACE, {"tenant": tenant_id, "trace": trace_id}).get("v", [])
        if got:
            self._retrying(lambda: self._client.txn().mutate(
                del_obj=[{"uid": v["uid"]} for v in got], commit_now=True,
                timeout=self.timeout))
            self._vector_count_cache.clear()  # (planned anew)

    def _vector_counts(self: _Host, tenant_id: str, model: str) -> tuple[int, int]:
        """(the tenant's vectors of ``model``, all vectors in the index), for planning; reused
        for :data:`COUNT_TTL` seconds."""
        now = time.monotonic()
        cached = self._vector_count_cache.get((tenant_id, model))
        if cached is None or now - cached[2] > COUNT_TTL:
            got = self._read(COUNTS, {"tenant": tenant_id, "model": model})
            mine = int((got.get("mine") or [{}])[0].get("count", 0))
            total = int((got.get("all") or [{}])[0].get("count", 0))
            cached = self._vector_count_cache[(tenant_id, model)] = (mine, total, now)
        return cached[0], cached[1]
