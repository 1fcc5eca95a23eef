"""The benchmark suite: every figure of the performance table, measured and printed.

    tracegraph bench                                 # 10k and 100k steps, a couple of minutes
    tracegraph bench --steps 10000 --steps 100000 --steps 1000000   # and 1M (opt-in)
    tracegraph bench --backend neo4j                 # Neo4j/Dgraph rows only

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
* **verification**: ``verifySession`` entries checked per second (chain only, and against the
  Merkle log and a signed checkpoint as GraphQL answers), over every session of
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

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracegraph.api.service import TraceService
from tracegraph.api.service.audit import AuditService
from tracegraph.api.service.signing import LogSigning
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.registry import open_store

from . import measure
from .report import Figure, Report, ScaleRow
from .timed_ingest import (
    TENANT,
    Ingested,
    Progress,
    ingest_bulk,
    ingest_graphql,
    ingest_in_process,
)
from .timed_reads import Verified, fetch_run, first_lineage, reopen, verify_rate
from .workload import SEED, STEPS_PER_RUN, make_run

REPO = Path(__file__).resolve().parent.parent



def audit_rate(service: TraceService, roots: list[str], data: Path) -> Verified:
    """:func:`verify_rate` of the audit's ``verify_session``: each session's chains, their
    log records and inclusion in the tenant's log under a checkpoint signed first."""
    with tempfile.TemporaryDirectory() as keys:
        audit = AuditService(service, LogSigning.load(key_dir=Path(keys), data_dir=data,
                                                      environ={}))
        try:
            audit.create_checkpoint(TENANT)
            return verify_rate(service, TENANT, roots, verify=audit.verify_session)
        finally:
            audit.close()


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
        audited = audit_rate(service, roots, data)
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
        Figure("  same against the Merkle log and a signed checkpoint (GraphQL verifySession)",
               audited.rate, "entries/s", "", None,
               f"median of {audited.passes} passes; CPU-time rate "
               f"{audited.cpu_rate:,.0f} entries/s; first pass {audited.first_rate:,.0f}"),
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
