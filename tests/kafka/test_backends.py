"""The Kafka sink on every backend (embedded, Neo4j, Dgraph on their real servers): what it
publishes is the tenant's export, in chain order per trace, and a sink started again goes on
from the cursor (kept in the store where the store keeps held items)."""

from __future__ import annotations

import pytest
from tracegraph.api.kafka.sink import KafkaSink, KafkaSinkConfig
from tracegraph.api.service import TraceService
from tracegraph.api.service.transfer import export_lines
from tracegraph.graph.protocol import PendingStore
from tracegraph.schema.transfer import EXPORT_LINE

from ..conformance import conftest as conformance
from ..conformance.builders import small_trace
from .conftest import Broker, consume
from .test_sink import assert_chain_order, wait_caught_up

# the conformance suite's fixtures: each backend on its real server, a fresh tenant per test
harness = conformance.harness
store = conformance.store
service = conformance.service
tenant = conformance.tenant


def _sink(service: TraceService, topic: str, tenant: str) -> KafkaSink:
    # only this test's tenant: the database is shared with the conformance suite's tenants
    sink = KafkaSink(service, KafkaSinkConfig(Broker.bootstrap, topic, poll_interval=0.5,
                                              tenants=frozenset({tenant})))
    sink.start()
    return sink


def test_every_backend_publishes_its_export_and_resumes_from_the_cursor(
        broker: Broker, topic: str, service: TraceService, tenant: str) -> None:
    sink = _sink(service, topic, tenant)
    try:
        small_trace(service, tenant, steps=3)
        small_trace(service, tenant, steps=2, complete=False)
        first = wait_caught_up(sink)["published"]
    finally:
        sink.stop()
    before = [x for x in export_lines(service, tenant) if "leaf_index" in x]
    assert first == len(before)
    small_trace(service, tenant, session="s2", steps=1)  # appended while no sink runs
    sink = _sink(service, topic, tenant)
    try:
        durable = sink.stream.durable
        assert durable == isinstance(service.store, PendingStore)
        assert sink.stream.cursor(tenant) == (len(before) if durable else 0)
        wait_caught_up(sink)
    finally:
        sink.stop()
    lines = [x for x in export_lines(service, tenant) if "leaf_index" in x]
    got = consume(topic, lambda g: len({r.leaf for r in g}) >= len(lines))
    by_leaf = {r.leaf: r.line for r in got}
    assert [by_leaf[i] for i in range(len(lines))] == lines
    for r in got:
        EXPORT_LINE.validate_python(r.line)  # each message is a line of the export file
    assert_chain_order(got)
    if durable:  # what was acknowledged before is not sent again
        assert len(got) == len(lines)
    else:
        pytest.skip(f"{service.store.backend_name} keeps no held items (PendingStore): a "
                    "restarted sink publishes the tenant's log again from its start")
