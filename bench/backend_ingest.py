"""Batched ingest into a backend, and the time to fetch a 700-step nested run over GraphQL.

    .venv/bin/python bench/backend_ingest.py --backend dgraph            # scripts/dgraph start
    .venv/bin/python bench/backend_ingest.py --backend neo4j --neo4j-uri bolt://127.0.0.1:7687
    .venv/bin/python bench/backend_ingest.py --backend embedded
    # CPU a local Dgraph alpha spends per 1000 steps, with 1 and 4 concurrent writers:
    ... --writers 1 4 --server-pid "$(cat ~/.cache/tracegraph/dgraph/run/alpha.pid)"

Ingest goes through the service layer (``TraceService.record_steps``, the path every
interface takes: records built, dependsOn checked, one ``GraphStore.append`` per batch) on a
deterministic nested multi-agent workload: runs of a root trace with two spawned child
traces, steps with text, JSON payloads, alternatives on a third of them, dependsOn edges
(within and across traces), token usage, one API call and one human input per trace. A
batch is acknowledged when its transaction has committed, so everything counted is
queryable when the clock stops (the script checks by reading the step counts back).

The fetch figure starts ``tracegraph``'s GraphQL app on uvicorn (loopback, a free port)
over the same store, builds one run of 700 steps (a root trace, three children, one
grandchild), and times a ``runTree`` query that returns every trace with all its steps
(ids, text, payloads, hashes, alternatives), reporting p50 and p95.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import click
import httpx
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.registry import open_store
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

from . import measure

FETCH_QUERY = """
query Run($id: ID!) {
  runTree(traceId: $id) {
    depth
    traces {
      depth
      childIds
      trace {
        traceId parentTraceId status entryCount headHash
        steps {
          stepId stepIndex seq stepType content inputData outputData confidence modelId
          inputTokens outputTokens dependsOn hash prevHash createdAt
          alternatives { alternativeId text selected }
        }
        apiCalls { callId costUsd }
      }
    }
  }
}
"""


def step_inputs(prefix: str, n: int, earlier: list[str], rng_seed: int) -> list[StepInput]:
    """``n`` steps with deterministic content; every fifth depends on an earlier step."""
    out: list[StepInput] = []
    ids = list(earlier)
    for i in range(n):
        k = rng_seed + i
        step_id = f"{prefix}-{i}"
        deps = [ids[(k * 7919) % len(ids)]] if ids and i % 5 == 4 else []
        alts = ["search the docs", "ask the user", "guess"] if i % 3 == 0 else []
        out.append(StepInput(
            step_id=step_id, step_type=("Reasoning", "ToolCall", "ToolResult", "Decision")[k % 4],
            content=f"step {i}: considering the request and the evidence so far " * 3,
            input_data={"query": f"q{k}", "top_k": k % 10, "filters": {"lang": "en"}},
            output_data={"documents": [f"doc-{k}-{j}" for j in range(3)], "score": 0.5},
            alternatives_considered=alts, selected_alternative=alts[0] if alts else None,
            confidence=round((k % 100) / 100, 2), duration_ms=12.5 + k % 7,
            model_id=("model-a", "model-b")[k % 2], input_tokens=120 + k % 50,
            output_tokens=40 + k % 20, thinking_tokens=k % 30, depends_on=deps,
        ))
        ids.append(step_id)
    return out


def server_cpu(pid: int | None) -> float:
    """CPU seconds a local server process has used (0 without a pid)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(service: TraceService, tenant: str, total_steps: int, batch: int, writers: int,
           server_pid: int | None) -> dict[str, Any]:
    """``writers`` threads each ingest ``total_steps / writers`` steps (see :func:`ingest_runs`)."""
    share = total_steps // writers
    cpu0, srv0, t0 = time.process_time(), server_cpu(server_pid), time.perf_counter()
    results: list[tuple[list[str], int]] = []
    threads = [threading.Thread(target=lambda: results.append(
        ingest_runs(service, tenant, share, batch))) for _ in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    client_cpu, srv_cpu = time.process_time() - cpu0, server_cpu(server_pid) - srv0
    traces = [t for ts, _ in results for t in ts]
    done = sum(n for _, n in results)
    assert len(results) == writers, "a writer failed"
    stored = sum(len(v) for v in service.steps(tenant, traces).values())
    assert stored == done, f"{stored} of {done} steps are queryable"
    return {"steps": done, "batch": batch, "writers": writers, "traces": len(traces),
            "seconds": elapsed, "steps_per_s": done / elapsed,
            "client_ms": client_cpu / done * 1e6, "server_ms": srv_cpu / done * 1e6}


def ingest_runs(service: TraceService, tenant: str, total_steps: int, batch: int
                ) -> tuple[list[str], int]:
    """Runs of a root and two spawned children, steps recorded ``batch`` at a time."""
    run = uuid.uuid4().hex[:8]
    per_trace = max(batch, 1)
    traces: list[str] = []
    steps_done = 0
    r = 0
    while steps_done < total_steps:
        root = service.start_trace(tenant, StartTraceInput(
            session_id=f"bench-{run}-{r}", agent_id="planner", goal="answer the question"))
        traces.append(root.trace_id)
        made: list[str] = []
        for child in range(3):
            if steps_done >= total_steps:
                break
            if child == 0:
                trace_id = root.trace_id
            else:
                spawned = service.start_trace(tenant, StartTraceInput(
                    parent_trace_id=root.trace_id, spawned_by_step_id=made[0],
                    agent_id=f"worker-{child}", goal="sub-task"))
                trace_id = spawned.trace_id
                traces.append(trace_id)
            n = min(per_trace, total_steps - steps_done)
            steps = service.record_steps(tenant, trace_id, step_inputs(
                f"{run}-{r}-{child}", n, made[-50:], steps_done))
            made.extend(s.step_id for s in steps)
            steps_done += n
            service.record_api_call(tenant, trace_id, ApiCallInput(
                step_id=steps[0].step_id, api_type="llm", endpoint="/v1/chat", method="POST",
                status_code=200, latency_ms=320, cost_usd=0.0125))
            service.record_human_input(tenant, trace_id, HumanInputInput(
                question="Proceed?", answer="yes", answered_by="alice"))
        r += 1
    return traces, steps_done


def nested_run(service: TraceService, tenant: str) -> str:
    """One run of 700 steps: root 200, three children 100 each, a grandchild 200."""
    run = uuid.uuid4().hex[:8]
    root = service.start_trace(tenant, StartTraceInput(session_id=f"fetch-{run}", goal="run"))
    made = [s.step_id for s in service.record_steps(
        tenant, root.trace_id, step_inputs(f"{run}-root", 200, [], 0))]
    last_child = ""
    for c in range(3):
        child = service.start_trace(tenant, StartTraceInput(
            parent_trace_id=root.trace_id, spawned_by_step_id=made[c * 10], goal=f"child {c}"))
        steps = service.record_steps(tenant, child.trace_id,
                                     step_inputs(f"{run}-c{c}", 100, made[-20:], c))
        service.complete_trace(tenant, child.trace_id, CompleteTraceInput(outcome="success"))
        last_child, last_steps = child.trace_id, [s.step_id for s in steps]
    grand = service.start_trace(tenant, StartTraceInput(
        parent_trace_id=last_child, spawned_by_step_id=last_steps[0], goal="grandchild"))
    service.record_steps(tenant, grand.trace_id, step_inputs(f"{run}-g", 200, last_steps, 9))
    return root.trace_id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(service: TraceService) -> Iterator[str]:
    """The GraphQL app on uvicorn in a background thread; yields its /graphql URL."""
    import uvicorn
    from tracegraph.api.app import GRAPHQL_PATH, create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}{GRAPHQL_PATH}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def fetch(service: TraceService, tenant: str, rounds: int) -> dict[str, Any]:
    root = nested_run(service, tenant)
    times: list[float] = []
    with serving(service) as url, httpx.Client(timeout=60) as client:
        headers = {"X-Org-Id": tenant}
        for i in range(rounds + 2):
            t0 = time.perf_counter()
            resp = client.post(url, json={"query": FETCH_QUERY, "variables": {"id": root}},
                               headers=headers)
            took = time.perf_counter() - t0
            body = resp.json()
            assert resp.status_code == 200 and not body.get("errors"), body.get("errors")
            steps = sum(len(t["trace"]["steps"]) for t in body["data"]["runTree"]["traces"])
            assert steps == 700, steps
            if i >= 2:  # two warm-up rounds
                times.append(took)
    times.sort()
    return {"p50_ms": measure.percentile(times, 0.5) * 1000,
            "p95_ms": measure.percentile(times, 0.95) * 1000,
            "rounds": rounds}


