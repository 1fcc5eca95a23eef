"""A real Apache Kafka 4.1 broker (KRaft) for the stream's tests, from ``scripts/kafka``.

Started once per session (``scripts/kafka start`` is idempotent: it resolves the broker's
jars from Maven Central the first time and returns when a metadata request is answered) on
``KAFKA_PORT`` (default 9092). Locally a broker that cannot start skips these tests; under
CI=true it fails them. Each test publishes to a fresh topic.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from ..conformance.harness import unavailable

pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError
from confluent_kafka.admin import AdminClient

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "kafka"
PORT = int(os.environ.get("KAFKA_PORT", "9092"))
BOOTSTRAP = f"127.0.0.1:{PORT}"
START_TIMEOUT = 900  # a first start resolves the broker's jars (Maven downloads)


class Broker:
    """The broker ``scripts/kafka`` runs; tests stop and start it to make outages."""

    bootstrap = BOOTSTRAP

    def _run(self, verb: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), verb], capture_output=True, text=True,
                              timeout=START_TIMEOUT, env={**os.environ, "KAFKA_PORT": str(PORT)})

    def start(self) -> None:
        done = self._run("start")
        if done.returncode != 0:
            raise RuntimeError(f"scripts/kafka start failed: {done.stderr[-3000:]}")

    def stop(self) -> None:
        done = self._run("stop")
        if done.returncode != 0:
            raise RuntimeError(f"scripts/kafka stop failed: {done.stderr[-3000:]}")


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    b = Broker()
    try:
        b.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        unavailable(f"no Kafka broker at {BOOTSTRAP}: {exc}")
    yield b
    # left running, like the Neo4j and Dgraph servers: `scripts/kafka stop` ends it


@pytest.fixture
def topic(broker: Broker) -> Iterator[str]:
    """A fresh topic, deleted after the test (the broker's data is kept between runs)."""
    name = f"tg-test-{uuid.uuid4().hex[:12]}"
    yield name
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for future in admin.delete_topics([name], operation_timeout=10).values():
        # (never created when a test failed early; the broker may be away)
        with contextlib.suppress(Exception):
            future.result(timeout=15)


@dataclass(frozen=True)
class Received:
    """One consumed message, decoded."""

    key: str
    partition: int
    offset: int
    tenant: str
    leaf: int
    line: dict[str, object] = field(hash=False)

    @property
    def seq(self) -> int | None:
        """The entry's seq (of an ``entry`` or ``removed_entry`` line; None for a tombstone)."""
        body = self.line.get("entry", self.line.get("leaf"))
        return int(body["seq"]) if isinstance(body, dict) else None

    @property
    def trace_id(self) -> str:
        body = self.line.get("entry", self.line.get("leaf", self.line.get("tombstone")))
        assert isinstance(body, dict)
        return str(body["trace_id"])


def consume(topic: str, until: Callable[[list[Received]], bool], *,
            timeout: float = 60.0) -> list[Received]:
    """Every message of ``topic`` from its start, in arrival order, read until ``until`` of
    them holds (then a short while more, so extra copies show) or ``timeout`` passes."""
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": uuid.uuid4().hex,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "topic.metadata.refresh.interval.ms": 500})
    consumer.subscribe([topic])
    got: list[Received] = []
    deadline = time.monotonic() + timeout
    settle: float | None = None
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                headers = dict(msg.headers() or [])
                got.append(Received(
                    key=(msg.key() or b"").decode(), partition=msg.partition() or 0,
                    offset=msg.offset() or 0, tenant=headers["tracegraph-tenant"].decode(),
                    leaf=int(headers["tracegraph-leaf"].decode()),
                    line=orjson.loads(msg.value() or b"{}")))
            elif msg is not None and msg.error().code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise AssertionError(f"consumer error: {msg.error()}")
            if settle is None and until(got):
                settle = time.monotonic() + 1.0
            if settle is not None and time.monotonic() > settle:
                return got
    finally:
        consumer.close()
    raise AssertionError(f"{topic}: gave up after {timeout} s with {len(got)} messages")
