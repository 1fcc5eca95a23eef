"""The benchmark suite: every figure of the performance table, measured and printed.

    tracegraph bench                                 # 10k and 100k steps, a couple of minutes
    tracegraph bench --steps 10000 --steps 100000 --steps 1000000   # and 1M (opt-in)
    python -m tracegraph.bench --backend neo4j       # Neo4j/Dgraph rows only

Figures (embedded store unless the row says otherwise):

* **in-process ingest**: the whole workload (:mod:`tracegraph.bench.workload`: start,
  steps in batches, API calls, human inputs, completion) through ``TraceService``, inputs
  validated beforehand; steps per second of wall time. A second figure includes pydantic
  validation of the wire-form dicts.
* **bulk HTTP ingest**: the same runs as NDJSON, one ``POST /v1/ingest`` per run, to a
  server in its own process; the clock stops when a GraphQL query has seen the last run's
  steps (everything is queryable).
* **GraphQL ingest**: the same operations as GraphQL mutations (``recordSteps`` and
  ``recordApiCalls`` with a batch per call), one request each, until queryable.
* **fetch**: one whole 700-step nested run (root, three children, a grandchild) in one
  GraphQL query of ``trace { steps {...} children { steps {...} children {...} } }``,
  p50 and p95 over repeated fetches, and the very first fetch (a server that has not read
  the run yet decodes every entry; later fetches reuse the decoded entries while their
  stored bytes are unchanged).
* **verification**: ``verifySession`` entries checked per second, over every session of
  the first 100k steps (all of them at 10k): the median of passes repeated for a second.
* **scale**: at each store size (10k, 100k, optionally 1M steps), the ingest rate of the
  segment that reached it, the fetch of one run, bytes on disk per step, the RSS of a fresh
  process that reopens the store and answers (and the server's), and the reopen time (open
  the store and answer a first query), and the server's first lineage query with its RSS
  after it.
* **Neo4j and Dgraph**: batched ingest and fetch when their servers answer
  (``scripts/neo4j status``, ``scripts/dgraph status``); otherwise "not running". Neo4j's
  ingest is timed after ``--backend-warmup`` steps (default 7,000) ingested untimed into the
  same tenant: a freshly started Neo4j JVM spends its first tens of thousands of steps
  compiling its own code (the C2 compiler thread took 30 s of CPU over the first 35,000
  steps here, as much as the server's work itself), which is not the rate of a running
  server. The note gives this process's CPU per step.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.registry import open_store

from . import measure
from .workload import SEED, STEPS_PER_RUN, InputOp, Run, as_inputs, make_run

#: Called with (units of work done, what is running now).
Progress = Callable[[int, str], None]

TENANT = "bench"
REPO = Path(__file__).resolve().parent.parent

FETCH_QUERY = """
fragment S on Step {
  stepId stepIndex stepType content confidence modelId dependsOn
  inputTokens outputTokens hash createdAt
  alternatives { text selected }
}
fragment T on Trace { traceId agentId status goal createdAt }
query Run($id: ID!) {
  trace(traceId: $id) {
    ...T steps { ...S }
    children {
      ...T steps { ...S }
      children { ...T steps { ...S } children { ...T steps { ...S } } }
    }
  }
}
"""

LINEAGE_QUERY = """
query Lineage($id: ID!) {
  lineage(nodeId: $id, direction: BOTH, maxDepth: 3) { nodes { depth } }
}
"""

COUNT_QUERY = """
query Count($id: ID!) {
  trace(traceId: $id) {
    entryCount
    children { entryCount children { entryCount } }
  }
}
"""

MUTATIONS = {
    "start_trace": "mutation($input: StartTraceInput!) { startTrace(input: $input) { traceId } }",
    "record_steps": "mutation($traceId: ID!, $steps: [StepInput!]!) "
                    "{ recordSteps(traceId: $traceId, steps: $steps) { stepId } }",
    "record_api_calls": "mutation($traceId: ID!, $calls: [ApiCallInput!]!) "
                        "{ recordApiCalls(traceId: $traceId, calls: $calls) { callId } }",
    "record_human_input": "mutation($traceId: ID!, $input: HumanInputInput!) "
                          "{ recordHumanInput(traceId: $traceId, input: $input) { inputId } }",
    "complete_trace": "mutation($traceId: ID!, $finalAnswer: String) { completeTrace("
                      "traceId: $traceId, outcome: SUCCESS, finalAnswer: $finalAnswer) "
                      "{ status } }",
}


# -- results ----------------------------------------------------------------------------------

@dataclass
class Figure:
    """One row of the main table."""

    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    def shown(self) -> str:
        if self.value is None:
            return self.note or "-"
        if self.unit in {"ms", "s"}:
            return f"{self.value:,.1f} {self.unit}"
        return f"{self.value:,.0f} {self.unit}"


@dataclass
class ScaleRow:
    steps: int
    ingest_steps_s: float
    us_per_step: float
    cpu_us_per_step: float
    fetch_p50_ms: float
    fetch_p95_ms: float
    fetch_cpu_ms: float
    disk_bytes_per_step: float
    reopen_s: float
    reopen_rss_mb: float
    server_rss_mb: float
    bench_rss_mb: float
    #: The first fetch of the run (its entries not yet decoded by the server).
    fetch_first_ms: float = 0.0
    #: The server's first lineage query (BOTH, depth 3, of a step): its time, and the
    #: server's RSS after it (walks read the edges table; no graph is kept in memory).
    lineage_first_s: float = 0.0
    graph_rss_mb: float = 0.0


@dataclass
class Report:
    machine: measure.Machine
    command: str
    figures: list[Figure] = field(default_factory=list)
    scale: list[ScaleRow] = field(default_factory=list)
    backends: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        out = [f"tracegraph benchmark: workload seed {SEED}, runs of {STEPS_PER_RUN} steps "
               "in 5 nested traces",
               f"machine: {self.machine.line()}",
               f"command: {self.command}", ""]
        w = max(len(f.name) for f in [*self.figures, *self.backends]) if self.figures else 30
        out.append(f"{'measure':<{w}}  {'result':>18}  {'target':>20}  met  note")
        for f in [*self.figures, *self.backends]:
            met = "" if f.met is None else ("yes" if f.met else "NO")
            note = f.note if f.value is not None else ""
            out.append(f"{f.name:<{w}}  {f.shown():>18}  {f.target:>20}  {met:<3}  {note}"
                       .rstrip())
        if self.scale:
            out += ["", "scale (embedded store, one store grown to each size; ingest figures are "
                    "of the segment that reached it; CPU columns are this process's and the "
                    "server's CPU time, which other work on the machine disturbs less than wall "
                    "time):",
                    f"{'steps':>9}  {'ingest steps/s':>14}  {'us/step':>7}  {'CPU us/step':>11}  "
                    f"{'fetch p50':>9}  {'fetch p95':>9}  {'fetch CPU':>9}  {'1st fetch':>9}  "
                    f"{'disk B/step':>11}  "
                    f"{'reopen':>7}  {'reopen RSS':>10}  {'server RSS':>10}  {'bench RSS':>9}  "
                    f"{'1st lineage':>11}  {'RSS after':>12}"]
            for r in self.scale:
                out.append(
                    f"{r.steps:>9,}  {r.ingest_steps_s:>14,.0f}  {r.us_per_step:>7.1f}  "
                    f"{r.cpu_us_per_step:>11.1f}  {r.fetch_p50_ms:>6.1f} ms  "
                    f"{r.fetch_p95_ms:>6.1f} ms  {r.fetch_cpu_ms:>6.1f} ms  "
                    f"{r.fetch_first_ms:>6.1f} ms  "
                    f"{r.disk_bytes_per_step:>11,.0f}  {r.reopen_s:>5.2f} s  "
                    f"{r.reopen_rss_mb:>7,.0f} MB  {r.server_rss_mb:>7,.0f} MB  "
                    f"{r.bench_rss_mb:>6,.0f} MB  {1000 * r.lineage_first_s:>8.1f} ms  "
                    f"{r.graph_rss_mb:>9,.0f} MB")
        if self.notes:
            out += ["", *self.notes]
        return "\n".join(out)


# -- ingest -----------------------------------------------------------------------------------

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


# -- reads ------------------------------------------------------------------------------------

@dataclass
class Fetched:
    p50_ms: float
    p95_ms: float
    rounds: int
    steps: int
    #: Server CPU per fetch (less disturbed by other work on the machine than wall time).
    server_cpu_ms: float = 0.0
    #: The very first fetch of the run by a server that has not read it yet: its entries are
    #: decoded from their stored bytes (later fetches reuse them while the bytes are the same).
    first_ms: float = 0.0


def fetch_run(server: measure.Server, tenant: str, root: str, rounds: int,
              progress: Progress | None = None) -> Fetched:
    """Fetch one whole nested run over GraphQL ``rounds`` times (after two warm-ups)."""
    body = orjson.dumps({"query": FETCH_QUERY, "variables": {"id": root}})
    headers = {"X-Org-Id": tenant, "Content-Type": "application/json"}
    times: list[float] = []
    steps = 0
    cpu = 0.0
    first = 0.0
    with httpx.Client(timeout=120) as client:
        # the server's first request pays one-time costs (parsing and planning the document):
        # an unknown id pays them without reading the run, so the first fetch below is the
        # cost of the run's entries read for the first time
        client.post(f"{server.url}/graphql", headers=headers, content=orjson.dumps(
            {"query": FETCH_QUERY, "variables": {"id": f"{root}-not-stored"}}))
        for i in range(rounds + 2):
            if i == 2:
                cpu = measure.cpu_seconds(server.pid)
            t0 = time.perf_counter()
            resp = client.post(f"{server.url}/graphql", content=body, headers=headers)
            took = time.perf_counter() - t0
            data = orjson.loads(resp.content)
            if resp.status_code != 200 or data.get("errors"):
                raise RuntimeError(f"fetch failed: {data.get('errors')}")
            if i < 2:
                steps = _count_steps(data["data"]["trace"])
                first = first or took
                continue
            times.append(took)
            if progress is not None:
                progress(0, "fetch a run over GraphQL")
        cpu = measure.cpu_seconds(server.pid) - cpu
    return Fetched(measure.percentile(times, 0.5) * 1000, measure.percentile(times, 0.95) * 1000,
                   rounds, steps, 1000 * cpu / rounds, first * 1000)


def first_lineage(server: measure.Server, tenant: str, node_id: str) -> tuple[float, int]:
    """Time of the server's first lineage query (a walk of the edges table) and the server's
    RSS afterwards."""
    with httpx.Client(timeout=600) as client:
        t0 = time.perf_counter()
        data = graphql(client, f"{server.url}/graphql", LINEAGE_QUERY, {"id": node_id}, tenant)
        took = time.perf_counter() - t0
    if not data["lineage"]["nodes"]:
        raise RuntimeError(f"lineage of {node_id} is empty")
    return took, measure.rss_bytes(server.pid)


def _count_steps(trace: dict[str, Any]) -> int:
    return len(trace["steps"]) + sum(_count_steps(c) for c in trace.get("children") or [])


@dataclass
class Verified:
    """``verify_session`` over a set of sessions, repeated: entries per second."""

    rate: float  # median pass, wall time
    checked: int  # entries one pass checks
    cpu_rate: float  # all passes, CPU time of this process and the store's verify helper
    first_rate: float  # the first pass, wall time
    passes: int


def _helper_cpu(service: TraceService) -> float:
    """CPU seconds of the store's verify helper process so far (0 without one)."""
    return float(getattr(service.store, "helper_cpu_seconds", 0.0))


