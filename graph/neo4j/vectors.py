"""The Neo4j store's step vectors: ``:StepVector`` nodes under Neo4j's native vector index.

One node per (tenant, model, step), keyed by a unique ``key`` property, with the filter
fields and the vector (``embedding``, a LIST<FLOAT>; the index unquantized). The index spans
every tenant and model, and Neo4j 5 filters only after it, so search asks it for as many
neighbours as :func:`~tracegraph.graph.vectors.plan_search` sizes from the tenant's share of
the index (and, after a short try, the share the filter kept), keeps those of the tenant,
model and filter with the index's own (exact, unquantized) score; a tenant under
:data:`EXACT_BELOW` vectors, a plan past :data:`MAX_CANDIDATES`, or three short tries, is
answered exactly instead (``vector.similarity.cosine`` over the tenant's nodes), so an answer
is never short. Neo4j scores cosine as ``(1 + cos) / 2``; hits carry the cosine itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tracegraph.graph.vectors import StepVector, VectorFilter, VectorHit, planned_search
from tracegraph.schema.errors import InvalidInput

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import neo4j
    from neo4j import ManagedTransaction

T = TypeVar("T")


class _Host(Protocol):
    """What the mixin uses of the store it is part of (graph/neo4j/store.py)."""

    _vector_index: bool
    _vector_count_cache: dict[tuple[str, str], tuple[int, float]]
    database: str | None

    @property
    def _driver(self) -> neo4j.Driver: ...

    def _errors(self) -> AbstractContextManager[None]: ...

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]: ...

    def _write(self, work: Callable[[ManagedTransaction], T]) -> T: ...

    def _vector_counts(self, tenant_id: str, model: str) -> tuple[int, int]: ...

INDEX = "step_vector_embedding"
SCHEMA = (
    (  # (named apart from the chain's *_key constraints)
        "CREATE CONSTRAINT tracegraph_step_vector_unique IF NOT EXISTS "
        "FOR (v:StepVector) REQUIRE v.key IS UNIQUE"),
    ("CREATE INDEX tracegraph_step_vector_trace IF NOT EXISTS "
     "FOR (v:StepVector) ON (v.tenant_id, v.trace_id)"),
    ("CREATE INDEX tracegraph_step_vector_tenant IF NOT EXISTS "
     "FOR (v:StepVector) ON (v.tenant_id, v.model)"),
)
# (the vector index needs the vectors' size: made on the first write, IF NOT EXISTS)
CREATE_INDEX = """CREATE VECTOR INDEX step_vector_embedding IF NOT EXISTS
FOR (v:StepVector) ON (v.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions,
                       `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false}}"""
AWAIT_INDEX = "CALL db.awaitIndex('step_vector_embedding', 300)"
PUT = """UNWIND $rows AS r
MERGE (v:StepVector {key: r.key})
ON CREATE SET v += r.props, v.embedding = r.embedding"""
HAVE = """MATCH (v:StepVector) WHERE v.key IN $keys RETURN v.step_id AS step_id"""
#: The vectors of traces retention removes (every model): in the removal transaction, and
#: again after it committed.
DELETE_TRACES_VECTORS = """MATCH (v:StepVector)
WHERE v.tenant_id = $tenant AND v.trace_id IN $trace_ids
DELETE v"""
TRACE_VECTORS = """MATCH (v:StepVector)
WHERE v.tenant_id = $tenant_id AND v.trace_id IN $trace_ids AND v.model = $model
RETURN v.trace_id AS trace_id, v.step_index AS step_index, v.step_id AS step_id,
       v.embedding AS embedding
ORDER BY trace_id, step_index"""
_FILTER = """v.tenant_id = $tenant_id AND v.model = $model
  AND (size($step_types) = 0 OR v.step_type IN $step_types)
  AND ($agent_id IS NULL OR v.agent_id = $agent_id)
  AND ($session_id IS NULL OR v.session_id = $session_id)
  AND ($trace_id IS NULL OR v.trace_id = $trace_id)
  AND ($exclude_trace_id IS NULL OR v.trace_id <> $exclude_trace_id)
  AND ($created_after IS NULL OR v.created_at >= $created_after)
  AND ($created_before IS NULL OR v.created_at <= $created_before)"""
# (the index's score is exact: the index is unquantized, so the stored vectors are not read)
SEARCH_INDEX = """CALL db.index.vector.queryNodes('step_vector_embedding', $candidates, $vector)
YIELD node AS v, score
WHERE """ + _FILTER + """
RETURN v.step_id AS step_id, v.trace_id AS trace_id, score
ORDER BY score DESC, step_id LIMIT $k"""
SEARCH_EXACT = """MATCH (v:StepVector) WHERE """ + _FILTER + """
WITH v, vector.similarity.cosine(v.embedding, $vector) AS score
RETURN v.step_id AS step_id, v.trace_id AS trace_id, score
ORDER BY score DESC, step_id LIMIT $k"""
COUNT_TENANT = """MATCH (v:StepVector) WHERE v.tenant_id = $tenant_id AND v.model = $model
RETURN count(v) AS n"""
COUNT_ALL = "MATCH (v:StepVector) RETURN count(v) AS n"
INDEX_EXISTS = "SHOW VECTOR INDEXES YIELD name WHERE name = 'step_vector_embedding' RETURN name"
INDEX_DIMENSIONS = """SHOW VECTOR INDEXES YIELD name, options
WHERE name = 'step_vector_embedding'
RETURN options.indexConfig.`vector.dimensions` AS dimensions"""

#: The index's breadth (neighbours asked at least): recall@10 against exact >= 0.95 at 100k
#: vectors (docs/semantic-search.md). A search that would need more than MAX_CANDIDATES
#: (a small share of the index, a selective filter) is exact over the tenant's vectors, and
#: so is any search of a tenant with fewer than EXACT_BELOW vectors (faster there).
BREADTH = 100
MAX_CANDIDATES = 16000
EXACT_BELOW = 2000
#: Seconds a tenant's vector count is reused for planning (an estimate: answers stay exact
#: to the pool rule whatever it is).
COUNT_TTL = 30.0


def key(tenant_id: str, model: str, step_id: str) -> str:
    return f"{tenant_id}\x00{model}\x00{step_id}"


def put_params(tenant_id: str, model: str, rows: Sequence[StepVector]) -> list[dict[str, Any]]:
    return [{"key": key(tenant_id, model, r.step_id), "embedding": [float(x) for x in r.vector],
             "props": {"tenant_id": tenant_id, "model": model, "step_id": r.step_id,
                       "trace_id": r.trace_id, "session_id": r.session_id,
                       "agent_id": r.agent_id, "step_type": r.step_type,
                       "step_index": r.step_index, "created_at": r.created_at}}
            for r in rows]


def search_params(tenant_id: str, model: str, query: Sequence[float], k: int,
                  flt: VectorFilter) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "model": model, "vector": [float(x) for x in query],
            "k": k, "candidates": BREADTH,
            "step_types": list(flt.step_types), "agent_id": flt.agent_id,
            "session_id": flt.session_id, "trace_id": flt.trace_id,
            "exclude_trace_id": flt.exclude_trace_id, "created_after": flt.created_after,
            "created_before": flt.created_before}


def hits(records: Sequence[Mapping[str, Any]]) -> list[VectorHit]:
    """Hits with Neo4j's ``(1 + cos) / 2`` turned back into the cosine."""
    return [VectorHit(r["step_id"], r["trace_id"], 2.0 * float(r["score"]) - 1.0)
            for r in records]


class Neo4jVectors:
    """:class:`~tracegraph.graph.vectors.VectorStore` of :class:`Neo4jStore` (a mixin: it
    runs this module's statements through the store's driver and transactions)."""

    _vector_index = False  # (seen to exist: made on a first write)
    _vector_count_cache: dict[tuple[str, str], tuple[int, float]]  # (set by the store)

    def put_vectors(self: _Host, tenant_id: str, model: str,
                    rows: Sequence[StepVector]) -> None:
        if not rows:
            return
        size = len(rows[0].vector)
        with self._errors():
            self._driver.execute_query(CREATE_INDEX, dimensions=size,
                                       database_=self.database)
            self._driver.execute_query(AWAIT_INDEX, database_=self.database)
        (held,) = self._read(INDEX_DIMENSIONS)
        if held["dimensions"] != size or any(len(r.vector) != size for r in rows):
            raise InvalidInput(f"embedder: vectors of {size} values, but this Neo4j "
                               f"database's vector index holds {held['dimensions']} "
                               "(one vector size per database)", field="embedder")
        self._write(lambda tx: tx.run(PUT, rows=put_params(tenant_id, model, rows)
                                      ).consume())

    def remove_trace_vectors(self: _Host, tenant_id: str, trace_ids: Sequence[str]) -> None:
        if trace_ids:
            self._write(lambda tx: tx.run(DELETE_TRACES_VECTORS, tenant=tenant_id,
                                          trace_ids=list(trace_ids)).consume())

    def vector_ids(self: _Host, tenant_id: str, model: str,
                   step_ids: Sequence[str]) -> set[str]:
        keys = [key(tenant_id, model, s) for s in step_ids]
        return {str(r["step_id"]) for r in self._read(HAVE, keys=keys)}

    def trace_vectors(self: _Host, tenant_id: str, model: str, trace_ids: Sequence[str]
                      ) -> Mapping[str, list[tuple[int, str, list[float]]]]:
        out: dict[str, list[tuple[int, str, list[float]]]] = {}
        for r in self._read(TRACE_VECTORS, tenant_id=tenant_id, model=model,
                            trace_ids=list(trace_ids)):
            out.setdefault(r["trace_id"], []).append(
                (int(r["step_index"]), str(r["step_id"]), list(r["embedding"])))
        return out

    def search_vectors(self: _Host, tenant_id: str, model: str, query: Sequence[float], k: int,
                       flt: VectorFilter) -> list[VectorHit]:
        if k <= 0:
            return []
        if not self._vector_index:
            self._vector_index = bool(self._read(INDEX_EXISTS))
            if not self._vector_index:
                return []  # (nothing was ever embedded)
        params = search_params(tenant_id, model, query, k, flt)
        mine, total = self._vector_counts(tenant_id, model)

        def index(candidates: int, pool: int) -> list[VectorHit]:
            return hits(self._read(SEARCH_INDEX, **(params | {"candidates": candidates,
                                                              "k": pool})))

        return planned_search(k, mine, total, breadth=BREADTH, most=MAX_CANDIDATES,
                              exact_below=EXACT_BELOW, index=index,
                              exact=lambda n: hits(self._read(SEARCH_EXACT,
                                                              **(params | {"k": n}))))

    def _vector_counts(self: _Host, tenant_id: str, model: str) -> tuple[int, int]:
        """(the tenant's vectors of ``model``, all vectors in the index), for planning; the
        tenant's count is reused for :data:`COUNT_TTL` seconds."""
        now = time.monotonic()
        cached = self._vector_count_cache.get((tenant_id, model))
        if cached is None or now - cached[1] > COUNT_TTL:
            n = int(self._read(COUNT_TENANT, tenant_id=tenant_id, model=model)[0]["n"])
            cached = self._vector_count_cache[(tenant_id, model)] = (n, now)
        return cached[0], int(self._read(COUNT_ALL)[0]["n"])
