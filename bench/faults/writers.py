"""Many writer processes appending to one trace at once: no fork, no lost append, dense seqs.

    python -m tracegraph.bench.faults.writers [--writers 64] [--appends 5]
        [--backends embedded,neo4j,dgraph] [--paths service,http]

For each backend and path a trace is started, then ``--writers`` processes each append
``--appends`` one-step batches to it at the same moment: through the service layer on
their own store (``service``) or through ``POST /v1/ingest`` of one ``tracegraph serve``
(``http``). A writer retries an append refused with 409 ``CHAIN_CONFLICT`` (the documented
answer to a lost race). Afterwards the trace must hold every acknowledged step once, its
step seqs must be 1..n with no gap and no repeat, each entry's ``prevHash`` must be the
hash of the one before (no fork), and ``verifyTrace`` must be valid.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import click
import httpx
import orjson

from .harness import DGRAPH_GRPC_PORT, NEO4J_BOLT_PORT, Serve, figures, graphql

TENANT = "faults-writers"
CHAIN = """query ($t: ID!) {
  trace(traceId: $t) { entryCount headHash steps { stepId seq prevHash hash } }
  verifyTrace(traceId: $t) { valid entriesChecked reason }
}"""


def store_options(backend: str, data_dir: Path) -> dict[str, Any]:
    if backend == "neo4j":
        return {"uri": f"bolt://127.0.0.1:{NEO4J_BOLT_PORT}"}
    if backend == "dgraph":
        return {"addr": f"127.0.0.1:{DGRAPH_GRPC_PORT}"}
    return {"data_dir": str(data_dir)}


@dataclass(frozen=True)
class WriterArgs:
    """What one writer process is told (its hidden options)."""

    trace: str
    worker: int
    appends: int
    backend: str
    data_dir: str | None
    go: str
    url: str | None


def writer(args: WriterArgs) -> None:
    """One writer process: wait for the go file, append, print the acknowledged step ids."""
    acked: list[str] = []
    retries = 0
    step_ids = [f"{args.trace}-w{args.worker}-{i}" for i in range(args.appends)]
    service: Any = None
    client: httpx.Client | None = None
    if args.url:
        client = httpx.Client(timeout=120)
    else:
        from tracegraph.api.service import open_service
        service = open_service(args.backend, **store_options(
            args.backend, Path(args.data_dir or ".")))
    from tracegraph.schema.errors import ChainConflict
    from tracegraph.schema.inputs import StepInput
    Path(f"{args.go}.ready-{args.worker}").touch()
    given_up = time.monotonic() + 900  # the parent is gone: do not wait forever
    while not Path(args.go).exists():
        if time.monotonic() > given_up:
            raise SystemExit("no go signal within 900 s")
        time.sleep(0.01)
    for step_id in step_ids:
        body = {"stepId": step_id, "stepType": "Action", "content": f"writer {args.worker}"}
        while True:
            if client is not None:
                resp = client.post(f"{args.url}/v1/ingest", content=orjson.dumps(
                    {"op": "record_steps", "traceId": args.trace, "steps": [body]}),
                    headers={"content-type": "application/x-ndjson", "x-org-id": TENANT})
                if resp.status_code == 409 and "CHAIN_CONFLICT" in resp.text:
                    retries += 1
                    continue
                if resp.status_code != 200:
                    raise SystemExit(f"{resp.status_code}: {resp.text[:300]}")
            else:
                try:
                    service.record_steps(TENANT, args.trace, [StepInput.model_validate(body)])
                except ChainConflict:
                    retries += 1
                    continue
            acked.append(step_id)
            break
    print(orjson.dumps({"acked": acked, "retries": retries}).decode())


def run_case(backend: str, path: str, writers: int, appends: int,
             data_dir: Path) -> tuple[tuple[str, object], list[str]]:
    trace_id = f"wr-{backend}-{path}-{uuid.uuid4().hex[:8]}"
    server = Serve(backend, data_dir)
    server.wait_ready()
    problems: list[str] = []
    try:
        start = orjson.dumps({"op": "start_trace", "traceId": trace_id,
                              "sessionId": f"{trace_id}-s", "agentId": "writers"})
        httpx.post(f"{server.url}/v1/ingest", content=start, timeout=60,
                   headers={"content-type": "application/x-ndjson",
                            "x-org-id": TENANT}).raise_for_status()
        go = data_dir.parent / f"{trace_id}.go"
        cmd = [sys.executable, "-m", "tracegraph.bench.faults.writers", "--worker-of",
               trace_id, "--backend", backend, "--data-dir", str(data_dir), "--go", str(go),
               "--appends", str(appends)]
        if path == "http":
            cmd += ["--url", server.url]
        procs = [subprocess.Popen([*cmd, "--worker", str(k)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for k in range(writers)]
        deadline = time.monotonic() + 300
        while (len(list(go.parent.glob(f"{go.name}.ready-*"))) < writers
               and time.monotonic() < deadline
               and all(p.poll() is None for p in procs)):  # every writer set up and waiting
            time.sleep(0.05)
        t0 = time.monotonic()
        go.touch()
        acked: list[str] = []
        retries = 0
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                problems.append(f"writer failed: {err.decode()[-300:]}")
                continue
            got = orjson.loads(out.splitlines()[-1])
            acked += got["acked"]
            retries += got["retries"]
        elapsed = time.monotonic() - t0
        with httpx.Client(timeout=300) as client:
            data = graphql(client, server.url, CHAIN, {"t": trace_id}, TENANT)
        trace, verified = data["trace"], data["verifyTrace"]
        steps = trace["steps"]
        ids = [s["stepId"] for s in steps]
        if missing := set(acked) - set(ids):
            problems.append(f"{len(missing)} acknowledged appends lost")
        if len(set(ids)) != len(ids):
            problems.append("a step stored twice")
        seqs = [s["seq"] for s in steps]
        if seqs != list(range(1, len(steps) + 1)):
            problems.append(f"seqs not dense 1..{len(steps)}: {seqs[:10]}...")
        forks = sum(1 for a, b in pairwise(steps)
                    if b["prevHash"] != a["hash"])
        if forks:
            problems.append(f"{forks} entries do not link to the one before (fork)")
        if not verified["valid"]:
            problems.append(f"verifyTrace: {verified}")
    finally:
        server.stop()
    row = (f"{backend} via {path}",
           f"{len(acked)}/{writers * appends} acknowledged, {len(steps)} stored, seqs 1.."
           f"{seqs[-1] if seqs else 0}, {retries} conflict retries, {elapsed:.1f} s, "
           f"{'ok' if not problems else 'PROBLEMS'}")
    return row, [f"{backend} via {path}: {p}" for p in problems]


@click.command(help=(__doc__ or "").split("\n")[0])
@click.option("--writers", type=click.IntRange(min=1), default=64, show_default=True,
              help="Writer processes appending to one trace at once.")
@click.option("--appends", type=click.IntRange(min=1), default=5, show_default=True,
              help="One-step appends of each writer.")
@click.option("--backends", default="embedded,neo4j,dgraph", show_default=True,
              help="Comma-separated backends (embedded, neo4j, dgraph).")
@click.option("--paths", default="service,http", show_default=True,
              help="Comma-separated ways in: service (the service layer), http (bulk ingest).")
@click.option("--data-dir", default=None, help="Where the stores live [default: a new "
              "temporary folder].")
# a writer process's own options
@click.option("--worker-of", "trace", default=None, hidden=True)
@click.option("--worker", type=int, default=0, hidden=True)
@click.option("--backend", default="embedded", hidden=True)
@click.option("--go", default="", hidden=True)
@click.option("--url", default=None, hidden=True)
def main(writers: int, appends: int, backends: str, paths: str, data_dir: str | None,
         trace: str | None, worker: int, backend: str, go: str, url: str | None) -> None:
    if trace:
        writer(WriterArgs(trace, worker, appends, backend, data_dir, go, url))
        return
    base = Path(data_dir or tempfile.mkdtemp(prefix="tg-writers-"))
    rows: list[tuple[str, object]] = []
    problems: list[str] = []
    for name in backends.split(","):
        for path in paths.split(","):
            row, found = run_case(name, path, writers, appends, base / f"{name}-{os.getpid()}")
            rows.append(row)
            problems += found
    click.echo(figures(f"writers: {writers} processes appending to one trace", rows))
    for p in problems:
        click.echo(f"PROBLEM: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
