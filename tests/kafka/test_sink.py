"""The Kafka sink against a real broker: every appended entry arrives, key = trace id, in
chain order per trace, at least once, through a broker outage and a restart of tracegraph."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tracegraph.api.kafka.sink import KafkaSink, KafkaSinkConfig
from tracegraph.api.service import TraceService
from tracegraph.api.service.transfer import export_lines
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

from .conftest import Broker, Received, consume

TENANT = "acme"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[TraceService]:
    s = TraceService(EmbeddedStore(tmp_path / "data"))
    yield s
    s.close()


def start_sink(service: TraceService, topic: str, **options: float) -> KafkaSink:
    sink = KafkaSink(service, KafkaSinkConfig(Broker.bootstrap, topic, poll_interval=0.5,
                                              **options))  # type: ignore[arg-type]
    sink.start()
    return sink


def wait_caught_up(sink: KafkaSink, timeout: float = 90.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = sink.stats()
        if stats["caught_up"] and stats["in_flight"] == 0 and stats["lag"] == 0:
            return stats
        time.sleep(0.1)
    raise AssertionError(f"the sink did not catch up in {timeout} s: {sink.stats()}")


def new_trace(service: TraceService, tenant: str = TENANT) -> str:
    return service.start_trace(tenant, StartTraceInput(session_id="s1", agent_id="agent",
                                                       goal="g")).trace_id


def step(service: TraceService, trace_id: str, i: int, tenant: str = TENANT) -> None:
    service.record_steps(tenant, trace_id, [StepInput(step_type="Reasoning",
                                                      content=f"thought {i}")])


def leaves_seen(got: list[Received], tenant: str = TENANT) -> set[int]:
    return {r.leaf for r in got if r.tenant == tenant}


def assert_chain_order(got: list[Received]) -> None:
    """Key = the entry's trace, one partition per key, and no entry before its predecessor
    (a copy sent again after an outage may repeat a run, in order)."""
    partition: dict[str, int] = {}
    seen: dict[tuple[str, str], set[int]] = {}
    for r in got:
        assert r.key == r.trace_id
        assert partition.setdefault(r.key, r.partition) == r.partition
        if r.seq is None:  # a tombstone: after the trace's entries
            continue
        done = seen.setdefault((r.tenant, r.key), set())
        assert r.seq == 0 or r.seq - 1 in done, f"{r.key} seq {r.seq} before {r.seq - 1}"
        done.add(r.seq)


def test_every_entry_arrives_keyed_by_trace_in_chain_order(
        broker: Broker, topic: str, service: TraceService) -> None:
    sink = start_sink(service, topic)
    try:
        a, b = new_trace(service), new_trace(service)
        other = new_trace(service, "beta")
        for i in range(12):  # two traces interleaved, and another tenant's
            step(service, a, i)
            step(service, b, i)
            if i % 4 == 0:
                step(service, other, i, "beta")
        for t in (a, b):
            service.complete_trace(TENANT, t, CompleteTraceInput(outcome="success"))
        stats = wait_caught_up(sink)
    finally:
        sink.stop()
    expected = {tenant: [x for x in export_lines(service, tenant) if "leaf_index" in x]
                for tenant in (TENANT, "beta")}
    total = sum(map(len, expected.values()))
    got = consume(topic, lambda g: len(g) >= total)
    assert len(got) == total  # no outage: each entry exactly once (idempotent producer)
    for tenant, lines in expected.items():
        assert sorted((r.line for r in got if r.tenant == tenant),
                      key=lambda x: int(str(x["leaf_index"]))) == lines
    assert_chain_order(got)
    for key in (a, b, other):  # one trace's messages in leaf order, in one partition
        leaves = [r.leaf for r in got if r.key == key]
        assert leaves == sorted(leaves)
    assert {r.key for r in got} == {a, b, other}
    assert stats["published"] == total and stats["delivery_failures"] == 0


def test_a_broker_outage_neither_fails_nor_slows_ingest_and_is_caught_up(
        broker: Broker, topic: str, service: TraceService) -> None:
    buffer = 40
    sink = start_sink(service, topic, buffer=buffer, message_timeout_ms=2000)
    try:
        a, b = new_trace(service), new_trace(service)
        t0 = time.perf_counter()
        for i in range(100):
            step(service, a if i % 2 else b, i)
        with_broker = time.perf_counter() - t0
        wait_caught_up(sink)
        broker.stop()
        try:
            slowest, t0 = 0.0, time.perf_counter()
            for i in range(100, 400):  # every append succeeds, none waits for the broker
                t1 = time.perf_counter()
                step(service, a if i % 2 else b, i)
                slowest = max(slowest, time.perf_counter() - t1)
            without_broker = time.perf_counter() - t0
            time.sleep(1.0)
            during = sink.stats()
            time.sleep(2.5)  # past the client's message timeout: the sink will send again
        finally:
            broker.start()
        assert during["in_flight"] <= buffer  # the rest waits in the store
        assert during["lag"] >= 300 - buffer and not during["caught_up"]
        assert slowest < 1.0, f"an append took {slowest:.3f} s with the broker away"
        # (300 appends without the broker vs 100 with it: no slower per append, with slack)
        assert without_broker < 3 * with_broker * 3 + 1.0
        stats = wait_caught_up(sink)
    finally:
        sink.stop()
    size = 2 + 400
    got = consume(topic, lambda g: len(leaves_seen(g)) >= size)
    assert leaves_seen(got) == set(range(size))  # none missing
    assert_chain_order(got)
    assert stats["delivery_failures"] > 0 and stats["rewinds"] > 0  # the resend path ran


def test_tracegraph_restarted_while_behind_catches_up(
        broker: Broker, topic: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    service = TraceService(EmbeddedStore(data))
    sink = start_sink(service, topic)
    a = new_trace(service)
    for i in range(10):
        step(service, a, i)
    wait_caught_up(sink)
    broker.stop()
    try:
        for i in range(10, 40):
            step(service, a, i)
        sink.stop(timeout=1.0)  # tracegraph stops while 30 entries are not published
        service.close()
    finally:
        broker.start()
    service = TraceService(EmbeddedStore(data))
    sink = start_sink(service, topic)
    try:
        assert sink.stream.durable and sink.stream.cursor(TENANT) == 11
        wait_caught_up(sink)
    finally:
        sink.stop()
        service.close()
    got = consume(topic, lambda g: len(leaves_seen(g)) >= 41)
    assert leaves_seen(got) == set(range(41))
    assert_chain_order(got)
    # the cursor was kept: what was acknowledged before the restart is not sent again
    assert sorted(r.leaf for r in got if r.leaf < 11) == list(range(11))


def test_a_trace_removed_by_retention_is_published_as_its_log_records_and_tombstone(
        broker: Broker, topic: str, service: TraceService) -> None:
    old = service.start_trace(TENANT, StartTraceInput(
        session_id="s0", agent_id="agent", goal="g", created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    for i in range(3):
        step(service, old.trace_id, i)
    service.complete_trace(TENANT, old.trace_id, CompleteTraceInput(outcome="success"))
    kept = new_trace(service)
    step(service, kept, 0)
    report = service.apply_retention(TENANT, 30)  # before any sink read the old trace
    assert [t.trace_id for t in report.removed] == [old.trace_id]
    sink = start_sink(service, topic)
    try:
        wait_caught_up(sink)
    finally:
        sink.stop()
    lines = [x for x in export_lines(service, TENANT) if "leaf_index" in x]
    got = consume(topic, lambda g: len(g) >= len(lines))
    assert sorted((r.line for r in got), key=lambda x: int(str(x["leaf_index"]))) == lines
    removed = [r for r in got if r.key == old.trace_id]
    assert [r.line["type"] for r in removed] == ["removed_entry"] * 5 + ["tombstone"]
    assert_chain_order(got)
