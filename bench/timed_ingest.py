"""The workload ingested three ways, timed: in process through ``TraceService``, as bulk
NDJSON over HTTP, and as GraphQL mutations (each until its steps are queryable)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from tracegraph.api.service import TraceService

from . import measure
from .queries import COUNT_QUERY, MUTATIONS
from .workload import SEED, InputOp, Run, as_inputs, make_run

#: Called with (units of work done, what is running now).
Progress = Callable[[int, str], None]
TENANT = "bench"


def apply(service: TraceService, tenant: str, op: InputOp) -> None:
    """Run one workload operation through the service layer."""
    if op.kind == "start_trace":
        service.start_trace(tenant, op.payload)
    elif op.kind == "record_steps":
        service.record_steps(tenant, op.trace_id, op.payload)
    elif op.kind == "record_api_calls":
        service.record_api_calls(tenant, op.trace_id, op.payload)
    elif op.kind == "record_human_input":
        service.record_human_input(tenant, op.trace_id, op.payload)
    else:
        service.complete_trace(tenant, op.trace_id, op.payload)


@dataclass
class Ingested:
    steps: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    validate_seconds: float = 0.0
    roots: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


def ingest_in_process(service: TraceService, tenant: str, run_ids: Iterable[int],
                      progress: Progress, *, seed: int = SEED, batch: int = 500,
                      namespace: str | None = None) -> Ingested:
    """Runs through ``TraceService``; only the service calls are timed (validation apart)."""
    result = Ingested()
    for index in run_ids:
        run = make_run(index, seed=seed, batch=batch, namespace=namespace)
        t0 = time.perf_counter()
        ops = as_inputs(run)
        t1 = time.perf_counter()
        c1 = time.process_time()
        for op in ops:
            apply(service, tenant, op)
        result.seconds += time.perf_counter() - t1
        result.cpu_seconds += time.process_time() - c1
        result.validate_seconds += t1 - t0
        result.steps += run.steps
        result.roots.append(run.root_id)
        progress(run.steps, "in-process ingest")
    return result


def ndjson(run: Run) -> bytes:
    """The run as the bulk route takes it: one operation per line."""
    return b"\n".join(orjson.dumps({"op": op.kind, **op.body}) for op in run.ops) + b"\n"


def graphql(client: httpx.Client, url: str, query: str, variables: dict[str, Any],
            tenant: str) -> dict[str, Any]:
    resp = client.post(url, content=orjson.dumps({"query": query, "variables": variables}),
                       headers={"X-Org-Id": tenant, "Content-Type": "application/json"})
    body: dict[str, Any] = orjson.loads(resp.content)
    if resp.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL error ({resp.status_code}): {body.get('errors')}")
    data: dict[str, Any] = body["data"]
    return data


def queryable_steps(client: httpx.Client, server: measure.Server, root: str,
                    tenant: str) -> int:
    """Entries GraphQL sees in one run (the clock stops when all are there)."""
    data = graphql(client, f"{server.url}/graphql", COUNT_QUERY, {"id": root}, tenant)
    total = 0
    stack = [data["trace"]]
    while stack:
        t = stack.pop()
        if t is None:
            continue
        total += t["entryCount"]
        stack.extend(t.get("children") or [])
    return total


def run_entries(run: Run) -> int:
    """Chain entries a run stores: a start and a completion per trace, and every record."""
    entries = 0
    for op in run.ops:
        if op.kind == "record_steps":
            entries += op.steps
        elif op.kind == "record_api_calls":
            entries += len(op.body["calls"])
        else:
            entries += 1
    return entries


def ingest_bulk(server: measure.Server, tenant: str, run_ids: Sequence[int],
                progress: Progress, *, seed: int = SEED, batch: int = 500) -> Ingested:
    """One NDJSON request per run; timed until the last run is queryable over GraphQL."""
    runs = [make_run(i, seed=seed, batch=batch) for i in run_ids]
    bodies = [ndjson(r) for r in runs]
    result = Ingested(steps=sum(r.steps for r in runs), roots=[r.root_id for r in runs])
    headers = {"X-Org-Id": tenant, "Content-Type": "application/x-ndjson"}
    with httpx.Client(timeout=300) as client:
        c0 = measure.cpu_seconds(server.pid)
        t0 = time.perf_counter()
        for run, body in zip(runs, bodies, strict=True):
            resp = client.post(f"{server.url}/v1/ingest", content=body, headers=headers)
            if resp.status_code != 200:
                raise RuntimeError(f"bulk ingest failed ({resp.status_code}): {resp.text[:500]}")
            progress(run.steps, "bulk HTTP ingest")
        seen = queryable_steps(client, server, runs[-1].root_id, tenant)
        result.seconds = time.perf_counter() - t0
        result.cpu_seconds = measure.cpu_seconds(server.pid) - c0
    if seen != run_entries(runs[-1]):
        raise RuntimeError(f"bulk ingest: {seen} of {run_entries(runs[-1])} entries queryable")
    return result


def ingest_graphql(server: measure.Server, tenant: str, run_ids: Sequence[int],
                   progress: Progress, *, seed: int = SEED, batch: int = 500) -> Ingested:
    """Every operation as its GraphQL mutation, one request each, until queryable."""
    runs = [make_run(i, seed=seed, batch=batch) for i in run_ids]
    requests: list[list[tuple[bytes, int]]] = []
    for run in runs:
        reqs = []
        for op in run.ops:
            b = op.body
            variables: dict[str, Any]
            if op.kind == "start_trace":
                variables = {"input": b}
            elif op.kind == "complete_trace":
                variables = {"traceId": b["traceId"], "finalAnswer": b.get("finalAnswer")}
            else:
                variables = b
            reqs.append((orjson.dumps({"query": MUTATIONS[op.kind], "variables": variables}),
                         op.steps))
        requests.append(reqs)
    result = Ingested(steps=sum(r.steps for r in runs), roots=[r.root_id for r in runs])
    headers = {"X-Org-Id": tenant, "Content-Type": "application/json"}
    url = f"{server.url}/graphql"
    with httpx.Client(timeout=300) as client:
        c0 = measure.cpu_seconds(server.pid)
        t0 = time.perf_counter()
        for run, reqs in zip(runs, requests, strict=True):
            for content, _steps in reqs:
                resp = client.post(url, content=content, headers=headers)
                if resp.status_code != 200 or b'"errors"' in resp.content:
                    raise RuntimeError(f"GraphQL ingest failed: {resp.text[:500]}")
            progress(run.steps, "GraphQL ingest")
        seen = queryable_steps(client, server, runs[-1].root_id, tenant)
        result.seconds = time.perf_counter() - t0
        result.cpu_seconds = measure.cpu_seconds(server.pid) - c0
    if seen != run_entries(runs[-1]):
        raise RuntimeError(f"GraphQL ingest: {seen} of {run_entries(runs[-1])} entries queryable")
    return result
