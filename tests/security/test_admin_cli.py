"""The operator commands: ``tracegraph keys create|list|revoke`` and ``tracegraph retention
set|apply`` (embedded here, and on a Neo4j/Dgraph server when one answers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tracegraph.api.cli import main
from tracegraph.api.keys import KeyStore
from tracegraph.api.service import TraceService
from tracegraph.graph import open_store
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import BackendUnavailable
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput

OLD = datetime.now(UTC) - timedelta(days=45)


def _run(*args: str) -> Any:
    res = CliRunner().invoke(main, list(args))
    return res


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    d = str(tmp_path)
    res = _run("keys", "list", "--data-dir", d)
    assert res.exit_code == 0 and "no API keys: the server runs in local mode" in res.output
    res = _run("keys", "create", "--tenant", "acme", "--label", "ci", "--data-dir", d)
    assert res.exit_code == 0, res.output
    key = res.stdout.strip()
    assert key.startswith("tg_") and "\n" not in key
    assert "shown only this once" in res.stderr and key not in res.stderr
    assert KeyStore(tmp_path).authenticate(key) == "acme"

    res = _run("keys", "list", "--data-dir", d)
    header, row = res.output.splitlines()
    assert header.split() == ["KEY", "ID", "TENANT", "LABEL", "CREATED", "REVOKED"]
    key_id, tenant, label, _created, revoked = row.split()
    assert (tenant, label, revoked) == ("acme", "ci", "-") and key_id in key
    assert key not in res.output  # the key itself is never listed
    assert "no API keys for tenant globex" in _run("keys", "list", "--tenant", "globex",
                                                   "--data-dir", d).output

    res = _run("keys", "revoke", key_id, "--data-dir", d)
    assert res.exit_code == 0 and f"revoked key {key_id}" in res.stdout
    assert "refuses every request until a key is created" in res.stderr  # none active left
    assert "keys require --off" in res.stderr
    assert KeyStore(tmp_path).authenticate(key) is None
    res = _run("keys", "revoke", key_id, "--data-dir", d)
    assert res.exit_code == 1 and "not found or already revoked" in res.output
    res = _run("keys", "create", "--tenant", "bad tenant!", "--data-dir", d)
    assert res.exit_code == 1 and "not a valid id" in res.output


def _old_trace(store: Any, tenant: str, session: str = "s") -> str:
    svc = TraceService(store)
    t = svc.start_trace(tenant, StartTraceInput(session_id=session, created_at=OLD))
    svc.complete_trace(tenant, t.trace_id, CompleteTraceInput(outcome="success"))
    return t.trace_id


def test_retention_set_and_apply_embedded(tmp_path: Path) -> None:
    d = str(tmp_path)
    store = EmbeddedStore(tmp_path)
    acme, globex = _old_trace(store, "acme"), _old_trace(store, "globex")
    store.close()

    res = _run("retention", "set", "--tenant", "acme", "--days", "30", "--data-dir", d)
    assert res.exit_code == 0 and "tenant acme: traces are removed 30 days" in res.output
    res = _run("retention", "set", "--tenant", "acme", "--days", "0", "--data-dir", d)
    assert res.exit_code == 1 and "1..36500" in res.output
    res = _run("retention", "apply", "--data-dir", d)
    assert res.exit_code == 2 and "exactly one of --tenant and --all-tenants" in res.output

    res = _run("retention", "apply", "--all-tenants", "--dry-run", "--data-dir", d)
    assert res.exit_code == 0, res.output
    assert "dry run" in res.output and f"would remove trace {acme}" in res.output
    assert globex not in res.output  # globex keeps the default 90 days
    assert "would remove 1 trace(s) in 2 tenant(s)" in res.output

    res = _run("retention", "apply", "--tenant", "acme", "--data-dir", d)
    assert res.exit_code == 0, res.output
    assert f"removed trace {acme} (session s, 2 entries, final hash " in res.output
    assert "removed 1 trace(s) in 1 tenant(s)" in res.output
    store = EmbeddedStore(tmp_path)
    try:
        assert store.get_traces("acme", [acme]) == {}
        assert set(store.get_traces("globex", [globex])) == {globex}
        (stone,) = store.tombstones("acme", "s")
        assert stone.trace_id == acme
        v = TraceService(store).verify_session("acme", "s")
        assert v.valid and "removed by retention" in (v.reason or "")
    finally:
        store.close()
    res = _run("verify", "--session-id", "s", "--tenant", "acme", "--data-dir", d)
    assert res.exit_code == 0 and "removed by retention" in res.output


@pytest.mark.parametrize("backend", ["neo4j", "dgraph"])
def test_retention_apply_on_a_server_backend(backend: str, tmp_path: Path) -> None:
    try:
        store = open_store(backend)
    except BackendUnavailable as exc:
        pytest.skip(f"{backend} server not running: {exc}")
    tenant = f"cli-ret-{uuid.uuid4().hex[:10]}"
    try:
        old = _old_trace(store, tenant)
    finally:
        store.close()
    d = str(tmp_path)  # the control database lives in the data folder for every backend
    assert _run("retention", "set", "--tenant", tenant, "--days", "30",
                "--data-dir", d).exit_code == 0
    res = _run("retention", "apply", "--tenant", tenant, "--backend", backend, "--data-dir", d)
    assert res.exit_code == 0, res.output
    assert f"removed trace {old}" in res.output
    store = open_store(backend)
    try:
        assert store.get_traces(tenant, [old]) == {}
        assert [s.trace_id for s in store.tombstones(tenant, "s")] == [old]
    finally:
        store.close()
