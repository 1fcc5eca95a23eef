"""The caller's tenant over HTTP and WebSocket: one middleware, one :class:`Authenticator`.

:class:`TenantMiddleware` resolves the tenant of every request before any route runs (GraphQL
over HTTP, the GraphQL WebSocket handshake, bulk ingest) and keeps it in the ASGI scope;
routes read it with :func:`request_tenant`. A request it refuses gets a JSON 401 (no key, or
a key that is not valid or was revoked) or 403 (``X-Org-Id`` names another tenant), with a
message that says what to send.

GraphQL subscriptions may carry the key in the WebSocket handshake headers or, for browser
clients that cannot set headers, in the ``connection_init`` payload
(``{"Authorization": "Bearer <key>"}``, optionally ``"X-Org-Id"``, also accepted under a
``"headers"`` object). A handshake without credentials is accepted pending that payload;
:func:`authenticate_websocket` then resolves it, or closes the socket with 4401/4403 and
the reason before any operation runs.

Open without a key: ``/healthz``, the web UI's page and files (``/``, ``/assets/``), the
REST interface's description (``/openapi.json``, ``/docs``) and the GraphiQL page itself
(``GET /graphql`` without a query); every GraphQL operation and REST route needs one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType
from tracegraph.schema.errors import Forbidden, TraceGraphError

from .auth import Authenticator, Unauthenticated
from .limits_http import GRAPHQL_PATH, error_response
from .rest.paths import REST_OPEN_PATHS
from .web_ui import UI_OPEN_PATHS, UI_OPEN_PREFIX

if TYPE_CHECKING:
    from .graphql.context import TraceContext

#: Scope key holding the resolved tenant (``None``: a WebSocket awaiting connection_init, or
#: the GraphiQL page).
TENANT_SCOPE_KEY = "tracegraph.tenant"
#: The tenant of a WebSocket before its connection_init names one: not a valid id, so no
#: stored node can ever belong to it (and strawberry runs no operation before the ack).
PENDING_TENANT = ""
OPEN_PATHS = frozenset({"/healthz"}) | UI_OPEN_PATHS | REST_OPEN_PATHS
#: The credentials a connection_init payload may carry, as header names.
CREDENTIAL_HEADERS = ("authorization", "x-org-id")
#: WebSocket close codes (graphql-transport-ws uses 44xx like HTTP statuses).
WS_CLOSE = {401: 4401, 403: 4403}
MAX_CLOSE_REASON = 120  # bytes; a close frame's reason is at most 123
#: What ``on_ws_connect`` returns to acknowledge a connection without a payload.
NO_ACK_PAYLOAD: UnsetType = UNSET


def _is_open(path: str) -> bool:
    """Paths that hold no data: the health check, the web UI's page and its files."""
    return path in OPEN_PATHS or path.startswith(UI_OPEN_PREFIX)


def _is_ide_page(scope: Scope) -> bool:
    """GET /graphql without a query: the GraphiQL page, which holds no data."""
    if scope["path"] != GRAPHQL_PATH or scope.get("method") != "GET":
        return False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return "query" not in query


