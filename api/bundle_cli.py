"""The ``tracegraph verify-bundle`` command: check an audit bundle offline.

No server and no store: it reads the file and runs
:func:`tracegraph.schema.bundle_verify.verify_bundle` (docs/audit-bundle.md).
"""

from __future__ import annotations

import base64
import binascii
import sys
from pathlib import Path

import click
import orjson
from tracegraph.schema.bundle_verify import BundleReport, verify_bundle
from tracegraph.schema.checkpoint import CheckpointKey


def _trusted(values: tuple[str, ...]) -> list[CheckpointKey] | None:
    if not values:
        return None
    keys = []
    for value in values:
        try:
            keys.append(CheckpointKey(base64.b64decode(value, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise click.BadParameter(f"{value[:60]!r}: expected the base64 of a 32-byte "
                                     f"Ed25519 public key ({exc})", param_hint="--key") from exc
    return keys


def _as_json(report: BundleReport) -> dict[str, object]:
    cp = report.checkpoint
    return {
        "valid": report.valid, "tenant_id": report.tenant_id, "scope": report.scope,
        "scope_id": report.scope_id, "key_id": report.key_id,
        "key_trusted": report.key_trusted,
        "checkpoint": None if cp is None else {
            "origin": cp.origin, "size": cp.size, "root": cp.root.hex(),
            "timestamp": cp.timestamp},
        "entries_checked": report.entries_checked,
        "tombstones_checked": report.tombstones_checked,
        "traces": [{"trace_id": t.trace_id, "entries": t.entries, "completed": t.completed,
                    "tombstoned": t.tombstoned} for t in report.traces],
        "problems": [{"code": p.code, "message": p.message, "line": p.line,
                      "trace_id": p.trace_id, "seq": p.seq, "leaf_index": p.leaf_index}
                     for p in report.problems],
        "problems_omitted": report.problems_omitted,
    }


@click.command("verify-bundle")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "keys", multiple=True, metavar="BASE64",
              help="A public key you trust (base64, 32 bytes; repeat for retired keys). "
                   "Without it the checkpoint is checked with the key the bundle carries.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_bundle_command(path: Path, keys: tuple[str, ...], as_json: bool) -> None:
    """Verify an audit bundle offline; names every problem, exits 1 when there is one."""
    report = verify_bundle(path, trusted_keys=_trusted(keys))
    if as_json:
        click.echo(orjson.dumps(_as_json(report), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(report.text())
    if not report.valid:
        sys.exit(1)
