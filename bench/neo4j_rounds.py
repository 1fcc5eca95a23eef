"""Where Neo4j ingest's CPU goes: rounds of the suite workload, client and server CPU per step.

    PID="$(cat ~/.cache/tracegraph/neo4j/port-7687/neo4j.pid)"    # scripts/neo4j start
    .venv/bin/python bench/neo4j_rounds.py --server-pid "$PID" --rounds 8 --runs 10

Each round ingests ``--runs`` runs of :mod:`tracegraph.bench.workload` (700 steps each)
through ``TraceService`` exactly as ``tracegraph bench`` times its Neo4j row (one writer),
and prints the wall rate, this process's CPU per step, and the server JVM's CPU per step
from ``/proc/PID/task/*/stat`` split into the threads that do the work (Bolt workers and
network threads, page cache, index sampling, GC: "server") and the JIT compiler threads
("JIT"). On a freshly started server the JIT column is as large as the server's work for
the first tens of thousands of steps; the rounds after that are the steady state. The
wall rate on a shared machine says little; the CPU columns bound what the two cores can
do: at best (client + server + JIT) microseconds of CPU per step spread over both.
"""

from __future__ import annotations

import os
import time

import click
from tracegraph.api.service import TraceService
from tracegraph.bench.timed_ingest import ingest_in_process
from tracegraph.bench.workload import STEPS_PER_RUN
from tracegraph.graph.registry import open_store


def jvm_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of a JVM's threads: (all but the JIT compilers, the JIT compilers)."""
    work = jit = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        ticks = int(fields[11]) + int(fields[12])
        if "CompilerThre" in name:
            jit += ticks
        else:
            work += ticks
    hz = os.sysconf("SC_CLK_TCK")
    return work / hz, jit / hz


@click.command(help=__doc__.split("\n\n")[0] if __doc__ else None)
@click.option("--neo4j-uri", default="bolt://127.0.0.1:7687", show_default=True)
@click.option("--server-pid", type=int, required=True,
              help="the Neo4j JVM's pid (scripts/neo4j's neo4j.pid)")
@click.option("--rounds", type=click.IntRange(1), default=6, show_default=True)
@click.option("--runs", type=click.IntRange(1), default=10, show_default=True,
              help=f"runs of {STEPS_PER_RUN} steps per round")
def main(neo4j_uri: str, server_pid: int, rounds: int, runs: int) -> None:
    store = open_store("neo4j", uri=neo4j_uri)
    service = TraceService(store)
    tenant = f"rounds{int(time.time() * 1000)}"
    print(f"{'round':>5} {'steps':>6} {'steps/s':>8} {'client us/step':>15} "
          f"{'server us/step':>15} {'JIT us/step':>12} {'load':>5}")
    try:
        for r in range(rounds):
            work0, jit0 = jvm_cpu(server_pid)
            got = ingest_in_process(service, tenant, range(r * runs, (r + 1) * runs),
                                    lambda _units, _label: None, namespace=tenant)
            work1, jit1 = jvm_cpu(server_pid)
            per = 1e6 / got.steps
            print(f"{r:>5} {got.steps:>6} {got.rate:>8,.0f} {got.cpu_seconds * per:>15,.0f} "
                  f"{(work1 - work0) * per:>15,.0f} {max(0.0, jit1 - jit0) * per:>12,.0f} "
                  f"{os.getloadavg()[0]:>5.1f}", flush=True)
    finally:
        store.close()


if __name__ == "__main__":
    main()
