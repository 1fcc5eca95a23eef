"""``tracegraph export`` and ``tracegraph import``: a tenant's history as JSON Lines, moved
between any two backends with every hash kept (:mod:`.service.transfer`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import click
import orjson
from tracegraph.schema.bundle import Scope, write_bundle

from .audit_cli import load_signing, signing_options
from .cli_options import echo_json, errors_as_click, open_backend, store_options
from .service.audit import AuditService
from .service.bundles import bundle
from .service.transfer import export_lines, import_lines, log_size


@click.command("export")
@click.option("--tenant", default="default", show_default=True, help="Tenant to export.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write [default: standard output].")
@click.option("--bundle", "as_bundle", is_flag=True, help="Write an audit bundle instead "
              "(docs/audit-bundle.md): entries, inclusion proofs, a signed checkpoint and the "
              "public keys, checked offline by `tracegraph verify-bundle`.")
@click.option("--trace-id", default=None, help="With --bundle: a bundle of this trace.")
@click.option("--session-id", default=None, help="With --bundle: a bundle of this session.")
@store_options
@signing_options
@errors_as_click
def export_command(tenant: str, output: Path | None, as_bundle: bool, trace_id: str | None,
                   session_id: str | None, backend: str, data_dir: Path | None,
                   neo4j_uri: str | None, neo4j_user: str | None,
                   neo4j_password: str | None, neo4j_database: str | None,
                   dgraph_addr: str | None, key_dir: Path | None,
                   checkpoint_dir: Path | None, log_name: str | None) -> None:
    """Write a tenant's whole history as JSON Lines, in the order the store accepted it
    (docs/export-import.md); `tracegraph import` reads it into any backend. With --bundle:
    an audit bundle of the tenant, of a trace (--trace-id) or of a session (--session-id)."""
    if not as_bundle and (trace_id or session_id):
        raise click.UsageError("--trace-id and --session-id need --bundle")
    if trace_id and session_id:
        raise click.UsageError("give at most one of --trace-id and --session-id")
    signing = load_signing(key_dir, checkpoint_dir, log_name, data_dir) if as_bundle else None
    service, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                      neo4j_password, neo4j_database)
    if as_bundle:
        scope: Scope = "trace" if trace_id else "session" if session_id else "tenant"
        try:
            assert signing is not None
            audit = AuditService(service, signing.for_store(location))
            try:
                lines = bundle(audit, tenant, scope, trace_id or session_id)
                written = _write(output, lambda out: write_bundle(out, lines))
            finally:
                audit.close()
        finally:
            service.close()
        click.echo(f"tracegraph: {scope} bundle of {written} lines from {location}", err=True)
        return
    try:
        size = log_size(service, tenant)
        out: IO[bytes] = sys.stdout.buffer if output is None else output.open("wb")
        try:
            with click.progressbar(length=size, label=f"exporting {tenant} from {location}",
                                   file=sys.stderr) as bar:
                for line in export_lines(service, tenant, bar.update):
                    out.write(orjson.dumps(line) + b"\n")
        finally:
            if output is not None:
                out.close()
    finally:
        service.close()


def _write(output: Path | None, write: Callable[[IO[bytes]], int]) -> int:
    if output is None:
        return write(sys.stdout.buffer)
    with output.open("wb") as out:
        return write(out)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_options
@errors_as_click
def import_command(file: Path, backend: str, data_dir: Path | None, neo4j_uri: str | None,
                   neo4j_user: str | None, neo4j_password: str | None,
                   neo4j_database: str | None, dgraph_addr: str | None) -> None:
    """Import FILE (written by `tracegraph export`): every entry is stored again and must
    keep its hash; entries already present are skipped, so an interrupted import resumes.
    Prints what was done as JSON."""
    service, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                      neo4j_password, neo4j_database)
    try:
        with file.open("rb") as raw, click.progressbar(
                length=file.stat().st_size, label=f"importing into {location}",
                file=sys.stderr) as bar:
            def lines() -> Iterator[bytes]:
                for line in raw:
                    bar.update(len(line))
                    yield line
            report = import_lines(service, lines())
    finally:
        service.close()
    echo_json(report.as_dict())
