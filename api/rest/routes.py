"""The REST routes of seed 003: ``GET /agents/{id}/trace``, ``GET /agents/{id}/status``
(``?include_trace=true``) and ``GET /agents`` (``?status=&limit=&offset=``).

The tenant is the one :class:`~tracegraph.api.auth_http.TenantMiddleware` resolved from
the API key (or ``X-Org-Id`` in local mode); every answer is JSON, errors as
``{"error": {"code", "message", "field"}}`` naming the parameter and its limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from tracegraph.api.auth import Authenticator
from tracegraph.api.auth_http import request_tenant
from tracegraph.api.errors import error_response
from tracegraph.api.service import TraceService
from tracegraph.api.service.runs import DEFAULT_LIMIT, agent_run, list_runs
from tracegraph.schema.errors import InvalidInput, NotFound, TraceGraphError
from tracegraph.schema.ids import ID_MAX_LENGTH, is_valid_id

from .models import AgentRunList, AgentRunStatus, AgentRunTrace
from .paths import AGENTS_PATH, is_rest_path

_TRUE = frozenset({"true"})
_FALSE = frozenset({"false"})
#: Longest integer text accepted for limit/offset (more digits is no number we page to).
MAX_INT_DIGITS = 9


def run_id(request: Request) -> str:
    """The ``{id}`` path parameter, when it is a valid id."""
    value: str = request.path_params["id"]
    if not is_valid_id(value):
        raise InvalidInput(f"id: {value[:40]!r} is not a valid agent run id (1..{ID_MAX_LENGTH} "
                           "letters, digits and ._:@-, starting with a letter or digit)",
                           field="id")
    return value


def flag(request: Request, name: str) -> bool:
    """A ``true``/``false`` query parameter (absent: false)."""
    value = request.query_params.get(name, "false")
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"{name}: {value[:20]!r} is not true or false", field=name)


def integer(request: Request, name: str, default: int) -> int:
    """A whole-number query parameter."""
    value = request.query_params.get(name)
    if value is None:
        return default
    digits = value[1:] if value[:1] == "-" else value
    if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_INT_DIGITS:
        raise InvalidInput(f"{name}: {value[:20]!r} is not a whole number", field=name)
    return int(value)


def _json(model: BaseModel, exclude: set[str] | None = None) -> Response:
    return Response(model.model_dump_json(exclude=exclude), media_type="application/json")


Handler = Callable[[Request], Awaitable[Response]]


def _answering_errors(fn: Callable[[Request], Awaitable[Response]]) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)
        except TraceGraphError as exc:
            return error_response(exc)
    return endpoint


def rest_routes(service: TraceService, auth: Authenticator | None = None) -> list[Route]:
    """The agent-run routes over one service."""

    async def trace(request: Request) -> Response:
        tenant = request_tenant(request, auth)
        run = await run_in_threadpool(agent_run, service, tenant, run_id(request))
        return _json(AgentRunTrace.of(run))

    async def status(request: Request) -> Response:
        tenant = request_tenant(request, auth)
        wanted = run_id(request)
        include = flag(request, "include_trace")
        run = await run_in_threadpool(agent_run, service, tenant, wanted)
        body = AgentRunStatus.of(run, include_trace=include)
        return _json(body, None if include else {"reasoning_trace"})

    async def agents(request: Request) -> Response:
        tenant = request_tenant(request, auth)
        state = request.query_params.get("status")
        limit = integer(request, "limit", DEFAULT_LIMIT)
        offset = integer(request, "offset", 0)
        page = await run_in_threadpool(list_runs, service, tenant, state=state, limit=limit,
                                       offset=offset)
        return _json(AgentRunList.of(page))

    return [
        Route(AGENTS_PATH, _answering_errors(agents), methods=["GET"]),
        Route(AGENTS_PATH + "/{id}/trace", _answering_errors(trace), methods=["GET"]),
        Route(AGENTS_PATH + "/{id}/status", _answering_errors(status), methods=["GET"]),
    ]


class RouteNotFound(NotFound):
    """No route has this path."""


class MethodNotAllowed(TraceGraphError):
    """The path's routes take another method."""

    code = "METHOD_NOT_ALLOWED"
    http_status = 405


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404/405 for paths under ``/agents`` as the routes' JSON errors (other paths
    keep starlette's plain answers)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    if not is_rest_path(request.url.path):
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    error: TraceGraphError = (
        RouteNotFound("no such route: GET /agents, /agents/{id}/trace or /agents/{id}/status")
        if exc.status_code == 404 else
        MethodNotAllowed(f"{request.method}: {exc.detail}; these routes take GET"))
    response = error_response(error, status=exc.status_code)
    response.headers.update(exc.headers or {})
    return response
