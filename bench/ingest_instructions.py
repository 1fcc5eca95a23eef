"""In-process ingest of the bench workload, measured in instructions instead of seconds.

Wall and CPU time on a shared virtual machine vary by up to 2x from run to run; valgrind's
callgrind counts the instructions a run executes, the same whatever else the machine does.
Run it under callgrind with instrumentation off at start; the script turns it on for the
ingest only (workload generation and store setup excluded) and prints the steps it stored:

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python -m tracegraph.bench.ingest_instructions --runs 2 [--no-log]

``Collected`` in valgrind's summary is the figure. ``--no-log`` leaves the Merkle log's
writes out (to measure what the log costs); the collector is disabled meanwhile either way
(``gc.disable``), so a collection's placement does not move the count between runs.
"""

from __future__ import annotations

import gc
import os
import subprocess
import tempfile
from pathlib import Path

import click
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded import log as embedded_log

from .timed_ingest import apply
from .workload import as_inputs, make_run


def _instrument(on: bool) -> None:
    """Turn callgrind's instrumentation on or off for this process (nothing without it)."""
    subprocess.run(["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
                   capture_output=True, check=False)


@click.command()
@click.option("--runs", default=2, show_default=True, type=click.IntRange(1, 100),
              help="Runs of the bench workload (700 steps each) to ingest.")
@click.option("--no-log", is_flag=True, help="Leave the Merkle log's writes out.")
def main(runs: int, no_log: bool) -> None:
    """Ingest RUNS runs in process, counting instructions under callgrind."""
    real = embedded_log.append_entries
    if no_log:
        embedded_log.append_entries = lambda *args, **kwargs: None
    try:
        _ingest(runs)
    finally:
        embedded_log.append_entries = real


def _ingest(runs: int) -> None:
    ops = [as_inputs(make_run(i)) for i in range(runs)]
    steps = sum(len(op.payload) for run in ops for op in run if op.kind == "record_steps")
    with tempfile.TemporaryDirectory() as tmp:
        service = TraceService(EmbeddedStore(Path(tmp) / "data"))
        gc.collect()
        gc.disable()
        _instrument(True)
        for run in ops:
            for op in run:
                apply(service, "bench", op)
        _instrument(False)
        gc.enable()
        size = service.store.log_head("bench").size  # type: ignore[attr-defined]
        service.close()
    click.echo(f"ingested {steps:,} steps in process; log leaves: {size:,}")


if __name__ == "__main__":
    main()
