"""The fast executor (plain leaves resolved in line, parent-only list resolvers called
directly) answers exactly what strawberry's generic executor answers: data, errors and their
paths."""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import Undefined
from packaging.version import Version
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from tracegraph.api.graphql.context import TraceContext
from tracegraph.api.graphql.fast_path import PINNED, FastLeafExecutor, execution
from tracegraph.api.graphql.schema import build_schema
from tracegraph.api.service import TraceService
from tracegraph.bench.queries import FETCH_QUERY
from tracegraph.bench.timed_ingest import apply
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
    # listings, sessions, verification, node, and the graph queries
    """query Q($id: ID!) { traces(first: 3) { edges { cursor node { traceId status } }
      pageInfo { hasNextPage endCursor } }
      runTree(traceId: $id) { root { traceId } traces { depth trace { traceId } } }
      branches(traceId: $id) { alternatives notTaken stepsWithAlternatives
        steps { stepId selected alternatives { alternativeId text index selected }
                notTaken { alternativeId } }
        traces { traceId notTaken } }
      verifyTrace(traceId: $id) { valid entriesChecked headHash }
      lineage(nodeId: $id, direction: DOWN, maxDepth: 2) { direction maxDepth truncated
        node { nodeId kind traceId seq }
        nodes { depth direction node { nodeId kind trace { traceId } } }
        edges { src dst type } }
      path(fromId: $id, toId: $id) { length nodes { nodeId } edges { type } } }""",
    """query Q($id: ID!) { trace(traceId: $id) { sessionId } }""",
]

#: Mutations run on both executors against two fresh stores; the answers must match (ids
#: and times differ between stores, so each mutation names its ids and the answer omits
#: times and hashes).
MUTATIONS = [
    ("""mutation { startTrace(input: {traceId: "m1", sessionId: "ms", goal: "g"})
       { traceId status goal entryCount } }""", {}),
    ("""mutation($s: [StepInput!]!) { recordSteps(traceId: "m1", steps: $s)
       { stepId stepIndex seq stepType content confidence dependsOn
         alternatives { alternativeId text selected } } }""",
     {"s": [{"stepId": "m1-a", "stepType": "reasoning", "content": "x",
             "alternativesConsidered": ["p", "q"], "selectedAlternative": "q"},
            {"stepId": "m1-b", "stepType": "Decision", "confidence": 0.5,
             "dependsOn": ["m1-a"]}]}),
    ("""mutation($s: [StepInput!]!) { recordSteps(traceId: "m1", steps: $s) { stepId } }""",
     {"s": [{"stepType": "Action", "confidence": 2}]}),  # refused: the same error
    ("""mutation { recordApiCall(traceId: "m1", call: {stepId: "m1-a", costUsd: 0.25})
       { stepId costUsd } }""", {}),
    ("""mutation { completeTrace(traceId: "m1", outcome: SUCCESS, finalAnswer: "done")
       { status outcome finalAnswer entryCount totals { stepCount costUsd } } }""", {}),
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


def test_mutations_answer_as_the_generic_executor(tmp_path: Path) -> None:
    answers = []
    for name, executor in (("fast", None), ("generic", StrawberryGraphQLCoreExecutionContext)):
        schema = build_schema()
        if executor is not None:
            schema.execution_context_class = executor
        store = EmbeddedStore(tmp_path / name)
        svc = TraceService(store)
        answers.append([run(schema, svc, m, v) for m, v in MUTATIONS])
        store.close()
    assert answers[0] == answers[1]
    assert answers[0][2][1] and not answers[0][1][1]  # the refused batch, the stored one


def test_fast_path_pins() -> None:
    """The installed strawberry-graphql and graphql-core are the versions the fast path was
    checked against (pyproject.toml pins them): upgrading means re-checking it."""
    for package, (low, high) in PINNED.items():
        installed = Version(version(package))
        assert Version(low) <= installed < Version(high), (package, str(installed))


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
