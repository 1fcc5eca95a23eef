"""The ASGI app: GraphQL (and GraphiQL) at ``/graphql`` over HTTP and WebSocket
(graphql-transport-ws subscriptions), bulk NDJSON ingest at ``/v1/ingest``
(:mod:`tracegraph.api.bulk`), OTLP/HTTP trace export at ``/v1/traces``
(:mod:`tracegraph.api.otlp`), seed 003's REST routes under ``/agents`` with their OpenAPI
document at ``/openapi.json`` and a page at ``/docs`` (:mod:`tracegraph.api.rest`), a health
check at ``/healthz``, the web UI at ``/`` (:mod:`tracegraph.api.web_ui`).

>>> import tempfile
>>> from tracegraph.api.service import TraceService
>>> from tracegraph.graph import open_store
>>> app = create_app(TraceService(open_store("embedded", data_dir=tempfile.mkdtemp())))
>>> [r.path for r in app.routes]  # doctest: +NORMALIZE_WHITESPACE
['/healthz', '/graphql', '/graphql', '/v1/ingest', '/v1/traces', '/agents',
 '/agents/{id}/trace', '/agents/{id}/status', '/openapi.json', '/docs', '/', '/assets']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, parse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType
from strawberry.utils.operation import get_operation_type
from tracegraph.schema.errors import BackendUnavailable, TraceGraphError
from tracegraph.schema.limits import parse_json_exact

from .auth import Authenticator
from .auth_http import (
    ClosingOnceWebSocketAdapter,
    TenantMiddleware,
    authenticate_websocket,
    request_tenant,
)
from .browser_guard import BrowserGuardMiddleware, BrowserPolicy
from .bulk import BULK_PATH, bulk_endpoint
from .bulk import MAX_BODY_BYTES as MAX_INGEST_BYTES
from .errors import RETRY_AFTER_SECONDS
from .graphql.context import LOCAL_MODE, TraceContext
from .graphql.live_updates import LiveUpdates
from .graphql.schema import build_schema
from .limits_http import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware, parse_request_json
from .otlp import OtlpIngestor
from .otlp.http import OTLP_TRACES_PATH, otlp_traces_endpoint
from .rest.openapi import openapi_routes
from .rest.routes import http_error, rest_routes
from .service import GraphService, TraceService, backend_name
from .service.audit import AuditService
from .web_ui import graphiql_page, ui_routes

if TYPE_CHECKING:
    from .kafka.sink import KafkaSink

GRAPHQL_PATH = "/graphql"
#: The content type of each write path's body (anything else is 415, see :mod:`.browser_guard`).
BODY_TYPES = {GRAPHQL_PATH: "application/json", BULK_PATH: "application/x-ndjson"}
#: What browsers at ``--allowed-origin`` origins may send (CORS preflight answers).
CORS_HEADERS = ("authorization", "content-type", "x-org-id")


class TraceGraphQL(GraphQL[TraceContext, None]):
    """strawberry's ASGI GraphQL app with tracegraph's context and orjson encoding."""

    websocket_adapter_class = ClosingOnceWebSocketAdapter

    def __init__(
        self, service: TraceService, *, debug: bool = False, auth: Authenticator | None = None,
        allowed_origins: frozenset[str] = frozenset(), audit: AuditService | None = None,
    ) -> None:
        # (strawberry refuses WebSocket handshakes from other origins by itself too)
        super().__init__(build_schema(debug=debug), graphql_ide="graphiql",
                         allowed_origins=sorted(allowed_origins))
        self.service = service
        self.auth = auth
        self.graph = GraphService.beside(service)
        self.audit = audit or AuditService(service)
        self.events = LiveUpdates()
        self.events.listen_to(service.events)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the package's own assets (strawberry's page loads it from a CDN)."""
        return graphiql_page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> TraceContext:
        try:
            tenant_id = request_tenant(request, self.auth)
        except TraceGraphError as exc:
            raise HTTPException(exc.http_status, str(exc)) from None
        return TraceContext.create(self.service, tenant_id, request, graph=self.graph,
                                   events=self.events, audit=self.audit)

    async def on_ws_connect(self, context: TraceContext) -> UnsetType | dict[str, object] | None:
        """Credentials sent in the connection_init payload (see :mod:`.auth_http`)."""
        return await authenticate_websocket(context, self.auth or LOCAL_MODE)

    async def execute_single(
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response, context: TraceContext, root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation over plain HTTP; a subscription is 400 (it runs over WebSocket),
        not an internal error."""
        if is_subscription(request_data.query, request_data.operation_name):
            raise HTTPException(400, "subscriptions are not served over HTTP "
                                f"{request_adapter.method}: subscribe over WebSocket "
                                f"(graphql-transport-ws) at {GRAPHQL_PATH}")
        result = await super().execute_single(request, request_adapter, sub_response, context,
                                              root_value, request_data)
        unavailable = backend_unavailable(result)
        if unavailable is not None:
            sub_response.status_code = unavailable.http_status
            if unavailable.http_status == 503:
                sub_response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return result

    def parse_json(self, data: str | bytes) -> object:
        """Request JSON; 400 naming the problem when it is not a JSON object."""
        return parse_request_json(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        return parse_json_exact(data)


def backend_unavailable(result: ExecutionResult) -> BackendUnavailable | None:
    """The first error of ``result`` that says the store cannot serve now (503
    ``BACKEND_UNAVAILABLE``, 507 ``STORAGE_FULL``): the HTTP status of the whole answer, so
    clients and load balancers that only look at the status see it too (the body keeps the
    GraphQL errors and any data)."""
    for error in result.errors or ():
        if isinstance(error.original_error, BackendUnavailable):
            return error.original_error
    return None


def is_subscription(query: str | None, operation_name: str | None) -> bool:
    """True when the operation to run is a subscription (parsed only when the text could
    hold one; a document that does not parse is left to strawberry to report)."""
    if not query or "subscription" not in query:
        return False
    try:
        return get_operation_type(parse(query), operation_name) is OperationType.SUBSCRIPTION
    except (GraphQLError, RuntimeError):
        return False


def create_app(
    service: TraceService, *, debug: bool = False, auth: Authenticator | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, max_ingest_bytes: int = MAX_INGEST_BYTES,
    browser: BrowserPolicy | None = None, audit: AuditService | None = None,
    otlp: OtlpIngestor | None = None, kafka: KafkaSink | None = None,
) -> Starlette:
    """The tracegraph web app over one service (and so one store).

    ``auth`` resolves callers' tenants from API keys; without it the app is in local mode
    (tenant from ``X-Org-Id``, else ``default``). Every request's tenant is resolved once,
    by :class:`~tracegraph.api.auth_http.TenantMiddleware` (401/403 as JSON). Request bodies
    over ``max_body_bytes`` (``max_ingest_bytes`` for bulk ingest) get 413. Before all of
    that, :class:`~tracegraph.api.browser_guard.BrowserGuardMiddleware` refuses foreign
    ``Host`` headers, foreign origins and writes of the wrong content type, by ``browser``
    (default: a server on loopback that answers to loopback names and its own origin).
    """
    browser = browser or BrowserPolicy.for_bind("127.0.0.1")
    cors = ([Middleware(CORSMiddleware, allow_origins=sorted(browser.allowed_origins),
                        allow_methods=["GET", "POST"], allow_headers=list(CORS_HEADERS))]
            if browser.allowed_origins else [])
    graphql_app = TraceGraphQL(service, debug=debug, auth=auth,
                               allowed_origins=browser.allowed_origins, audit=audit)

    async def healthz(_request: Request) -> JSONResponse:
        body: dict[str, object] = {"status": "ok", "backend": backend_name(service)}
        if kafka is not None:
            body["kafka"] = kafka.stats()  # the stream's counters (docs/kafka.md)
        return JSONResponse(body)

    return Starlette(
        debug=debug,
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(GRAPHQL_PATH, graphql_app, methods=["GET", "POST"]),
            WebSocketRoute(GRAPHQL_PATH, graphql_app),
            Route(BULK_PATH, bulk_endpoint(service, auth), methods=["POST"]),
            Route(OTLP_TRACES_PATH, otlp_traces_endpoint(otlp or OtlpIngestor(service), auth),
                  methods=["POST"]),
            *rest_routes(service, auth),
            *openapi_routes(),
            *ui_routes(),
        ],
        exception_handlers={StarletteHTTPException: http_error},
        middleware=[
            Middleware(BrowserGuardMiddleware, policy=browser, body_types=BODY_TYPES),
            *cors,
            Middleware(TenantMiddleware, auth=auth or LOCAL_MODE),
            Middleware(BodyLimitMiddleware, max_bytes=max_body_bytes,
                       path_limits={BULK_PATH: max_ingest_bytes,
                                    OTLP_TRACES_PATH: max_ingest_bytes}),
        ],
    )
