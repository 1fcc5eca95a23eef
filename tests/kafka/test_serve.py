"""``tracegraph serve --kafka-bootstrap``: two servers on one database publish every entry
of both (at least once, in chain order per trace) and show the stream's counters at /healthz."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from ..helpers.processes import SCRIPT, free_port, wait_until_serving
from .conftest import Broker, consume
from .test_sink import assert_chain_order, leaves_seen

TENANT = "acme"


@pytest.fixture
def servers(broker: Broker, topic: str, tmp_path: Path) -> Iterator[list[str]]:
    env = {**os.environ, "TRACEGRAPH_KAFKA_BOOTSTRAP": broker.bootstrap,
           "TRACEGRAPH_KAFKA_TOPIC": topic, "TRACEGRAPH_CHECKPOINT_INTERVAL": "0"}
    procs, urls = [], []
    try:
        for i in range(2):
            port = free_port()
            log = tmp_path / f"serve-{i}.log"
            with log.open("wb") as out:
                procs.append(subprocess.Popen(
                    [SCRIPT, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
                    env=env, stdout=out, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
            wait_until_serving(urls[-1], procs[-1], log=log)
            assert f"Kafka stream to topic {topic}" in log.read_text()
        yield urls
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)


def _ndjson(prefix: str, traces: int, steps: int) -> bytes:
    ops: list[dict[str, object]] = []
    for t in range(traces):
        trace = f"{prefix}-{t}"
        ops.append({"op": "start_trace", "traceId": trace, "sessionId": f"{prefix}-s"})
        for k in range(steps):
            ops.append({"op": "record_steps", "traceId": trace, "steps": [
                {"stepId": f"{trace}-{k}", "stepType": "Reasoning", "content": f"step {k}"}]})
        ops.append({"op": "complete_trace", "traceId": trace, "outcome": "success"})
    return b"".join(orjson.dumps(op) + b"\n" for op in ops)


def test_two_servers_on_one_database_publish_every_entry(servers: list[str], topic: str) -> None:
    headers = {"X-Org-Id": TENANT, "Content-Type": "application/x-ndjson"}
    prefix = uuid.uuid4().hex[:8]
    for i, url in enumerate(servers * 2):
        r = httpx.post(f"{url}/v1/ingest", content=_ndjson(f"{prefix}-{i}", 3, 4),
                       headers=headers, timeout=60)
        assert r.status_code == 200, r.text
    size = 4 * 3 * 6
    got = consume(topic, lambda g: len(leaves_seen(g)) >= size)
    assert leaves_seen(got) == set(range(size))
    assert_chain_order(got)
    assert {r.key for r in got} == {f"{prefix}-{i}-{t}" for i in range(4) for t in range(3)}
    deadline = time.monotonic() + 30
    while True:
        stats = [httpx.get(f"{url}/healthz").json()["kafka"] for url in servers]
        if all(s["caught_up"] for s in stats) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert all(s["caught_up"] and s["lag"] == 0 and s["topic"] == topic for s in stats), stats
    assert sum(int(s["published"]) for s in stats) >= size
    assert all(s["durable_cursors"] for s in stats)


def test_a_bad_client_setting_is_refused_naming_it(tmp_path: Path) -> None:
    for option, named in (("no-equals-sign", "no-equals-sign"),
                          ("no.such.setting=1", "no.such.setting")):
        done = subprocess.run(
            [SCRIPT, "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "data"),
             "--kafka-bootstrap", "127.0.0.1:1", "--kafka-option", option],
            capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert "--kafka-option" in done.stderr and named in done.stderr
