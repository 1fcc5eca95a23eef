"""Background batching: a bounded queue of ops drained by one daemon thread into a transport.

The agent's thread only validates a record and puts it on a bounded :class:`queue.Queue`
(a few microseconds). One worker thread takes everything queued, groups it into lines
(:func:`.ops.group`) and stores the lines through the transport, in order.

- **Retries**: when the store cannot be reached (:class:`~.transport.Unavailable`) the
  batch is resent with exponential backoff and jitter (tenacity) until it is stored or the
  client is closed; lines the store confirmed are not resent, the others are resent with the
  same ids, so the store's idempotent append never stores an entry twice. A store that does
  answer, but with an unexpected error (HTTP 500), gets :data:`MAX_ANSWERED_ERRORS` tries,
  then the batch counts as refused.
- **Backpressure**: when the queue is full and the store keeps up, ``put`` waits up to
  ``block_timeout``; when the store is down (the worker is retrying) it does not wait. What
  cannot be queued is dropped, counted in :class:`SdkStats` and logged (at most every few
  seconds per reason): the agent is never blocked beyond the bounded buffer, never crashed.
- **Refusals** (:class:`~.transport.Rejected`): a line the store refuses is split into its
  ops to find the one at fault; that op is dropped, counted and logged, the rest are stored.
  A trace the store does not know (its start was dropped) loses its later ops at once.
- **Flush**: :meth:`Batcher.flush` puts a marker on the queue and waits until the worker
  passes it: everything queued before is then stored or dropped.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from .ops import Line, Op, group, ops_of
from .transport import Rejected, Transport, Unavailable

log = logging.getLogger("tracegraph.sdk")

DEFAULT_QUEUE = 10_000
DEFAULT_BATCH = 1_000
#: Seconds between two log lines about drops of one reason.
LOG_EVERY = 5.0
#: Trace ids remembered as lost (their start never got stored).
MAX_LOST = 65_536
#: A batch the store keeps answering with an unexpected error (HTTP 500, an exception in
#: process) is retried this many times, then treated as refused (and split to find the op).
MAX_ANSWERED_ERRORS = 5
STORE_ERROR = "STORE_ERROR"
#: Seconds between two tries of a coroutine waiting for room in the queue.
ASYNC_POLL = 0.002
#: Seconds ``close`` gives the worker to drop what it holds once the deadline passed.
ABANDON_WAIT = 2.0


class Dropped(Exception):
    """An op was not stored: the queue was full, the store refused it, or the client closed."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason


@dataclass
class SdkStats:
    """What happened to the records an agent handed to the SDK."""

    enqueued: int = 0
    delivered: int = 0
    dropped: int = 0
    dropped_by_reason: Counter[str] = field(default_factory=Counter)
    #: Of the dropped: those never queued (queue full, client closed, trace lost).
    unqueued: int = 0
    requests: int = 0
    retries: int = 0

    @property
    def pending(self) -> int:
        """Records queued or in flight (neither stored nor dropped yet)."""
        return self.enqueued - self.delivered - (self.dropped - self.unqueued)


@dataclass(eq=False)
class _Marker:
    """Put on the queue by ``flush`` (and ``close``): set once everything before it is done."""

    passed: threading.Event = field(default_factory=threading.Event)
    stop: bool = False


