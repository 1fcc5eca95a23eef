"""Who is calling: the tenant of a request, from its API key, or local mode without keys.

Every interface (GraphQL over HTTP and WebSocket, REST, MCP over HTTP) resolves the tenant
here and nowhere else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace

from tracegraph.schema.errors import Forbidden, TraceGraphError
from tracegraph.schema.ids import is_valid_id

from .keys import KeyStore

LOCAL_TENANT = "default"


class Unauthenticated(TraceGraphError):
    """No valid API key was presented where one is required."""

    code = "UNAUTHENTICATED"
    http_status = 401


def is_loopback(host: str) -> bool:
    """True for hosts that only this machine can reach."""
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Authenticator:
    """Resolves the tenant of a request from its headers.

    Once the data directory requires keys (a key was ever created there, see
    :meth:`KeyStore.keys_required`) every request needs ``Authorization: Bearer <key>``,
    even when every key is revoked; the key names the tenant, and an ``X-Org-Id`` header
    that names another tenant is refused (403). Otherwise the server is in local mode
    (loopback only, see :func:`check_bind`): the tenant is ``X-Org-Id`` or ``default``.
    """

    keys: KeyStore | None
    #: Never local mode, even if the operator turns the key requirement off while the
    #: server runs (a server listening beyond loopback).
    require_keys: bool = False

    def local_mode(self) -> bool:
        if self.require_keys:
            return False
        return self.keys is None or not self.keys.keys_required()

    def tenant(self, headers: Mapping[str, str]) -> str:
        org = headers.get("x-org-id")
        if org is not None and not is_valid_id(org):
            raise Forbidden("X-Org-Id: not a valid tenant id")
        if self.local_mode():
            return org or LOCAL_TENANT
        auth = headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated("Authorization: send 'Bearer <API key>' "
                                  "(create one with: tracegraph keys create --tenant <name>)")
        tenant = self.keys.authenticate(key.strip()) if self.keys is not None else None
        if tenant is None:
            raise Unauthenticated("Authorization: the API key is not valid or was revoked")
        if org is not None and org != tenant:
            raise Forbidden("X-Org-Id: does not match the tenant of the API key")
        return tenant


def check_bind(host: str, auth: Authenticator) -> Authenticator:
    """Refuse to listen beyond loopback without API keys.

    Returns the authenticator to serve with: beyond loopback one that keeps requiring keys
    even if the operator turns the requirement off later (it never falls back to local
    mode while it listens there).
    """
    if is_loopback(host):
        return auth
    if auth.local_mode():
        raise SystemExit(
            f"refusing to listen on {host} without API keys: local mode (no keys) is bound "
            "to loopback only. Create a key with `tracegraph keys create --tenant <name>` "
            "or listen on 127.0.0.1."
        )
    return replace(auth, require_keys=True)
