"""What the Kafka stream costs ingest, and how fast it catches up (docs/kafka.md).

In process, on a fresh embedded store per mode, the bench workload (700 steps per run,
:mod:`.workload`) ingested through the service layer:

* ``off``: no sink;
* ``on``: a sink publishing to a real broker (``--bootstrap``, e.g. ``scripts/kafka start``),
  then the time until every leaf is acknowledged (``drain``);
* ``down``: a sink whose broker is away (a closed loopback port): what an outage costs;
* ``catch-up``: the runs stored first with no sink, then a sink started: leaves published
  per second from the store, as after an outage or a restart.

    .venv/bin/python -m tracegraph.bench.kafka --bootstrap 127.0.0.1:9092 --runs 4

Wall time on a shared machine is noisy: CPU seconds (the whole process, so the sink's
thread too) and the load average are printed beside it.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import click
from tracegraph.api.kafka.sink import KafkaSink, KafkaSinkConfig
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore

from .timed_ingest import apply
from .workload import InputOp, as_inputs, make_run

TENANT = "bench"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(sink: KafkaSink, timeout: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        s = sink.stats()
        if s["caught_up"] and not s["in_flight"] and sink.stream.size(TENANT) > 0:
            return time.perf_counter() - t0
        time.sleep(0.01)
    raise click.ClickException(f"the sink did not catch up in {timeout} s: {sink.stats()}")


def _ingest(service: TraceService, ops: list[list[InputOp]]) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    for run in ops:
        for op in run:
            apply(service, TENANT, op)
    return time.perf_counter() - w0, time.process_time() - c0


def _mode(name: str, ops: list[list[InputOp]], steps: int,
          body: Callable[[TraceService, list[list[InputOp]]], str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        service = TraceService(EmbeddedStore(Path(tmp) / "data"))
        try:
            extra = body(service, ops)
        finally:
            service.close()
    load = os.getloadavg()[0]
    click.echo(f"{name:9} {steps:6,} steps  {extra}  (load {load:.1f})")


@click.command()
@click.option("--bootstrap", required=True, help="A running broker, e.g. 127.0.0.1:9092.")
@click.option("--runs", default=4, show_default=True, type=click.IntRange(1, 100),
              help="Runs of the bench workload (700 steps each) per mode.")
@click.option("--modes", default="off,on,down,catch-up", show_default=True)
def main(bootstrap: str, runs: int, modes: str) -> None:
    """Ingest with the Kafka sink off, on, with its broker away, and the catch-up rate."""
    ops = [as_inputs(make_run(i)) for i in range(runs)]
    steps = sum(len(op.payload) for run in ops for op in run if op.kind == "record_steps")

    def config(broker: str) -> KafkaSinkConfig:
        return KafkaSinkConfig(broker, f"bench-{uuid.uuid4().hex[:8]}")

    def rate(seconds: float, cpu: float) -> str:
        return (f"ingest {seconds:6.2f} s wall = {steps / seconds:7,.0f} steps/s, "
                f"{cpu:6.2f} s CPU = {steps / cpu:7,.0f} steps/CPU-s")

    def off(service: TraceService, ops: list[list[InputOp]]) -> str:
        return rate(*_ingest(service, ops))

    def on(service: TraceService, ops: list[list[InputOp]]) -> str:
        sink = KafkaSink(service, config(bootstrap))
        sink.start()
        try:
            line = rate(*_ingest(service, ops))
            drain = _wait(sink, 300)
        finally:
            sink.stop()
        return f"{line}; drained {drain:.2f} s after"

    def down(service: TraceService, ops: list[list[InputOp]]) -> str:
        sink = KafkaSink(service, config(f"127.0.0.1:{_closed_port()}"))
        sink.start()
        try:
            line = rate(*_ingest(service, ops))
            lag = sink.stats()["lag"]
        finally:
            sink.stop(timeout=0.5)
        return f"{line}; lag {lag:,} leaves"

    def catch_up(service: TraceService, ops: list[list[InputOp]]) -> str:
        _ingest(service, ops)
        size = service.store.log_head(TENANT).size  # type: ignore[attr-defined]
        sink = KafkaSink(service, config(bootstrap))
        c0 = time.process_time()
        sink.start()
        try:
            seconds = _wait(sink, 600)
        finally:
            sink.stop()
        cpu = time.process_time() - c0
        return (f"catch-up of {size:,} leaves {seconds:6.2f} s wall = "
                f"{size / seconds:7,.0f} leaves/s, {cpu:6.2f} s CPU")

    bodies = {"off": off, "on": on, "down": down, "catch-up": catch_up}
    for name in modes.split(","):
        _mode(name, ops, steps, bodies[name])


if __name__ == "__main__":
    main()
