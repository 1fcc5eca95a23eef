"""API keys: shown once, stored as a hash, name the tenant; X-Org-Id must agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracegraph.api.auth import Authenticator, Unauthenticated, check_bind, is_loopback
from tracegraph.api.keys import DEFAULT_RETENTION_DAYS, KeyStore
from tracegraph.schema.errors import Forbidden, InvalidInput


def test_key_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path)
    key = keys.create("acme", label="ci")
    keys.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in stored
    secret_part = key.rsplit("_", 1)[1]
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
