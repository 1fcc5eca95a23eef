"""The store's side of a helper process that verifies chains from the database file, so
that a large verification uses a second core.

Hashing a 1.3 kB body does not release the GIL, so threads cannot share the work; a second
process can. :class:`VerifyHelper` starts :mod:`.verify_process` on first use and sends it
part of a verification: the tenant and each chain's recorded length and head (read by the
store before any of its entries). The helper reads those chains with its own read-only
connection, runs the same check as the store does in-process
(:func:`chains_with_intact_bytes`) and
answers with the chains that verify. A chain it does not name goes through the decoding
path, as in-process; if the helper is not ready yet, busy with another thread's request or
gone, the store verifies everything itself.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import orjson
from tracegraph.graph.protocol import ChainHead
from tracegraph.schema.chain import stored_bytes_intact

from . import sql

READY = b"ready\n"
PROCESS_MODULE = "tracegraph.graph.embedded.verify_process"
MAX_STARTS = 3  # a helper that keeps failing to start is not started again
#: When the store waited for an answer longer than its own part took, sharing did not pay
#: (the helper had no core to itself: other work on the machine, or it had just started):
#: after this many such answers in a row, requests are not shared for REST_SECONDS, then
#: one is again to see
SLOW_ANSWERS = 3
REST_SECONDS = 1.0
#: Entries a request must have in all, over two chains or more, before the helper takes part
#: of it (its round trip costs about as much as verifying 50 entries)
SHARE_MIN_ENTRIES = 400


def chains_with_intact_bytes(db: sqlite3.Connection, tenant_id: str,
                             heads: Sequence[ChainHead]) -> list[str]:
    """The traces among ``heads`` whose stored rows verify from their bytes against the
    recorded length and head (:func:`~tracegraph.schema.chain.stored_bytes_intact`)."""
    ok: list[str] = []
    for h in heads:
        rows = db.execute(sql.SELECT_ENTRIES, (tenant_id, h.trace_id)).fetchall()
        if stored_bytes_intact(rows, tenant_id=tenant_id, trace_id=h.trace_id,
                               expected_length=h.entry_count, expected_head=h.head_hash):
            ok.append(h.trace_id)
    return ok


def share(heads: Sequence[ChainHead]) -> tuple[list[ChainHead], list[ChainHead]]:
    """Heads to verify in-process and heads for the helper, about equal in entries (largest
    chain first to the side with fewer); all in-process when the request is small."""
    if len(heads) < 2 or sum(h.entry_count for h in heads) < SHARE_MIN_ENTRIES:
        return list(heads), []
    sides: tuple[list[ChainHead], list[ChainHead]] = ([], [])
    sizes = [0, 0]
    for h in sorted(heads, key=lambda h: -h.entry_count):
        side = 0 if sizes[0] <= sizes[1] else 1
        sides[side].append(h)
        sizes[side] += h.entry_count
    return sides


class VerifyHelper:
    """The store's side of the helper process: started on first use, one request at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: CPU seconds the helper process has used, as of its last answer
        self.cpu_seconds = 0.0
        self.answers = 0  # requests the helper has answered
        self._lock = threading.Lock()  # held from a request's send to its answer
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._owner = os.getpid()
        self._starts = 0
        self._sent_at = 0.0
        self._slow = 0  # answers in a row that kept the store waiting
        self._rest_until = 0.0

    def send(self, tenant_id: str, heads: Sequence[ChainHead]) -> bool:
        """Hand ``heads`` to the helper; then :meth:`receive` must be called. False when the
        helper is not ready (it is started then), busy or gone: verify them yourself."""
        if (os.getpid() != self._owner or time.monotonic() < self._rest_until
                or not self._lock.acquire(blocking=False)):
            return False
        try:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                self._stop()
                self._start()
                raise OSError("the helper is starting")
            if not self._ready.is_set():
                raise OSError("the helper is starting")
            assert proc.stdin is not None
            proc.stdin.write(orjson.dumps(
                [tenant_id, [[h.trace_id, h.entry_count, h.head_hash] for h in heads]]) + b"\n")
            proc.stdin.flush()
            self._sent_at = time.monotonic()
            return True
        except OSError:
            self._lock.release()
            return False

    def receive(self) -> list[str] | None:
        """The traces the helper verified, of the request sent; None if it failed. Call it
        once your own part is done: how long it then waits tells whether to share next time."""
        try:
            proc = self._proc
            assert proc is not None and proc.stdout is not None
            asked = time.monotonic()
            cpu, ok = orjson.loads(proc.stdout.readline())
            answered = time.monotonic()
            self._slow = self._slow + 1 if answered - asked > asked - self._sent_at else 0
            if self._slow >= SLOW_ANSWERS:
                self._slow, self._rest_until = 0, answered + REST_SECONDS
            self.cpu_seconds = float(cpu)
            self.answers += 1
            return None if ok is None else [str(t) for t in ok]
        except (OSError, ValueError, TypeError):
            self._stop()
            return None
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stop the helper (it is started again if the store is used again)."""
        if os.getpid() != self._owner:  # a forked copy of the store: the helper is not ours
            self._proc = None
            return
        with self._lock:
            self._stop()

    def _start(self) -> None:
        if not sys.executable or self._starts >= MAX_STARTS:
            return
        self._starts += 1
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        proc = subprocess.Popen(
            [sys.executable, "-m", PROCESS_MODULE, str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._proc, self._ready = proc, threading.Event()
        threading.Thread(target=_await_ready, args=(proc, self._ready), daemon=True,
                         name="tracegraph-verify-helper-start").start()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):  # (a write that failed leaves bytes to flush)
                proc.stdin.close()  # end of input: the helper exits
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _await_ready(proc: subprocess.Popen[bytes], ready: threading.Event) -> None:
    assert proc.stdout is not None
    try:
        if proc.stdout.readline() == READY:
            ready.set()
    except (OSError, ValueError):  # closed before it was ready
        pass
