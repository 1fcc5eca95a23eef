"""The Kafka sink of ``tracegraph serve`` (seed 002's stream): every appended entry published
to a topic, key = trace id, each trace's entries in chain order, at least once.

One background thread per sink. An append only wakes it (the service's event stream); it
reads what to publish from the store (:class:`~tracegraph.api.service.stream.EntryStream`:
each tenant's Merkle log, in leaf order, from the tenant's acknowledged cursor) and hands it
to librdkafka (confluent-kafka) with an idempotent producer, so a partition keeps the order
it was given across the client's retries. At most ``buffer`` messages are in flight; while
the buffer is full or the broker is away, the rest simply stays in the store (ingest never
waits for the broker, and never fails because of it) and is read when room frees up. A
message the client gives up on (``message_timeout_ms``) rewinds its tenant to the
acknowledged cursor once that tenant has nothing in flight, and everything from there is
sent again in order: a consumer may see a run of entries twice, never a gap. The cursor
moves over leaves the broker acknowledged and is saved every ``save_interval`` seconds and
at stop (docs/kafka.md).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from confluent_kafka import KafkaError, Message, Producer

from ..service import TraceService
from ..service.events import EntriesAppended
from ..service.stream import EntryStream, StreamItem

log = logging.getLogger("tracegraph.kafka")
#: librdkafka's own log lines; a line that repeats (a broker away: one per reconnect) is
#: let through once a minute
client_log = logging.getLogger("tracegraph.kafka.client")
REPEAT_SECONDS = 60.0


class _Repeats(logging.Filter):
    """Drops a log line that was let through less than ``REPEAT_SECONDS`` ago."""

    def __init__(self) -> None:
        super().__init__()
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        text, now = record.getMessage(), time.monotonic()
        if now - self._last.get(text, -REPEAT_SECONDS) < REPEAT_SECONDS:
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[text] = now
        return True


client_log.addFilter(_Repeats())

#: Leaves read from the store per round trip.
READ_CHUNK = 500
#: Message headers: the tenant the entry belongs to and its leaf index in the tenant's log.
TENANT_HEADER = "tracegraph-tenant"
LEAF_HEADER = "tracegraph-leaf"


@dataclass(frozen=True, slots=True)
class KafkaSinkConfig:
    """Where and how the sink publishes."""

    bootstrap: str
    topic: str
    #: messages handed to the client and not acknowledged yet, at most
    buffer: int = 10_000
    #: seconds between looks at every tenant's log (appends made by other servers)
    poll_interval: float = 2.0
    #: how long the client keeps trying one message before the sink rewinds and resends
    message_timeout_ms: int = 120_000
    #: seconds between saves of the acknowledged cursors
    save_interval: float = 0.5
    #: only these tenants' entries (empty: every tenant's)
    tenants: frozenset[str] = frozenset()
    #: more librdkafka settings (``name=value``), over the sink's own
    client: Mapping[str, str] = field(default_factory=dict)

    def producer_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap,
            "client.id": "tracegraph",
            "enable.idempotence": True,  # acks=all, ordered retries within a partition
            "partitioner": "murmur2_random",  # the Java client's: same key, same partition
            "linger.ms": 5,
            "compression.type": "lz4",
            "message.timeout.ms": self.message_timeout_ms,
            "queue.buffering.max.messages": max(2 * self.buffer, 1000),
            "reconnect.backoff.ms": 100,
            "reconnect.backoff.max.ms": 1000,
            "log.connection.close": False,
        }
        settings.update(self.client)
        return settings


@dataclass
class _Tenant:
    """One tenant's progress: ``acked`` is the cursor, ``sent`` the next leaf to read."""

    acked: int
    sent: int
    size: int = 0
    in_flight: int = 0
    done: set[int] = field(default_factory=set)  # acknowledged leaves past ``acked``
    failed: bool = False
    saved: int = -1


