"""Conformance: step vectors (the optional ``VectorStore`` capability, issue 19).

Vectors are stored per tenant and model, a second write of a step keeps the first,
searches are exact here (the embedded store; an ANN index must find the same neighbours on
these small sets) and keep only what the filter keeps, ranked by cosine similarity.
"""

from __future__ import annotations

import numpy as np
import pytest
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.vectors import StepVector, VectorFilter, VectorStore

MODEL = "test-model"
#: The default model's size (a server keeps one vector size per database: docs/semantic-search.md)
DIM = 384
TYPES = ["Decision", "Reasoning", "Observation"]


def _vectors(store: GraphStore) -> VectorStore:
    if not isinstance(store, VectorStore):
        pytest.skip(f"the {store.backend_name} backend has no vector index")
    return store


def _rows(n: int, tenant: str, seed: int = 7, trace: str = "t"
          ) -> tuple[list[StepVector], np.ndarray]:
    """``n`` random unit vectors, different for each tenant (a server's index holds every
    tenant's: the same vectors under many tenants would be ties an ANN index orders at will)."""
    rng = np.random.default_rng([seed, *tenant.encode()])
    m = rng.standard_normal((n, DIM)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    rows = [StepVector(step_id=f"{trace}-s{i:03d}", trace_id=f"{trace}{i % 4}",
                       session_id=f"sess{i % 2}", agent_id="a" if i % 3 else "b",
                       step_type=TYPES[i % 3], step_index=i // 4,
                       created_at=f"2026-01-01T00:00:{i % 60:02d}.000000Z",
                       vector=m[i].tolist()) for i in range(n)]
    return rows, m


def test_search_is_the_exact_ranking_within_tenant_and_model(store: GraphStore, tenant: str
                                                              ) -> None:
    vs = _vectors(store)
    rows, m = _rows(120, tenant)
    vs.put_vectors(tenant, MODEL, rows[:60])
    vs.put_vectors(tenant, MODEL, rows[60:])
    q = m[5] + 0.3 * m[17]
    q /= np.linalg.norm(q)
    hits = vs.search_vectors(tenant, MODEL, q.tolist(), 10, VectorFilter())
    want = np.argsort(-(m @ q))[:10]
    assert [h.step_id for h in hits] == [rows[i].step_id for i in want]
    assert [round(h.score, 4) for h in hits] == [round(float(m[i] @ q), 4) for i in want]
    assert hits[0].trace_id == rows[want[0]].trace_id
    assert vs.search_vectors(tenant + "-other", MODEL, q.tolist(), 10, VectorFilter()) == []
    assert vs.search_vectors(tenant, "other-model", q.tolist(), 10, VectorFilter()) == []


def test_filters_keep_only_matching_steps(store: GraphStore, tenant: str) -> None:
    vs = _vectors(store)
    rows, m = _rows(60, tenant, seed=3)
    vs.put_vectors(tenant, MODEL, rows)
    by_id = {r.step_id: r for r in rows}

    def found(flt: VectorFilter) -> set[str]:
        return {h.step_id for h in vs.search_vectors(tenant, MODEL, m[0].tolist(), 100, flt)}

    assert found(VectorFilter(step_types=("Decision",))) == {
        r.step_id for r in rows if r.step_type == "Decision"}
    assert found(VectorFilter(agent_id="b", session_id="sess0")) == {
        r.step_id for r in rows if r.agent_id == "b" and r.session_id == "sess0"}
    assert found(VectorFilter(trace_id="t1")) == {r.step_id for r in rows if r.trace_id == "t1"}
    assert found(VectorFilter(exclude_trace_id="t1")) == {
        r.step_id for r in rows if r.trace_id != "t1"}
    window = VectorFilter(created_after="2026-01-01T00:00:10.000000Z",
                          created_before="2026-01-01T00:00:20.000000Z")
    assert found(window) == {r.step_id for r in rows
                             if "2026-01-01T00:00:10" <= r.created_at[:19] <= "2026-01-01T00:00:20"}
    assert all(by_id[s].step_type == "Decision" for s in found(VectorFilter(
        step_types=("Decision",), agent_id="a")))


def test_writes_are_idempotent_and_read_back_in_step_order(store: GraphStore, tenant: str
                                                           ) -> None:
    vs = _vectors(store)
    rows, m = _rows(12, tenant, seed=5)
    vs.put_vectors(tenant, MODEL, rows)
    changed = [StepVector(**{**{f: getattr(r, f) for f in r.__slots__},  # type: ignore[arg-type]
                             "vector": (-m[i]).tolist()}) for i, r in enumerate(rows)]
    vs.put_vectors(tenant, MODEL, changed)  # (a replayed write: the first vector stays)
    assert vs.vector_ids(tenant, MODEL, [r.step_id for r in rows] + ["nope"]) == {
        r.step_id for r in rows}
    assert vs.vector_ids(tenant, "other-model", [rows[0].step_id]) == set()
    got = vs.trace_vectors(tenant, MODEL, ["t0", "t3", "missing"])
    assert set(got) == {"t0", "t3"}
    t0 = [r for r in rows if r.trace_id == "t0"]
    assert [(i, s) for i, s, _ in got["t0"]] == [(r.step_index, r.step_id) for r in t0]
    first = np.asarray(got["t0"][0][2], dtype=np.float32)
    assert np.allclose(first, m[int(t0[0].step_id[-3:])], atol=1e-6)
