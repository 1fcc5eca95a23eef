"""The operator commands of ``tracegraph``: API keys (``keys``) and retention (``retention``).

Keys and per-tenant retention settings live in the control database
(``control.sqlite3``) in the data directory, whatever backend holds the traces; ``serve``
reads the same file. Retention runs on the chosen backend through
:meth:`tracegraph.api.service.TraceService.apply_retention`.

Registered on the ``tracegraph`` group by :mod:`tracegraph.api.cli` (import that module,
not this one, to get the whole command line).
"""

from __future__ import annotations

from pathlib import Path

import click
from tracegraph.schema.errors import TraceGraphError

from .cli_options import default_data_dir, errors_as_click, open_backend, store_options
from .keys import KeyStore
from .service import RetentionReport

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Data folder holding the control database control.sqlite3 [default: "
    "$TRACEGRAPH_DATA_DIR or ~/.local/share/tracegraph].")


LOCAL_MODE_HINT = ("to serve without keys instead (local mode: loopback only, any tenant by "
                   "X-Org-Id), run `tracegraph keys require --off`")


def open_keys(data_dir: Path | None) -> KeyStore:
    """The control database of ``data_dir`` (or the default data folder)."""
    return KeyStore(data_dir or default_data_dir())


@click.group()
def keys() -> None:
    """API keys: each names one tenant. Once a key has been created in a data folder,
    `tracegraph serve` requires `Authorization: Bearer <key>` on every request, even after
    every key is revoked, until `tracegraph keys require --off`."""


@keys.command("create")
@click.option("--tenant", required=True, help="Tenant the key belongs to.")
@click.option("--label", default=None, help="A note to recognise the key by (e.g. 'ci').")
@data_dir_option
@errors_as_click
def keys_create(tenant: str, label: str | None, data_dir: Path | None) -> None:
    """Create a key for TENANT and print it (once: only its hash is stored)."""
    store = open_keys(data_dir)
    try:
        was_required = store.keys_required()
        key = store.create(tenant, label)
    finally:
        store.close()
    click.echo(key)
    click.echo(f"tracegraph: key for tenant {tenant} created; it is shown only this once "
               "and cannot be shown again (only its hash is stored): keep it now.", err=True)
    if not was_required:
        click.echo("tracegraph: this data folder now requires API keys on every request, "
                   f"even after its keys are revoked; {LOCAL_MODE_HINT}", err=True)


@keys.command("list")
@click.option("--tenant", default=None, help="Only this tenant's keys.")
@data_dir_option
@errors_as_click
def keys_list(tenant: str | None, data_dir: Path | None) -> None:
    """List keys (id, tenant, label, created, revoked); never the keys themselves."""
    store = open_keys(data_dir)
    try:
        infos = store.list(tenant)
        required = store.keys_required()
    finally:
        store.close()
    if not infos:
        click.echo(f"no API keys for tenant {tenant}" if tenant else
                   "no API keys: the server runs in local mode (loopback only)" if not required
                   else "no API keys: the server refuses every request (keys are required)")
        return
    rows = [("KEY ID", "TENANT", "LABEL", "CREATED", "REVOKED")]
    rows += [(k.key_id, k.tenant_id, k.label or "-", k.created_at, k.revoked_at or "-")
             for k in infos]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


@keys.command("revoke")
@click.argument("key_id")
@data_dir_option
@errors_as_click
def keys_revoke(key_id: str, data_dir: Path | None) -> None:
    """Revoke the key KEY_ID (as `keys list` shows it); it stops working at once."""
    store = open_keys(data_dir)
    try:
        store.revoke(key_id)
        remaining = store.has_keys()
    finally:
        store.close()
    click.echo(f"revoked key {key_id}")
    if not remaining:
        click.echo("tracegraph: no active key is left: the server refuses every request "
                   "until a key is created (`tracegraph keys create --tenant <name>`); "
                   f"{LOCAL_MODE_HINT}", err=True)


@keys.command("require")
@click.option("--on/--off", "required", default=None,
              help="Require keys (--on), or serve in local mode without keys (--off).")
@data_dir_option
@errors_as_click
def keys_require(required: bool | None, data_dir: Path | None) -> None:
    """Show or set whether `tracegraph serve` requires API keys in this data folder.

    Creating a key turns the requirement on; it stays on after every key is revoked. Only
    `--off` turns it off: a running server then serves in local mode (if it listens on
    loopback), where anyone who can reach it reads and writes every tenant.
    """
    store = open_keys(data_dir)
    try:
        if required is not None:
            store.require_keys(required)
        now, active = store.keys_required(), store.has_keys()
    finally:
        store.close()
    if now:
        click.echo("API keys required" + ("" if active else
                                          " (no active key: every request is refused)"))
    else:
        click.echo("API keys not required: local mode (loopback only, no authentication)")


@click.group()
def retention() -> None:
    """Retention: whole traces older than their tenant's policy (default 90 days) are
    removed, each leaving a tombstone that session verification reports."""


@retention.command("set")
@click.option("--tenant", required=True, help="Tenant the policy applies to.")
@click.option("--days", required=True, type=int, help="Keep traces this many days (1..36500).")
@data_dir_option
@errors_as_click
def retention_set(tenant: str, days: int, data_dir: Path | None) -> None:
    """Set TENANT's retention period."""
    store = open_keys(data_dir)
    try:
        store.set_retention(tenant, days)
    finally:
        store.close()
    click.echo(f"tenant {tenant}: traces are removed {days} days after they were created "
               "(by `tracegraph retention apply`)")


@retention.command("apply")
@click.option("--tenant", default=None, help="Apply the policy of this tenant.")
@click.option("--all-tenants", is_flag=True, help="Apply every tenant's policy (every tenant "
              "with a stored trace).")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@store_options
@errors_as_click
def retention_apply(tenant: str | None, all_tenants: bool, dry_run: bool, backend: str,
                    data_dir: Path | None, neo4j_uri: str | None, neo4j_user: str | None,
                    neo4j_password: str | None, neo4j_database: str | None,
                    dgraph_addr: str | None) -> None:
    """Remove expired traces (children before parents) on the chosen backend, leaving a
    tombstone (trace id, entry count, final hash, removal time) for each."""
    if (tenant is None) == (not all_tenants):
        raise click.UsageError("give exactly one of --tenant and --all-tenants")
    control = open_keys(data_dir)
    service, location = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                     neo4j_password, neo4j_database)
    try:
        tenants = service.tenants() if all_tenants else [tenant or ""]
        click.echo(f"tracegraph: {location}" + ("  (dry run: nothing is removed)"
                                               if dry_run else ""))
        total = 0
        for t in tenants:
            report = service.apply_retention(t, control.retention_days(t), dry_run=dry_run)
            total += len(report.removed)
            _echo_report(report, control.retention_days(t), dry_run)
    except TraceGraphError as exc:
        raise click.ClickException(f"{exc.code}: {exc}") from None
    finally:
        service.close()
        control.close()
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {total} trace(s) in {len(tenants)} tenant(s)")


def _echo_report(report: RetentionReport, days: int, dry_run: bool) -> None:
    verb = "would remove" if dry_run else "removed"
    click.echo(f"tenant {report.tenant_id}: {days} days, cutoff {report.cutoff}: "
               f"{verb} {len(report.removed)} trace(s)")
    for stone in report.removed:
        click.echo(f"  {verb} trace {stone.trace_id} (session {stone.session_id or '-'}, "
                   f"{stone.entry_count} entries, final hash {stone.final_hash})")
    for trace_id in report.kept_with_children:
        click.echo(f"  kept trace {trace_id}: expired, but a nested trace under it is not")
