"""SIGKILL ``tracegraph serve`` on the embedded store during ingest, restart it, check.

    python -m tracegraph.bench.faults.kill_embedded [--rounds 100] [--clients 3]

Each round starts the server on the same data directory, checks that every entry
acknowledged so far (a 200 from ``POST /v1/ingest``) is present and every chain and
session verifies, ingests with ``--clients`` concurrent clients, and SIGKILLs the server at
a random moment (0.1 to ``--max-ingest`` seconds in). A request cut off by the kill is in
doubt; its client sends the same lines again in the next round.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--max-ingest", type=float, default=1.5,
                        help="latest moment of the kill, seconds into a round's ingest")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="tg-kill-")) / "store"
    rows, problems = run(args.rounds, args.clients, args.max_ingest, data_dir)
    print(figures("kill_embedded: SIGKILL of tracegraph serve during bulk ingest", rows))
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
