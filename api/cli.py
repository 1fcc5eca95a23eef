"""The ``tracegraph`` command line: ``serve``, ``verify``, ``schema`` and ``bench`` (plus the
operator commands ``keys`` and ``retention``).

Every command goes through the service layer; none talks to a database directly.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from tracegraph.graph.protocol import GraphStore
from tracegraph.graph.registry import BACKENDS, open_store
from tracegraph.schema.errors import TraceGraphError
from tracegraph.schema.policy import StoragePolicy

from .service import TraceService

F = TypeVar("F", bound=Callable[..., Any])
DATA_DIR_ENV = "TRACEGRAPH_DATA_DIR"


def default_data_dir() -> Path:
    """``$TRACEGRAPH_DATA_DIR``, else ``~/.local/share/tracegraph``."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "tracegraph"


def store_options(fn: F) -> F:
    """The options that choose and locate a backend, shared by every command that opens one."""
    options = [
        click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="embedded",
                     show_default=True, envvar="TRACEGRAPH_BACKEND",
                     help="Storage backend."),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, help=f"Embedded store folder [default: ${DATA_DIR_ENV} or "
                     "~/.local/share/tracegraph]."),
        click.option("--neo4j-uri", default=None, envvar="TRACEGRAPH_NEO4J_URI",
                     help="Bolt URI of the Neo4j server (backend neo4j), e.g. "
                     "bolt://127.0.0.1:7687."),
        click.option("--neo4j-user", default=None, envvar="TRACEGRAPH_NEO4J_USER",
                     help="Neo4j user (backend neo4j), when the server requires auth."),
        click.option("--neo4j-password", default=None, envvar="TRACEGRAPH_NEO4J_PASSWORD",
                     help="Neo4j password (prefer the environment variable)."),
        click.option("--neo4j-database", default=None, envvar="TRACEGRAPH_NEO4J_DATABASE",
                     help="Neo4j database name (backend neo4j) [default: the server's]."),
        click.option("--dgraph-addr", default=None, envvar="TRACEGRAPH_DGRAPH_ADDR",
                     help="gRPC address of the Dgraph alpha (backend dgraph), e.g. "
                     "127.0.0.1:9080."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def open_backend(
    backend: str, data_dir: Path | None, neo4j_uri: str | None, dgraph_addr: str | None,
    neo4j_user: str | None = None, neo4j_password: str | None = None,
    neo4j_database: str | None = None,
) -> tuple[GraphStore, str]:
    """Open the chosen store; returns it and a one-line description of where it is."""
    options: dict[str, Any] = {}
    if backend == "embedded":
        where = data_dir or default_data_dir()
        options["data_dir"] = where
        location = f"embedded store in {where}"
    elif backend == "neo4j":
        given = {"uri": neo4j_uri, "user": neo4j_user, "password": neo4j_password,
                 "database": neo4j_database}
        options.update({k: v for k, v in given.items() if v is not None})
        location = f"Neo4j at {neo4j_uri or 'the default URI'}"
    else:
        if dgraph_addr:
            options["addr"] = dgraph_addr
        location = f"Dgraph at {dgraph_addr or 'the default address'}"
    try:
        return open_store(backend, **options), location
    except TraceGraphError as exc:
        raise click.ClickException(str(exc)) from None


def _echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def _errors_as_click(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TraceGraphError as exc:
            raise click.ClickException(f"{exc.code}: {exc}") from None

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tracegraph")
def main() -> None:
    """tracegraph: a graph-backed, tamper-evident store for AI-agent reasoning traces."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@store_options
@click.option("--debug", is_flag=True, help="Show unexpected errors unmasked in GraphQL "
              "responses.")
@click.option("--max-body-bytes", type=click.IntRange(min=1), default=8 * 1024 * 1024,
              show_default=True, help="Largest request body; larger ones get 413.")
@click.option("--max-ingest-bytes", type=click.IntRange(min=1, max=64 * 1024 * 1024),
              default=64 * 1024 * 1024, show_default=True,
              help="Largest body of a bulk ingest request (/v1/ingest); at most 64 MiB.")
@click.option("--max-text-bytes", type=click.IntRange(min=256), default=64 * 1024,
              show_default=True, help="Longer text fields are stored truncated, with a marker "
              "holding the original size and SHA-256.")
@click.option("--max-json-bytes", type=click.IntRange(min=256), default=256 * 1024,
              show_default=True, help="Larger JSON payloads are stored as a marker object "
              "(original size, SHA-256, preview).")
@click.option("--agent-without-reasoning", "agents_without_reasoning", multiple=True,
              metavar="AGENT_ID", help="Never store step contents of this agent (repeat the "
              "option for more); its lifecycle and rollups are still recorded.")
@_errors_as_click
def serve(host: str, port: int, backend: str, data_dir: Path | None, neo4j_uri: str | None,
          neo4j_user: str | None, neo4j_password: str | None, neo4j_database: str | None,
          dgraph_addr: str | None, debug: bool, max_body_bytes: int,
          max_ingest_bytes: int, max_text_bytes: int, max_json_bytes: int,
          agents_without_reasoning: tuple[str, ...]) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql) with uvicorn.

    With API keys (`tracegraph keys create`, kept in the data folder's control.sqlite3 for
    every backend) every request needs `Authorization: Bearer <key>`; without any, the
    server runs in local mode and refuses to listen beyond loopback.
    """
    import uvicorn

    from .app import GRAPHQL_PATH, create_app
    from .auth import Authenticator, check_bind
    from .keys import KeyStore

    policy = StoragePolicy(max_text_bytes=max_text_bytes, max_json_bytes=max_json_bytes,
                           agents_without_reasoning=frozenset(agents_without_reasoning))
    keys = KeyStore(data_dir or default_data_dir())
    auth = check_bind(host, Authenticator(keys))
    store, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                   neo4j_password, neo4j_database)
    try:
        app = create_app(TraceService(store, policy), debug=debug, auth=auth,
                         max_body_bytes=max_body_bytes, max_ingest_bytes=max_ingest_bytes)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"tracegraph: {location}")
        click.echo(f"tracegraph: GraphiQL at http://{shown}:{port}{GRAPHQL_PATH}"
                   + ("  (debug: errors unmasked)" if debug else ""))
        click.echo("tracegraph: local mode: no API keys, loopback only" if auth.local_mode()
                   else "tracegraph: API keys required (Authorization: Bearer <key>)")
        uvicorn.run(app, host=host, port=port, log_level="debug" if debug else "info")
    finally:
        store.close()
        keys.close()


