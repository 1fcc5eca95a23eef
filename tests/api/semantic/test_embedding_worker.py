"""Embedding off the append path: sampling decides, the worker embeds, a restart catches up,
and GraphQL's ``hasEmbedding`` is true exactly on the steps that get a vector."""

from __future__ import annotations

from pathlib import Path

from tracegraph.api.embedding import MiniLMEmbedder
from tracegraph.api.service import TraceService
from tracegraph.api.service.semantic import SemanticIndex
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import StartTraceInput, StepInput
from tracegraph.schema.sampling import EmbeddingSampling, SamplingPolicy

from tests.helpers.live import LiveServer

TYPES = ["Observation", "Reasoning", "ToolCall", "Decision", "Action", "Error", "Summary",
         "FinalAnswer", "Hypothesis", "Correction", "PlanStep", "ToolResult"]


def _record(service: TraceService, tenant: str, n: int, *, agent: str = "a") -> list[str]:
    t = service.start_trace(tenant, StartTraceInput(agent_id=agent, session_id="s"))
    steps = service.record_steps(tenant, t.trace_id, [
        StepInput(step_type=TYPES[i % len(TYPES)], content=f"step {i} about invoice {i % 7}")
        for i in range(n)])
    return [s.step_id for s in steps]


def _vector_ids(service: TraceService, tenant: str, ids: list[str]) -> set[str]:
    store = service.store
    assert isinstance(store, EmbeddedStore)
    return store.vector_ids(tenant, "all-MiniLM-L6-v2", ids)


def test_has_embedding_is_true_exactly_on_the_steps_with_a_vector(
    tmp_path: Path, minilm: MiniLMEmbedder
) -> None:
    sampling = SamplingPolicy(default=EmbeddingSampling(rate=0.25))
    service = TraceService(EmbeddedStore(tmp_path), sampling=sampling)
    service.enable_semantic(minilm)
    live = LiveServer(service)
    try:
        ids = _record(service, "acme", 60)
        assert service.semantic is not None and service.semantic.drain(60)
        steps = live.gql("query($t: ID!) { trace(traceId: $t) { steps { stepId stepType "
                         "hasEmbedding } } }", {"t": service.store.resolve(
                             "acme", [ids[0]])[ids[0]].trace_id}, tenant="acme")
        flagged = {s["stepId"] for s in steps["trace"]["steps"] if s["hasEmbedding"]}
        assert flagged == _vector_ids(service, "acme", ids)
        critical = {s["stepId"] for s in steps["trace"]["steps"] if s["stepType"] in
                    {"Decision", "Action", "Error", "Correction", "FinalAnswer"}}
        assert critical < flagged  # always embedded, and some sampled ones besides
    finally:
        live.stop()
        service.close()


def test_without_an_embedder_no_step_claims_an_embedding(tmp_path: Path) -> None:
    service = TraceService(EmbeddedStore(tmp_path))
    live = LiveServer(service)
    try:
        t = service.start_trace("acme", StartTraceInput())
        service.record_steps("acme", t.trace_id, [StepInput(step_type="Decision", content="x")])
        got = live.gql("query($t: ID!) { trace(traceId: $t) { steps { hasEmbedding } } }",
                       {"t": t.trace_id}, tenant="acme")
        assert got["trace"]["steps"] == [{"hasEmbedding": False}]
        body = live.post('query { searchSteps(query: "x") { edges { score } } }',
                         tenant="acme").json()
        assert "semantic search is off" in body["errors"][0]["message"]
    finally:
        live.stop()
        service.close()


def test_a_restart_embeds_what_was_stored_without_vectors(
    tmp_path: Path, minilm: MiniLMEmbedder
) -> None:
    plain = TraceService(EmbeddedStore(tmp_path))  # (no embedder: nothing embedded)
    ids = _record(plain, "acme", 24) + _record(plain, "globex", 12)
    plain.close()
    service = TraceService(EmbeddedStore(tmp_path))
    index = service.enable_semantic(minilm)
    assert index.drain(60)
    wanted = {i for i in ids[:24] if service.sampling.embeds("acme", _stored(service, "acme", i))}
    assert _vector_ids(service, "acme", ids[:24]) == wanted
    assert len(_vector_ids(service, "globex", ids[24:])) > 0
    assert index.catch_up() == 0  # nothing left to do
    service.close()


def _stored(service: TraceService, tenant: str, step_id: str) -> dict[str, object]:
    ref = service.store.resolve(tenant, [step_id])[step_id]
    (entry,) = [e for e in service.store.entries(tenant, [ref.trace_id])[ref.trace_id]
                if e.record.get("step_id") == step_id]
    return dict(entry.record)


def test_a_full_queue_never_blocks_an_append_and_loses_nothing(
    tmp_path: Path, minilm: MiniLMEmbedder
) -> None:
    service = TraceService(EmbeddedStore(tmp_path),
                           sampling=SamplingPolicy(default=EmbeddingSampling(rate=1.0)))
    service.semantic = SemanticIndex(service, minilm, queue_steps=2, catch_up=False)
    ids = _record(service, "acme", 40)
    assert service.semantic.drain(60)
    assert _vector_ids(service, "acme", ids) == set(ids)
    service.close()
