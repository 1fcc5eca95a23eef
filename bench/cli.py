"""The ``tracegraph bench`` command: a plugin of the ``tracegraph`` command line.

Registered under the ``tracegraph.commands`` entry-point group (pyproject.toml), so the API
package never imports the benchmark; it shares the API's backend options.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tracegraph.api.cli_options import dgraph_addr_option, neo4j_uri_option
from tracegraph.api.service import BACKEND_NAMES

from .report import write_json
from .suite import Options, run_suite


@click.command()
@click.option("--steps", "sizes", type=click.IntRange(700), multiple=True,
              help="Store size to grow to; repeat for several [default: 10000 and 100000]. "
              "Add --steps 1000000 for the 1M-step row (about 4 minutes more here).")
@click.option("--http-steps", default=21_000, show_default=True, type=click.IntRange(700),
              help="Steps sent over HTTP, once as bulk NDJSON and once as GraphQL mutations.")
@click.option("--fetch-rounds", default=50, show_default=True, type=click.IntRange(1),
              help="Timed GraphQL fetches of one 700-step run (p50, p95).")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 1000),
              help="Steps per recordSteps call (a trace's steps, up to this many).")
@click.option("--backend", "backends", multiple=True,
              type=click.Choice(BACKEND_NAMES),
              help="Backends to measure; repeat [default: all three; Neo4j and Dgraph rows "
              "say 'not running' when their servers do not answer].")
@click.option("--backend-steps", default=7_000, show_default=True, type=click.IntRange(700),
              help="Steps ingested into Neo4j and Dgraph.")
@click.option("--backend-warmup", default=7_000, show_default=True, type=click.IntRange(0),
              help="Steps ingested into Neo4j untimed first (its JIT warm-up; 0: none).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Parent folder of the benchmark's own stores [default: the temp folder].")
@neo4j_uri_option
@dgraph_addr_option
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the report as JSON here.")
def bench(sizes: tuple[int, ...], http_steps: int, fetch_rounds: int, batch: int,
          backends: tuple[str, ...], backend_steps: int, backend_warmup: int,
          data_dir: Path | None,
          neo4j_uri: str | None, dgraph_addr: str | None, json_path: Path | None) -> None:
    """Measure ingest, fetch, verification, memory, disk and reopen; print the table.

    A deterministic nested multi-agent workload goes into fresh stores of its own (never
    your data folder); see bench/suite.py for what each figure means.
    """
    opts = Options(
        sizes=list(sizes) or [10_000, 100_000], http_steps=http_steps,
        fetch_rounds=fetch_rounds, batch=batch,
        backends=list(backends) or ["embedded", "neo4j", "dgraph"],
        backend_steps=backend_steps, backend_warmup=backend_warmup,
        data_dir=str(data_dir) if data_dir else None,
        neo4j_uri=neo4j_uri, dgraph_addr=dgraph_addr,
        command="tracegraph bench " + " ".join(sys.argv[2:]))
    with click.progressbar(length=opts.work_units(), label="benchmark",
                           file=sys.stderr) as bar:
        def progress(units: int, label: str) -> None:
            bar.label = f"{label:<22}"
            bar.update(units)

        report = run_suite(opts, progress)
    click.echo(report.table())
    if json_path is not None:
        write_json(report, json_path)
