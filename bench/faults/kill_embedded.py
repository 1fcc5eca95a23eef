"""SIGKILL ``tracegraph serve`` on the embedded store during ingest, restart it, check.

    python -m tracegraph.bench.faults.kill_embedded [--rounds 100] [--clients 3]

Each round starts the server on the same data directory, checks that every entry
acknowledged so far (a 200 from ``POST /v1/ingest``) is present and every chain and
session verifies, ingests with ``--clients`` concurrent clients, and SIGKILLs the server at
a random moment (0.1 to ``--max-ingest`` seconds in). A request cut off by the kill is in
doubt; its client sends the same lines again in the next round.
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import click

from .harness import Ingester, Ledger, Serve, check, figures


def run(rounds: int, clients: int, max_ingest: float, data_dir: Path,
        seed: int = 15) -> tuple[list[tuple[str, object]], list[str]]:
    """Figures and problems of ``rounds`` kill rounds (and a last clean check)."""
    rng = random.Random(seed)
    ledger = Ledger()
    ingesters = [Ingester(ledger, f"kill-c{k}") for k in range(clients)]
    problems: list[str] = []
    restart_s: list[float] = []
    for n in range(rounds + 1):
        t0 = time.monotonic()
        server = Serve("embedded", data_dir)
        server.wait_ready()
        restart_s.append(time.monotonic() - t0)
        found = check(server.url, ledger)
        problems += [f"round {n}: {p}" for p in found]
        if n == rounds or found:
            server.stop()
            break
        stop = threading.Event()
        threads = [threading.Thread(target=i.run, args=(server.url, stop), daemon=True)
                   for i in ingesters]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.1, max_ingest))
        server.kill()
        stop.set()
        for t in threads:
            t.join()
    rows: list[tuple[str, object]] = [
        ("rounds (SIGKILL during ingest)", n),
        ("requests sent", ledger.requests),
        ("steps acknowledged", ledger.acknowledged),
        ("traces", len(ledger.sessions)),
        ("answers", dict(sorted(ledger.statuses.items()))),
        ("restart to ready, median s", f"{sorted(restart_s)[len(restart_s) // 2]:.2f}"),
        ("acknowledged entries lost / chains broken", len(problems)),
    ]
    return rows, problems


@click.command(help=(__doc__ or "").split("\n")[0])
@click.option("--rounds", type=click.IntRange(min=1), default=100, show_default=True,
              help="SIGKILLs of serve, each followed by a restart and a full check.")
@click.option("--clients", type=click.IntRange(min=1), default=3, show_default=True,
              help="Clients ingesting over bulk HTTP at once.")
@click.option("--max-ingest", type=click.FloatRange(min=0.1), default=1.5, show_default=True,
              help="Latest moment of the kill, seconds into a round's ingest.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data directory of the store [default: a new temporary one].")
def main(rounds: int, clients: int, max_ingest: float, data_dir: Path | None) -> None:
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="tg-kill-")) / "store"
    rows, problems = run(rounds, clients, max_ingest, data_dir)
    click.echo(figures("kill_embedded: SIGKILL of tracegraph serve during bulk ingest", rows))
    for p in problems:
        click.echo(f"PROBLEM: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