@click.command(help=__doc__.split("\n\n")[0] if __doc__ else None)
@click.option("--backend", type=click.Choice(["embedded", "neo4j", "dgraph"]), default="dgraph",
              show_default=True)
@click.option("--dgraph-addr", default="127.0.0.1:9080", show_default=True)
@click.option("--neo4j-uri", default="bolt://127.0.0.1:7687", show_default=True)
@click.option("--data-dir", default=None, help="embedded: store folder (default: temp)")
@click.option("--steps", type=click.IntRange(1), default=20_000, show_default=True,
              help="steps to ingest")
@click.option("--batch", "batches", type=click.IntRange(1, 1000), multiple=True,
              default=[500, 1000], show_default=True,
              help="steps per recordSteps call (repeat for several sizes)")
@click.option("--writers", "writer_counts", type=click.IntRange(1), multiple=True,
              default=[1], show_default=True,
              help="concurrent writers, each on its own runs (repeat for several counts)")
@click.option("--server-pid", type=int, default=None,
              help="pid of a local server process: report its CPU per 1000 steps")
@click.option("--fetch-rounds", type=click.IntRange(0), default=20, show_default=True,
              help="timed GraphQL fetches of the 700-step run (0: skip)")
def main(backend: str, dgraph_addr: str, neo4j_uri: str, data_dir: str | None, steps: int,
         batches: tuple[int, ...], writer_counts: tuple[int, ...], server_pid: int | None,
         fetch_rounds: int) -> None:
    options: dict[str, Any] = {}
    if backend == "dgraph":
        options["addr"] = dgraph_addr
    elif backend == "neo4j":
        options["uri"] = neo4j_uri
    else:
        options["data_dir"] = data_dir or tempfile.mkdtemp(prefix="tracegraph-bench-")
    store: GraphStore = open_store(backend, **options)
    service = TraceService(store)
    tenant = f"bench{uuid.uuid4().hex[:8]}"
    print(f"backend: {backend} ({', '.join(f'{k}={v}' for k, v in options.items())})")
    print(f"{'steps':>8} {'batch':>6} {'writers':>7} {'traces':>7} {'seconds':>8} "
          f"{'steps/s':>9} {'client CPU ms/1k':>17} {'server CPU ms/1k':>17}")
    for writers in writer_counts:
        for batch in batches:
            row = ingest(service, tenant, steps, batch, writers, server_pid)
            server = f"{row['server_ms']:>17,.0f}" if server_pid else f"{'-':>17}"
            print(f"{row['steps']:>8} {row['batch']:>6} {row['writers']:>7} {row['traces']:>7} "
                  f"{row['seconds']:>8.2f} {row['steps_per_s']:>9,.0f} "
                  f"{row['client_ms']:>17,.0f} {server}", flush=True)
    if fetch_rounds:
        f = fetch(service, tenant, fetch_rounds)
        print(f"fetch 700-step nested run over GraphQL (runTree, all steps): "
              f"p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms ({f['rounds']} rounds)")
    store.close()


if __name__ == "__main__":
    main()
