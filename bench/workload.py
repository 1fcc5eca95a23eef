"""The benchmark workload: deterministic nested multi-agent runs, as clients send them.

A *run* is one request handled by a planner agent that spawns sub-agents, 700 steps in all::

    root (planner, 200 steps)
    ├── worker-0 (100 steps, spawned by a root step)
    ├── worker-1 (100 steps)
    └── worker-2 (100 steps)
        └── critic (200 steps, spawned by a worker-2 step)

Every step has text (two to five sentences of agent prose; some name URLs, file paths,
ids or numbers, and about one in 250 carries a secret that redaction must remove), JSON
input and output payloads, token usage and a model; a third consider two to four
alternatives and select one; a fifth depend on one or two earlier steps of the run (in
the same trace or an ancestor's). Each trace records an API call for about one step in
twenty (tied to that step; sent as one ``record_api_calls`` batch after each batch of
steps, one ``recordApiCalls`` mutation over GraphQL), one human input, and is
completed with an outcome.

Everything comes from ``random.Random(seed, run index)``: run ``k`` of a workload is the
same on every machine and in every benchmark, whatever ran before it. Ids are chosen by
the client (``b<seed>-r<k>-<trace>-<i>``), as the SDK does, so that ``dependsOn`` can name
steps of the same request.

Items are wire-form dicts (camelCase keys), exactly what the bulk route and GraphQL
receive; :func:`as_inputs` turns them into the validated models the service layer takes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

SEED = 20251126
STEP_TYPES = ("Observation", "Hypothesis", "ToolCall", "ToolResult", "Reasoning", "Decision",
              "Action", "PlanStep", "Summary", "Correction", "INTENT_ANALYSIS", "Error")
MODELS = ("claude-sonnet-4", "gpt-4.1", "gemini-2.5-pro", "llama-3.3-70b")
TOOLS = ("web_search", "sql_query", "vector_search", "read_file", "http_get", "calculator")

#: (trace key, parent key, agent, steps): the shape of one run, 700 steps.
RUN_SHAPE: tuple[tuple[str, str | None, str, int], ...] = (
    ("root", None, "planner", 200),
    ("w0", "root", "worker-0", 100),
    ("w1", "root", "worker-1", 100),
    ("w2", "root", "worker-2", 100),
    ("critic", "w2", "critic", 200),
)
STEPS_PER_RUN = sum(n for *_, n in RUN_SHAPE)

_PROSE = (
    "the user asks for a comparison of quarterly revenue across regions and wants sources "
    "I should check the warehouse tables first then confirm with the finance dashboard "
    "results look consistent except for the emea figures which are missing march data "
    "plan retrieve invoices aggregate by month compare with forecast and flag anomalies "
    "the tool returned twelve rows two of them duplicated by the join on customer id "
    "considering whether to retry with a narrower date range or to ask for clarification "
    "confidence is moderate because the schema changed last week and columns were renamed "
    "next summarise the findings for the planner and list the open questions with owners "
    "latency of the search call was high so cache the embeddings for the follow up query "
    "the answer should cite each document and mention the assumptions about currency rates"
)
_WORDS = tuple(_PROSE.split())
_EXTRAS = (
    "see https://docs.example.com/reports/q3?page={n} for the definitions",
    "the export is in /var/data/exports/revenue_{n}.parquet",
    "row {n} references order 0{n}a7c3e1-5d2b-4f6a-9e8d-{n}b4c2a1f0e9d",
    "measured {n} ms for the query and {n}.5 ms for the merge",
    "the key insight: enterprise grew {n}% quarter over quarter",
    "the tokenizer counted {n} tokens in the prompt",
)
_SECRETS = (
    "connecting with Authorization: Bearer ey{n}Jhbc.fakeTokenValue{n}.sig{n}xyz",
    "use the key sk-proj-{n}abcdefghijklmnopqrstuvwxyz012345 for this call",
    "db url postgres://svc:hunter{n}pass@db.internal:5432/sales",
    "AWS AKIA{n:016d} was found in the environment",
)
_ALTERNATIVES = ("query the warehouse directly", "use the cached dashboard export",
                 "ask the user to narrow the date range", "delegate to a worker agent",
                 "search the public filings", "stop and report partial results")


@dataclass
class Op:
    """One client operation: ``kind`` is start_trace, record_steps, record_api_calls,
    record_human_input or complete_trace; ``body`` is its wire form (camelCase)."""

    kind: str
    trace_id: str
    body: dict[str, Any]
    steps: int = 0


@dataclass
class Run:
    """One generated run: its operations in the order a client sends them."""

    index: int
    root_id: str
    ops: list[Op] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return sum(op.steps for op in self.ops)


def _sentence(rng: random.Random) -> str:
    n = rng.randint(6, 18)
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def _content(rng: random.Random, k: int) -> str:
    parts = [_sentence(rng) for _ in range(rng.randint(2, 5))]
    if rng.random() < 0.3:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(_EXTRAS).format(n=k % 997 + 3))
    if rng.random() < 0.004:
        parts.append(rng.choice(_SECRETS).format(n=k % 89 + 10))
    return " ".join(parts)


def _step(rng: random.Random, step_id: str, k: int, earlier: list[str]) -> dict[str, Any]:
    tool = rng.choice(TOOLS)
    step: dict[str, Any] = {
        "stepId": step_id,
        "stepType": rng.choice(STEP_TYPES),
        "content": _content(rng, k),
        "inputData": {"tool": tool, "query": _sentence(rng), "topK": rng.randint(1, 20),
                      "filters": {"region": rng.choice(("emea", "amer", "apac")),
                                  "year": 2024 + rng.randint(0, 1)}},
        "outputData": {"documents": [
            {"id": f"doc-{k}-{j}", "score": round(rng.random(), 4),
             "snippet": _sentence(rng)} for j in range(rng.randint(1, 3))],
            "truncated": rng.random() < 0.1},
        "confidence": round(rng.random(), 3),
        "durationMs": round(rng.uniform(5, 2500), 1),
        "modelId": rng.choice(MODELS),
        "inputTokens": rng.randint(200, 4000),
        "outputTokens": rng.randint(20, 800),
        "thinkingTokens": rng.randint(0, 1500),
    }
    if rng.random() < 0.35:
        step["outputSummary"] = _sentence(rng)
    if rng.random() < 0.01:
        step["inputData"]["api_key"] = f"live-key-{k}-do-not-store"
    if rng.random() < 1 / 3:
        alts = rng.sample(_ALTERNATIVES, rng.randint(2, 4))
        step["alternativesConsidered"] = alts
        step["selectedAlternative"] = rng.choice(alts)
    if earlier and rng.random() < 0.2:
        # an earlier step of this run: stored before this batch, or earlier in it
        deps = {rng.choice(earlier) for _ in range(rng.randint(1, 2))}
        step["dependsOn"] = sorted(deps)
    return step


def make_run(index: int, *, seed: int = SEED, batch: int = 500,
             namespace: str | None = None,
             shape: tuple[tuple[str, str | None, str, int], ...] = RUN_SHAPE) -> Run:
    """Run number ``index`` of the workload with ``seed``; steps in batches of ``batch``.
    ``shape`` lists its traces as (key, parent key, agent, steps), parents first.

    Ids start with ``namespace`` (default ``b<seed>``): a server that keeps earlier
    benchmarks' traces (Neo4j, Dgraph) gets new ids for the same content.
    """
    rng = random.Random(f"{seed}:{index}")
    prefix = f"{namespace or f'b{seed}'}-r{index}"
    run = Run(index, f"{prefix}-root")
    steps_of: dict[str, list[str]] = {}
    session = f"{prefix}-session"
    k = index * STEPS_PER_RUN
    for key, parent, agent, n in shape:
        trace_id = f"{prefix}-{key}"
        start: dict[str, Any] = {"traceId": trace_id, "sessionId": session, "agentId": agent,
                                 "goal": _sentence(rng),
                                 "metadata": {"run": index, "agent": agent}}
        if parent is not None:
            parent_id = f"{prefix}-{parent}"
            start["parentTraceId"] = parent_id
            start["spawnedByStepId"] = rng.choice(steps_of[parent_id])
        run.ops.append(Op("start_trace", trace_id, start))
        mine: list[str] = []
        ancestors = [s for p, ss in steps_of.items() for s in ss[-40:] if p != trace_id]
        calls: list[dict[str, Any]] = []
        for first in range(0, n, batch):
            steps = []
            for i in range(first, min(n, first + batch)):
                step_id = f"{trace_id}-{i}"
                steps.append(_step(rng, step_id, k, mine[-30:] + ancestors[-10:]))
                mine.append(step_id)
                k += 1
                if rng.random() < 0.05:
                    calls.append({"stepId": step_id, "apiType": "llm",
                                  "endpoint": "https://api.example.com/v1/messages",
                                  "method": "POST", "statusCode": 200,
                                  "latencyMs": round(rng.uniform(80, 4000), 1),
                                  "requestTokens": rng.randint(200, 4000),
                                  "responseTokens": rng.randint(20, 800),
                                  "costUsd": round(rng.uniform(0.0005, 0.05), 5)})
            run.ops.append(Op("record_steps", trace_id, {"traceId": trace_id, "steps": steps},
                              len(steps)))
            if calls:  # the batch's API calls, as an SDK flushes them: one batch
                run.ops.append(Op("record_api_calls", trace_id,
                                  {"traceId": trace_id, "calls": calls}))
            calls = []
        run.ops.append(Op("record_human_input", trace_id, {"traceId": trace_id, "input": {
            "stepId": mine[-1], "question": "Share these figures with the finance channel?",
            "answer": rng.choice(("yes", "no, only the summary")), "answeredBy": "analyst"}}))
        steps_of[trace_id] = mine
    for key, *_ in reversed(shape):
        trace_id = f"{prefix}-{key}"
        run.ops.append(Op("complete_trace", trace_id, {
            "traceId": trace_id, "outcome": "success",
            "finalAnswer": "Revenue by region, with sources and open questions."}))
    return run


def runs(count: int, *, start: int = 0, seed: int = SEED, batch: int = 500) -> Iterator[Run]:
    """Runs ``start`` .. ``start + count - 1``."""
    for i in range(start, start + count):
        yield make_run(i, seed=seed, batch=batch)


@dataclass
class InputOp:
    """An operation as the service layer takes it: validated pydantic inputs."""

    kind: str
    trace_id: str
    payload: Any
    steps: int = 0


def as_inputs(run: Run) -> list[InputOp]:
    """The run's operations validated into ``schema.inputs`` models (what the service takes)."""
    out: list[InputOp] = []
    for op in run.ops:
        b = op.body
        payload: Any
        if op.kind == "start_trace":
            payload = StartTraceInput.model_validate(b)
        elif op.kind == "record_steps":
            payload = [StepInput.model_validate(s) for s in b["steps"]]
        elif op.kind == "record_api_calls":
            payload = [ApiCallInput.model_validate(c) for c in b["calls"]]
        elif op.kind == "record_human_input":
            payload = HumanInputInput.model_validate(b["input"])
        else:
            payload = CompleteTraceInput.model_validate(
                {k: v for k, v in b.items() if k != "traceId"})
        out.append(InputOp(op.kind, op.trace_id, payload, op.steps))
    return out
