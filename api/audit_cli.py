"""The Merkle-log commands of ``tracegraph``: ``checkpoint``, ``checkpoints export``,
``proof inclusion|consistency``, ``signing-key show|rotate``, and the signing options that
``serve``, ``verify`` and ``export --bundle`` share.

The signing key and the checkpoint journal live outside the data directory
(:mod:`tracegraph.api.service.signing`); every command reaches the store through the service
layer (:class:`~tracegraph.api.service.audit.AuditService`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from tracegraph.schema.checkpoint_keys import (
    KEY_DIR_ENV,
    PRIVATE_KEY_FILE,
    SIGNING_KEY_ENV,
    KeyConfigError,
    default_key_dir,
)

from .cli_options import default_data_dir, echo_json, errors_as_click, open_backend, store_options
from .service.audit import AuditService
from .service.signing import CHECKPOINT_DIR_ENV, LOG_NAME_ENV, LogSigning

F = TypeVar("F", bound=Callable[..., Any])


def signing_options(fn: F) -> F:
    """``--key-dir``, ``--checkpoint-dir`` and ``--log-name`` (each with its environment
    variable); the key itself may come from ``TRACEGRAPH_SIGNING_KEY``."""
    options = [
        click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, envvar=KEY_DIR_ENV, help="Checkpoint signing key folder, "
                     "outside the data folder [default: TRACEGRAPH_SIGNING_KEY, else "
                     "~/.config/tracegraph/keys]."),
        click.option("--checkpoint-dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, envvar=CHECKPOINT_DIR_ENV, help="Journal of signed "
                     "checkpoints, outside the data folder [default: <key dir>/checkpoints]."),
        click.option("--log-name", default=None, envvar=LOG_NAME_ENV, help="The log's name "
                     "in every checkpoint (set once per deployment) [default: tracegraph]."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def load_signing(key_dir: Path | None, checkpoint_dir: Path | None, log_name: str | None,
                 data_dir: Path | None, *, create: bool = True) -> LogSigning:
    """The signing configuration, refused inside the data folder (which always exists: it
    holds the control database, whatever the backend)."""
    return LogSigning.load(key_dir=key_dir, data_dir=data_dir or default_data_dir(),
                           log_name=log_name, journal_dir=checkpoint_dir, create=create)


def optional_signing(key_dir: Path | None, checkpoint_dir: Path | None, log_name: str | None,
                     data_dir: Path | None) -> LogSigning | None:
    """The signing configuration when a key exists; ``None`` when no key was ever made, so
    verification still checks records against the log (its result has no checkpoint)."""
    if not os.environ.get(SIGNING_KEY_ENV) and not (
            (key_dir or default_key_dir()) / PRIVATE_KEY_FILE).exists():
        return None
    return load_signing(key_dir, checkpoint_dir, log_name, data_dir, create=False)


def with_audit(*, create_key: bool = True) -> Callable[[F], F]:
    """Open the store and the signing configuration around a command that takes ``audit``
    and ``tenant`` (store and signing options are added)."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(backend: str, data_dir: Path | None, neo4j_uri: str | None,
                neo4j_user: str | None, neo4j_password: str | None,
                neo4j_database: str | None, dgraph_addr: str | None, key_dir: Path | None,
                checkpoint_dir: Path | None, log_name: str | None, **kwargs: Any) -> Any:
            signing = (load_signing(key_dir, checkpoint_dir, log_name, data_dir) if create_key
                       else optional_signing(key_dir, checkpoint_dir, log_name, data_dir))
            service, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr,
                                             neo4j_user, neo4j_password, neo4j_database)
            if signing is not None:
                signing.for_store(location)
            audit = AuditService(service, signing)
            try:
                return fn(audit=audit, **kwargs)
            finally:
                audit.close()
                service.close()
        return errors_as_click(store_options(signing_options(run)))  # type: ignore[return-value]
    return wrap


tenant_option = click.option("--tenant", default="default", show_default=True,
                             help="Tenant whose log it is.")


@click.command("checkpoint")
@tenant_option
@click.option("--all-tenants", is_flag=True, help="Every tenant whose log grew since its "
              "last checkpoint (what serve does on its interval).")
