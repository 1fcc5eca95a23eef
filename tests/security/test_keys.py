"""API keys: shown once, stored as a hash, name the tenant; X-Org-Id must agree."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from tracegraph.api.auth import Authenticator, Unauthenticated, check_bind, is_loopback
from tracegraph.api.keys import DEFAULT_RETENTION_DAYS, KeyStore
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import Forbidden, InvalidInput
from tracegraph.schema.inputs import StartTraceInput


def test_key_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    key = keys.create("acme", label="ci")
    keys.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in stored
    secret_part = key.split("_", 2)[2]  # tg_<key id>_<secret>; the secret may hold "_"
    assert secret_part.encode() not in stored


def test_key_names_its_tenant(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    a, b = keys.create("acme"), keys.create("globex")
    auth = Authenticator(keys)
    assert not auth.local_mode()
    assert auth.tenant({"authorization": f"Bearer {a}"}) == "acme"
    assert auth.tenant({"authorization": f"bearer {b}", "x-org-id": "globex"}) == "globex"
    with pytest.raises(Forbidden, match="X-Org-Id"):
        auth.tenant({"authorization": f"Bearer {a}", "x-org-id": "globex"})
    with pytest.raises(Unauthenticated):
        auth.tenant({})
    with pytest.raises(Unauthenticated):
        auth.tenant({"authorization": f"Bearer {a[:-1]}{'x' if a[-1] != 'x' else 'y'}"})
    with pytest.raises(Unauthenticated):
        auth.tenant({"authorization": "Bearer tg_nothing_here"})


def test_revoked_key_stops_working(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    key = keys.create("acme")
    (info,) = keys.list("acme")
    keys.revoke(info.key_id)
    assert keys.authenticate(key) is None
    assert keys.list()[0].revoked_at is not None


def test_local_mode_without_keys(tmp_path: Path) -> None:
    auth = Authenticator(KeyStore(tmp_path))
    assert auth.local_mode()
    assert auth.tenant({}) == "default"
    assert auth.tenant({"x-org-id": "acme"}) == "acme"
    check_bind("127.0.0.1", auth)
    check_bind("::1", auth)
    with pytest.raises(SystemExit, match="without API keys"):
        check_bind("0.0.0.0", auth)


def test_bind_anywhere_with_keys(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.create("acme")
    check_bind("0.0.0.0", Authenticator(keys))


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")


def test_tenant_id_and_retention_validation(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    with pytest.raises(InvalidInput, match="tenant"):
        keys.create("bad tenant!")
    assert keys.retention_days("acme") == DEFAULT_RETENTION_DAYS
    keys.set_retention("acme", 30)
    assert keys.retention_days("acme") == 30
    with pytest.raises(InvalidInput, match=r"1\.\.36500"):
        keys.set_retention("acme", 0)


def test_keys_stay_required_after_the_last_revoke(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    auth = Authenticator(keys)
    assert not keys.keys_required() and auth.local_mode()
    key = keys.create("acme")
    (info,) = keys.list()
    keys.revoke(info.key_id)
    assert not keys.has_keys() and keys.keys_required() and not auth.local_mode()
    with pytest.raises(Unauthenticated):
        auth.tenant({"x-org-id": "acme"})
    with pytest.raises(Unauthenticated):
        auth.tenant({"authorization": f"Bearer {key}"})
    keys.close()
    reopened = KeyStore(tmp_path)  # the flag is persisted
    assert reopened.keys_required() and not Authenticator(reopened).local_mode()
    reopened.require_keys(False)
    assert Authenticator(reopened).tenant({"x-org-id": "acme"}) == "acme"
    reopened.create("globex")  # a new key turns the requirement on again
    assert reopened.keys_required()


def test_control_database_from_before_the_flag_requires_keys(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.create("acme")
    (info,) = keys.list()
    keys.revoke(info.key_id)
    keys.close()
    with sqlite3.connect(tmp_path / "control.sqlite3") as db:  # as an older version left it
        db.execute("DROP TABLE server_settings")
    db.close()
    assert KeyStore(tmp_path).keys_required()
    assert not KeyStore(tmp_path / "never-had-keys").keys_required()


def test_beyond_loopback_keys_stay_required_even_when_turned_off(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    keys.create("acme")
    auth = check_bind("0.0.0.0", Authenticator(keys))
    keys.require_keys(False)
    assert not auth.local_mode()
    with pytest.raises(Unauthenticated):
        auth.tenant({"x-org-id": "acme"})


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_and_key_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files 0644 and directories 0755 unless asked
    try:
        keys = KeyStore(tmp_path / "control")
        keys.create("acme")
        store = EmbeddedStore(tmp_path / "data" / "nested")
        TraceService(store).start_trace("acme", StartTraceInput())  # WAL and SHM written
    finally:
        os.umask(old)
    try:
        for folder in (tmp_path / "control", tmp_path / "data" / "nested"):
            assert _mode(folder) == 0o700, folder
        files = [tmp_path / "control" / f"control.sqlite3{s}" for s in ("", "-wal", "-shm")]
        files += [tmp_path / "data" / "nested" / f"tracegraph.sqlite3{s}"
                  for s in ("", "-wal", "-shm")]
        for file in files:
            assert file.exists() and _mode(file) == 0o600, (file, oct(_mode(file)))
    finally:
        keys.close()
        store.close()


def test_files_left_readable_by_an_older_version_are_narrowed(tmp_path: Path) -> None:
    KeyStore(tmp_path).close()
    (tmp_path / "control.sqlite3").chmod(0o644)
    KeyStore(tmp_path).close()
    assert _mode(tmp_path / "control.sqlite3") == 0o600
