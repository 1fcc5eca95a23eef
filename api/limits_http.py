"""Request body limits: an ASGI middleware that answers 413 once a body grows past its limit.

Bytes are counted as they stream in, so a chunked body (no ``Content-Length``) is cut off as
soon as it passes the limit, and a declared ``Content-Length`` over the limit is refused
before any of the body is read. The limit is per path (the bulk NDJSON route takes larger
bodies than GraphQL); everything else gets the server's ``--max-body-bytes``.

Every error the HTTP layer answers by itself (413 here, 401/403 in
:mod:`tracegraph.api.auth_http`) is JSON in the shape its route already speaks: a GraphQL
``errors`` list on ``/graphql``, ``{"error": {"code", "message"}}`` elsewhere (as
:mod:`tracegraph.api.bulk` answers).

>>> from starlette.applications import Starlette
>>> app = BodyLimitMiddleware(Starlette(), max_bytes=1024)
>>> app.limit_for("/graphql"), describe_bytes(8 * 1024 * 1024)
(1024, '8388608 bytes (8 MiB)')
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tracegraph.schema.limits import parse_json_exact

#: Default largest request body (GraphQL and every route without its own limit).
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
#: After refusing a body, read (and drop) at most this much more of it, so that a client that
#: writes its whole body before reading the answer still gets the 413 instead of a reset.
DRAIN_BYTES = 16 * 1024 * 1024
GRAPHQL_PATH = "/graphql"


def describe_bytes(n: int) -> str:
    """``n`` bytes, with the MiB/KiB figure when it is a whole one."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n} bytes ({n // size} {unit})"
    return f"{n} bytes"


def error_response(path: str, status: int, code: str, message: str,
                   headers: Mapping[str, str] | None = None,
                   extra: Mapping[str, object] | None = None) -> Response:
    """A JSON error answered by the HTTP layer itself, shaped like the route's own errors
    (``extra``: more members of the error, e.g. the ``limit`` a 413 passed)."""
    if path == GRAPHQL_PATH:
        body: dict[str, object] = {"errors": [{"message": message,
                                               "extensions": {"code": code, **(extra or {})}}]}
    else:
        body = {"error": {"code": code, "message": message, **(extra or {})}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=dict(headers or {}))


def parse_request_json(data: str | bytes) -> object:
    """A GraphQL request's JSON (the POST body, or GET ``variables``/``extensions``).

    Anything but a JSON object (or a list, which the GraphQL app refuses as a batch) is
    400 with a message naming the problem and where it is (``NaN``, ``Infinity``, a lone
    surrogate escape, bad UTF-8, a bare string...), instead of an error deeper down.
    """
    try:
        value = parse_json_exact(data)
    except orjson.JSONDecodeError as exc:
        raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
        near = raw[exc.pos:exc.pos + 24].decode("utf-8", "replace")
        raise HTTPException(400, f"request body: not valid JSON at line {exc.lineno} column "
                            f"{exc.colno} (near {near!r}): {exc.msg}") from None
    if not isinstance(value, dict | list):
        raise HTTPException(400, 'request body: expected a JSON object like {"query": "..."}, '
                            f"got a JSON {_json_type(value)}")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__)


class BodyTooLarge(Exception):
    """Raised into the app by the wrapped ``receive`` once the body passes the limit."""


class BodyLimitMiddleware:
    """Answers 413 (JSON, naming the limit) to a request whose body is larger than allowed.

    ``max_bytes`` applies to every path except those in ``path_limits``.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 path_limits: Mapping[str, int] | None = None) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes: must be at least 1")
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    def limit_for(self, path: str) -> int:
        return self.path_limits.get(path, self.max_bytes)

    def too_large(self, path: str, limit: int, size: str) -> Response:
        return error_response(
            path, 413, "PAYLOAD_TOO_LARGE",
            f"request body: {size} exceeds the server's limit of {describe_bytes(limit)}; "
            "send less per request (server option --max-body-bytes)", extra={"limit": limit})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.limit_for(path)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _drain(receive, DRAIN_BYTES)
            await self.too_large(path, limit, f"{int(declared)} bytes")(scope, receive, send)
            return

        seen = 0
        started = False
        body_done = False

        async def counting_receive() -> Message:
            nonlocal seen, body_done
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:  # the app answered already and read on: nothing left to tell
                return
            if not body_done:  # (reading past the last part would wait for a disconnect)
                await _drain(receive, DRAIN_BYTES)
            await self.too_large(path, limit, f"more than {limit} bytes")(scope, receive, send)


async def _drain(receive: Receive, budget: int) -> None:
    """Read and drop what is left of the request body, up to ``budget`` bytes."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return