@with_audit()
def checkpoint_command(audit: AuditService, tenant: str, all_tenants: bool) -> None:
    """Sign a checkpoint of a tenant's Merkle log now; prints it as JSON (the signed note is
    in `note`). It must extend the last signed checkpoint, else nothing is signed. With
    --all-tenants, the tenants that could not be signed are named on standard error, with
    why, and the exit status is 1 (the others are signed)."""
    if not all_tenants:
        echo_json(audit.create_checkpoint(tenant).model_dump())
        return
    round_ = audit.checkpoint_grown()
    echo_json([c.model_dump() for c in round_.made])
    for tenant_id, reason in round_.failed.items():
        click.echo(f"no checkpoint for tenant {tenant_id!r}: {reason}", err=True)
    if round_.failed:
        sys.exit(1)


@click.group("checkpoints")
def checkpoints_group() -> None:
    """The signed checkpoints kept in the journal outside the database."""


@checkpoints_group.command("export")
@tenant_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write [default: standard output].")
@click.option("--json", "as_json", is_flag=True, help="JSON (size, timestamp, key, note).")
@with_audit(create_key=False)
def checkpoints_export(audit: AuditService, tenant: str, output: Path | None,
                       as_json: bool) -> None:
    """Print the tenant's trusted signed checkpoints, oldest first, to keep or publish
    elsewhere: the signed notes one after another (a blank line between), or JSON."""
    cps = audit.checkpoints(tenant)
    if as_json:
        text = "\n".join(c.model_dump_json() for c in cps) + ("\n" if cps else "")
    else:
        text = "\n".join(c.note for c in cps)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@click.group("proof")
def proof_group() -> None:
    """RFC 6962 proofs from the tenant's Merkle log (JSON, hex hashes)."""


@proof_group.command("inclusion")
@tenant_option
@click.option("--trace-id", required=True, help="The trace of the entry.")
@click.option("--seq", required=True, type=click.IntRange(min=0), help="The entry's seq.")
@click.option("--tree-size", type=click.IntRange(min=1), default=None,
              help="Tree size [default: the latest signed checkpoint's].")
@with_audit(create_key=False)
def proof_inclusion(audit: AuditService, tenant: str, trace_id: str, seq: int,
                    tree_size: int | None) -> None:
    """The inclusion proof of one entry (its leaf index, leaf hash, audit path, root)."""
    echo_json(audit.inclusion_proof(tenant, trace_id, seq, tree_size).model_dump())


@proof_group.command("consistency")
@tenant_option
@click.option("--from", "from_size", required=True, type=click.IntRange(min=1),
              help="The older tree size.")
@click.option("--to", "to_size", type=click.IntRange(min=1), default=None,
              help="The newer tree size [default: the latest signed checkpoint's].")
@with_audit(create_key=False)
def proof_consistency(audit: AuditService, tenant: str, from_size: int,
                      to_size: int | None) -> None:
    """The consistency proof between two tree sizes of the tenant's log."""
    echo_json(audit.consistency_proof(tenant, from_size, to_size).model_dump())


@click.group("signing-key")
def signing_key_group() -> None:
    """The checkpoint signing key (Ed25519), kept outside the data folder."""


@signing_key_group.command("show")
@click.option("--tenant", default=None, help="Also print each key's signed-note verifier "
              "key for this tenant's log.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The data folder the key must stay out of.")
@signing_options
@errors_as_click
def signing_key_show(tenant: str | None, data_dir: Path | None, key_dir: Path | None,
                     checkpoint_dir: Path | None, log_name: str | None) -> None:
    """Print every public key (active and retired) as JSON; creates a key on first use."""
    signing = load_signing(key_dir, checkpoint_dir, log_name, data_dir)
    origin = signing.origin(tenant) if tenant else None
    echo_json(signing.keys.export_public_keys(origin))


@signing_key_group.command("rotate")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The data folder the key must stay out of.")
@signing_options
@errors_as_click
def signing_key_rotate(data_dir: Path | None, key_dir: Path | None,
                       checkpoint_dir: Path | None, log_name: str | None) -> None:
    """Make a new signing key active; the old public key is kept to verify what it signed."""
    signing = load_signing(key_dir, checkpoint_dir, log_name, data_dir)
    try:
        key = signing.keys.rotate()
    except KeyConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tracegraph: new signing key {key.key_id} is active", err=True)
    echo_json(signing.keys.export_public_keys())
