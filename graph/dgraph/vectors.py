"""The Dgraph store's step vectors: ``StepVector`` nodes under a ``float32vector`` HNSW index.

One node per (tenant, model, step), keyed by ``vec.key`` (``@upsert``: two writers of the
same step conflict and one retries, finding it written). The schema is applied on the first
write. Search asks the HNSW index (``similar_to``) for more neighbours than wanted (the
index spans every tenant and model, and ``@filter`` applies after it), keeps the tenant's
and model's, applies the rest of the filter and scores them exactly with numpy from the
returned vectors; when that leaves fewer than wanted it asks for 4x more, and past
:data:`MAX_CANDIDATES` the search is exact over the tenant's vectors, so an answer is
never short.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorHit

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
_FIELDS = """vec.step_id vec.trace_id vec.session_id vec.agent_id vec.step_type
    vec.created_at vec.embedding"""
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
SEARCH_INDEX = """
query search($vector: float32vector, $candidates: int, $tenant: string, $model: string) {
  v(func: similar_to(vec.embedding, $candidates, $vector))
    @filter(eq(vec.tenant, $tenant) AND eq(vec.model, $model)) { """ + _FIELDS + """ }
}
"""
SEARCH_ALL = """
query all($tenant: string, $model: string) {
  v(func: eq(vec.tenant, $tenant)) @filter(eq(vec.model, $model)) { """ + _FIELDS + """ }
}
"""
COUNT_ALL = """
query count() {
  n(func: has(vec.key)) { count(uid) }
}
"""
#: Vectors per write transaction (2,000 of 384 values missed a 60 s deadline under load).
WRITE_BATCH = 250
#: Neighbours asked of the index per wanted hit (other tenants' and filtered-out nodes).
OVERSAMPLE = 10
MIN_CANDIDATES = 1000
#: A filter that leaves fewer than wanted asks for 4x more, up to this; then exact search.
MAX_CANDIDATES = 16000


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
    return orjson.dumps([float(x) for x in query]).decode()


def _kept(row: Mapping[str, Any], flt: VectorFilter) -> bool:
    created = str(row.get("vec.created_at", ""))
    agent = row.get("vec.agent_id") or None
    return ((not flt.step_types or row.get("vec.step_type") in flt.step_types)
            and (flt.agent_id is None or agent == flt.agent_id)
            and (flt.session_id is None or row.get("vec.session_id") == flt.session_id)
            and (flt.trace_id is None or row.get("vec.trace_id") == flt.trace_id)
            and (flt.exclude_trace_id is None
                 or row.get("vec.trace_id") != flt.exclude_trace_id)
            and (flt.created_after is None or created >= flt.created_after)
            and (flt.created_before is None or created <= flt.created_before))


def ranked(rows: Sequence[Mapping[str, Any]], query: Sequence[float], k: int,
           flt: VectorFilter) -> list[VectorHit]:
    """The ``k`` rows ``flt`` keeps most similar to ``query``, scored exactly (ties by id)."""
    kept = [r for r in rows if _kept(r, flt) and r.get("vec.embedding")]
    if not kept:
        return []
    m = np.asarray([r["vec.embedding"] for r in kept], dtype=np.float32)
    scores = m @ np.asarray(query, dtype=np.float32)
    order = sorted(range(len(kept)), key=lambda i: (-float(scores[i]), kept[i]["vec.step_id"]))
    return [VectorHit(str(kept[i]["vec.step_id"]), str(kept[i]["vec.trace_id"]),
                      float(scores[i])) for i in order[:k]]
