"""Reads of the benchmark, timed: a whole run fetched over GraphQL, the first lineage walk,
session verification, and a reopened store's first answer."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from tracegraph.api.service import TraceService
from tracegraph.schema.views import ChainVerification

from . import measure
from .queries import FETCH_QUERY, LINEAGE_QUERY
from .timed_ingest import Progress, graphql


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
                min_seconds: float = 1.0,
                verify: Callable[[str, str], ChainVerification] | None = None) -> Verified:
    """Entries per second of ``verify_session`` over the sessions of ``roots``.

    ``verify`` (tenant, session id) is the verification timed: the service's chain-only
    ``verify_session`` by default, or the audit's (every chain against the Merkle log and a
    signed checkpoint, what GraphQL ``verifySession`` answers).

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
    check = verify or service.verify_session
    rates: list[float] = []
    cpu = 0.0
    checked = 0
    start = time.perf_counter()
    while len(rates) < 3 or time.perf_counter() - start < min_seconds:
        checked = 0
        t0, c0, h0 = time.perf_counter(), time.process_time(), _helper_cpu(service)
        for s in sessions:
            v = check(tenant, s)
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
