"""Disk full and a read-only data directory under ``tracegraph serve`` on the embedded store.

    python -m tracegraph.bench.faults.disk [--size-mb 24]

Runs itself in a private mount namespace (``unshare -rm``: no root needed where user
namespaces are allowed) with the data directory on a tmpfs of ``--size-mb``:

1. *disk full*: a filler file leaves about 1 MB free; clients ingest until the server
   refuses (expected: 507 ``STORAGE_FULL`` naming the cause); every acknowledged entry must
   be present and every chain verify while the disk is full; the filler is removed and
   ingest must succeed again on the same server process (recovery, no restart);
2. *read-only*: the server is stopped, the tmpfs remounted read-only and the server started
   again: writes must be refused with 503 ``BACKEND_UNAVAILABLE`` naming the read-only
   directory (or the server refuse to start with that message); after remounting
   read-write it starts, everything acknowledged is present and ingest works.

Ends with ``PRAGMA integrity_check`` on the database file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import httpx

from .harness import Ingester, Ledger, Serve, check, figures, graphql_unavailable

NAMESPACE_ENV = "TRACEGRAPH_FAULTS_NAMESPACE"
#: Exit status when mount namespaces are not allowed here (the test skips).
UNSUPPORTED = 77


def ingest_until_refused(url: str, ingesters: list[Ingester], limit: int = 5000) -> dict[str, str]:
    """Send requests until one is refused; the refusal's status and JSON error."""
    with httpx.Client(timeout=60) as client:
        for n in range(limit):
            ing = ingesters[n % len(ingesters)]
            trace_id, first, last = ing.pending = ing.next_batch()
            ing.ledger.sessions[trace_id] = ing.session
            resp = client.post(f"{url}/v1/ingest", content=ing.body(trace_id, first, last),
                               headers={"content-type": "application/x-ndjson",
                                        "x-org-id": ing.tenant})
            ing.ledger.count(str(resp.status_code))
            if resp.status_code != 200:
                error = resp.json().get("error", {})
                return {"status": str(resp.status_code), "code": str(error.get("code")),
                        "message": str(error.get("message"))[:200]}
            ing.ledger.acked[trace_id] = last
            ing.ledger.acknowledged += last - first
            ing.pending = None
    return {"status": "never refused"}


def ingest_ok(url: str, ingesters: list[Ingester], requests: int = 20) -> bool:
    with httpx.Client(timeout=60) as client:
        return all(ingesters[n % len(ingesters)].send_one(client, url) == 200
                   for n in range(requests))


def read_only_under(server: Serve, mnt: Path, ingesters: list[Ingester], ledger: Ledger,
                    problems: list[str]) -> list[tuple[str, object]]:
    """The data directory turns read-only under the running server: writes over bulk ingest
    and GraphQL get 503 BACKEND_UNAVAILABLE, reads keep working, and once it is writable
    again the same process stores again."""
    turned = subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True,
                            text=True, check=False)
    if turned.returncode != 0:  # (the kernel may refuse while files are open for writing)
        said = (turned.stderr.strip().splitlines() or ["?"])[0][:100]
        return [("read-only under a running server", f"remount refused ({said}): the kernel "
                 "keeps a mount with files open for writing writable")]
    rows: list[tuple[str, object]] = []
    try:
        with httpx.Client(timeout=60) as client:
            ing = ingesters[0]
            trace_id, first, last = ing.next_batch()
            resp = client.post(f"{server.url}/v1/ingest", content=ing.body(trace_id, first, last),
                               headers={"content-type": "application/x-ndjson",
                                        "x-org-id": ing.tenant})
            error = resp.json().get("error", {}) if resp.status_code != 200 else {}
            rows.append(("read-only under serve: bulk write", f"{resp.status_code} "
                         f"{error.get('code')}: {str(error.get('message'))[:160]}"))
            if resp.status_code != 503:
                problems.append(f"read-only under serve: bulk write answered "
                                f"{resp.status_code}, not 503")
            found = graphql_unavailable(client, server.url, ing.tenant)
            rows.append(("read-only under serve: GraphQL write", found[0] if found else
                         "503 BACKEND_UNAVAILABLE, Retry-After"))
            problems += [f"read-only under serve: {p}" for p in found]
        problems += [f"read-only under serve (reads): {p}" for p in check(server.url, ledger)]
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
    recovered = ingest_ok(server.url, ingesters)
    rows.append(("writable again: ingest on the same process", "ok" if recovered else "FAILED"))
    if not recovered:
        problems.append("no recovery after the data directory was writable again")
    return rows


