"""SDK figures: what a write costs the agent's thread, and steps/s through each transport.

    python -m tracegraph.bench.sdk [--steps 20000] [--traces 10] [--data-dir DIR]

- **enqueue cost**: ``t.step(...)`` timed call by call while the worker is held back (its
  send waits on a gate), so each call is only the agent's share: validate the step, choose
  its id and time, queue it. The thread's CPU time per call (median of the rounds), the wall
  clock mean of the best round, and p50 and p99 of every call (a loaded machine inflates
  the wall clock figures), in microseconds; the target is 20 us. Measured twice: in rounds
  of one batch (``DEFAULT_BATCH`` queued at most: a worker that keeps up never leaves more
  behind), and with the queue filling to its bound (``DEFAULT_QUEUE``: the store is down or
  slower than the agent). The second costs more because the process's garbage collector
  walks every queued record on each full collection: the host's collector, which a library
  leaves alone (docs/sdk.md).
- **throughput**: ``--traces`` traces of ``--steps / --traces`` steps each written as fast as
  possible, from the first write until :meth:`Client.flush` returns (everything stored),
  through the in-process transport (embedded store) and through HTTP (bulk ingest with an
  API key) to a ``tracegraph serve`` subprocess; with the agent's CPU and wall clock time
  per write meanwhile (the worker then competes with it for the interpreter lock: the wall
  clock includes the waits for it).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from tracegraph.sdk import Client
from tracegraph.sdk.batcher import DEFAULT_BATCH, DEFAULT_QUEUE
from tracegraph.sdk.ops import Line
from tracegraph.sdk.transport import Transport

from .measure import free_port

CONTENT = ("The revenue data shows a clear upward trend in Q4, driven primarily by enterprise "
           "customers renewing early; SMB is flat. Next: check the pipeline for Q1.")
INPUT = {"query": "SELECT segment, SUM(revenue) FROM orders GROUP BY 1", "rows": 3}


class GatedTransport:
    """A transport whose sends wait until :attr:`gate` is set (holds the worker back)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.tenant_id = inner.tenant_id
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def send(self, lines: Sequence[Line]) -> list[Any]:
        self.waiting.set()
        self.gate.wait()
        return self.inner.send(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def write_step(trace: Any, i: int) -> None:
    trace.step("Reasoning", CONTENT, input_data=INPUT, confidence=0.9, model_id="gpt-4o",
               input_tokens=420, output_tokens=96)


def enqueue_cost(data_dir: Path, steps: int, per_round: int) -> dict[str, float]:
    """Microseconds per ``step()`` call on the agent's thread with the worker held back, in
    rounds of ``per_round`` calls (the queue drained between them): the thread's CPU time
    (median round) and the wall clock mean of the best round, p50 and p99 of every call."""
    inner = Client.local(data_dir)
    gated = GatedTransport(inner.transport)
    client = Client(gated, max_queue=per_round + 10)
    trace = client.trace(goal="enqueue cost")
    took: list[float] = []
    cpu: list[float] = []
    means: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(max(steps // per_round, 3)):
        gated.gate.clear()
        gated.waiting.clear()
        write_step(trace, 0)
        gated.waiting.wait(10)  # the worker holds that step, waiting at the gate
        started_cpu, started = time.thread_time(), clock()
        for i in range(per_round):
            start = clock()
            write_step(trace, i)
            took.append((clock() - start) / 1000)
        means.append((clock() - started) / 1000 / per_round)
        cpu.append((time.thread_time() - started_cpu) / per_round * 1e6)
        gated.gate.set()
        client.flush()
    client.close()
    inner.close()
    took.sort()
    return {"cpu": statistics.median(cpu), "mean": min(means), "p50": took[len(took) // 2],
            "p99": took[int(len(took) * 0.99)]}


def throughput(client: Client, steps: int, traces: int) -> dict[str, float]:
    """Steps/s from the first write until everything is stored, and the agent's mean
    microseconds per write meanwhile."""
    per_trace = steps // traces
    started, cpu = time.perf_counter(), time.thread_time()
    for n in range(traces):
        with client.trace(goal=f"throughput {n}", agent_id="bench") as t:
            for i in range(per_trace):
                write_step(t, i)
    written, cpu = time.perf_counter(), time.thread_time() - cpu
    assert client.flush(600), "flush timed out"
    done = time.perf_counter()
    stats = client.stats
    assert stats.dropped == 0, stats
    writes = per_trace * traces + 2 * traces
    return {"steps_per_s": per_trace * traces / (done - started),
            "write_us": (written - started) / writes * 1e6, "write_cpu_us": cpu / writes * 1e6,
            "requests": stats.requests}


def serve_with_key(data_dir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """``tracegraph serve`` over ``data_dir`` with a new API key: (process, url, key)."""
    script = shutil.which("tracegraph", path=str(Path(sys.executable).parent)) or "tracegraph"
    key = subprocess.run([script, "keys", "create", "--tenant", "bench", "--data-dir",
                          str(data_dir)], check=True, capture_output=True, text=True
                         ).stdout.splitlines()[0].strip()
    port = free_port()
    proc = subprocess.Popen([script, "serve", "--port", str(port), "--data-dir", str(data_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url, key
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("tracegraph serve did not start")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--traces", type=int, default=10)
    parser.add_argument("--data-dir", default=None, help="Parent folder of the stores "
                        "[default: a temporary folder].")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="tg-bench-sdk-", dir=args.data_dir))
    try:
        cost = enqueue_cost(base / "enqueue", args.steps, DEFAULT_BATCH)
        piled = enqueue_cost(base / "enqueue-full", max(args.steps, 3 * DEFAULT_QUEUE),
                             DEFAULT_QUEUE)
        with Client.local(base / "in-process") as client:
            local = throughput(client, args.steps, args.traces)
        proc, url, key = serve_with_key(base / "server")
        try:
            with Client.http(url, api_key=key) as client:
                remote = throughput(client, args.steps, args.traces)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"tracegraph SDK, {args.steps} steps in {args.traces} traces "
          f"(python -m tracegraph.bench.sdk --steps {args.steps} --traces {args.traces})")
    for name, fig in ((f"up to one batch queued ({DEFAULT_BATCH:,})", cost),
                      (f"queue filling to its bound ({DEFAULT_QUEUE:,}: store down)", piled)):
        print(f"  enqueue cost per step, worker held back, {name}: CPU {fig['cpu']:.1f} us; "
              f"wall clock mean {fig['mean']:.1f} us (best round), p50 {fig['p50']:.1f} us, "
              f"p99 {fig['p99']:.1f} us (target <= 20 us)")
    for name, fig in (("in-process (embedded)", local), ("HTTP bulk ingest + API key", remote)):
        print(f"  {name:<27} {fig['steps_per_s']:>8,.0f} steps/s until stored; "
              f"the agent's thread meanwhile: {fig['write_cpu_us']:.1f} us CPU, "
              f"{fig['write_us']:.1f} us wall clock per write; "
              f"{fig['requests']:.0f} batches")


if __name__ == "__main__":
    main()
