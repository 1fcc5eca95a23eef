"""The Dgraph store's vector search on a real Dgraph (scripts/dgraph): the score is computed
by Dgraph (``math(e dot $vector)``) and must be numpy's cosine, on the index path and on the
exact path; filter values stay DQL variables; the planning counts follow writes at once.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from tracegraph.graph.dgraph import DgraphStore
from tracegraph.graph.dgraph import vectors as vec
from tracegraph.graph.vectors import StepVector, VectorFilter

MODEL = "test-dgraph-model"
DIM = 384



ANY_VECTOR = "{ v(func: has(vec.embedding), first: 1) { vec.embedding } }"


def _rows(tenant: str, n: int, near: np.ndarray | None = None
          ) -> tuple[list[StepVector], np.ndarray]:
    """``n`` random unit vectors, or (``near``) close variants of ``near``."""
    rng = np.random.default_rng([11, *tenant.encode()])
    m = rng.standard_normal((n, DIM)).astype(np.float32)
    if near is not None:
        m = near + 0.3 * m / np.sqrt(DIM)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return [StepVector(step_id=f"s{i:03d}", trace_id=f"t{i % 3}", session_id="sess",
                       agent_id='a") OR has(vec.key' if i % 2 else "b",
                       step_type="Decision" if i % 4 == 0 else "Action", step_index=i,
                       created_at=f"2026-01-01T00:00:{i:02d}.000000Z", vector=m[i].tolist())
            for i in range(n)], m


def test_scores_are_numpys_cosine_on_both_paths(dgraph: DgraphStore) -> None:
    tenant = f"t{uuid.uuid4().hex[:12]}"
    # (variants of a vector the shared index holds already: reachable in its graph, where
    # a random 384-wide vector among clustered ones may not be; the search then goes exact)
    held = dgraph._read(ANY_VECTOR, {}).get("v", [])
    near = np.asarray(held[0]["vec.embedding"], dtype=np.float32) if held else None
    rows, m = _rows(tenant, 40, near)
    dgraph.put_vectors(tenant, MODEL, rows)
    q = 3.0 * (m[7] + 0.5 * m[9])  # (not unit length: hits carry the cosine)
    cos = m @ (q / np.linalg.norm(q))
    want = np.argsort(-cos)[:10]
    # the tenant is small: exact, over all its vectors
    hits = dgraph.search_vectors(tenant, MODEL, q.tolist(), 10, VectorFilter())
    assert [h.step_id for h in hits] == [rows[i].step_id for i in want]
    assert np.allclose([h.score for h in hits], cos[want], atol=1e-5)
    # the index's nearest neighbours, scored the same way (a stored vector finds itself)
    values = vec.search_values(tenant, MODEL, m[7].tolist(), VectorFilter())
    got = dgraph._scored(values, vec.BREADTH, 100)
    assert got and got[0].step_id == "s007" and got[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.score for h in got] == sorted((h.score for h in got), reverse=True)
    assert all(h.score == pytest.approx(float(m[int(h.step_id[1:])] @ m[7]), abs=1e-5)
               for h in got)


def test_filter_values_are_variables_not_query_text(dgraph: DgraphStore) -> None:
    tenant = f"t{uuid.uuid4().hex[:12]}"
    rows, m = _rows(tenant, 24)
    dgraph.put_vectors(tenant, MODEL, rows)
    hostile = 'a") OR has(vec.key'
    flt = VectorFilter(step_types=("Decision",), agent_id=hostile)
    found = {h.step_id for h in dgraph.search_vectors(tenant, MODEL, m[0].tolist(), 50, flt)}
    assert found == {r.step_id for r in rows
                     if r.step_type == "Decision" and r.agent_id == hostile}
    query = vec.search_query(("step_types", "agent_id"), True)
    assert hostile not in query and "$agent_id" in query and "$step_types" in query


def test_counts_for_planning_follow_this_process_writes(dgraph: DgraphStore) -> None:
    tenant = f"t{uuid.uuid4().hex[:12]}"
    rows, m = _rows(tenant, 12)
    assert dgraph.search_vectors(tenant, MODEL, m[0].tolist(), 5, VectorFilter()) == []
    assert dgraph._vector_counts(tenant, MODEL)[0] == 0
    dgraph.put_vectors(tenant, MODEL, rows)  # (within the counts' reuse time)
    mine, total = dgraph._vector_counts(tenant, MODEL)
    assert mine == 12 and total >= 12
    hits = dgraph.search_vectors(tenant, MODEL, m[0].tolist(), 5, VectorFilter())
    assert hits[0].step_id == "s000" and len(hits) == 5