class KafkaSink:
    """Publishes every tenant's appended entries to one topic from a background thread."""

    def __init__(self, service: TraceService, config: KafkaSinkConfig) -> None:
        self.config = config
        self.stream = EntryStream(service, config.topic)
        self._service = service
        self._fatal = False
        self._producer = self._new_producer()
        self._tenants: dict[str, _Tenant] = {}
        self._dirty: set[str] = set()
        self._behind: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe = service.events.subscribe(self._on_append)
        self._in_flight = 0
        self._counts = {"published": 0, "delivery_failures": 0, "rewinds": 0,
                        "buffer_full": 0, "store_errors": 0, "producer_resets": 0}
        self._last_error = ""
        self._looked = False  # a look at every tenant's log finished since start
        self._settled = False  # the thread has read past every append it was told of

    def _new_producer(self) -> Producer:
        return Producer({**self.config.producer_settings(), "error_cb": self._client_error,
                         "logger": client_log})

    def _reset_producer(self) -> None:
        """After a fatal client error (the idempotent producer cannot go on): a new client,
        and every tenant sent again from its cursor."""
        self._fatal = False
        self._counts["producer_resets"] += 1
        try:
            self._producer.purge()
            self._producer.poll(0)
        except Exception:  # the old client is unusable anyway
            log.debug("kafka sink: purging the failed client", exc_info=True)
        for t in self._tenants.values():
            t.in_flight, t.failed = 0, True
        self._in_flight = 0
        self._producer = self._new_producer()

    # -- lifetime ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the publishing thread (it first catches up every tenant's log)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tracegraph-kafka",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop publishing: wait up to ``timeout`` seconds for what is in flight, save the
        cursors. What was not acknowledged is published by the next start."""
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout + 5)
            self._thread = None
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            self._producer.poll(0.05)
        if self._in_flight:  # the broker is away: give up what is left (the cursor keeps it)
            self._producer.purge()
            self._producer.poll(0)
        self._save(force=True)

    # -- what an append does: wake the thread -----------------------------------------------
    def _on_append(self, event: EntriesAppended) -> None:
        if self.config.tenants and event.tenant_id not in self.config.tenants:
            return
        with self._lock:
            self._dirty.add(event.tenant_id)
            self._settled = False
        self._wake.set()

    # -- the thread -------------------------------------------------------------------------
    def _run(self) -> None:
        next_look = 0.0
        next_save = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                todo, self._dirty = self._dirty, set()
            todo |= self._behind
            self._behind = set()
            look = now >= next_look
            try:
                if look:
                    todo.update(self.config.tenants or self.stream.tenants())
                    next_look = now + self.config.poll_interval
                for tenant_id in sorted(todo):
                    self._fill(tenant_id, look)
                self._looked = self._looked or look
            except Exception as exc:  # the store is away: try again at the next look
                self._counts["store_errors"] += 1
                self._last_error = f"store: {exc}"
                log.warning("kafka sink: reading the store failed: %s", exc)
                with self._lock:
                    self._dirty |= todo
                next_look = now + self.config.poll_interval
            try:
                if self._fatal:
                    self._reset_producer()
                self._producer.poll(0.02 if self._in_flight else 0)
            except Exception as exc:
                self._last_error = f"client: {exc}"
                log.warning("kafka sink: the client failed: %s", exc)
            with self._lock:
                self._settled = not self._dirty and not self._behind
            if now >= next_save:
                self._save()
                next_save = now + self.config.save_interval
            if not self._in_flight and not self._behind:
                self._wake.wait(max(0.0, min(next_look, next_save) - time.monotonic()))
                self._wake.clear()
        self._producer.flush(0)

    def _state(self, tenant_id: str) -> _Tenant:
        t = self._tenants.get(tenant_id)
        if t is None:
            cursor = self.stream.cursor(tenant_id)
            t = self._tenants[tenant_id] = _Tenant(acked=cursor, sent=cursor, saved=cursor)
        return t

    def _fill(self, tenant_id: str, look: bool) -> None:
        """Hand the tenant's unsent leaves to the client while the buffer has room."""
        t = self._state(tenant_id)
        if t.failed:
            if t.in_flight:
                return
            self._counts["rewinds"] += 1
            t.sent, t.failed = t.acked, False
            t.done.clear()
        if look and not t.in_flight and t.sent == t.acked:
            # another server on the same database may have published further
            cursor = self.stream.cursor(tenant_id)
            if cursor > t.acked:
                t.acked = t.sent = t.saved = cursor
        t.size = self.stream.size(tenant_id)
        while t.sent < t.size:
            room = self.config.buffer - self._in_flight
            if room <= 0:
                self._counts["buffer_full"] += 1
                self._behind.add(tenant_id)
                return
            stop = min(t.size, t.sent + min(room, READ_CHUNK))
            items = self.stream.read(tenant_id, t.sent, stop)
            for item in items:
                self._produce(t, item)
            t.sent = items[-1].leaf_index + 1 if items else stop

    def _produce(self, t: _Tenant, item: StreamItem) -> None:
        self._producer.produce(
            self.config.topic, value=orjson.dumps(item.line), key=item.trace_id.encode(),
            headers=[(TENANT_HEADER, item.tenant_id.encode()),
                     (LEAF_HEADER, str(item.leaf_index).encode())],
            on_delivery=functools.partial(self._delivered, item.tenant_id, t, item.leaf_index))
        t.in_flight += 1
        self._in_flight += 1

    def _delivered(self, tenant_id: str, t: _Tenant, leaf_index: int,
                   err: KafkaError | None, _msg: Message) -> None:
        """The client's answer for one message (called on the sink's thread, in poll)."""
        t.in_flight = max(t.in_flight - 1, 0)
        self._in_flight = max(self._in_flight - 1, 0)
        if err is not None:
            self._counts["delivery_failures"] += 1
            self._last_error = f"delivery: {err.str()}"
            t.failed = True
            self._behind.add(tenant_id)  # sent again from the cursor once none is in flight
            return
        if leaf_index < t.acked or leaf_index in t.done:
            return  # a message sent again after a rewind
        self._counts["published"] += 1
        t.done.add(leaf_index)
        while t.acked in t.done:
            t.done.discard(t.acked)
            t.acked += 1

    def _save(self, force: bool = False) -> None:
        moved = [(tenant_id, t.acked) for tenant_id, t in list(self._tenants.items())
                 if t.acked > t.saved]
        if not moved:
            return
        try:
            self.stream.save_cursors(moved)
        except Exception as exc:
            if force:
                log.warning("kafka sink: saving cursors failed: %s", exc)
            self._last_error = f"store: {exc}"
            return
        for tenant_id, position in moved:
            self._tenants[tenant_id].saved = position

    def _client_error(self, err: KafkaError) -> None:
        self._last_error = f"client: {err.str()}"
        if err.fatal():
            self._fatal = True
            log.warning("kafka sink: fatal client error, starting a new client: %s", err.str())
        else:
            log.debug("kafka client: %s", err.str())

    # -- what /healthz shows ----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counters of this process's sink: ``lag`` is the leaves of the known tenants' logs
        not acknowledged yet (as of the thread's last look), ``caught_up`` when none, the
        thread has looked at every tenant since it started and has read past every append
        it was told of."""
        tenants = list(self._tenants.values())
        lag = sum(max(t.size - t.acked, 0) for t in tenants)
        return {"topic": self.config.topic, "bootstrap": self.config.bootstrap,
                "durable_cursors": self.stream.durable, "buffer": self.config.buffer,
                "in_flight": self._in_flight, "lag": lag,
                "caught_up": self._looked and self._settled and lag == 0,
                **self._counts, "last_error": self._last_error}