def verify_rate(service: TraceService, tenant: str, roots: Sequence[str],
                min_seconds: float = 1.0) -> Verified:
    """Entries per second of ``verify_session`` over the sessions of ``roots``.

    Each pass verifies every chain of every session whole; passes repeat until
    ``min_seconds`` have gone by (at least three), and the rate is the median pass's. One
    pass over the 10k-step store takes well under 0.1 s, so a single one is mostly noise
    on a shared machine; the first pass's rate is reported beside it. The CPU-time rate
    counts the embedded store's verify helper process too (it takes part of each session).
    """
    sessions = []
    for root in roots:
        view = service.get_trace(tenant, root)
        if view is not None:
            sessions.append(view.session_id)
    rates: list[float] = []
    cpu = 0.0
    checked = 0
    start = time.perf_counter()
    while len(rates) < 3 or time.perf_counter() - start < min_seconds:
        checked = 0
        t0, c0, h0 = time.perf_counter(), time.process_time(), _helper_cpu(service)
        for s in sessions:
            v = service.verify_session(tenant, s)
            if not v.valid:
                raise RuntimeError(f"session {s} does not verify: {v.reason}")
            checked += v.entries_checked
        cpu += time.process_time() - c0 + _helper_cpu(service) - h0
        rates.append(checked / (time.perf_counter() - t0))
    return Verified(statistics.median(rates), checked, checked * len(rates) / cpu, rates[0],
                    len(rates))