def in_namespace(size_mb: int) -> tuple[list[tuple[str, object]], list[str]]:
    mnt = Path(tempfile.mkdtemp(prefix="tg-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mnt)],
                   check=True)
    data_dir = mnt / "store"
    log = Path(tempfile.mkdtemp(prefix="tg-disk-log-")) / "serve.log"
    ledger = Ledger()
    ingesters = [Ingester(ledger, f"disk-c{k}", batch=20) for k in range(2)]
    problems: list[str] = []
    rows: list[tuple[str, object]] = [("tmpfs size", f"{size_mb} MiB")]

    server = Serve("embedded", data_dir, log=log)
    server.wait_ready()
    ingest_ok(server.url, ingesters)
    free = shutil.disk_usage(mnt).free
    filler = mnt / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - 1024 * 1024))
    refused = ingest_until_refused(server.url, ingesters)
    rows.append(("disk full: answer", f"{refused.get('status')} {refused.get('code')}: "
                                      f"{refused.get('message')}"))
    if refused.get("status") != "507":
        problems.append(f"disk full answered {refused}, not 507")
    problems += [f"disk full: {p}" for p in check(server.url, ledger)]
    filler.unlink()
    recovered = ingest_ok(server.url, ingesters)
    rows.append(("space returned: ingest on the same process", "ok" if recovered else "FAILED"))
    if not recovered:
        problems.append("no recovery after space returned")
    problems += [f"after space returned: {p}" for p in check(server.url, ledger)]
    rows += read_only_under(server, mnt, ingesters, ledger, problems)
    server.stop()

    subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    server = Serve("embedded", data_dir, log=log)
    try:
        server.wait_ready(timeout=60)
        with httpx.Client(timeout=60) as client:
            ing = ingesters[0]
            trace_id, first, last = ing.next_batch()
            resp = client.post(f"{server.url}/v1/ingest", content=ing.body(trace_id, first, last),
                               headers={"content-type": "application/x-ndjson",
                                        "x-org-id": ing.tenant})
        error = resp.json().get("error", {}) if resp.status_code != 200 else {}
        rows.append(("read-only: write answer", f"{resp.status_code} {error.get('code')}: "
                                                f"{str(error.get('message'))[:200]}"))
        if resp.status_code != 503:
            problems.append(f"read-only write answered {resp.status_code}, not 503")
        with httpx.Client(timeout=60) as client:
            problems += [f"read-only: {p}" for p in graphql_unavailable(
                client, server.url, ingesters[0].tenant)]
        problems += [f"read-only: {p}" for p in check(server.url, ledger)]
        server.stop()
    except RuntimeError as exc:
        said = server.tail(400).strip().splitlines()
        rows.append(("read-only: server start", f"refused: {said[-1] if said else exc}"))
        if not said or "read-only" not in said[-1]:
            problems.append(f"read-only start failed without naming the cause: {said[-3:]}")
    subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
    server = Serve("embedded", data_dir, log=log)
    server.wait_ready()
    recovered = ingest_ok(server.url, ingesters)
    problems += [f"read-write again: {p}" for p in check(server.url, ledger)]
    server.stop()
    rows.append(("read-write again: restart and ingest", "ok" if recovered else "FAILED"))
    if not recovered:
        problems.append("no recovery after the directory became writable")
    db = sqlite3.connect(data_dir / "tracegraph.sqlite3")
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    rows.append(("PRAGMA integrity_check", integrity))
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    rows.append(("steps acknowledged", ledger.acknowledged))
    rows.append(("lost / broken", len(problems)))
    subprocess.run(["umount", str(mnt)], check=False)
    return rows, problems


@click.command(help=(__doc__ or "").split("\n")[0])
@click.option("--size-mb", type=click.IntRange(min=4), default=24, show_default=True,
              help="Size of the tmpfs holding the data directory.")
def main(size_mb: int) -> None:
    if os.environ.get(NAMESPACE_ENV) != "1":
        unshare = shutil.which("unshare")
        probe = unshare and subprocess.run([unshare, "-rm", "true"], capture_output=True)
        if not unshare or not probe or probe.returncode != 0:
            click.echo("disk: needs a private mount namespace (unshare -rm), not allowed here")
            sys.exit(UNSUPPORTED)
        env = {**os.environ, NAMESPACE_ENV: "1"}
        sys.exit(subprocess.run([unshare, "-rm", "--propagation", "private", sys.executable,
                                 "-m", "tracegraph.bench.faults.disk", "--size-mb",
                                 str(size_mb)], env=env).returncode)
    rows, problems = in_namespace(size_mb)
    click.echo(figures("disk: full disk and read-only data directory (embedded store)", rows))
    for p in problems:
        click.echo(f"PROBLEM: {p}")
    sys.exit(1 if problems else 0)

if __name__ == "__main__":
    main()
