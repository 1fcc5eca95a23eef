"""``tracegraph mcp``: the MCP server over stdio (for a local agent host) or streamable HTTP
(API keys as for GraphQL)."""

from __future__ import annotations

from pathlib import Path

import click

from ..auth import LOCAL_TENANT
from ..cli_options import default_data_dir, errors_as_click, open_backend, store_options


@click.command("mcp")
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="stdio",
              show_default=True, help="stdio: one client on standard input and output; "
              "http: streamable HTTP at /mcp.")
@click.option("--tenant", default=LOCAL_TENANT, show_default=True, envvar="TRACEGRAPH_TENANT",
              help="Tenant of every call over stdio (over HTTP the API key names it).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on "
              "(http).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (http).")
@click.option("--reasoning-ledger/--no-reasoning-ledger", default=True, show_default=True,
              envvar="TRACEGRAPH_REASONING_LEDGER", help="The deployment-wide ledger switch: "
              "off, no agent's step contents are stored (metadata, tokens and cost are).")
@store_options
@errors_as_click
def mcp_command(transport: str, tenant: str, host: str, port: int, reasoning_ledger: bool,
                backend: str, data_dir: Path | None, neo4j_uri: str | None,
                neo4j_user: str | None, neo4j_password: str | None,
                neo4j_database: str | None, dgraph_addr: str | None) -> None:
    """Serve the MCP tools: log_reasoning_step, replay_decision, get_session_history,
    get_run_tree, find_path, get_lineage and verify_chain."""
    from tracegraph.schema.policy import StoragePolicy

    from ..auth import Authenticator, check_bind
    from ..keys import KeyStore

    try:
        from .server import create_mcp_server, mcp_http_app
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "mcp":
            raise
        raise click.ClickException("the MCP SDK is not installed: pip install "
                                   "'tracegraph[mcp]'") from None

    policy = StoragePolicy(reasoning_ledger=reasoning_ledger)
    service, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                     neo4j_password, neo4j_database, policy)
    try:
        if transport == "stdio":
            create_mcp_server(service, tenant=tenant).run("stdio")
            return
        import uvicorn

        key_store = KeyStore(data_dir or default_data_dir())
        try:
            auth = check_bind(host, Authenticator(key_store))
            click.echo(f"tracegraph: {location}", err=True)
            uvicorn.run(mcp_http_app(service, auth, host=host), host=host, port=port,
                        log_level="info")
        finally:
            key_store.close()
    finally:
        service.close()
