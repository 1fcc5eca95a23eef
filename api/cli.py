"""The ``tracegraph`` command line: ``serve``, ``verify``, ``diff``, ``schema``, ``ingest`` and
``bench`` (plus the operator commands ``keys`` and ``retention``, and the offline
``verify-bundle``).

Every command goes through the service layer; none talks to a database directly.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
from tracegraph.schema.limits import ClockWindow
from tracegraph.schema.policy import StoragePolicy

from .admin_cli import keys, retention
from .audit_cli import (
    checkpoint_command,
    checkpoints_group,
    optional_signing,
    proof_group,
    signing_key_group,
    signing_options,
)
from .bundle_cli import verify_bundle_command
from .cli_options import (
    default_data_dir,
    echo_json,
    errors_as_click,
    open_backend,
    store_options,
)
from .ingest_cli import ingest
from .kafka.cli import kafka_options, start_kafka
from .mcp.cli import mcp_command
from .semantic_cli import enable_semantic, semantic_options
from .transfer_cli import export_command, import_command

#: Entry-point group of commands other packages add to ``tracegraph`` (``bench``).
COMMAND_PLUGINS = "tracegraph.commands"

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
@click.option("--reasoning-ledger/--no-reasoning-ledger", default=True, show_default=True,
              envvar="TRACEGRAPH_REASONING_LEDGER", help="The deployment-wide ledger switch: "
              "off, no agent's step contents are stored (metadata, tokens and cost are).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              envvar="TRACEGRAPH_ALLOWED_HOSTS", help="Also answer requests whose Host is "
              "NAME ('*.example.com' a domain, '*' any; repeat for more) besides loopback "
              "names and --host [default beyond loopback: any].")
@click.option("--allowed-origin", "allowed_origins", multiple=True, metavar="ORIGIN",
              envvar="TRACEGRAPH_ALLOWED_ORIGINS", help="Also serve web pages of ORIGIN "
              "(e.g. https://ui.example.com; repeat for more) besides the server's own.")
@click.option("--max-future-skew", type=click.IntRange(min=0), default=24 * 3600,
              show_default=True, metavar="SECONDS", envvar="TRACEGRAPH_MAX_FUTURE_SKEW",
              help="Refuse client-given times (createdAt, answeredAt) further ahead of the "
              "server's clock.")
@click.option("--max-past-skew", type=click.IntRange(min=0), default=None, metavar="SECONDS",
              envvar="TRACEGRAPH_MAX_PAST_SKEW", help="Refuse client-given times further "
              "behind the server's clock [default: no limit, old runs can be imported].")
@click.option("--checkpoint-interval", type=click.IntRange(min=0), default=60,
              show_default=True, metavar="SECONDS", envvar="TRACEGRAPH_CHECKPOINT_INTERVAL",
              help="Sign a checkpoint of every tenant's Merkle log that grew, this often "
              "(0: only on demand, createCheckpoint / tracegraph checkpoint).")
@signing_options
@click.option("--otlp-grpc-port", type=click.IntRange(0, 65535), default=None, metavar="PORT",
              envvar="TRACEGRAPH_OTLP_GRPC_PORT", help="Also take OTLP/gRPC trace exports on "
              "PORT (4317 by convention) [default: OTLP over HTTP only, at /v1/traces].")
@semantic_options
@kafka_options
@errors_as_click
def serve(host: str, port: int, backend: str, data_dir: Path | None, neo4j_uri: str | None,
          neo4j_user: str | None, neo4j_password: str | None, neo4j_database: str | None,
          dgraph_addr: str | None, debug: bool, max_body_bytes: int,
          max_ingest_bytes: int, max_text_bytes: int, max_json_bytes: int,
          agents_without_reasoning: tuple[str, ...], reasoning_ledger: bool,
          allowed_hosts: tuple[str, ...],
          allowed_origins: tuple[str, ...], max_future_skew: int,
          max_past_skew: int | None, checkpoint_interval: int, key_dir: Path | None,
          checkpoint_dir: Path | None, log_name: str | None, otlp_grpc_port: int | None,
          semantic: dict[str, Any], kafka: dict[str, Any]) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql) with uvicorn.

    With API keys (`tracegraph keys create`, kept in the data folder's control.sqlite3 for
    every backend) every request needs `Authorization: Bearer <key>`; without any, the
    server runs in local mode and refuses to listen beyond loopback.
    """
    import uvicorn

    from .app import GRAPHQL_PATH, create_app
    from .audit_cli import load_signing
    from .auth import Authenticator, check_bind
    from .browser_guard import BrowserPolicy
    from .checkpointer import Checkpointer
    from .gc_tuning import tune_for_serving
    from .keys import KeyStore
    from .otlp import OtlpIngestor
    from .service.audit import AuditService
    from .service.signing import SigningError

    policy = StoragePolicy(max_text_bytes=max_text_bytes, max_json_bytes=max_json_bytes,
                           agents_without_reasoning=frozenset(agents_without_reasoning),
                           reasoning_ledger=reasoning_ledger,
                           clock=ClockWindow(timedelta(seconds=max_future_skew),
                                             None if max_past_skew is None
                                             else timedelta(seconds=max_past_skew)))
    key_store = KeyStore(data_dir or default_data_dir())
    auth = check_bind(host, Authenticator(key_store))
    signing_off = None
    try:
        signing = load_signing(key_dir, checkpoint_dir, log_name, data_dir)
    except SigningError as exc:
        signing, signing_off = None, str(exc)
    service, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                     neo4j_password, neo4j_database, policy)
    audit = AuditService(service, signing.for_store(location) if signing else None)
    checkpointer = Checkpointer(audit, checkpoint_interval) if signing else None
    grpc_server = None
    sink = None
    try:
        semantic_line = enable_semantic(service, semantic)
        sink = start_kafka(service, kafka)
        otlp = OtlpIngestor(service)  # one, so HTTP and gRPC exports share held spans
        app = create_app(service, debug=debug, auth=auth, audit=audit,
                         max_body_bytes=max_body_bytes, max_ingest_bytes=max_ingest_bytes,
                         browser=BrowserPolicy.for_bind(host, allowed_hosts=allowed_hosts,
                                                        allowed_origins=allowed_origins),
                         otlp=otlp, kafka=sink)
        shown = f"[{host}]" if ":" in host else host
        if otlp_grpc_port is not None:
            from .otlp.grpc import start_grpc_server

            grpc_server, bound = start_grpc_server(otlp, auth, host, otlp_grpc_port)
            click.echo(f"tracegraph: OTLP/gRPC at {shown}:{bound}")
        click.echo(f"tracegraph: {location}")
        if semantic_line:
            click.echo(f"tracegraph: {semantic_line}")
        if sink is not None:
            click.echo(f"tracegraph: Kafka stream to topic {sink.config.topic} at "
                       f"{sink.config.bootstrap} (cursors kept "
                       + ("in the store)" if sink.stream.durable else "in memory)"))
        click.echo(f"tracegraph: GraphiQL at http://{shown}:{port}{GRAPHQL_PATH}"
                   + ("  (debug: errors unmasked)" if debug else ""))
        click.echo("tracegraph: local mode: no API keys, loopback only" if auth.local_mode()
                   else "tracegraph: API keys required (Authorization: Bearer <key>)")
        if signing_off is not None:
            click.echo(f"tracegraph: checkpoints off (verification checks the log unsigned): "
                       f"{signing_off}", err=True)
        if signing is not None:
            click.echo(f"tracegraph: checkpoints signed by key {signing.keys.signer.key_id} "
                       f"as {signing.log_name}/<tenant>, journal in {signing.journal_dir}"
                       + (f", every {checkpoint_interval} s when a log grew"
                          if checkpoint_interval else ", on demand only"))
        if checkpointer is not None:
            checkpointer.start()
        tune_for_serving()
        uvicorn.run(app, host=host, port=port, log_level="debug" if debug else "info")
    finally:
        if checkpointer is not None:
            checkpointer.stop()
        if grpc_server is not None:
            grpc_server.stop(5).wait()
        if sink is not None:  # what is not acknowledged by then goes after the next start
            sink.stop(timeout=5.0)
        audit.close()
        service.close()
        key_store.close()


