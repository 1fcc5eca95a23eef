"""Shared parts of the fault scripts: a ``tracegraph serve`` process, a client that ingests
over ``POST /v1/ingest`` and keeps a ledger of what was acknowledged, and the check that
every acknowledged entry is present and every chain verifies (GraphQL ``verifyTrace`` and
``verifySession``)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from ..measure import free_port

#: The private servers the backend faults kill (never the shared default ones).
NEO4J_BOLT_PORT = int(os.environ.get("NEO4J_BOLT_PORT", "7687"))
DGRAPH_GRPC_PORT = int(os.environ.get("DGRAPH_GRPC_PORT", "9080"))
REPO = Path(__file__).resolve().parents[2]


def backend_options(backend: str) -> list[str]:
    """``tracegraph serve`` options that reach ``backend``'s server on the ports in the env."""
    if backend == "neo4j":
        return ["--neo4j-uri", f"bolt://127.0.0.1:{NEO4J_BOLT_PORT}"]
    if backend == "dgraph":
        return ["--dgraph-addr", f"127.0.0.1:{DGRAPH_GRPC_PORT}"]
    return []


class Serve:
    """``tracegraph serve`` in a subprocess (local mode, loopback), until killed or stopped."""

    def __init__(self, backend: str, data_dir: Path, *, wrapper: Sequence[str] = (),
                 log: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        exe = shutil.which("tracegraph", path=str(Path(sys.executable).parent)) or "tracegraph"
        cmd = [*wrapper, exe, "serve", "--port", str(self.port), "--backend", backend,
               "--data-dir", str(data_dir), *backend_options(backend)]
        self.log = log or data_dir.parent / f"{data_dir.name}.serve.log"
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tracegraph serve exited ({self.proc.returncode}): "
                                   f"{self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"tracegraph serve not ready in {timeout:.0f} s")
            time.sleep(0.05)

    def tail(self, chars: int = 1500) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def step(trace_id: str, i: int, created_at: str) -> dict[str, Any]:
    """Step ``i`` of a trace: the same content every time (a retry resends it unchanged)."""
    rng = random.Random(f"{trace_id}:{i}")
    body: dict[str, Any] = {"stepId": f"{trace_id}-s{i}", "stepType": "Reasoning",
                            "createdAt": created_at,
                            "content": f"step {i} of {trace_id}: weighing "
                                       f"{rng.randint(2, 9)} options",
                            "confidence": round(rng.random(), 3)}
    if i > 0:
        body["dependsOn"] = [f"{trace_id}-s{rng.randrange(i)}"]
    return body


@dataclass
class Ledger:
    """What the server acknowledged (answered 200 to), per trace; thread safe."""

    sessions: dict[str, str] = field(default_factory=dict)  # trace id -> session id
    acked: dict[str, int] = field(default_factory=dict)  # trace id -> steps acknowledged
    requests: int = 0
    acknowledged: int = 0
    failed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: str) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1


class Ingester:
    """Appends batches of steps to its own traces over bulk ingest, recording acks.

    A request that got no answer (the server died) or a 503 is in doubt: the same lines,
    timestamps included (the client chooses ``createdAt``, as the SDK does, so that a retried
    start or step is the stored one), are sent again next time, and the server must answer
    200 (an idempotent replay) or store them.
    """

    def __init__(self, ledger: Ledger, name: str, *, traces: int = 3, batch: int = 5,
                 trace_steps: int = 200, tenant: str = "faults") -> None:
        self.ledger = ledger
        self.name = name
        self.batch = batch
        self.trace_steps = trace_steps
        self.tenant = tenant
        self.session = f"{name}-session"
        self.traces = [f"{name}-t{k}" for k in range(traces)]
        self.next_trace = traces
        self.rng = random.Random(name)
        self.pending: tuple[str, int, int] | None = None  # in doubt: (trace, first, last)
        self.created_at: dict[tuple[str, int], str] = {}  # (trace, first) -> createdAt

    def stamp(self, trace_id: str, first: int) -> str:
        """The batch's ``createdAt``: now when first sent, the same on every retry."""
        key = (trace_id, first)
        if key not in self.created_at:
            self.created_at = {key: datetime.now(UTC).isoformat()}  # only the batch in doubt
        return self.created_at[key]

    def body(self, trace_id: str, first: int, last: int) -> bytes:
        lines: list[dict[str, Any]] = []
        created_at = self.stamp(trace_id, first)
        if first == 0:
            lines.append({"op": "start_trace", "traceId": trace_id, "sessionId": self.session,
                          "agentId": self.name, "goal": "survive faults",
                          "createdAt": created_at})
        lines.append({"op": "record_steps", "traceId": trace_id,
                      "steps": [step(trace_id, i, created_at) for i in range(first, last)]})
        return b"\n".join(orjson.dumps(line) for line in lines)

    def next_batch(self) -> tuple[str, int, int]:
        if self.pending is not None:
            return self.pending
        trace_id = self.rng.choice(self.traces)
        first = self.ledger.acked.get(trace_id, 0)
        if first >= self.trace_steps:  # long enough: a fresh trace takes its place
            self.traces[self.traces.index(trace_id)] = trace_id = f"{self.name}-t{self.next_trace}"
            self.next_trace += 1
            first = 0
        return trace_id, first, first + self.batch

    def send_one(self, client: httpx.Client, url: str) -> int | None:
        """One request; its HTTP status, or None when no answer came."""
        trace_id, first, last = self.pending = self.next_batch()
        led = self.ledger
        with led.lock:
            led.requests += 1
            led.sessions[trace_id] = self.session
        try:
            resp = client.post(f"{url}/v1/ingest", content=self.body(trace_id, first, last),
                               headers={"content-type": "application/x-ndjson",
                                        "x-org-id": self.tenant})
        except httpx.HTTPError:
            led.count("no answer")
            return None
        led.count(str(resp.status_code))
        if resp.status_code == 200:
            with led.lock:
                led.acked[trace_id] = max(led.acked.get(trace_id, 0), last)
                led.acknowledged += last - first
            self.pending = None
        else:
            with led.lock:
                led.failed += 1
            if resp.status_code < 500:
                raise AssertionError(f"{resp.status_code} for {trace_id}[{first}:{last}]: "
                                     f"{resp.text[:500]}")
        return resp.status_code

    def run(self, url: str, stop: threading.Event, *, pause: float = 0.0) -> None:
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                self.send_one(client, url)
                if pause:
                    stop.wait(pause)


