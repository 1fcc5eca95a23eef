"""The ASGI app: GraphQL (and GraphiQL) at ``/graphql`` over HTTP and WebSocket
(graphql-transport-ws subscriptions), bulk NDJSON ingest at ``/v1/ingest``
(:mod:`tracegraph.api.bulk`), a health check at ``/healthz``.

>>> import tempfile
>>> from tracegraph.api.service import TraceService
>>> from tracegraph.graph import open_store
>>> app = create_app(TraceService(open_store("embedded", data_dir=tempfile.mkdtemp())))
>>> [r.path for r in app.routes]
['/healthz', '/graphql', '/graphql', '/v1/ingest']
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from tracegraph.schema.errors import TraceGraphError

from .auth import Authenticator
from .bulk import BULK_PATH, bulk_endpoint
from .graph_service import GraphService
from .graphql.context import TraceContext, resolve_tenant
from .graphql.events import EventHub
from .graphql.schema import build_schema
from .service import TraceService

GRAPHQL_PATH = "/graphql"


class TraceGraphQL(GraphQL[TraceContext, None]):
    """strawberry's ASGI GraphQL app with tracegraph's context and orjson encoding."""

    def __init__(
        self, service: TraceService, *, debug: bool = False, auth: Authenticator | None = None
    ) -> None:
        super().__init__(build_schema(debug=debug), graphql_ide="graphiql")
        self.service = service
        self.auth = auth
        self.graph = GraphService(service.store)
        self.events = EventHub()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> TraceContext:
        try:
            tenant_id = resolve_tenant(request.headers, self.auth)
        except TraceGraphError as exc:
            raise HTTPException(exc.http_status, str(exc)) from None
        return TraceContext.create(self.service, tenant_id, request, graph=self.graph,
                                   events=self.events)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        return orjson.loads(data)


def create_app(
    service: TraceService, *, debug: bool = False, auth: Authenticator | None = None
) -> Starlette:
    """The tracegraph web app over one service (and so one store).

    ``auth`` resolves callers' tenants from API keys; without it the app is in local mode
    (tenant from ``X-Org-Id``, else ``default``).
    """
    graphql_app = TraceGraphQL(service, debug=debug, auth=auth)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "backend": service.store.backend_name})

    return Starlette(
        debug=debug,
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(GRAPHQL_PATH, graphql_app, methods=["GET", "POST"]),
            WebSocketRoute(GRAPHQL_PATH, graphql_app),
            Route(BULK_PATH, bulk_endpoint(service, auth, graphql_app.events.notify),
                  methods=["POST"]),
        ],
    )