class TenantMiddleware:
    """Resolves the tenant of every HTTP request and WebSocket handshake (see module doc)."""

    def __init__(self, app: ASGIApp, *, auth: Authenticator) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or _is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        if kind == "http" and _is_ide_page(scope):
            scope[TENANT_SCOPE_KEY] = None  # nothing runs: the page, or "no query found"
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            scope[TENANT_SCOPE_KEY] = self.auth.tenant(headers)
        except TraceGraphError as exc:
            if (kind == "websocket" and isinstance(exc, Unauthenticated)
                    and "authorization" not in headers):
                scope[TENANT_SCOPE_KEY] = None  # credentials may come with connection_init
            elif kind == "websocket":
                await deny_handshake(scope, receive, send, exc)
                return
            else:
                await deny_request(scope["path"], exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def deny_request(path: str, exc: TraceGraphError) -> Response:
    extra = {"WWW-Authenticate": 'Bearer realm="tracegraph"'} if exc.http_status == 401 else {}
    return error_response(path, exc.http_status, exc.code, str(exc), extra)


async def deny_handshake(scope: Scope, receive: Receive, send: Send,
                          exc: TraceGraphError) -> None:
    """Refuse a WebSocket handshake: with the JSON answer when the server can send one,
    else by closing before accepting (the client sees 403)."""
    ws = WebSocket(scope, receive, send)
    if "websocket.http.response" in scope.get("extensions", {}):
        await ws.send_denial_response(deny_request(scope["path"], exc))
    else:
        await ws.close(code=WS_CLOSE.get(exc.http_status, 4403), reason=_reason(exc))


def _reason(exc: TraceGraphError) -> str:
    text = str(exc).encode("utf-8")[:MAX_CLOSE_REASON]
    return text.decode("utf-8", "ignore")


def request_tenant(conn: HTTPConnection, auth: Authenticator | None = None) -> str:
    """The tenant :class:`TenantMiddleware` resolved for this request.

    Without the middleware (an app mounted elsewhere) the headers are resolved here, by the
    same authenticator. A WebSocket still waiting for its connection_init gets
    :data:`PENDING_TENANT` (so does the GraphiQL page). Raises ``Unauthenticated`` or ``Forbidden``.
    """
    if TENANT_SCOPE_KEY in conn.scope:
        tenant: str | None = conn.scope[TENANT_SCOPE_KEY]
        return PENDING_TENANT if tenant is None else tenant
    from .graphql.context import resolve_tenant

    return resolve_tenant(conn.headers, auth)


def payload_credentials(params: object) -> dict[str, str]:
    """``Authorization`` and ``X-Org-Id`` from a connection_init payload, by lower-case name;
    top-level keys or a ``headers`` object, names in any case."""
    found: dict[str, str] = {}
    if not isinstance(params, Mapping):
        return found
    nested = params.get("headers")
    for source in (nested if isinstance(nested, Mapping) else {}, params):
        for key, value in source.items():
            name = str(key).lower()
            if name in CREDENTIAL_HEADERS and isinstance(value, str):
                found[name] = value
    return found


async def authenticate_websocket(
    context: TraceContext, auth: Authenticator
) -> UnsetType | dict[str, object] | None:
    """strawberry's ``on_ws_connect``: settle the tenant of a WebSocket at connection_init.

    Credentials in the payload are resolved by ``auth``; when the handshake already named a
    tenant they must name the same one. On failure the socket is closed with 4401 or 4403
    and the reason, and no operation ever runs on it.
    """
    conn = context.connection
    pending = conn is not None and conn.scope.get(TENANT_SCOPE_KEY, "") is None
    creds = payload_credentials(context.connection_params)
    if not pending and not creds:
        return NO_ACK_PAYLOAD
    headers = {name: conn.headers[name] for name in CREDENTIAL_HEADERS
               if conn is not None and name in conn.headers}
    headers.update(creds)
    try:
        tenant = auth.tenant(headers)
        if not pending and tenant != context.tenant_id:
            raise Forbidden("connection_init: the credentials name another tenant than "
                            "the handshake's")
    except TraceGraphError as exc:
        # graphql-transport-ws: close with 4401/4403 and the reason (strawberry would say
        # only "Forbidden"); legacy graphql-ws: strawberry sends connection_error with it.
        if (isinstance(conn, WebSocket) and _protocol(conn) == GRAPHQL_TRANSPORT_WS_PROTOCOL
                and conn.application_state != WebSocketState.DISCONNECTED):
            await conn.close(code=WS_CLOSE.get(exc.http_status, 4403), reason=_reason(exc))
        raise ConnectionRejectionError({"code": exc.code, "message": str(exc)}) from None
    context.use_tenant(tenant)
    return NO_ACK_PAYLOAD


def _protocol(ws: WebSocket) -> str | None:
    """The subprotocol strawberry chose: the client's first one that it speaks."""
    offered: list[str] = ws.scope.get("subprotocols", [])
    return next((p for p in offered if p in (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)),
                None)


class ClosingOnceWebSocketAdapter(ASGIWebSocketAdapter):
    """strawberry's WebSocket adapter, except that closing an already closed socket (as
    :func:`authenticate_websocket` does before strawberry's own close) does nothing, and
    messages go out as text frames: the app's orjson encoder gives bytes, which strawberry
    would send as binary frames that browser clients (graphql-ws, GraphiQL) reject."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        data = self.view.encode_json(message)
        try:
            await self.ws.send_text(data.decode() if isinstance(data, bytes) else data)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            await super().close(code, reason)