TRACE_CHECK = """query ($t: ID!) { trace(traceId: $t) { entryCount steps { stepId seq } } }"""
VERIFY_CHECK = """query ($t: ID!) { verifyTrace(traceId: $t) { valid entriesChecked reason } }"""
SESSION_CHECK = """query ($s: ID!) {
  verifySession(sessionId: $s) { valid entriesChecked reason } }"""


def graphql(client: httpx.Client, url: str, query: str, variables: dict[str, Any],
            tenant: str = "faults") -> dict[str, Any]:
    resp = client.post(f"{url}/graphql", json={"query": query, "variables": variables},
                       headers={"x-org-id": tenant})
    got: dict[str, Any] = resp.json()
    if resp.status_code != 200 or got.get("errors"):
        raise RuntimeError(f"GraphQL {resp.status_code}: {str(got.get('errors'))[:500]}")
    data: dict[str, Any] = got["data"]
    return data


#: A write sent over GraphQL while the store is down or read-only: 503 BACKEND_UNAVAILABLE.
UNAVAILABLE_WRITE = "mutation { startTrace(input: {}) { traceId } }"


def graphql_unavailable(client: httpx.Client, url: str, tenant: str) -> list[str]:
    """Problems of a GraphQL write sent while the store cannot serve: anything but HTTP 503
    with ``extensions.code`` BACKEND_UNAVAILABLE and a ``Retry-After`` header."""
    resp = client.post(f"{url}/graphql", json={"query": UNAVAILABLE_WRITE},
                       headers={"x-org-id": tenant})
    codes = [e.get("extensions", {}).get("code") for e in resp.json().get("errors", [])]
    if resp.status_code != 503 or codes != ["BACKEND_UNAVAILABLE"] \
            or "retry-after" not in resp.headers:
        return [f"GraphQL write while the store is down: {resp.status_code} {codes}"]
    return []


def check(url: str, ledger: Ledger, tenant: str = "faults") -> list[str]:
    """Problems found: an acknowledged step missing, a chain or session that does not
    verify, seqs that are not dense. Empty when all is well."""
    problems: list[str] = []
    sessions: set[str] = set()
    with httpx.Client(timeout=300) as client:
        for trace_id, session_id in sorted(ledger.sessions.items()):
            acked = ledger.acked.get(trace_id, 0)
            trace = graphql(client, url, TRACE_CHECK, {"t": trace_id}, tenant)["trace"]
            if trace is None:  # never acknowledged: its start was cut off by the fault
                if acked:
                    problems.append(f"{trace_id}: missing, {acked} steps acknowledged")
                continue
            sessions.add(session_id)
            verified = graphql(client, url, VERIFY_CHECK, {"t": trace_id},
                               tenant)["verifyTrace"]
            stored = {s["stepId"] for s in trace["steps"]}
            lost = [i for i in range(acked) if f"{trace_id}-s{i}" not in stored]
            if lost:
                problems.append(f"{trace_id}: {len(lost)} acknowledged steps lost "
                                f"(first s{lost[0]})")
            seqs = sorted(s["seq"] for s in trace["steps"])
            if len(set(seqs)) != len(seqs):
                problems.append(f"{trace_id}: two steps share a seq (fork)")
            if not verified["valid"] or verified["entriesChecked"] != trace["entryCount"]:
                problems.append(f"{trace_id}: chain does not verify ({verified})")
        for session_id in sorted(sessions):
            got = graphql(client, url, SESSION_CHECK, {"s": session_id}, tenant)
            if not got["verifySession"]["valid"]:
                problems.append(f"session {session_id}: {got['verifySession']}")
    return problems


def figures(title: str, rows: Sequence[tuple[str, object]]) -> str:
    """A small two-column table of figures, with the machine's load average."""
    one, five, _ = os.getloadavg()
    rows = [*rows, ("load average (1 min, 5 min)", f"{one:.2f}, {five:.2f}")]
    width = max(len(k) for k, _ in rows)
    return "\n".join([title, "-" * len(title), *(f"{k:<{width}}  {v}" for k, v in rows)])
