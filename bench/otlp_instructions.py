"""OTLP ingest in process, measured in instructions: decode, mapping and the service layer.

The same requests ``bench/otlp.py`` sends (runs of nested agents, children first, 512 spans
per protobuf request) go through what ``POST /v1/traces`` does after reading the body:
:func:`~tracegraph.api.otlp.decode.decode_protobuf` and
:meth:`~tracegraph.api.otlp.ingest.OtlpIngestor.ingest`, without HTTP. Run it under
callgrind with instrumentation off at start; the script turns it on for the ingest only
(building the requests, opening the store and a small warm-up request of another tenant
excluded: a serving process did those long ago):

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python -m tracegraph.bench.otlp_instructions --runs 2

``Collected`` in valgrind's summary, divided by the spans printed, is instructions per
span. ``--decode-only`` counts decoding alone. The collector is disabled meanwhile
(``gc.disable``), so a collection's placement does not move the count between runs.
Without callgrind the script still runs and prints the CPU time per span.
"""

from __future__ import annotations

import cProfile
import gc
import random
import tempfile
import time
from pathlib import Path

import click
from tracegraph.api.otlp.decode import decode_protobuf
from tracegraph.api.otlp.ingest import OtlpIngestor
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore

from .ingest_instructions import _instrument
from .otlp import requests_of, run_spans


@click.command()
@click.option("--runs", default=2, show_default=True, type=click.IntRange(1, 100))
@click.option("--agents", type=click.IntRange(1), default=7, show_default=True)
@click.option("--spans-per-agent", type=click.IntRange(1), default=100, show_default=True)
@click.option("--batch", type=click.IntRange(1), default=512, show_default=True)
@click.option("--decode-only", is_flag=True, help="Count decoding the requests alone.")
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a cProfile of the measured part to this file.")
def main(runs: int, agents: int, spans_per_agent: int, batch: int, decode_only: bool,
         profile: Path | None) -> None:
    """Ingest RUNS runs of OTLP spans in process, counting instructions under callgrind."""
    rng = random.Random(1)
    spans = [s for r in range(runs)
             for s in run_spans(rng, agents, spans_per_agent, 1_700_000_000 * 10**9 + r)]
    bodies = requests_of(spans, batch)
    with tempfile.TemporaryDirectory() as tmp:
        service = TraceService(EmbeddedStore(Path(tmp) / "data"))
        ingestor = OtlpIngestor(service)
        # one small run of another tenant first: what a serving process did long ago
        # (lazy imports, compiled patterns, the first connection) is not counted
        for body in requests_of(run_spans(random.Random(0), 2, 2, 1), batch):
            ingestor.ingest("warm-up", decode_protobuf(body))
        rejected = 0
        profiler = cProfile.Profile() if profile else None
        gc.collect()
        gc.disable()
        cpu = time.process_time()
        _instrument(True)
        if profiler:
            profiler.enable()
        for body in bodies:
            decoded = decode_protobuf(body)
            if not decode_only:
                rejected += ingestor.ingest("bench", decoded).rejected_count
        if profiler:
            profiler.disable()
        _instrument(False)
        cpu = time.process_time() - cpu
        if profiler and profile:
            profiler.dump_stats(profile)
        gc.enable()
        held = ingestor.pending_count()
        service.close()
    click.echo(f"{len(spans):,} spans in {len(bodies)} requests "
               f"({'decoded only' if decode_only else 'ingested'}; rejected {rejected}, "
               f"still held {held}); "
               f"CPU {cpu / len(spans) * 1e6:.1f} us per span")


if __name__ == "__main__":
    main()