@main.command()
@click.option("--trace-id", default=None, help="Verify this trace's hash chain.")
@click.option("--session-id", default=None, help="Verify every trace of this session.")
@click.option("--tenant-wide", is_flag=True, help="Verify every trace of the tenant and "
              "rebuild its whole Merkle log against the latest signed checkpoint.")
@click.option("--tenant", default="default", show_default=True, help="Tenant the ids belong to.")
@store_options
@signing_options
@errors_as_click
def verify(trace_id: str | None, session_id: str | None, tenant_wide: bool, tenant: str,
           backend: str, data_dir: Path | None, neo4j_uri: str | None,
           neo4j_user: str | None, neo4j_password: str | None, neo4j_database: str | None,
           dgraph_addr: str | None, key_dir: Path | None, checkpoint_dir: Path | None,
           log_name: str | None) -> None:
    """Recompute hash chains and check them against the tenant's Merkle log and its latest
    signed checkpoint (from the journal outside the database); prints the result as JSON,
    exits 1 when anything is broken."""
    from .service.audit import AuditService

    if sum((trace_id is not None, session_id is not None, tenant_wide)) != 1:
        raise click.UsageError("give exactly one of --trace-id, --session-id and --tenant-wide")
    signing = optional_signing(key_dir, checkpoint_dir, log_name, data_dir)
    service, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                     neo4j_password, neo4j_database)
    audit = AuditService(service, signing.for_store(location) if signing else None)
    try:
        if trace_id is not None:
            result = audit.verify_trace(tenant, trace_id)
        elif session_id is not None:
            result = audit.verify_session(tenant, session_id)
        else:
            result = audit.verify_tenant(tenant)
    finally:
        audit.close()
        service.close()
    echo_json(result.model_dump(by_alias=False))
    if not result.valid:
        sys.exit(1)


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--tenant", default="default", show_default=True, help="Tenant the runs belong to.")
@store_options
@errors_as_click
def diff(a: str, b: str, tenant: str, backend: str, data_dir: Path | None,
         neo4j_uri: str | None, neo4j_user: str | None, neo4j_password: str | None,
         neo4j_database: str | None, dgraph_addr: str | None) -> None:
    """Diff run A against run B (traces with everything nested under them); prints JSON, the
    same answer as the GraphQL query diffRuns."""
    from .service.diff import diff_stored_runs

    service, _ = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                              neo4j_password, neo4j_database)
    try:
        result = diff_stored_runs(service, tenant, a, b)
    finally:
        service.close()
    echo_json(result.model_dump())


@main.command()
def schema() -> None:
    """Print the GraphQL schema (SDL), as committed in schema.graphql."""
    from .graphql.schema import sdl

    click.echo(sdl(), nl=False)


main.add_command(ingest)
main.add_command(keys)
main.add_command(retention)
main.add_command(verify_bundle_command)
main.add_command(checkpoint_command)
main.add_command(checkpoints_group)
main.add_command(proof_group)
main.add_command(signing_key_group)
main.add_command(mcp_command)
main.add_command(export_command)
main.add_command(import_command)


def _add_plugin_commands() -> None:
    """Commands registered by other packages under :data:`COMMAND_PLUGINS` (the benchmark's
    ``bench``), loaded when the command line starts: the API never imports them."""
    for plugin in entry_points(group=COMMAND_PLUGINS):
        command = plugin.load()
        if isinstance(command, click.Command):
            main.add_command(command, plugin.name)


_add_plugin_commands()
