"""Kill -9 the Neo4j or Dgraph server under a running ``tracegraph serve`` during ingest.

    NEO4J_BOLT_PORT=7887 DGRAPH_GRPC_PORT=9380 DGRAPH_HTTP_PORT=8380 \\
        python -m tracegraph.bench.faults.kill_backends [--rounds 3] [--backends neo4j,dgraph]

Use private servers (the ports above): this kills them. Each round ingests with
``--clients`` clients, SIGKILLs the database (Neo4j's JVM; Dgraph's alpha) at a random
moment, keeps the clients sending until one gets 503 ``BACKEND_UNAVAILABLE`` (the stores
wait up to about 30 s for a restarting database first; every answer must be 200 or 503,
never another 5xx), restarts the database with
``scripts/neo4j start`` / ``scripts/dgraph start``, and waits for ``tracegraph serve`` (never
restarted) to answer 200 again by itself. Then every acknowledged entry must be present and
every chain and session verify.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import click
import httpx

from .harness import (
    DGRAPH_GRPC_PORT,
    NEO4J_BOLT_PORT,
    REPO,
    Ingester,
    Ledger,
    Serve,
    check,
    figures,
    graphql_unavailable,
)

CACHE = Path(os.environ.get("TRACEGRAPH_CACHE", Path.home() / ".cache" / "tracegraph"))


def server_pid(backend: str) -> int:
    """The pid of the database process the scripts started on the private port."""
    if backend == "neo4j":
        pid_file = CACHE / "neo4j" / f"port-{NEO4J_BOLT_PORT}" / "neo4j.pid"
    else:
        suffix = "" if DGRAPH_GRPC_PORT == 9080 else f"-port-{DGRAPH_GRPC_PORT}"
        pid_file = CACHE / "dgraph" / f"run{suffix}" / "alpha.pid"
    return int(pid_file.read_text().strip())


def restart(backend: str) -> float:
    """Start the database again through its script; seconds it took."""
    t0 = time.monotonic()
    subprocess.run([str(REPO / "scripts" / backend), "start"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def wait_pid_gone(pid: int) -> None:
    while Path(f"/proc/{pid}").exists():
        time.sleep(0.05)


def run(backend: str, rounds: int, clients: int, down: float, base: Path,
        seed: int = 15) -> tuple[list[tuple[str, object]], list[str]]:
    if (DGRAPH_GRPC_PORT == 9080 and backend == "dgraph") or (
            NEO4J_BOLT_PORT == 7687 and backend == "neo4j"):
        raise SystemExit("refusing to kill the shared default server: set the private ports")
    rng = random.Random(seed)
    ledger = Ledger()
    tag = f"kb-{backend}-{os.getpid()}"
    ingesters = [Ingester(ledger, f"{tag}-c{k}", tenant=tag) for k in range(clients)]
    server = Serve(backend, base / backend)
    server.wait_ready()
    problems: list[str] = []
    recover_s: list[float] = []
    restart_s: list[float] = []
    try:
        for n in range(rounds):
            stop = threading.Event()
            threads = [threading.Thread(target=i.run, args=(server.url, stop),
                                        kwargs={"pause": 0.05}, daemon=True)
                       for i in ingesters]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.5, 3.0))
            pid = server_pid(backend)
            os.kill(pid, signal.SIGKILL)
            wait_pid_gone(pid)
            before = ledger.statuses.get("503", 0)
            deadline = time.monotonic() + down
            while ledger.statuses.get("503", 0) == before and time.monotonic() < deadline:
                time.sleep(0.1)
            if ledger.statuses.get("503", 0) == before:
                problems.append(f"round {n}: no 503 within {down:.0f} s of the kill")
            elif n == 0:  # still down (the store waits ~30 s before it answers 503)
                with httpx.Client(timeout=120) as client:
                    problems += graphql_unavailable(client, server.url, tag)
            restart_s.append(restart(backend))
            t0 = time.monotonic()
            with httpx.Client(timeout=120) as client:  # until serve answers 200 by itself
                while ingesters[0].send_one(client, server.url) != 200:
                    if time.monotonic() - t0 > 180:
                        problems.append(f"round {n}: no 200 within 180 s of the restart")
                        break
                    time.sleep(0.2)
            recover_s.append(time.monotonic() - t0)
            stop.set()
            for t in threads:
                t.join()
            problems += [f"round {n}: {p}" for p in check(server.url, ledger, tag)]
    finally:
        server.stop()
    bad = {s: c for s, c in ledger.statuses.items() if s not in ("200", "503")}
    if bad:
        problems.append(f"answers other than 200 and 503: {bad} (see {server.log})")
    rows: list[tuple[str, object]] = [
        (f"{backend}: rounds (kill -9 during ingest)", rounds),
        (f"{backend}: steps acknowledged, traces", f"{ledger.acknowledged}, "
                                                  f"{len(ledger.sessions)}"),
        (f"{backend}: answers", dict(sorted(ledger.statuses.items()))),
        (f"{backend}: database restart, s (each round)",
         ", ".join(f"{s:.1f}" for s in restart_s)),
        (f"{backend}: serve answering 200 again after the restart, s",
         ", ".join(f"{s:.1f}" for s in recover_s)),
        (f"{backend}: acknowledged entries lost / chains broken", len(problems)),
    ]
    return rows, problems


@click.command(help=(__doc__ or "").split("\n")[0])
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Kills of each database during ingest.")
@click.option("--clients", type=click.IntRange(min=1), default=2, show_default=True,
              help="Clients ingesting over bulk HTTP at once.")
@click.option("--down", type=click.FloatRange(min=1), default=90.0, show_default=True,
              help="The database stays down until a client got 503, at most this (seconds).")
@click.option("--backends", default="neo4j,dgraph", show_default=True,
              help="Comma-separated backends whose database is killed (neo4j, dgraph).")
def main(rounds: int, clients: int, down: float, backends: str) -> None:
    names = backends.split(",")
    if not set(names) <= {"neo4j", "dgraph"}:
        raise click.BadParameter(f"{backends!r}: only neo4j and dgraph",
                                 param_hint="--backends")
    base = Path(tempfile.mkdtemp(prefix="tg-killdb-"))
    rows: list[tuple[str, object]] = []
    problems: list[str] = []
    for backend in names:
        got, found = run(backend, rounds, clients, down, base)
        rows += got
        problems += found
    click.echo(figures("kill_backends: database killed under a running tracegraph serve", rows))
    for p in problems:
        click.echo(f"PROBLEM: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
