"""Seed 001's embedding sampling: deterministic per step, the rate, the critical types."""

from __future__ import annotations

import pytest
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.sampling import (
    ALWAYS_EMBEDDED,
    EmbeddingSampling,
    SamplingPolicy,
    embedding_text,
    sample_point,
)


def _step(step_id: str, step_type: str = "Reasoning", content: str | None = "text"
          ) -> dict[str, object]:
    return {"step_id": step_id, "step_type": step_type, "content": content}


def test_the_default_embeds_about_a_tenth_and_always_the_critical_types() -> None:
    policy = SamplingPolicy()
    ids = [f"step-{i}" for i in range(20_000)]
    chosen = sum(policy.embeds("acme", _step(i)) for i in ids)
    assert 0.09 < chosen / len(ids) < 0.11
    for t in ALWAYS_EMBEDDED:
        assert all(policy.embeds("acme", _step(i, t)) for i in ids[:500])
    assert {"Decision", "Action", "Error", "Correction", "FinalAnswer"} == ALWAYS_EMBEDDED


def test_the_choice_is_a_function_of_tenant_and_step_id() -> None:
    policy = SamplingPolicy()
    first = [policy.embeds("acme", _step(f"s{i}")) for i in range(2000)]
    again = [SamplingPolicy().embeds("acme", _step(f"s{i}")) for i in range(2000)]
    assert first == again
    other = [policy.embeds("globex", _step(f"s{i}")) for i in range(2000)]
    assert other != first  # another tenant samples other steps
    assert sample_point("acme", "s1") == sample_point("acme", "s1")
    assert 0.0 <= sample_point("acme", "s1") < 1.0


def test_raising_the_rate_only_adds_steps() -> None:
    low = EmbeddingSampling(rate=0.1)
    high = EmbeddingSampling(rate=0.5)
    ids = [f"x{i}" for i in range(3000)]
    a = {i for i in ids if low.selects("t", i, "Reasoning")}
    b = {i for i in ids if high.selects("t", i, "Reasoning")}
    assert a < b


def test_a_tenant_can_have_its_own_rate_and_types() -> None:
    policy = SamplingPolicy(default=EmbeddingSampling(rate=0.0),
                            tenants={"acme": EmbeddingSampling(rate=1.0, always=frozenset())})
    assert policy.embeds("acme", _step("a", "Observation"))
    assert not policy.embeds("globex", _step("a", "Observation"))
    assert policy.embeds("globex", _step("a", "Decision"))
    none = SamplingPolicy(tenants={"quiet": EmbeddingSampling(rate=0.0, always=frozenset())})
    assert not any(none.embeds("quiet", _step(f"s{i}", "Decision")) for i in range(100))


def test_a_step_without_text_is_never_embedded() -> None:
    policy = SamplingPolicy()
    assert not policy.embeds("acme", _step("a", "Decision", content=None))
    assert not policy.embeds("acme", _step("a", "Decision", content="   "))
    assert embedding_text({"content": None, "input_summary": "in", "output_summary": "out"}
                          ) == "in\nout"


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_a_rate_outside_0_1_is_refused_naming_the_field(rate: float) -> None:
    with pytest.raises(InvalidInput, match="embeddingSampleRate") as err:
        EmbeddingSampling(rate=rate)
    assert err.value.field == "embeddingSampleRate"
