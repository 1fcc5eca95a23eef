"""Command-line options and helpers every ``tracegraph`` command shares: the options that
choose and locate a storage backend, opening the service they name, and typed errors as
click errors. Used by :mod:`.cli`, :mod:`.admin_cli` and the ``bench`` plugin.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from tracegraph.schema.errors import TraceGraphError
from tracegraph.schema.policy import DEFAULT_POLICY, StoragePolicy

from .service import BACKEND_NAMES, TraceService, open_service

F = TypeVar("F", bound=Callable[..., Any])
DATA_DIR_ENV = "TRACEGRAPH_DATA_DIR"
NEO4J_URI_ENV = "TRACEGRAPH_NEO4J_URI"
DGRAPH_ADDR_ENV = "TRACEGRAPH_DGRAPH_ADDR"


def default_data_dir() -> Path:
    """``$TRACEGRAPH_DATA_DIR``, else ``~/.local/share/tracegraph``."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "tracegraph"


neo4j_uri_option = click.option(
    "--neo4j-uri", default=None, envvar=NEO4J_URI_ENV,
    help="Bolt URI of the Neo4j server (backend neo4j), e.g. bolt://127.0.0.1:7687.")
dgraph_addr_option = click.option(
    "--dgraph-addr", default=None, envvar=DGRAPH_ADDR_ENV,
    help="gRPC address of the Dgraph alpha (backend dgraph), e.g. 127.0.0.1:9080.")


def store_options(fn: F) -> F:
    """The options that choose and locate a backend, shared by every command that opens one."""
    options = [
        click.option("--backend", type=click.Choice(BACKEND_NAMES), default="embedded",
                     show_default=True, envvar="TRACEGRAPH_BACKEND",
                     help="Storage backend."),
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, help=f"Embedded store folder [default: ${DATA_DIR_ENV} or "
                     "~/.local/share/tracegraph]."),
        neo4j_uri_option,
        click.option("--neo4j-user", default=None, envvar="TRACEGRAPH_NEO4J_USER",
                     help="Neo4j user (backend neo4j), when the server requires auth."),
        click.option("--neo4j-password", default=None, envvar="TRACEGRAPH_NEO4J_PASSWORD",
                     help="Neo4j password (prefer the environment variable)."),
        click.option("--neo4j-database", default=None, envvar="TRACEGRAPH_NEO4J_DATABASE",
                     help="Neo4j database name (backend neo4j) [default: the server's]."),
        dgraph_addr_option,
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def open_backend(
    backend: str, data_dir: Path | None, neo4j_uri: str | None, dgraph_addr: str | None,
    neo4j_user: str | None = None, neo4j_password: str | None = None,
    neo4j_database: str | None = None, policy: StoragePolicy = DEFAULT_POLICY,
) -> tuple[TraceService, str]:
    """The service over the chosen store, and a one-line description of where it is."""
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
        return open_service(backend, policy=policy, **options), location
    except TraceGraphError as exc:
        raise click.ClickException(str(exc)) from None


def echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def errors_as_click(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TraceGraphError as exc:
            raise click.ClickException(f"{exc.code}: {exc}") from None

    return wrapper  # type: ignore[return-value]