@main.command()
@click.option("--trace-id", default=None, help="Verify this trace's hash chain.")
@click.option("--session-id", default=None, help="Verify every trace of this session.")
@click.option("--tenant", default="default", show_default=True, help="Tenant the ids belong to.")
@store_options
@_errors_as_click
def verify(trace_id: str | None, session_id: str | None, tenant: str, backend: str,
           data_dir: Path | None, neo4j_uri: str | None, neo4j_user: str | None,
           neo4j_password: str | None, neo4j_database: str | None,
           dgraph_addr: str | None) -> None:
    """Recompute hash chains; prints the result as JSON, exits 1 when a chain is broken."""
    if (trace_id is None) == (session_id is None):
        raise click.UsageError("give exactly one of --trace-id and --session-id")
    store, _ = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                            neo4j_password, neo4j_database)
    try:
        service = TraceService(store)
        if trace_id is not None:
            result = service.verify_trace(tenant, trace_id)
        else:
            assert session_id is not None
            result = service.verify_session(tenant, session_id)
    finally:
        store.close()
    _echo_json(result.model_dump(by_alias=False))
    if not result.valid:
        sys.exit(1)


@main.command()
def schema() -> None:
    """Print the GraphQL schema (SDL), as committed in schema.graphql."""
    from .graphql.schema import sdl

    click.echo(sdl(), nl=False)


@main.command()
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
              type=click.Choice(["embedded", "neo4j", "dgraph"]),
              help="Backends to measure; repeat [default: all three; Neo4j and Dgraph rows "
              "say 'not running' when their servers do not answer].")
@click.option("--backend-steps", default=7_000, show_default=True, type=click.IntRange(700),
              help="Steps ingested into Neo4j and Dgraph.")
@click.option("--backend-warmup", default=7_000, show_default=True, type=click.IntRange(0),
              help="Steps ingested into Neo4j untimed first (its JIT warm-up; 0: none).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Parent folder of the benchmark's own stores [default: the temp folder].")
@click.option("--neo4j-uri", default=None, envvar="TRACEGRAPH_NEO4J_URI")
@click.option("--dgraph-addr", default=None, envvar="TRACEGRAPH_DGRAPH_ADDR")
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
    from tracegraph.bench.suite import Options, run_suite, write_json

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


def _add_admin_commands() -> None:
    """The operator commands (keys, retention); they use this module's store options."""
    from .admin_cli import keys, retention

    main.add_command(keys)
    main.add_command(retention)


_add_admin_commands()