REOPEN_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from tracegraph.api.service import TraceService
from tracegraph.graph.registry import open_store
t1 = time.perf_counter()
store = open_store("embedded", data_dir=sys.argv[1])
service = TraceService(store)
trace = service.get_trace(sys.argv[2], sys.argv[3])
steps = service.steps(sys.argv[2], [sys.argv[3]])
t2 = time.perf_counter()
assert trace is not None and steps[sys.argv[3]]
# VmHWM, not ru_maxrss: Linux carries a parent's ru_maxrss over fork and exec
hwm = [int(line.split()[1]) * 1024 for line in open("/proc/self/status")
       if line.startswith("VmHWM:")]
print(json.dumps({"import_s": t1 - t0, "reopen_s": t2 - t1, "rss": hwm[0]}))
"""


def reopen(data_dir: Path, tenant: str, root: str) -> dict[str, float]:
    """A fresh process opens the store and answers a first query: time and peak RSS."""
    out = subprocess.run([sys.executable, "-c", REOPEN_PROBE, str(data_dir), tenant, root],
                         capture_output=True, text=True, check=True, timeout=600)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- backends -------------------------------------------------------------------------------

def backend_running(name: str) -> bool:
    script = REPO / "scripts" / name
    if not script.exists():
        return False
    done = subprocess.run([str(script), "status"], capture_output=True, check=False, timeout=60)
    return done.returncode == 0


def backend_rows(name: str, options: dict[str, Any], steps: int, rounds: int,
                 progress: Progress, seed: int, batch: int, warmup: int = 0) -> list[Figure]:
    """Ingest and fetch on Neo4j or Dgraph, or one "not running" row.

    ``warmup`` steps (whole runs) are ingested first, untimed, into the same tenant.
    """
    label = {"neo4j": "Neo4j", "dgraph": "Dgraph"}[name]
    if not backend_running(name):
        return [Figure(f"{label}: batched ingest", None, "", ">= 5,000 steps/s", None,
                       "not running")]
    store: GraphStore = open_store(name, **options)
    tenant = f"bench{int(time.time())}"
    try:
        service = TraceService(store)
        n_runs = max(1, steps // STEPS_PER_RUN)
        warm = warmup // STEPS_PER_RUN
        if warm:
            ingest_in_process(service, tenant, range(warm), progress, seed=seed, batch=batch,
                              namespace=tenant)
        got = ingest_in_process(service, tenant, range(warm, warm + n_runs), progress,
                                seed=seed, batch=batch, namespace=tenant)
    finally:
        store.close()
    server = measure.Server(name, options)
    try:
        fetched = fetch_run(server, tenant, got.roots[-1], rounds)
    finally:
        server.stop()
    return [
        Figure(f"{label}: batched ingest ({got.steps:,} steps"
               + (f" after {warm * STEPS_PER_RUN:,} untimed)" if warm else ")"),
               got.rate, "steps/s", ">= 5,000 steps/s", got.rate >= 5000,
               f"client CPU {got.cpu_seconds / got.steps * 1e6:,.0f} us/step"),
        Figure(f"{label}: fetch 700-step run p50", fetched.p50_ms, "ms"),
        Figure(f"{label}: fetch 700-step run p95", fetched.p95_ms, "ms"),
    ]


# -- the whole suite -------------------------------------------------------------------------

@dataclass
class Options:
    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    http_steps: int = 21_000
    fetch_rounds: int = 50
    batch: int = 500
    seed: int = SEED
    data_dir: str | None = None
    backends: list[str] = field(default_factory=lambda: ["embedded", "neo4j", "dgraph"])
    backend_steps: int = 7_000
    #: Neo4j: steps ingested untimed before its ingest is timed (JIT warm-up).
    backend_warmup: int = 7_000
    neo4j_uri: str | None = None
    dgraph_addr: str | None = None
    command: str = "tracegraph bench"

    def work_units(self) -> int:
        """Steps the suite ingests in all, for a progress bar."""
        units = 0
        if "embedded" in self.backends:
            units += _runs_for(max(self.sizes)) * STEPS_PER_RUN
            units += 2 * _runs_for(self.http_steps) * STEPS_PER_RUN
        for b in ("neo4j", "dgraph"):
            if b in self.backends:
                units += max(1, self.backend_steps // STEPS_PER_RUN) * STEPS_PER_RUN
        if "neo4j" in self.backends:
            units += self.backend_warmup // STEPS_PER_RUN * STEPS_PER_RUN
        return units


def _runs_for(steps: int) -> int:
    return max(1, -(-steps // STEPS_PER_RUN))


def run_suite(opts: Options, progress: Progress) -> Report:
    report = Report(measure.machine(), opts.command)
    if "embedded" in opts.backends:
        _embedded(opts, report, progress)
    for name in ("neo4j", "dgraph"):
        if name not in opts.backends:
            continue
        options: dict[str, Any] = {}
        if name == "neo4j" and opts.neo4j_uri:
            options["uri"] = opts.neo4j_uri
        if name == "dgraph" and opts.dgraph_addr:
            options["addr"] = opts.dgraph_addr
        try:
            report.backends += backend_rows(
                name, options, opts.backend_steps, min(opts.fetch_rounds, 20), progress,
                opts.seed, opts.batch, opts.backend_warmup if name == "neo4j" else 0)
        except Exception as exc:  # a backend failing must not hide the other figures
            report.backends.append(Figure(f"{name}: batched ingest", None, "", "", False,
                                          f"failed: {type(exc).__name__}: {exc}"[:120]))
    report.notes.append(f"load average at the end: {measure.load_average()}")
    return report


def _embedded(opts: Options, report: Report, progress: Progress) -> None:
    sizes = sorted(set(opts.sizes))
    # 1. one store grown to each size: ingest, fetch, disk, reopen, RSS
    data = measure.scratch_dir(opts.data_dir, "tracegraph-bench-scale")
    store = open_store("embedded", data_dir=data)
    service = TraceService(store)
    server = measure.Server("embedded", {"data_dir": data})
    done_runs = 0
    first: Ingested | None = None
    try:
        for size in sizes:
            target_runs = _runs_for(size)
            got = ingest_in_process(service, TENANT, range(done_runs, target_runs), progress,
                                    seed=opts.seed, batch=opts.batch)
            if first is None:
                first = got
            done_runs = target_runs
            fetched = fetch_run(server, TENANT, got.roots[-1] if got.roots else
                                make_run(done_runs - 1, seed=opts.seed).root_id,
                                opts.fetch_rounds)
            server_rss = measure.rss_bytes(server.pid)
            a_step = f"{make_run(done_runs - 1, seed=opts.seed).root_id}-5"
            lineage_s, graph_rss = first_lineage(server, TENANT, a_step)
            server.stop()  # a fresh server for the next size
            measure.checkpoint(data)
            steps = done_runs * STEPS_PER_RUN
            probe = reopen(data, TENANT, make_run(0, seed=opts.seed).root_id)
            server = measure.Server("embedded", {"data_dir": data})
            report.scale.append(ScaleRow(
                steps=steps, ingest_steps_s=got.rate,
                us_per_step=1e6 * got.seconds / max(got.steps, 1),
                cpu_us_per_step=1e6 * got.cpu_seconds / max(got.steps, 1),
                fetch_p50_ms=fetched.p50_ms, fetch_p95_ms=fetched.p95_ms,
                fetch_cpu_ms=fetched.server_cpu_ms, fetch_first_ms=fetched.first_ms,
                disk_bytes_per_step=measure.disk_bytes(data) / steps,
                reopen_s=probe["reopen_s"], reopen_rss_mb=probe["rss"] / 2**20,
                server_rss_mb=server_rss / 2**20,
                bench_rss_mb=measure.peak_rss_bytes() / 2**20,
                lineage_first_s=lineage_s, graph_rss_mb=graph_rss / 2**20))
        # verification over (up to) the first 100k steps' sessions
        roots = [make_run(i, seed=opts.seed).root_id
                 for i in range(min(done_runs, _runs_for(100_000)))]
        verified = verify_rate(service, TENANT, roots)
    finally:
        server.stop()
        store.close()
    assert first is not None
    largest = report.scale[-1]
    mid = next((r for r in report.scale if r.steps >= 100_000), largest)
    report.figures += [
        Figure(f"in-process ingest (TraceService; first {first.steps:,} steps)", first.rate,
               "steps/s", ">= 50,000 steps/s", first.rate >= 50_000,
               f"CPU-time rate {first.steps / first.cpu_seconds:,.0f} steps/s"),
        Figure("  same, with pydantic validation of the dicts",
               first.steps / (first.seconds + first.validate_seconds), "steps/s"),
    ]
    # 2. HTTP ingest into fresh stores, each with its own server
    for kind, fn, target in (("bulk", ingest_bulk, 25_000), ("graphql", ingest_graphql, 10_000)):
        d = measure.scratch_dir(opts.data_dir, f"tracegraph-bench-{kind}")
        srv = measure.Server("embedded", {"data_dir": d})
        try:
            got = fn(srv, TENANT, range(_runs_for(opts.http_steps)), progress,
                     seed=opts.seed, batch=opts.batch)
        finally:
            srv.stop()
        name = ("bulk NDJSON POST /v1/ingest, until queryable" if kind == "bulk"
                else "GraphQL recordSteps (batch), until queryable")
        report.figures.append(Figure(
            f"{name}", got.rate, "steps/s", f">= {target:,} steps/s", got.rate >= target,
            f"server CPU {1e6 * got.cpu_seconds / got.steps:.0f} us/step "
            f"(CPU-time rate {got.steps / got.cpu_seconds:,.0f} steps/s)"))
        report.notes.append(f"{kind}: {got.steps:,} steps in {got.seconds:.2f} s; server CPU "
                            f"{1e6 * got.cpu_seconds / got.steps:.1f} us per step")
    report.figures += [
        Figure(f"fetch a 700-step nested run over GraphQL, p50 ({mid.steps:,}-step store)",
               mid.fetch_p50_ms, "ms", "<= 20 ms", mid.fetch_p50_ms <= 20,
               f"server CPU {mid.fetch_cpu_ms:.1f} ms per fetch"),
        Figure("  p95", mid.fetch_p95_ms, "ms"),
        Figure("  first fetch (the server decodes every entry; later fetches reuse them)",
               mid.fetch_first_ms, "ms"),
        Figure(f"verification (verifySession; {verified.checked:,} entries)", verified.rate,
               "entries/s", ">= 300,000 entries/s", verified.rate >= 300_000,
               f"median of {verified.passes} passes; CPU-time rate "
               f"{verified.cpu_rate:,.0f} entries/s; first pass {verified.first_rate:,.0f}"),
    ]
    for r in report.scale:
        if r.steps >= 100_000:
            big = r.steps >= 1_000_000
            report.figures += [
                Figure(f"RSS at {r.steps:,} steps: server after fetches", r.server_rss_mb,
                       "MB", "<= 1,536 MB" if big else "", r.server_rss_mb <= 1536 if big else None,
                       f"reopened + first query {r.reopen_rss_mb:,.0f} MB; ingesting process "
                       f"{r.bench_rss_mb:,.0f} MB"),
                Figure(f"  same, after a first lineage query ({1000 * r.lineage_first_s:.1f} ms)",
                       r.graph_rss_mb, "MB",
                       "<= 1,536 MB" if big else "", r.graph_rss_mb <= 1536 if big else None),
                Figure(f"bytes on disk per step at {r.steps:,} steps", r.disk_bytes_per_step,
                       "B"),
                Figure(f"reopen at {r.steps:,} steps (open + first query)", r.reopen_s, "s",
                       "<= 10 s" if r.steps >= 1_000_000 else "",
                       r.reopen_s <= 10 if r.steps >= 1_000_000 else None),
            ]


# -- command line ---------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, action="append", default=None,
                        help="store sizes to grow to (repeat; default 10000 and 100000)")
    parser.add_argument("--http-steps", type=int, default=Options.http_steps)
    parser.add_argument("--fetch-rounds", type=int, default=Options.fetch_rounds)
    parser.add_argument("--batch", type=int, default=Options.batch)
    parser.add_argument("--backend", action="append", default=None,
                        choices=["embedded", "neo4j", "dgraph"],
                        help="backends to measure (repeat; default all three)")
    parser.add_argument("--backend-steps", type=int, default=Options.backend_steps)
    parser.add_argument("--backend-warmup", type=int, default=Options.backend_warmup,
                        help="Neo4j: steps ingested untimed first (JIT warm-up; 0: none)")
    parser.add_argument("--data-dir", default=None, help="parent folder for the stores")
    parser.add_argument("--neo4j-uri", default=None)
    parser.add_argument("--dgraph-addr", default=None)
    parser.add_argument("--json", default=None, help="also write the report as JSON here")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="tracegraph benchmark suite")
    add_arguments(parser)
    args = parser.parse_args(argv)
    opts = Options(
        sizes=args.steps or [10_000, 100_000], http_steps=args.http_steps,
        fetch_rounds=args.fetch_rounds, batch=args.batch, data_dir=args.data_dir,
        backends=args.backend or ["embedded", "neo4j", "dgraph"],
        backend_steps=args.backend_steps, backend_warmup=args.backend_warmup,
        neo4j_uri=args.neo4j_uri,
        dgraph_addr=args.dgraph_addr,
        command="python -m tracegraph.bench " + " ".join(argv if argv is not None
                                                          else sys.argv[1:]))
    total = opts.work_units()
    done = [0, time.monotonic()]

    def progress(units: int, label: str) -> None:
        done[0] += units
        if time.monotonic() - done[1] > 2:
            done[1] = time.monotonic()
            print(f"  {label}: {100 * done[0] / total:.0f}%", file=sys.stderr, flush=True)

    report = run_suite(opts, progress)
    print(report.table())
    if args.json:
        write_json(report, Path(args.json))


def write_json(report: Report, path: Path) -> None:
    path.write_bytes(orjson.dumps({
        "machine": report.machine.__dict__, "command": report.command,
        "figures": [f.__dict__ for f in report.figures],
        "backends": [f.__dict__ for f in report.backends],
        "scale": [r.__dict__ for r in report.scale], "notes": report.notes,
    }, option=orjson.OPT_INDENT_2))
