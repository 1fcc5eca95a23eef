"""Semantic search over reasoning: embedding sampled steps off the ingest path, and searching.

:class:`SemanticIndex` attaches to a :class:`~.traces.TraceService`. After each append the
service hands it the sealed entries; the steps the sampling policy embeds
(:mod:`tracegraph.schema.sampling`) go into a bounded queue, and one worker thread embeds
them in batches and writes their vectors through the store's
:class:`~tracegraph.graph.vectors.VectorStore`. The append never waits: a full queue drops
the job and marks the index behind, and the worker then catches up by reading the store
(every step that should have a vector and has none), which is also what it does first
after a start, so a restart, a crash or another process's appends lose nothing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracegraph.api.embedding import Embedder
from tracegraph.graph.vectors import StepVector, VectorStore
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.sampling import embedding_text

from .paging import every_trace_row
from .views import TraceQuery

if TYPE_CHECKING:
    from .traces import TraceService

log = logging.getLogger("tracegraph.api.service.semantic")

#: Steps waiting to be embedded; past this the worker catches up from the store instead.
QUEUE_STEPS = 50_000
#: Steps per embedder call.
BATCH = 32
#: Traces read per store call while catching up.
CATCH_UP_TRACES = 200
#: The worker waits for appends to pause this long before embedding (ingest first) ...
IDLE_GAP = 0.05
#: ... but never longer than this per batch, nor once the queue is half full.
MAX_DEFER = 2.0


@dataclass(frozen=True, slots=True)
class _Job:
    tenant_id: str
    entry: ChainEntry


def _lower_priority() -> None:
    """Run the calling thread at the lowest CPU priority (Linux threads have their own nice
    value): on a busy machine the request threads go first."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class SemanticIndex:
    """The embedding queue and worker of one service, and the vectors' model name."""

    def __init__(self, service: TraceService, embedder: Embedder, *,
                 queue_steps: int = QUEUE_STEPS, catch_up: bool = True) -> None:
        store = service.store
        if not isinstance(store, VectorStore):
            raise InvalidInput(f"embedder: the {store.backend_name} backend has no vector "
                               "index yet (docs/semantic-search.md)", field="embedder")
        self.service = service
        self.vectors: VectorStore = store
        self.embedder = embedder
        self.model = embedder.name
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_steps)
        self._behind = threading.Event()
        self._idle = threading.Condition()
        self._busy = 0
        self._last_append = 0.0
        if catch_up:
            self._behind.set()
        self._thread = threading.Thread(target=self._run, name="tracegraph-embedder",
                                        daemon=True)
        self._thread.start()

    # -- the append side (must be quick) ------------------------------------------------------
    def appended(self, tenant_id: str, sealed: Sequence[ChainEntry]) -> None:
        """Queue the steps of ``sealed`` the sampling policy embeds (never blocks)."""
        self._last_append = time.monotonic()
        sampling = self.service.sampling
        for e in sealed:
            if e.kind == EntryKind.STEP and sampling.embeds(tenant_id, e.record):
                try:
                    self._queue.put_nowait(_Job(tenant_id, e))
                except queue.Full:
                    self._behind.set()
                    return

    # -- the worker ---------------------------------------------------------------------------
    def _yield_to_ingest(self) -> None:
        """Wait while appends keep arriving (up to :data:`MAX_DEFER`, and not once the queue
        is half full): embedding takes tens of times an append's CPU, and the appends of a
        burst should not wait for it."""
        deadline = time.monotonic() + MAX_DEFER
        while (time.monotonic() - self._last_append < IDLE_GAP
               and time.monotonic() < deadline
               and self._queue.qsize() < self._queue.maxsize // 2):
            time.sleep(IDLE_GAP)

    def _run(self) -> None:
        _lower_priority()
        while True:
            if self._behind.is_set():
                with self._idle:
                    self._busy += 1
                    self._behind.clear()
                try:
                    self._guarded(self.catch_up)
                finally:
                    with self._idle:
                        self._busy -= 1
                        self._idle.notify_all()
            try:
                first = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if first is None:
                return
            self._yield_to_ingest()
            jobs = [first]
            while len(jobs) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # (seen again by the loop: stop after this batch)
                    break
                jobs.append(more)
            with self._idle:
                self._busy += 1
            try:
                self._guarded(functools.partial(self._embed_jobs, jobs))
            finally:
                with self._idle:
                    self._busy -= 1
                    for _ in jobs:
                        self._queue.task_done()
                    self._idle.notify_all()

    def _guarded(self, work: Callable[[], object]) -> None:
        """Run ``work``; a failure is logged and leaves the index behind (retried later)."""
        try:
            work()
        except Exception:
            log.exception("embedding failed; the steps are retried on catch-up")
            self._behind.set()
            time.sleep(1.0)

    def _embed_jobs(self, jobs: list[_Job]) -> None:
        by_tenant: dict[str, list[ChainEntry]] = {}
        for j in jobs:
            by_tenant.setdefault(j.tenant_id, []).append(j.entry)
        for tenant_id, entries in by_tenant.items():
            self._embed(tenant_id, entries)

    def _embed(self, tenant_id: str, entries: Sequence[ChainEntry]) -> None:
        """Embed and store ``entries`` (steps the policy embeds) of one tenant."""
        if not entries:
            return
        store = self.service.store
        traces = store.get_traces(tenant_id, sorted({e.trace_id for e in entries}))
        entries = [e for e in entries if e.trace_id in traces]  # (others removed meanwhile)
        if not entries:
            return
        texts = [embedding_text(e.record) or "" for e in entries]
        vectors = self.embedder.embed(texts)
        rows = []
        for e, v in zip(entries, vectors, strict=True):
            started = traces[e.trace_id].started
            rows.append(StepVector(
                step_id=str(e.record["step_id"]), trace_id=e.trace_id,
                session_id=str(started.get("session_id", "")), agent_id=started.get("agent_id"),
                step_type=str(e.record.get("step_type", "")),
                step_index=int(e.record.get("step_index", e.seq)),
                created_at=str(e.record.get("created_at", "")), vector=v.tolist()))
        self.vectors.put_vectors(tenant_id, self.model, rows)
        # A trace removed since it was read above: its removal may have deleted its vectors
        # before these were written. Read after the write, a removal committed before is
        # seen here, and one committed after deletes these itself (``remove_trace``).
        gone = set(traces) - set(store.get_traces(tenant_id, list(traces)))
        if gone:
            self.vectors.remove_trace_vectors(tenant_id, sorted(gone))

    def catch_up(self) -> int:
        """Embed every stored step that the policy embeds and that has no vector yet (after
        a restart, a full queue or a failure); returns how many were embedded."""
        done = 0
        for tenant_id in self.service.store.tenants():
            rows = every_trace_row(self.service.store, tenant_id, TraceQuery())
            for start in range(0, len(rows), CATCH_UP_TRACES):
                ids = [r.trace_id for r in rows[start:start + CATCH_UP_TRACES]]
                got = self.service.store.entries(tenant_id, ids, kinds=frozenset(
                    {EntryKind.STEP.value}))
                wanted = [e for es in got.values() for e in es
                          if e.kind == EntryKind.STEP
                          and self.service.sampling.embeds(tenant_id, e.record)]
                have = self.vectors.vector_ids(tenant_id, self.model,
                                               [str(e.record["step_id"]) for e in wanted])
                missing = [e for e in wanted if str(e.record["step_id"]) not in have]
                for i in range(0, len(missing), BATCH):
                    self._embed(tenant_id, missing[i:i + BATCH])
                done += len(missing)
        return done

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until every queued step is embedded (tests, benches, shutdown); False when
        ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._queue.unfinished_tasks or self._busy or self._behind.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
        return True

    def close(self) -> None:
        """Stop the worker after the steps already queued."""
        self._queue.put(None)
        self._thread.join(timeout=60.0)
