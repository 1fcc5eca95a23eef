"""The fast executor (plain leaves resolved in line, parent-only list resolvers called
directly) answers exactly what strawberry's generic executor answers: data, errors and their
paths."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from tracegraph.api.graphql import execution
from tracegraph.api.graphql.context import TraceContext
from tracegraph.api.graphql.execution import FastLeafExecutor
from tracegraph.api.graphql.schema import build_schema
from tracegraph.api.service import TraceService
from tracegraph.bench.suite import FETCH_QUERY, apply
from tracegraph.bench.workload import as_inputs, make_run
from tracegraph.graph.embedded import EmbeddedStore

TENANT = "exec"

QUERIES = [
    FETCH_QUERY,
    # aliases, repeated fields, directives, __typename, enums, JSON, lists, nulls
    """query Q($id: ID!, $yes: Boolean!) {
      t: trace(traceId: $id) {
        __typename traceId status outcome metadata goal finalAnswer confidence
        again: traceId
        steps {
          __typename stepId seq inputData outputData metadata dependsOn
          alternativesConsidered selectedAlternative durationMs thinkingTokens
          content @include(if: $yes) summary: outputSummary @skip(if: $yes)
          alternatives { alternativeId text index selected }
          apiCalls { callId costUsd latencyMs statusCode }
        }
        apiCalls { callId stepId endpoint }
        humanInputs { question answer }
        totals { inputTokens costUsd durationMs stepCount }
        children { traceId steps { stepId stepIndex } pathTaken modelIdsUsed }
      }
    }""",
    """query Q($id: ID!) { trace(traceId: $id) { steps { ... on Step { stepId hash } } } }""",
    """query Q($id: ID!) { trace(traceId: "missing") { traceId } other: trace(traceId: $id)
      { traceId } }""",
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("exec")))
    svc = TraceService(store)
    for op in as_inputs(make_run(0, seed=7)):
        apply(svc, TENANT, op)
    yield svc
    store.close()


def run(schema: strawberry.Schema, service: TraceService, query: str,
        variables: dict[str, Any]) -> tuple[Any, list[Any]]:
    async def go() -> Any:
        ctx = TraceContext.create(service, TENANT)
        return await schema.execute(query, variable_values=variables, context_value=ctx)

    result = asyncio.run(go())
    return result.data, [(e.message, e.path) for e in result.errors or []]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("yes", [True, False])
def test_same_answers_as_the_generic_executor(service: TraceService, query: str,
                                              yes: bool) -> None:
    fast = build_schema()
    generic = build_schema()
    generic.execution_context_class = StrawberryGraphQLCoreExecutionContext
    assert fast.execution_context_class is FastLeafExecutor
    variables = {"id": make_run(0, seed=7).root_id}
    if "$yes" in query:
        variables["yes"] = yes
    got = run(fast, service, query, variables)
    assert got == run(generic, service, query, variables)
    assert got[0] is not None


# -- values the fast path hands back to the generic one ---------------------------------------

class Odd:
    """A source whose attributes break the schema's promises."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


@strawberry.type
class Item:
    name: str
    count: int
    tags: list[str]
    maybe: str | None
    ratio: float

    @strawberry.field
    def parts(self, root: strawberry.Parent[Odd]) -> list[Item]:
        return list(root.__dict__.get("parts_", []))


@strawberry.type
class Root:
    @strawberry.field
    def items(self) -> list[Item]:
        return [
            Odd(name="ok", count=1, tags=["a"], maybe=None, ratio=0.5),  # type: ignore[list-item]
            Odd(name=None, count=2, tags=[], maybe="x", ratio=1.5),  # type: ignore[list-item]
            Odd(name="n", count="3", tags=["b", None], maybe=7, ratio="r"),  # type: ignore[list-item]
            Odd(name="big", count=2**40, tags="ab", maybe=b"x", ratio=float("nan")),  # type: ignore[list-item]
            Odd(name="kids", count=0, tags=[], maybe=None, ratio=0.0,  # type: ignore[list-item]
                parts_=[Odd(name="k", count=1, tags=[], maybe=None, ratio=1.0)]),
            Odd(name="bad kids", count=0, tags=[], maybe=None, ratio=0.0,  # type: ignore[list-item]
                parts_=None),  # the resolver raises
            Odd(name="odd kids", count=0, tags=[], maybe=None, ratio=0.0,  # type: ignore[list-item]
                parts_=["not an item", Odd(name=None, count=1, tags=[], maybe=None, ratio=1.0)]),
        ]


def test_broken_values_give_the_same_errors() -> None:
    query = "{ items { name count tags maybe ratio parts { name } } }"
    answers = []
    for executor in (FastLeafExecutor, StrawberryGraphQLCoreExecutionContext):
        schema = strawberry.Schema(query=Root, execution_context_class=executor)
        result = schema.execute_sync(query)
        answers.append((result.data, sorted((e.message, tuple(e.path or ()))
                                            for e in result.errors or [])))
    assert answers[0] == answers[1]
    assert answers[0][1]  # there were errors to compare


def test_whole_run_lists_complete_in_one_loop(service: TraceService,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps of a run (and their alternatives) take the one-loop list path: it is not
    merely falling back to graphql-core, which would hide a slow path behind equal answers."""
    outcomes: list[bool] = []
    real = execution.complete_objects

    def spy(plan: Any, items: list[Any], info: Any) -> Any:
        out = real(plan, items, info)
        outcomes.append(out is not Undefined and len(out) == len(items))
        return out

    monkeypatch.setattr(execution, "complete_objects", spy)
    data, errors = run(build_schema(), service, FETCH_QUERY,
                       {"id": make_run(0, seed=7).root_id})
    assert not errors and data is not None
    assert outcomes and all(outcomes)
    assert len(outcomes) >= 5  # the steps of the root and of each nested trace
