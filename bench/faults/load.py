"""A mixed load on loopback: bulk ingest and GraphQL queries at fixed rates for a while.

    python -m tracegraph.bench.faults.load [--seconds 600] [--backend embedded]
        [--runs-per-s 0.5] [--queries-per-s 10]

``tracegraph serve`` runs in its own process. One client thread sends a benchmark run
(:mod:`tracegraph.bench.workload`, 700 steps in five traces) as one ``POST /v1/ingest``
every ``1 / runs-per-s`` seconds; query threads send, at ``queries-per-s`` in all, a mix of
``trace`` (with its steps), ``session`` replay, ``verifyTrace``, ``traces`` (first page)
and ``lineage`` over runs already stored. Prints p50 and p99 latency and errors per
operation, and the server's RSS sampled every 5 s (first and last minute, max).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import click
import httpx
import orjson

from ..measure import percentile
from ..workload import make_run
from .harness import Serve, figures, graphql

QUERIES = {
    "trace": "query ($t: ID!) { trace(traceId: $t) { traceId entryCount steps { stepId hash } } }",
    "session": "query ($s: ID!) { session(sessionId: $s) { traces { traceId steps { seq } } } }",
    "verifyTrace": "query ($t: ID!) { verifyTrace(traceId: $t) { valid entriesChecked } }",
    "traces": "query { traces(first: 20) { edges { node { traceId status } } } }",
}


def rss_parts(pid: int) -> tuple[int, int]:
    """Anonymous and file-backed resident bytes of a process (``RssAnon``, ``RssFile``):
    the store's memory-mapped database pages are file-backed (shared, given back under
    pressure) and grow with the database; the anonymous part is the process's own heap."""
    parts = {"RssAnon:": 0, "RssFile:": 0}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(maxsplit=1)[0]
            if key in parts:
                parts[key] = int(line.split()[1]) * 1024
    return parts["RssAnon:"], parts["RssFile:"]


class Recorder:
    """Latencies and errors per operation (thread safe)."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def timed(self, op: str, call: object) -> bool:
        t0 = time.perf_counter()
        try:
            assert callable(call)
            call()
            ok = True
        except Exception:  # an error is a figure here, counted per operation
            ok = False
        with self.lock:
            self.latency[op].append(time.perf_counter() - t0)
            if not ok:
                self.errors[op] += 1
        return ok


def ingest_loop(url: str, rate: float, stop: threading.Event, rec: Recorder,
                stored: list[int]) -> None:
    with httpx.Client(timeout=120) as client:
        k = 0
        next_at = time.monotonic()
        while not stop.is_set():
            run = make_run(k, namespace="load")
            body = b"\n".join(orjson.dumps({"op": op.kind, **op.body}) for op in run.ops)

            def send(body: bytes = body) -> None:
                resp = client.post(f"{url}/v1/ingest", content=body,
                                   headers={"content-type": "application/x-ndjson"})
                if resp.status_code != 200:
                    raise RuntimeError(f"{resp.status_code}: {resp.text[:300]}")

            if rec.timed("ingest run (700 steps)", send):
                stored.append(k)
            k += 1
            next_at += 1 / rate
            stop.wait(max(0.0, next_at - time.monotonic()))


def query_loop(url: str, rate: float, stop: threading.Event, rec: Recorder,
               stored: list[int], seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=120) as client:
        next_at = time.monotonic()
        while not stop.is_set():
            if stored:
                k = rng.choice(stored)
                prefix = f"load-r{k}"
                name = rng.choice(sorted(QUERIES))
                trace = f"{prefix}-{rng.choice(('root', 'w0', 'w1', 'w2', 'critic'))}"
                rec.timed(name, lambda name=name, trace=trace, prefix=prefix: graphql(
                    client, url, QUERIES[name], {"t": trace, "s": f"{prefix}-session"}
                    if name != "traces" else {}, "default"))
            next_at += 1 / rate
            stop.wait(max(0.0, next_at - time.monotonic()))


def run(seconds: float, backend: str, runs_per_s: float, queries_per_s: float,
        data_dir: Path, query_threads: int = 2) -> list[tuple[str, object]]:
    server = Serve(backend, data_dir)
    server.wait_ready()
    rec = Recorder()
    stored: list[int] = []
    stop = threading.Event()
    threads = [threading.Thread(target=ingest_loop, args=(server.url, runs_per_s, stop, rec,
                                                          stored))]
    threads += [threading.Thread(target=query_loop, args=(
        server.url, queries_per_s / query_threads, stop, rec, stored, n))
        for n in range(query_threads)]
    rss: list[tuple[float, int, int]] = []
    loads: list[float] = []
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        while time.monotonic() - t0 < seconds:
            rss.append((time.monotonic() - t0, *rss_parts(server.proc.pid)))
            loads.append(os.getloadavg()[0])
            time.sleep(min(5.0, max(0.1, seconds - (time.monotonic() - t0))))
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.stop()
    elapsed = time.monotonic() - t0
    rows: list[tuple[str, object]] = [
        ("backend, duration", f"{backend}, {elapsed:.0f} s"),
        ("target rates", f"{runs_per_s:g} runs/s ({runs_per_s * 700:.0f} steps/s), "
                         f"{queries_per_s:g} queries/s"),
    ]
    total = errors = 0
    for op in sorted(rec.latency):
        lat = rec.latency[op]
        total += len(lat)
        errors += rec.errors[op]
        rows.append((f"{op}: n, p50, p99, errors",
                     f"{len(lat)}, {percentile(lat, 0.5) * 1000:.1f} ms, "
                     f"{percentile(lat, 0.99) * 1000:.1f} ms, {rec.errors[op]}"))
    rows.append(("error rate", f"{errors}/{total}"))
    mib = 2**20
    for part, name in ((1, "anonymous"), (2, "file-backed (mapped database)")):
        per_minute = [statistics.median(s[part] for s in rss if m * 60 <= s[0] < m * 60 + 60)
                      / mib for m in range(int(elapsed // 60) or 1)
                      if any(m * 60 <= s[0] < m * 60 + 60 for s in rss)]
        rows.append((f"server RSS {name}, MiB: median of each minute",
                     ", ".join(f"{v:.0f}" for v in per_minute)))
    rows.append(("load average during the run, mean / max",
                 f"{statistics.mean(loads):.1f} / {max(loads):.1f}"))
    return rows


@click.command(help=(__doc__ or "").split("\n")[0])
@click.option("--seconds", type=click.FloatRange(min=1), default=600, show_default=True,
              help="How long the load runs.")
@click.option("--backend", type=click.Choice(("embedded", "neo4j", "dgraph")),
              default="embedded", show_default=True, help="Storage backend of the server.")
@click.option("--runs-per-s", type=click.FloatRange(min=0, min_open=True), default=0.5,
              show_default=True, help="Benchmark runs (700 steps, one bulk request) per second.")
@click.option("--queries-per-s", type=click.FloatRange(min=0, min_open=True), default=10,
              show_default=True, help="GraphQL queries per second.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data directory of the store [default: a new temporary one].")
def main(seconds: float, backend: str, runs_per_s: float, queries_per_s: float,
         data_dir: Path | None) -> None:
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="tg-load-")) / "store"
    rows = run(seconds, backend, runs_per_s, queries_per_s, data_dir)
    click.echo(figures("load: mixed bulk ingest and GraphQL queries on loopback", rows))
    sys.exit(0 if str(dict(rows).get("error rate", "")).startswith("0/") else 1)


if __name__ == "__main__":
    main()
