"""List variables of validated input types (``api/graphql/variables.py``): the prevalidated
path hands the resolver the same models, and leaves every error to the generic path, which
reports it exactly as before. Each case runs twice, with and without prevalidation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from tracegraph.api.graphql.context import TraceContext
from tracegraph.api.graphql.fast_path import variables
from tracegraph.api.graphql.live_updates import LiveUpdates
from tracegraph.api.graphql.schema import build_schema

SCHEMA = build_schema()
STEPS = ("mutation($t: ID!, $s: [StepInput!]!) { recordSteps(traceId: $t, steps: $s) "
         "{ stepId } }")
STEPS_NULLABLE = ("mutation($t: ID!, $s: [StepInput!]) { recordSteps(traceId: $t, steps: $s) "
                  "{ stepId } }")
CALLS = ("mutation($t: ID!, $c: [ApiCallInput!]!) { recordApiCalls(traceId: $t, calls: $c) "
         "{ callId } }")


class CapturingService:
    """Takes the models a resolver passes on; stores nothing."""

    def __init__(self) -> None:
        self.got: list[Any] = []

    def record_steps(self, _tenant: str, _trace: str, steps: Sequence[BaseModel]) -> list[Any]:
        self.got.append(list(steps))
        return []

    def record_api_calls(self, _tenant: str, _trace: str,
                         calls: Sequence[BaseModel]) -> list[Any]:
        self.got.append(list(calls))
        return []


def _execute(query: str, variables_: dict[str, Any]) -> tuple[Any, list[Any]]:
    service = CapturingService()
    ctx = TraceContext(service, None, "t", None, LiveUpdates())  # type: ignore[arg-type]
    result = asyncio.run(SCHEMA.execute(query, variables_, context_value=ctx))
    errors = [(e.message, e.path, (e.extensions or {}).get("code"),
               (e.extensions or {}).get("field")) for e in result.errors or []]
    models = [[(type(m).__name__, m.model_dump(), m.model_fields_set) for m in batch]
              for batch in service.got]
    return (result.data, errors), models


def _both(query: str, variables_: dict[str, Any],
          monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _execute(query, variables_)
    with monkeypatch.context() as m:
        m.setattr(variables, "prevalidated", lambda *_args: {})
        generic = _execute(query, variables_)
    assert fast == generic
    return fast


def test_a_valid_batch_takes_the_prevalidated_path(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [{"stepType": "reasoning", "content": "c", "confidence": 1, "inputTokens": 5.0,
              "dependsOn": "s0", "alternativesConsidered": ["a", "b"], "stepId": "s1",
              "createdAt": "2025-01-31T12:00:00+01:00", "inputData": {"x": [1.0, None]},
              "outputSummary": None, "metadata": None}]
    calls = []
    real = variables.prevalidated

    def spy(*args: Any) -> Any:
        calls.append(found := real(*args))
        return found

    monkeypatch.setattr(variables, "prevalidated", spy)
    (data, errors), models = _execute(STEPS, {"t": "tr", "s": steps})
    assert errors == [] and data == {"recordSteps": []}
    assert list(calls[0]) == ["s"]
    (_, dumped, fields_set), = models[0]
    assert dumped["step_type"] == "Reasoning" and dumped["input_tokens"] == 5
    assert dumped["depends_on"] == ["s0"] and dumped["created_at"] is not None
    assert "output_summary" not in fields_set and "metadata" not in fields_set
    monkeypatch.undo()
    _both(STEPS, {"t": "tr", "s": steps}, monkeypatch)


@pytest.mark.parametrize("steps", [
    [{"stepType": "Reasoning", "confidence": 1.5}],
    [{"stepType": "Reasoning", "confidence": "high"}],
    [{"stepType": "Reasoning", "inputTokens": 2**31}],
    [{"stepType": "Reasoning", "inputTokens": 1.5}],
    [{"stepType": "Reasoning", "stepId": 12}],
    [{"stepType": "Reasoning", "inputTokens": 7.0, "confidence": 1}],
    [{"stepType": "Reasoning", "dependsOn": [1, 2]}],
    [{"stepType": "Reasoning", "nope": 1}],
    [{"content": "no type"}],
    [{"stepType": None}],
    [{"stepType": "Reasoning"}, None],
    [{"stepType": "Reasoning"}, "step"],
    [{"stepType": "Reasoning", "createdAt": "yesterday"}],
    [{"stepType": "Reasoning", "alternativesConsidered": [None]}],
    [{"stepType": "Reasoning", "inputData": {"d": float("nan")}}],
    [{"stepType": "bad type!"}],
    [],
])
def test_unusual_values_answer_as_the_generic_path(steps: list[Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors (and values only graphql-core coerces: an int ``ID``, a float ``Int``)."""
    _both(STEPS, {"t": "tr", "s": steps}, monkeypatch)


@pytest.mark.parametrize("value", [None, {"stepType": "Reasoning"}, "Reasoning"])
def test_values_that_are_not_lists_stay_generic(value: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _both(STEPS, {"t": "tr", "s": value}, monkeypatch)
    _both(STEPS_NULLABLE, {"t": "tr", "s": value}, monkeypatch)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)
STEP_FIELDS = ["stepType", "content", "inputData", "outputData", "inputSummary",
               "outputSummary", "alternativesConsidered", "selectedAlternative", "confidence",
               "durationMs", "modelId", "inputTokens", "outputTokens", "thinkingTokens",
               "dependsOn", "metadata", "stepId", "createdAt", "unknownField"]
CALL_FIELDS = ["stepId", "apiType", "endpoint", "method", "statusCode", "latencyMs",
               "requestTokens", "responseTokens", "costUsd", "error", "callId", "createdAt"]
PLAUSIBLE = (st.sampled_from(["Reasoning", "decision", "x-1", "2025-01-01T00:00:00Z", "s-1", ""])
             | st.floats(-1, 2) | st.integers(-5, 2**33) | st.lists(st.text(max_size=4), max_size=3)
             | JSON)


def _items(fields: list[str], required: str | None) -> st.SearchStrategy[list[Any]]:
    item = st.dictionaries(st.sampled_from(fields), PLAUSIBLE, max_size=6)
    if required:
        item = st.builds(lambda d, t: {required: t, **d}, item,
                         st.sampled_from(["Reasoning", "Action", None, 3]))
    return st.lists(item, max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_items(STEP_FIELDS, "stepType"), calls=_items(CALL_FIELDS, None))
def test_generated_batches_answer_alike(steps: list[Any], calls: list[Any]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _both(STEPS, {"t": "tr", "s": steps}, monkeypatch)
        _both(CALLS, {"t": "tr", "c": calls}, monkeypatch)