class Batcher:
    """One bounded queue and its worker thread over one transport (see module doc)."""

    def __init__(self, transport: Transport, *, max_queue: int = DEFAULT_QUEUE,
                 max_batch: int = DEFAULT_BATCH, block_timeout: float = 5.0,
                 backoff: tuple[float, float] = (0.05, 2.0)) -> None:
        self.transport = transport
        self.max_batch = max_batch
        self.block_timeout = block_timeout
        self.stats = SdkStats()
        self._queue: queue.Queue[Op | _Marker] = queue.Queue(max_queue)
        self._lock = threading.Lock()
        self._healthy = True
        self._closed = False
        self._abandon = threading.Event()  # close's deadline passed: stop retrying
        self._lost: dict[str, None] = {}
        self._logged: dict[str, float] = {}
        self._backoff = backoff
        self._thread = threading.Thread(target=self._run, name="tracegraph-sdk", daemon=True)
        self._thread.start()

    @property
    def healthy(self) -> bool:
        """False while the worker is retrying a store that does not answer."""
        return self._healthy

    # -- the agent's side -------------------------------------------------------------------
    def put(self, op: Op, timeout: float | None = None) -> bool:
        """Queue ``op``; when the queue is full wait up to ``timeout`` (default
        ``block_timeout``, none while the store is down). False: dropped (and counted)."""
        if not self._admissible(op):
            return False
        try:
            self._queue.put_nowait(op)
        except queue.Full:
            wait = self.block_timeout if timeout is None else timeout
            if wait <= 0 or not self._healthy or not self._put_waiting(op, wait):
                self.drop_full(op)
                return False
        self._count_enqueued()
        return True

    async def aput(self, op: Op) -> bool:
        """:meth:`put` for coroutines: waits for room with ``asyncio.sleep``, never blocking
        the event loop."""
        if not self._admissible(op):
            return False
        deadline = time.monotonic() + self.block_timeout
        while True:
            try:
                self._queue.put_nowait(op)
            except queue.Full:
                if not self._healthy or time.monotonic() >= deadline:
                    self.drop_full(op)
                    return False
                await asyncio.sleep(ASYNC_POLL)
                continue
            self._count_enqueued()
            return True

    def _admissible(self, op: Op) -> bool:
        if self._closed:
            self._drop([op], "closed", "the client is closed", queued=False)
            return False
        if op.trace_id in self._lost:
            self._drop([op], "trace_lost", f"trace {op.trace_id} was never stored", queued=False)
            return False
        return True

    def _put_marker(self, marker: _Marker, timeout: float) -> bool:
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return True

    def _put_waiting(self, op: Op, wait: float) -> bool:
        try:
            self._queue.put(op, timeout=wait)
        except queue.Full:
            return False
        return True

    def _count_enqueued(self) -> None:
        with self._lock:
            self.stats.enqueued += 1

    def drop_full(self, op: Op) -> None:
        if op.kind == "start_trace":
            self._lose(op.trace_id)
        self._drop([op], "queue_full", f"{self._queue.maxsize} records queued", queued=False)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is stored or dropped; False on timeout."""
        if not self._thread.is_alive():
            return self._queue.empty()
        deadline = None if timeout is None else time.monotonic() + timeout
        marker = _Marker()
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return marker.passed.wait(left)

    def close(self, timeout: float = 5.0) -> bool:
        """Flush for up to ``timeout`` seconds, then stop the worker; what is still unsent is
        dropped and counted. True when everything was stored or dropped for a reason other
        than the deadline."""
        if self._closed:
            return True
        self._closed = True
        deadline = time.monotonic() + timeout
        marker = _Marker(stop=True)
        queued = self._put_marker(marker, timeout)
        done = queued and marker.passed.wait(max(0.0, deadline - time.monotonic()))
        if not done:  # stop retrying: the worker drops what it still holds, then stops
            self._abandon.set()
            if not queued:
                self._put_marker(marker, ABANDON_WAIT)
            self._thread.join(timeout=ABANDON_WAIT)
        self._drain_after_stop()
        return done

    # -- the worker ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            items: list[Op | _Marker] = [self._queue.get()]
            while len(items) < self.max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            ops: list[Op] = []
            for item in items:
                if isinstance(item, Op):
                    ops.append(item)
                    continue
                self._deliver_safely(ops)
                ops = []
                item.passed.set()
                if item.stop:
                    self._drain_after_stop()
                    return
            self._deliver_safely(ops)

    def _drain_after_stop(self) -> None:
        """Drop what is left on the queue once the worker has stopped."""
        left: list[Op] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Op):
                left.append(item)
            else:
                item.passed.set()
        if left:
            self._drop(left, "closed", "the client closed before they were sent")

    def _deliver_safely(self, ops: list[Op]) -> None:
        if not ops:
            return
        try:
            self._deliver(ops)
        except Exception as exc:  # never let the worker die: what it held is lost, counted
            log.exception("tracegraph sdk: the worker failed on a batch")
            self._drop([o for o in ops if o.done is None or not o.done.done()], "error",
                       repr(exc))

    def _deliver(self, ops: list[Op]) -> None:
        if self._abandon.is_set():
            self._drop(ops, "closed", "the client closed before they were sent")
            return
        lost = [o for o in ops if o.trace_id in self._lost]
        if lost:
            self._drop(lost, "trace_lost", "their trace was never stored")
            ops = [o for o in ops if o.trace_id not in self._lost]
        self._deliver_lines(group(ops, self.max_batch))

    def _deliver_lines(self, lines: list[Line]) -> None:
        retried = [False]
        while lines:
            try:
                results = self._send(lines, retried)
            except Rejected as r:
                self._delivered(lines[:r.stored], r.results)
                if r.code == STORE_ERROR and len(lines) - r.stored > 1:
                    for line in lines[r.stored:]:  # which line fails? each on its own
                        self._deliver_lines([line])
                    return
                lines = self._after_refusal(lines, r, retried[0])
            except Unavailable as u:  # only once the client gave up at close
                self._delivered(lines[:u.stored], u.results)
                self._drop(ops_of(lines[u.stored:]), "closed",
                           f"the store was unavailable until the client closed ({u})")
                return
            else:
                self._delivered(lines, results)
                return

    def _send(self, lines: list[Line], retried: list[bool]) -> list[Any]:
        """Store ``lines``, retrying while the store is unavailable; indices in errors are
        positions in ``lines``."""
        done: list[Any] = []
        rest = lines
        errors = 0
        for attempt in Retrying(
            retry=retry_if_exception_type(Unavailable), reraise=True,
            wait=wait_exponential_jitter(multiplier=self._backoff[0], max=self._backoff[1],
                                        jitter=self._backoff[0]),
            stop=lambda _state: self._abandon.is_set(), sleep=self._backoff_sleep,
            before_sleep=self._note_retry,
        ):
            with attempt:
                with self._lock:
                    self.stats.requests += 1
                try:
                    done.extend(self.transport.send(rest))
                except Unavailable as u:
                    retried[0] = True
                    done.extend(u.results)
                    rest = rest[u.stored:]
                    errors = errors + 1 if u.answered else 0
                    if errors >= MAX_ANSWERED_ERRORS:  # not down: this batch may be at fault
                        self._healthy = True
                        raise Rejected(str(u), code=STORE_ERROR, stored=len(done),
                                       failed=len(done), results=done) from u
                    self._healthy = False
                    raise Unavailable(str(u), stored=len(done), results=done) from u
                except Rejected as r:
                    self._healthy = True  # it answered
                    raise Rejected(str(r), code=r.code, stored=len(done) + r.stored,
                                   failed=None if r.failed is None else len(done) + r.failed,
                                   results=done + r.results) from r
                self._healthy = True
        return done

    def _backoff_sleep(self, seconds: float) -> None:
        self._abandon.wait(seconds)  # cut short when close's deadline passes

    def _note_retry(self, state: RetryCallState) -> None:
        with self._lock:
            self.stats.retries += 1
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        self._log("unavailable", f"store unavailable, retrying ({error})")

    def _after_refusal(self, lines: list[Line], r: Rejected, retried: bool) -> list[Line]:
        """The lines still to send once line ``r.failed`` was refused."""
        if r.failed is None:  # the whole request (an API key refused, ...)
            self._drop(ops_of(lines[r.stored:]), r.code.lower(), str(r))
            return []
        bad = lines[r.failed]
        rest = lines[r.stored:r.failed] + lines[r.failed + 1:]
        trace = bad.trace_id
        if r.code == "TRACE_CLOSED":
            same = [bad] + [x for x in rest if x.trace_id == trace]
            if retried:  # an earlier attempt of this batch completed it: all of it is stored
                self._delivered(same, [None] * len(same))
            else:
                self._drop(ops_of(same), "trace_closed", str(r))
            return [x for x in rest if x.trace_id != trace]
        if r.code == "NOT_FOUND":
            self._lose(trace)
            self._drop(ops_of([bad] + [x for x in rest if x.trace_id == trace]), "trace_lost",
                       str(r))
            return [x for x in rest if x.trace_id != trace]
        if len(bad.ops) > 1:  # find the op at fault: resend the line op by op
            return lines[r.stored:r.failed] + bad.singles() + lines[r.failed + 1:]
        if bad.op == "start_trace":
            self._lose(trace)
        self._drop(bad.ops, "rejected", str(r))
        return rest

    def _lose(self, trace_id: str) -> None:
        self._lost[trace_id] = None
        if len(self._lost) > MAX_LOST:
            self._lost.pop(next(iter(self._lost)))

    # -- accounting ----------------------------------------------------------------------------
    def _delivered(self, lines: Sequence[Line], results: Sequence[Any]) -> None:
        n = 0
        for line, result in zip(lines, results, strict=False):
            for i, op in enumerate(line.ops):
                n += 1
                if op.done is not None and not op.done.done():
                    op.done.set_result(result[i] if isinstance(result, list) else result)
        with self._lock:
            self.stats.delivered += n

    def _drop(self, ops: Sequence[Op], reason: str, message: str, *, queued: bool = True
              ) -> None:
        if not ops:
            return
        for op in ops:
            if op.done is not None and not op.done.done():
                op.done.set_exception(Dropped(reason, message))
        with self._lock:
            self.stats.dropped += len(ops)
            self.stats.dropped_by_reason[reason] += len(ops)
            if not queued:
                self.stats.unqueued += len(ops)
            total = self.stats.dropped
        self._log(reason, f"dropped {len(ops)} record(s) ({reason}: {message}); "
                          f"{total} dropped so far")

    def _log(self, reason: str, message: str) -> None:
        now = time.monotonic()
        if now - self._logged.get(reason, -LOG_EVERY) >= LOG_EVERY:
            self._logged[reason] = now
            log.warning("tracegraph sdk: %s", message)
