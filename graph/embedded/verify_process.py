"""The helper process of :mod:`.verify_helper`: verifies chains from the database file.

Run as ``python -m tracegraph.graph.embedded.verify_process <database>``. Requests and
answers are lines of JSON on stdin and stdout; at end of input (the store closed, or the
process that started it ended) it exits.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
from typing import IO
from urllib.parse import quote

import orjson
from tracegraph.graph.protocol import ChainHead

from . import sql
from .verify_helper import READY, chains_with_intact_bytes


def serve(path: str, requests: IO[bytes], answers: IO[bytes]) -> None:
    """The helper's loop: one request line in, one answer line out, until end of input.

    A request is ``[tenant_id, [[trace_id, entry_count, head_hash], ...]]``; its answer is
    ``[cpu_seconds, [trace_id, ...]]``: this process's CPU time so far and the traces that
    verify (``null`` instead of the list if the database could not be read: the store then
    verifies them itself).
    """
    db = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, isolation_level=None,
                         timeout=60.0)
    db.execute(sql.MMAP_PRAGMA)
    answers.write(READY)
    answers.flush()
    for line in requests:
        tenant_id, heads = orjson.loads(line)
        ok: list[str] | None
        try:
            ok = chains_with_intact_bytes(db, tenant_id, [ChainHead(*h) for h in heads])
        except sqlite3.Error:
            ok = None
        answers.write(orjson.dumps([time.process_time(), ok]) + b"\n")
        answers.flush()


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
