"""OTLP ingest until queryable: nested agent runs sent to ``POST /v1/traces`` of one server.

    python -m tracegraph.bench.otlp [--runs 10] [--agents 7] [--spans-per-agent 100]

Each run is one OTLP trace of ``--agents`` nested agents (each agent spawned by a tool
span of the one above it), each with ``--spans-per-agent`` LLM and tool spans carrying
token usage. Spans are sent as the OpenTelemetry SDK's batch processor sends them: in end
order (children before their parents), ``--batch`` spans per protobuf request. The clock
runs from the first request to a GraphQL read that sees every trace completed and every
step; the figure is spans per second (and the server's CPU time per span while the
requests are answered, which a loaded machine disturbs less). The server is
``python -m tracegraph.bench.server`` (embedded store) in its own process.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import click
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from .measure import Server, cpu_seconds

COUNT_QUERY = """query($f: TraceFilter, $after: String) {
  traces(filter: $f, first: 100, after: $after) {
    edges { node { status steps { stepId } } } pageInfo { hasNextPage endCursor } } }"""


def _kv(key: str, value: str | int) -> KeyValue:
    v = AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
    return KeyValue(key=key, value=v)


def run_spans(rng: random.Random, agents: int, per_agent: int, t0: int) -> list[Span]:
    """One run's spans in end order (post-order: children before parents)."""
    trace_id = rng.randbytes(16)
    out: list[Span] = []
    clock = [t0]

    def tick() -> int:
        clock[0] += 1000
        return clock[0]

    def agent(depth: int, parent: bytes | None) -> None:
        span_id = rng.randbytes(8)
        start = tick()
        for i in range(per_agent):
            sid = rng.randbytes(8)
            kind = "LLM" if i % 2 == 0 else "TOOL"
            attrs = [_kv("openinference.span.kind", kind),
                     _kv("input.value", f"input {depth}.{i}"),
                     _kv("output.value", f"output {depth}.{i}")]
            if kind == "LLM":
                attrs += [_kv("llm.model_name", "gpt-4o"), _kv("llm.token_count.prompt", 50),
                          _kv("llm.token_count.completion", 20)]
            else:
                attrs.append(_kv("tool.name", f"tool-{i % 7}"))
            s_start = tick()
            if i == per_agent - 1 and depth + 1 < agents:
                agent(depth + 1, sid)  # the last tool span spawns the next agent
            out.append(Span(trace_id=trace_id, span_id=sid, parent_span_id=span_id,
                            name=f"{kind.lower()}-{i}", start_time_unix_nano=s_start,
                            end_time_unix_nano=tick(), attributes=attrs))
        out.append(Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent or b"",
                        name=f"agent-{depth}", start_time_unix_nano=start,
                        end_time_unix_nano=tick(),
                        attributes=[_kv("openinference.span.kind", "AGENT"),
                                    _kv("gen_ai.agent.name", f"agent-{depth}"),
                                    _kv("input.value", f"goal {depth}")]))

    agent(0, None)
    return out


def requests_of(spans: list[Span], batch: int) -> list[bytes]:
    out = []
    for i in range(0, len(spans), batch):
        req = ExportTraceServiceRequest()
        ss = req.resource_spans.add().scope_spans.add()
        ss.spans.extend(spans[i:i + batch])
        out.append(req.SerializeToString())
    return out


def _send(url: str, bodies: list[bytes]) -> int:
    """Post ``bodies`` in order on one connection; the spans the server rejected."""
    rejected = 0
    with httpx.Client(base_url=url, timeout=600) as client:
        for body in bodies:
            r = client.post("/v1/traces", content=body, headers={
                "Content-Type": "application/x-protobuf", "X-Org-Id": "bench"})
            r.raise_for_status()
            rejected += ExportTraceServiceResponse.FromString(
                r.content).partial_success.rejected_spans
    return rejected


def queryable(client: httpx.Client, tenant: str, traces: int, steps: int) -> bool:
    seen_traces = seen_steps = 0
    after = None
    while True:
        r = client.post("/graphql", json={"query": COUNT_QUERY,
                                          "variables": {"f": None, "after": after}},
                        headers={"X-Org-Id": tenant})
        page = r.json()["data"]["traces"]
        for e in page["edges"]:
            seen_traces += e["node"]["status"] == "COMPLETED"
            seen_steps += len(e["node"]["steps"])
        if not page["pageInfo"]["hasNextPage"]:
            return seen_traces == traces and seen_steps == steps
        after = page["pageInfo"]["endCursor"]


@click.command(help=__doc__.splitlines()[0] if __doc__ else None)
@click.option("--runs", type=click.IntRange(1), default=10, show_default=True)
@click.option("--agents", type=click.IntRange(1), default=7, show_default=True)
@click.option("--spans-per-agent", type=click.IntRange(1), default=100, show_default=True)
@click.option("--batch", type=click.IntRange(1), default=512, show_default=True,
              help="Spans per export request (the SDK's default batch size).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--senders", type=click.IntRange(1), default=1, show_default=True,
              help="Exporters sending at once, each the runs of its own agents (one: every "
                   "run's spans in one stream of requests, in order).")
def main(runs: int, agents: int, spans_per_agent: int, batch: int, seed: int,
         senders: int) -> None:
    rng = random.Random(seed)
    per_run = [run_spans(rng, agents, spans_per_agent, 1_700_000_000 * 10**9 + r)
               for r in range(runs)]
    spans = [s for run in per_run for s in run]
    if senders == 1:
        streams = [requests_of(spans, batch)]
    else:  # sender i exports runs i, i + senders, ... (an agent process's own exporter)
        streams = [requests_of([s for run in per_run[i::senders] for s in run], batch)
                   for i in range(senders)]
    bodies = [b for stream in streams for b in stream]
    traces, steps = runs * agents, runs * agents * spans_per_agent
    with tempfile.TemporaryDirectory() as data:
        server = Server("embedded", {"data_dir": Path(data)})
        try:
            with httpx.Client(base_url=server.url, timeout=600) as client:
                cpu0 = cpu_seconds(server.pid)
                t0 = time.perf_counter()
                with ThreadPoolExecutor(len(streams)) as pool:
                    rejected = sum(pool.map(partial(_send, server.url), streams))
                sent = time.perf_counter() - t0
                cpu_sent = cpu_seconds(server.pid) - cpu0
                ok = queryable(client, "bench", traces, steps)
                total = time.perf_counter() - t0
        finally:
            server.stop()
    load = os.getloadavg()
    click.echo(f"OTLP ingest: {len(spans)} spans ({runs} runs x {agents} nested agents x "
               f"{spans_per_agent} spans + agent spans) in {len(bodies)} requests of "
               f"<= {batch} from {senders} sender{'s' if senders > 1 else ''}")
    click.echo(f"  sent in {sent:.2f} s, queryable after {total:.2f} s "
               f"(all {traces} traces completed, {steps} steps: {ok}; rejected {rejected})")
    click.echo(f"  {len(spans) / total:,.0f} spans/s until queryable "
               f"({len(spans) / sent:,.0f} spans/s ingest alone)")
    click.echo(f"  server CPU while sending: {cpu_sent:.2f} s = "
               f"{cpu_sent / len(spans) * 1e6:.0f} us per span "
               f"({len(spans) / cpu_sent:,.0f} spans per CPU second)")
    click.echo(f"  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on "
               f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
